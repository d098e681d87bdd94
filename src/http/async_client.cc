#include "http/async_client.h"

#include <deque>
#include <thread>

#include "base/thread_name.h"
#include "http/asio.h"

namespace xd::http {

namespace {

struct Job {
  std::string target, body;
  AsyncClient::Headers headers;
  std::function<void(int)> done;
};

struct Conn {
  explicit Conn(net::io_context& ioc) : stream(ioc) {}
  beast::tcp_stream stream;
  beast::flat_buffer buffer;
  bool connected = false;
};

}  // namespace

// Everything below runs on the client's thread, except Post's hand-over (net::post).
struct AsyncClient::Impl {
  net::io_context ioc{1};
  net::executor_work_guard<net::io_context::executor_type> work{ioc.get_executor()};
  tcp::endpoint endpoint;
  std::string host_header;  // the endpoint's address, formatted once
  int max_connections;
  std::chrono::milliseconds timeout;
  std::deque<Job> queue;
  std::vector<std::unique_ptr<Conn>> idle;
  int busy = 0;
  std::thread thread;

  void Pump() {
    while (!queue.empty() && busy < max_connections) {
      Job job = std::move(queue.front());
      queue.pop_front();
      std::unique_ptr<Conn> conn;
      if (!idle.empty()) {
        conn = std::move(idle.back());
        idle.pop_back();
      } else {
        conn = std::make_unique<Conn>(ioc);
      }
      ++busy;
      net::co_spawn(ioc, Run(this, std::move(conn), std::move(job)), net::detached);
    }
  }

  // One exchange on `c`; the status, or 0 with the connection closed.
  net::awaitable<int> Exchange(Conn& c, const Job& job) {
    beast::error_code ec;
    auto on = net::redirect_error(net::use_awaitable, ec);
    if (!c.connected) {
      c.stream.expires_after(timeout);
      co_await c.stream.async_connect(endpoint, on);
      if (ec) co_return 0;
      c.stream.socket().set_option(tcp::no_delay(true), ec);
      c.connected = true;
    }
    bhttp::request<bhttp::string_body> req{bhttp::verb::post, job.target, 11};
    req.set(bhttp::field::host, host_header);
    req.set(bhttp::field::content_type, "application/json");
    for (auto& [k, v] : job.headers) req.set(k, v);
    req.body() = job.body;
    req.prepare_payload();
    c.stream.expires_after(timeout);
    co_await bhttp::async_write(c.stream, req, on);
    bhttp::response<bhttp::string_body> res;
    if (!ec) co_await bhttp::async_read(c.stream, c.buffer, res, on);
    if (ec) {
      c.stream.socket().close(ec);
      c.connected = false;
      c.buffer.clear();
      co_return 0;
    }
    if (!res.keep_alive()) {
      c.stream.socket().close(ec);
      c.connected = false;
    }
    co_return static_cast<int>(res.result_int());
  }

  static net::awaitable<void> Run(Impl* self, std::unique_ptr<Conn> conn, Job job) {
    bool reused = conn->connected;
    int status = co_await self->Exchange(*conn, job);
    if (status == 0 && reused) status = co_await self->Exchange(*conn, job);  // closed while idle: once more, anew
    --self->busy;
    if (conn->connected) self->idle.push_back(std::move(conn));
    job.done(status);
    self->Pump();
  }
};

AsyncClient::AsyncClient(std::string host, uint16_t port, int max_connections, std::string thread_name, int timeout_ms)
    : impl_(std::make_unique<Impl>()) {
  beast::error_code ec;
  auto address = net::ip::make_address(host, ec);
  if (!ec) {
    impl_->endpoint = tcp::endpoint(address, port);
  } else {  // a name: resolved once, here
    tcp::resolver resolver(impl_->ioc);
    auto results = resolver.resolve(host, std::to_string(port), ec);
    impl_->endpoint = !ec && !results.empty() ? results.begin()->endpoint() : tcp::endpoint(net::ip::address_v4::loopback(), port);
  }
  impl_->host_header = impl_->endpoint.address().to_string();
  impl_->max_connections = std::max(1, max_connections);
  impl_->timeout = std::chrono::milliseconds(timeout_ms);
  impl_->thread = std::thread([im = impl_.get(), name = std::move(thread_name)] {
    SetThreadName(name.c_str());
    im->ioc.run();
  });
}

// Coroutines still suspended are destroyed (not resumed) with the io_context, the Impl's
// first member and so its last destroyed.
AsyncClient::~AsyncClient() {
  impl_->ioc.stop();
  impl_->thread.join();
}

void AsyncClient::Post(std::string target, std::string body, Headers headers, std::function<void(int)> done) {
  net::post(impl_->ioc, [im = impl_.get(), job = Job{std::move(target), std::move(body), std::move(headers), std::move(done)}]() mutable {
    im->queue.push_back(std::move(job));
    im->Pump();
  });
}

}  // namespace xd::http
