#include "http/client.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace xd::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;

struct Client::Impl {
  std::string host;
  uint16_t port;
  net::io_context ioc;
  std::optional<beast::tcp_stream> stream;
  beast::flat_buffer buffer;

  int timeout_ms = 60'000;

  bool Connect() {
    stream.emplace(ioc);
    beast::error_code ec;
    stream->expires_after(std::chrono::milliseconds(std::min(timeout_ms, 30'000)));
    auto address = net::ip::make_address(host, ec);
    if (!ec) {
      stream->connect(tcp::endpoint(address, port), ec);
    } else {
      tcp::resolver resolver(ioc);
      auto results = resolver.resolve(host, std::to_string(port), ec);
      if (!ec) stream->connect(results, ec);
    }
    if (ec) stream.reset();
    return !ec;
  }
};

Client::Client(std::string host, uint16_t port, int timeout_ms) : impl_(std::make_unique<Impl>()) {
  impl_->host = std::move(host);
  impl_->port = port;
  impl_->timeout_ms = timeout_ms;
}

Client::~Client() = default;

Response Client::Send(const std::string& method, const std::string& target, const std::string& body,
                      const std::vector<std::pair<std::string, std::string>>& headers) {
  Response out;
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!impl_->stream && !impl_->Connect()) {
      out.status = 0;
      out.body = "connect failed";
      return out;
    }
    bhttp::request<bhttp::string_body> req(bhttp::string_to_verb(method), target, 11);
    req.set(bhttp::field::host, impl_->host);
    req.keep_alive(true);
    for (auto& [k, v] : headers) req.set(k, v);
    if (!body.empty()) {
      req.set(bhttp::field::content_type, "application/json");
      req.body() = body;
    }
    req.prepare_payload();
    beast::error_code ec;
    impl_->stream->expires_after(std::chrono::milliseconds(impl_->timeout_ms));
    bhttp::write(*impl_->stream, req, ec);
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(64 << 20);
    if (!ec) bhttp::read(*impl_->stream, impl_->buffer, parser, ec);
    if (ec) {
      impl_->stream.reset();
      impl_->buffer.clear();
      out.status = 0;
      out.body = ec.message();
      continue;  // the server may have closed an idle keep-alive connection: retry once
    }
    auto& res = parser.get();
    out.status = res.result_int();
    out.body = std::move(res.body());
    out.content_type = std::string(res[bhttp::field::content_type]);
    for (auto& f : res) out.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    if (!res.keep_alive()) impl_->stream.reset();
    return out;
  }
  return out;
}

Client::JsonResponse Client::Json(const std::string& method, const std::string& target, const xd::Json& body,
                                  const std::string& token, std::vector<std::pair<std::string, std::string>> headers) {
  if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
  Response r = Send(method, target, body.is_null() ? "" : DumpJson(body), headers);
  xd::Json j = r.body.empty() ? xd::Json() : xd::Json::parse(r.body, nullptr, false);
  return JsonResponse{r.status, j};
}

}  // namespace xd::http
