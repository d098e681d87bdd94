#include "http/server.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>
#include <unordered_map>
#include <utility>

#include <fmt/format.h>

#include "base/json.h"
#include "base/log.h"
#include "base/messages.h"
#include "base/thread_name.h"
#include "http/asio.h"
#include "http/rate_limiter.h"
#include "http/stream.h"

namespace xd::http {

namespace {

constexpr std::array<int, 11> kBucketsMs = {1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 5000};

struct RouteMetrics {
  std::atomic<int64_t> by_class[6] = {};  // 1xx..5xx, index by status/100
  std::atomic<int64_t> buckets[kBucketsMs.size() + 1] = {};
  std::atomic<int64_t> latency_us_sum{0};
};

// An answer the server gives before any route runs, in the catalogue's words (`lang`: the
// request's Accept-Language). `status` differs from the code's only for 431.
Response ErrorResponse(int status, Msg m, Lang lang, std::vector<MsgParam> params = {}) {
  Response r;
  r.status = status;
  r.body = DumpJson(ErrorJson(MakeError(m, std::move(params)), lang));
  return r;
}


// Static files of the two web apps, read once and kept in memory (with a gzip twin when
// the build produced one). The request path is normalised before anything else ("//", "."
// dropped, ".." refused), so each file is cached once however its path is spelled; the cache
// is bounded in files and bytes (a file beyond the bound is served from disk each time).
class StaticFiles {
 public:
  explicit StaticFiles(std::string root) : root_(std::move(root)) {}
  bool Serve(const Request& req, Response* out) {
    if (root_.empty() || (req.method != "GET" && req.method != "HEAD")) return false;
    if (req.path.rfind("/api/", 0) == 0 || req.path.rfind("/img/", 0) == 0 || req.path.rfind("/media/", 0) == 0 ||
        req.path == "/healthz" || req.path == "/metrics" ||
        req.path.rfind("/s/", 0) == 0)  // short share links: the router redirects into the shop
      return false;
    std::optional<std::string> norm = Normalize(req.path);
    if (!norm) return false;  // traversal: no file, the router answers 404
    std::string app = "shop", rel = *norm;
    if (rel == "/console" || rel.rfind("/console/", 0) == 0) {
      app = "console";
      rel = rel.size() > 9 ? rel.substr(8) : "/";
    }
    if (rel == "/") rel = "/index.html";
    bool gzip_ok = req.Header("accept-encoding").find("gzip") != std::string_view::npos;
    std::shared_ptr<const File> f = Load(app + "/dist" + rel);
    if (!f) {
      if (rel.rfind("/assets/", 0) == 0) return false;  // a missing asset is a real 404
      f = Load(app + "/dist/index.html");  // SPA fallback
      if (!f) return false;
      rel = "/index.html";
    }
    out->status = 200;
    out->content_type = f->type;
    if (gzip_ok && !f->gz.empty()) {
      out->body = f->gz;
      out->headers.emplace_back("Content-Encoding", "gzip");
    } else {
      out->body = f->body;
    }
    out->headers.emplace_back("Cache-Control", rel.rfind("/assets/", 0) == 0 ? "public, max-age=31536000, immutable" : "no-cache");
    return true;
  }
  // Files held in memory now.
  int64_t cached_files() const {
    std::lock_guard lock(mu_);
    return static_cast<int64_t>(cache_.size());
  }

  // "/a//./b/" → "/a/b"; nullopt when a segment is ".." (or holds a backslash or NUL, which
  // no built file name does). The root is "/".
  static std::optional<std::string> Normalize(std::string_view path) {
    std::string out;
    size_t i = 0;
    while (i < path.size()) {
      size_t j = path.find('/', i);
      if (j == std::string_view::npos) j = path.size();
      std::string_view seg = path.substr(i, j - i);
      i = j + 1;
      if (seg.empty() || seg == ".") continue;
      if (seg == ".." || seg.find('\\') != std::string_view::npos || seg.find('\0') != std::string_view::npos)
        return std::nullopt;
      out += '/';
      out += seg;
    }
    if (out.empty()) out = "/";
    return out;
  }

 private:
  static constexpr size_t kMaxFiles = 256;
  static constexpr size_t kMaxBytes = 64u << 20;
  struct File {
    std::string body, gz, type;
  };
  static std::string Slurp(const std::string& path, bool* ok) {
    std::error_code ec;
    *ok = std::filesystem::is_regular_file(path, ec);
    if (!*ok) return "";
    std::ifstream in(path, std::ios::binary);
    *ok = static_cast<bool>(in);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  static std::string TypeOf(const std::string& path) {
    auto ends = [&](const char* ext) { return path.size() >= strlen(ext) && path.compare(path.size() - strlen(ext), strlen(ext), ext) == 0; };
    if (ends(".html")) return "text/html; charset=utf-8";
    if (ends(".js")) return "application/javascript";
    if (ends(".css")) return "text/css";
    if (ends(".svg")) return "image/svg+xml";
    if (ends(".png")) return "image/png";
    if (ends(".json")) return "application/json";
    if (ends(".woff2")) return "font/woff2";
    if (ends(".ico")) return "image/x-icon";
    return "application/octet-stream";
  }
  // `rel` is normalised ("shop/dist/assets/x.js"), so it names one file.
  std::shared_ptr<const File> Load(const std::string& rel) {
    {
      std::lock_guard lock(mu_);
      auto it = cache_.find(rel);
      if (it != cache_.end()) return it->second;
    }
    const std::string path = root_ + "/" + rel;
    bool ok;
    auto f = std::make_shared<File>();
    f->body = Slurp(path, &ok);
    // Not cached when missing: the front end may be built after the server starts.
    if (!ok) return nullptr;
    bool gz_ok;
    f->gz = Slurp(path + ".gz", &gz_ok);
    if (!gz_ok) f->gz.clear();
    f->type = TypeOf(path);
    std::lock_guard lock(mu_);
    size_t size = f->body.size() + f->gz.size();
    if (cache_.size() < kMaxFiles && bytes_ + size <= kMaxBytes && cache_.emplace(rel, f).second) bytes_ += size;
    return f;
  }
  std::string root_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<const File>> cache_;
  size_t bytes_ = 0;
};

}  // namespace

struct Server::Impl {
  Impl(ServerOptions o, const Router& r)
      : options(std::move(o)), router(r), ioc(options.threads), work(net::make_work_guard(ioc)), acceptor(net::make_strand(ioc)),
        limiter(options.ip_rate_per_s, options.ip_burst), statics(options.web_root),
        route_metrics(r.specs().size() + 1) {}

  ServerOptions options;
  const Router& router;
  net::io_context ioc;
  // Keeps the I/O threads alive while requests wait on the write pipeline (no socket
  // operation is pending then, and run() would otherwise return and drop their replies).
  net::executor_work_guard<net::io_context::executor_type> work;
  tcp::acceptor acceptor;
  std::vector<std::thread> threads;
  RateLimiter limiter;
  StaticFiles statics;
  std::vector<RouteMetrics> route_metrics;
  std::atomic<int64_t> in_flight{0}, connections{0}, accepted{0}, rejected_connections{0}, rate_limited{0},
      request_seq{0}, streams_taken{0}, uploads{0}, uploads_refused{0};
  std::atomic<bool> stopping{false};

  void Accept();
  void Record(int route, int status, int64_t us) {
    RouteMetrics& m = route_metrics[route < 0 ? route_metrics.size() - 1 : static_cast<size_t>(route)];
    m.by_class[std::clamp(status / 100, 0, 5)]++;
    m.latency_us_sum += us;
    size_t b = 0;
    while (b < kBucketsMs.size() && us > kBucketsMs[b] * 1000) ++b;
    m.buckets[b]++;
  }
};

namespace {

// A header's value as parsed so far (empty when absent).
std::string_view HeaderText(const bhttp::request<bhttp::string_body>& msg, std::string_view name) {
  auto it = msg.find(beast::string_view(name.data(), name.size()));
  if (it == msg.end()) return {};
  return std::string_view(it->value().data(), it->value().size());
}

// True when the request has no Transfer-Encoding, or exactly "chunked" (in one or more
// header lines, any case): the only coding we decode. Anything else ("xchunked",
// "chunked, identity", "gzip, chunked", an empty list) leaves the body's length unknown.
bool TransferEncodingOk(const bhttp::request<bhttp::string_body>& msg) {
  int fields = 0, tokens = 0;
  bool only_chunked = true;
  for (const auto& f : msg) {
    if (f.name() != bhttp::field::transfer_encoding) continue;
    ++fields;
    std::string_view v(f.value().data(), f.value().size());
    size_t i = 0;
    while (i <= v.size()) {
      size_t j = v.find(',', i);
      if (j == std::string_view::npos) j = v.size();
      std::string_view t = v.substr(i, j - i);
      while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
      while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
      i = j + 1;
      if (t.empty()) continue;
      ++tokens;
      constexpr std::string_view kChunked = "chunked";
      if (t.size() != kChunked.size() ||
          !std::equal(t.begin(), t.end(), kChunked.begin(), [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; }))
        only_chunked = false;
    }
  }
  return fields == 0 || (tokens == 1 && only_chunked);
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Server::Impl& srv) : stream_(std::move(socket)), srv_(srv) {
    srv_.connections++;
  }
  ~Session() {
    ReleaseUpload();
    srv_.connections--;
  }

  void Run() {
    net::dispatch(stream_.get_executor(), beast::bind_front_handler(&Session::DoRead, shared_from_this()));
  }

 private:
  void DoRead() {
    parser_.emplace();
    rate_checked_ = false;
    // The larger limit until the headers say which route this is (OnHeader): Beast checks a
    // Content-Length against the limit as the headers end.
    parser_->body_limit(std::max(srv_.options.body_limit, srv_.options.upload_paths.empty() ? 0 : srv_.options.upload_body_limit));
    parser_->header_limit(static_cast<uint32_t>(srv_.options.header_limit));
    stream_.expires_after(std::chrono::milliseconds(first_ ? srv_.options.read_timeout_ms : srv_.options.idle_timeout_ms));
    first_ = false;
    bhttp::async_read_header(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::OnHeader, shared_from_this()));
  }

  // Headers read: an upload takes a slot (or is refused), anything else gets the ordinary
  // body limit; then the body.
  void OnHeader(beast::error_code ec, size_t n) {
    if (ec) return OnRead(ec, n);
    auto& msg = parser_->get();
    std::string_view target(msg.target().data(), msg.target().size());
    std::string_view path = target.substr(0, target.find('?'));
    bool upload = msg.method() == bhttp::verb::post &&
                  std::ranges::find(srv_.options.upload_paths, path) != srv_.options.upload_paths.end();
    if (upload) {
      // Who is uploading is checked before a slot is taken: otherwise anyone could hold every
      // slot with slow bodies that would be refused 401 only once read.
      if (srv_.options.upload_gate) {
        // The per-address limit first (Dispatch would apply it only after the body): the gate
        // may read the store for a token.
        rate_checked_ = true;
        if (!srv_.limiter.Allow(RemoteIp())) {
          srv_.rate_limited++;
          keep_alive_ = false;
          linger_ = true;
          return Write(ErrorResponse(429, Msg::ADDRESS_RATE_LIMITED, ParseAcceptLanguage(HeaderText(msg, "Accept-Language"))));
        }
        Request head;
        head.method = "POST";
        head.path = std::string(path);
        head.remote_ip = RemoteIp();
        CopyHeaders(msg, head);
        if (std::optional<Response> refused = srv_.options.upload_gate(head)) {
          srv_.uploads_refused++;
          keep_alive_ = false;
          linger_ = true;  // the body may still be coming: read it away so the client sees the answer
          return Write(std::move(*refused));
        }
      }
      if (srv_.uploads.fetch_add(1) >= static_cast<int64_t>(srv_.options.max_uploads_in_flight)) {
        srv_.uploads--;
        srv_.uploads_refused++;
        keep_alive_ = false;
        linger_ = true;
        Response r = ErrorResponse(503, Msg::UPLOADS_BUSY, ParseAcceptLanguage(HeaderText(msg, "Accept-Language")));
        r.headers.emplace_back("Retry-After", "1");
        return Write(std::move(r));
      }
      upload_slot_ = true;
    } else {
      if (parser_->content_length() && *parser_->content_length() > srv_.options.body_limit)
        return OnRead(bhttp::error::body_limit, n);
      parser_->body_limit(srv_.options.body_limit);
    }
    bhttp::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::OnRead, shared_from_this()));
  }

  // The peer's address, once per connection: a getpeername and a formatting per request added up.
  const std::string& RemoteIp() {
    if (!remote_ip_) {
      beast::error_code ep_ec;
      auto ep = stream_.socket().remote_endpoint(ep_ec);
      remote_ip_ = ep_ec ? "" : ep.address().to_string();
    }
    return *remote_ip_;
  }

  // The message's header fields into `req`, names lower-case.
  template <class Fields>
  static void CopyHeaders(const Fields& msg, Request& req) {
    for (auto& f : msg) {
      std::string name(f.name_string());
      for (auto& c : name) c = static_cast<char>(tolower(c));
      req.headers.emplace_back(std::move(name), std::string(f.value()));
    }
  }

  void ReleaseUpload() {
    if (upload_slot_) srv_.uploads--;
    upload_slot_ = false;
  }

  void OnRead(beast::error_code ec, size_t) {
    if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout || ec == net::error::operation_aborted ||
        ec == net::error::connection_reset || ec == net::error::eof) {
      return Close();
    }
    if (ec) {
      keep_alive_ = false;
      linger_ = true;  // the client may still be sending: read it away so it sees our answer
      // Whatever headers were parsed may say which language to answer in.
      Lang lang = ParseAcceptLanguage(HeaderText(parser_->get(), "Accept-Language"));
      if (ec == bhttp::error::body_limit) return Write(ErrorResponse(413, Msg::PAYLOAD_TOO_LARGE, lang));
      if (ec == bhttp::error::header_limit) return Write(ErrorResponse(431, Msg::HEADERS_TOO_LARGE, lang));
      return Write(ErrorResponse(400, Msg::MALFORMED_HTTP, lang));
    }
    auto& msg = parser_->get();
    if (!TransferEncodingOk(msg)) {
      // RFC 9112 §6.3: a request whose final coding is not chunked has no knowable length;
      // what follows its headers must not be read as a next request. Answer and close.
      keep_alive_ = false;
      linger_ = true;
      return Write(ErrorResponse(400, Msg::TRANSFER_ENCODING_UNSUPPORTED,
                                 ParseAcceptLanguage(HeaderText(msg, "Accept-Language"))));
    }
    keep_alive_ = msg.keep_alive() && !srv_.stopping;
    http10_ = msg.version() == 10;
    head_request_ = msg.method() == bhttp::verb::head;
    auto req = std::make_shared<Request>();
    req->method = std::string(msg.method_string());
    std::string_view target(msg.target().data(), msg.target().size());
    size_t q = target.find('?');
    req->path = std::string(target.substr(0, q));
    if (q != std::string_view::npos) req->query = std::string(target.substr(q + 1));
    req->body = std::move(msg.body());
    req->remote_ip = RemoteIp();
    CopyHeaders(msg, *req);
    if (srv_.options.streams && srv_.options.streams->Wants(msg, *req)) {
      // A stream (WebSocket, SSE) owns the connection from here: the session ends.
      if (!srv_.limiter.Allow(req->remote_ip)) {
        srv_.rate_limited++;
        keep_alive_ = false;
        return Write(ErrorResponse(429, Msg::ADDRESS_RATE_LIMITED, ParseAcceptLanguage(req->Header("accept-language"))));
      }
      srv_.streams_taken++;
      return srv_.options.streams->Take(std::move(stream_), parser_->release(), std::move(*req));
    }
    Dispatch(std::move(req));
  }

  void Dispatch(std::shared_ptr<Request> req) {
    auto start = std::chrono::steady_clock::now();
    // An upload was counted against its address when its headers arrived (OnHeader).
    bool counted = std::exchange(rate_checked_, false);
    if (!counted && !srv_.limiter.Allow(req->remote_ip)) {
      srv_.rate_limited++;
      return Write(ErrorResponse(429, Msg::ADDRESS_RATE_LIMITED, ParseAcceptLanguage(req->Header("accept-language"))));
    }
    Response static_resp;
    if (srv_.statics.Serve(*req, &static_resp)) return Write(std::move(static_resp));
    int status = 404;
    int route = -1;
    const Handler* h = srv_.router.Match(*req, &status, &route);
    if (!h) {
      Lang lang = ParseAcceptLanguage(req->Header("accept-language"));
      return Write(status == 405 ? ErrorResponse(405, Msg::METHOD_NOT_ALLOWED, lang, {{"path", req->path}})
                                 : ErrorResponse(404, Msg::ROUTE_NOT_FOUND, lang, {{"path", req->path}}));
    }
    srv_.in_flight++;
    auto self = shared_from_this();
    auto once = std::make_shared<std::atomic<bool>>(false);
    Respond respond = [self, req, route, start, once](Response resp) {
      if (once->exchange(true)) return;  // a handler answers once
      auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count();
      self->srv_.Record(route, resp.status, us);
      if (self->srv_.options.access_log)
        spdlog::info("event=http method={} path={} status={} us={} ip={}", req->method, req->path, resp.status, us, req->remote_ip);
      net::post(self->stream_.get_executor(), [self, resp = std::move(resp)]() mutable {
        self->srv_.in_flight--;
        self->Write(std::move(resp));
      });
    };
    try {
      (*h)(*req, respond);
    } catch (const std::exception& e) {
      spdlog::error("event=handler_threw path={} error=\"{}\"", req->path, e.what());
      respond(ErrorResponse(500, Msg::INTERNAL, ParseAcceptLanguage(req->Header("accept-language"))));
    }
  }

  // Serialises the response by hand (status line, a few headers, the body) and sends it as
  // one gather write: Beast's generic serializer cost a quarter of the I/O threads' time.
  void Write(Response resp) {
    ReleaseUpload();  // the upload's request is answered: its body is no longer held
    if (resp.stream) return WriteStreamed(std::move(resp));
    if (resp.json) resp.body = DumpJson(*resp.json);
    auto out = std::make_shared<std::pair<std::string, std::string>>();
    std::string& head = out->first;
    head.reserve(192);
    auto reason = bhttp::obsolete_reason(static_cast<bhttp::status>(resp.status));
    fmt::format_to(std::back_inserter(head), "HTTP/1.1 {} {}\r\nServer: xiaodian\r\nContent-Type: {}\r\n", resp.status,
                   std::string_view(reason.data(), reason.size()), resp.content_type);
    bool bodiless = resp.status == 204 || resp.status == 304 || (resp.status >= 100 && resp.status < 200);
    if (!bodiless) fmt::format_to(std::back_inserter(head), "Content-Length: {}\r\n", resp.body.size());
    for (auto& [k, v] : resp.headers) fmt::format_to(std::back_inserter(head), "{}: {}\r\n", k, v);
    if (!keep_alive_) head += "Connection: close\r\n";
    else if (http10_) head += "Connection: keep-alive\r\n";
    head += "\r\n";
    if (!bodiless && !head_request_) out->second = std::move(resp.body);
    stream_.expires_after(std::chrono::milliseconds(srv_.options.read_timeout_ms));
    std::array<net::const_buffer, 2> buffers{net::buffer(out->first), net::buffer(out->second)};
    net::async_write(stream_, buffers, [self = shared_from_this(), out, hold = std::move(resp.hold)](beast::error_code ec, size_t) {
      if (!ec && self->linger_) return self->Linger();
      if (ec || !self->keep_alive_) return self->Close();
      self->DoRead();
    });
  }

  // A streamed body: the head with Transfer-Encoding: chunked, then one chunk per piece, each
  // asked for once the previous is written (one piece in memory per connection), then the
  // last chunk. HTTP/1.0 has no chunked coding: the pieces go raw and closing ends the body.
  // A piece that fails ends the body without the last chunk and closes: a truncated download.
  void WriteStreamed(Response resp) {
    auto head = std::make_shared<std::string>();
    auto reason = bhttp::obsolete_reason(static_cast<bhttp::status>(resp.status));
    fmt::format_to(std::back_inserter(*head), "HTTP/1.1 {} {}\r\nServer: xiaodian\r\nContent-Type: {}\r\n", resp.status,
                   std::string_view(reason.data(), reason.size()), resp.content_type);
    for (auto& [k, v] : resp.headers) fmt::format_to(std::back_inserter(*head), "{}: {}\r\n", k, v);
    if (http10_) keep_alive_ = false;
    else *head += "Transfer-Encoding: chunked\r\n";
    if (!keep_alive_) *head += "Connection: close\r\n";
    *head += "\r\n";
    stream_.expires_after(std::chrono::milliseconds(srv_.options.read_timeout_ms));
    net::async_write(stream_, net::buffer(*head),
                     [self = shared_from_this(), head, body = std::move(resp.stream)](beast::error_code ec, size_t) mutable {
                       if (ec) return self->Close();
                       if (self->head_request_) return self->keep_alive_ ? self->DoRead() : self->Close();
                       self->WritePiece(std::move(body));
                     });
  }

  void WritePiece(std::shared_ptr<BodyStream> body) {
    Result<std::optional<std::string>> piece = body->Next();
    while (piece && piece->has_value() && (*piece)->empty()) piece = body->Next();  // an empty chunk would end the body
    if (!piece) {
      spdlog::warn("event=stream_body_failed error=\"{}\"", piece.error().message);
      keep_alive_ = false;
      return Close();
    }
    auto out = std::make_shared<std::string>();
    const bool last = !piece->has_value();
    if (http10_) {
      if (last) return Close();
      *out = std::move(**piece);
    } else if (last) {
      *out = "0\r\n\r\n";
    } else {
      fmt::format_to(std::back_inserter(*out), "{:x}\r\n", (*piece)->size());
      *out += **piece;
      *out += "\r\n";
    }
    stream_.expires_after(std::chrono::milliseconds(srv_.options.read_timeout_ms));
    net::async_write(stream_, net::buffer(*out),
                     [self = shared_from_this(), out, last, body = std::move(body)](beast::error_code ec, size_t) mutable {
                       if (ec) return self->Close();
                       if (!last) return self->WritePiece(std::move(body));
                       if (!self->keep_alive_) return self->Close();
                       self->DoRead();
                     });
  }

  // Lingering close after an early error answer (413, 400): stop sending, then read and
  // discard what the client is still sending (bounded in bytes and time), so that closing
  // does not reset the connection before the client has read the answer.
  void Linger() {
    beast::error_code ignore;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignore);
    stream_.expires_after(std::chrono::seconds(2));
    DrainSome();
  }
  void DrainSome() {
    drain_buf_.resize(64 * 1024);
    stream_.async_read_some(net::buffer(drain_buf_), [self = shared_from_this()](beast::error_code ec, size_t n) {
      self->drained_ += n;
      // EOF, timeout or enough (an upload's whole body may be this long): the session ends
      if (ec || self->drained_ > std::max<size_t>(8u << 20, self->srv_.options.upload_body_limit + (1u << 20))) return;
      self->DrainSome();
    });
  }

  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  Server::Impl& srv_;
  bool keep_alive_ = false;
  std::optional<std::string> remote_ip_;  // the peer's address, looked up at the first request
  bool http10_ = false;        // the request was HTTP/1.0: keep-alive must be said
  bool head_request_ = false;  // HEAD: headers only
  bool first_ = true;
  bool linger_ = false;
  bool rate_checked_ = false;  // this request was counted by the per-address limiter already
  bool upload_slot_ = false;  // this request holds one of the server's upload slots
  std::vector<char> drain_buf_;
  size_t drained_ = 0;
};

}  // namespace

void Server::Impl::Accept() {
  acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (stopping) return;
    } else if (connections >= options.max_connections) {
      rejected_connections++;
      beast::error_code ignore;
      socket.close(ignore);
    } else {
      accepted++;
      std::make_shared<Session>(std::move(socket), *this)->Run();
    }
    if (!stopping) Accept();
  });
}

Server::Server(ServerOptions options, const Router& router) : impl_(std::make_unique<Impl>(std::move(options), router)) {}

Server::~Server() { Shutdown(0); }

uint16_t Server::Start() {
  Impl& im = *impl_;
  auto addr = net::ip::make_address(im.options.host);
  tcp::endpoint ep(addr, im.options.port);
  im.acceptor.open(ep.protocol());
  im.acceptor.set_option(net::socket_base::reuse_address(true));
  im.acceptor.bind(ep);
  im.acceptor.listen(net::socket_base::max_listen_connections);
  uint16_t port = im.acceptor.local_endpoint().port();
  im.Accept();
  for (int i = 0; i < im.options.threads; ++i) im.threads.emplace_back([&im] {
    SetThreadName("xd-http");
    im.ioc.run();
  });
  return port;
}

void Server::Shutdown(int drain_ms) {
  Impl& im = *impl_;
  if (im.threads.empty()) return;
  im.stopping = true;
  net::post(im.acceptor.get_executor(), [&im] {
    beast::error_code ec;
    im.acceptor.close(ec);
  });
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(drain_ms);
  while (im.in_flight > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  // Let the last responses flush before the loop stops.
  if (drain_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  im.ioc.stop();
  for (auto& t : im.threads) t.join();
  im.threads.clear();
}

void Server::RunUntilSignal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  int sig = 0;
  sigwait(&set, &sig);
  spdlog::info("event=shutdown signal={} in_flight={}", sig, impl_->in_flight.load());
  Shutdown();
}

int64_t Server::in_flight() const { return impl_->in_flight; }

std::string Server::MetricsText() const {
  const Impl& im = *impl_;
  std::string out;
  out += "# HELP xd_http_requests_total HTTP requests by route and status class.\n# TYPE xd_http_requests_total counter\n";
  out += "# HELP xd_http_request_duration_ms Request latency.\n# TYPE xd_http_request_duration_ms histogram\n";
  const auto& specs = im.router.specs();
  for (size_t r = 0; r < im.route_metrics.size(); ++r) {
    const RouteMetrics& m = im.route_metrics[r];
    std::string route = r < specs.size() ? specs[r].method + " " + specs[r].pattern : "unmatched";
    int64_t total = 0;
    for (int c = 1; c <= 5; ++c) {
      int64_t n = m.by_class[c];
      total += n;
      if (n) out += fmt::format("xd_http_requests_total{{route=\"{}\",class=\"{}xx\"}} {}\n", route, c, n);
    }
    if (!total) continue;
    int64_t cum = 0;
    for (size_t b = 0; b < kBucketsMs.size(); ++b) {
      cum += m.buckets[b];
      out += fmt::format("xd_http_request_duration_ms_bucket{{route=\"{}\",le=\"{}\"}} {}\n", route, kBucketsMs[b], cum);
    }
    cum += m.buckets[kBucketsMs.size()];
    out += fmt::format("xd_http_request_duration_ms_bucket{{route=\"{}\",le=\"+Inf\"}} {}\n", route, cum);
    out += fmt::format("xd_http_request_duration_ms_sum{{route=\"{}\"}} {}\n", route, m.latency_us_sum / 1000);
    out += fmt::format("xd_http_request_duration_ms_count{{route=\"{}\"}} {}\n", route, cum);
  }
  out += fmt::format("# TYPE xd_http_in_flight gauge\nxd_http_in_flight {}\n", im.in_flight.load());
  out += fmt::format("# TYPE xd_http_connections gauge\nxd_http_connections {}\n", im.connections.load());
  out += fmt::format("# TYPE xd_http_connections_accepted_total counter\nxd_http_connections_accepted_total {}\n", im.accepted.load());
  out += fmt::format("# TYPE xd_http_connections_rejected_total counter\nxd_http_connections_rejected_total {}\n", im.rejected_connections.load());
  out += fmt::format("# TYPE xd_http_rate_limited_total counter\nxd_http_rate_limited_total {}\n", im.rate_limited.load());
  out += fmt::format("# TYPE xd_http_streams_taken_total counter\nxd_http_streams_taken_total {}\n", im.streams_taken.load());
  out += fmt::format("# TYPE xd_static_files_cached gauge\nxd_static_files_cached {}\n", im.statics.cached_files());
  out += fmt::format("# TYPE xd_http_uploads_in_flight gauge\nxd_http_uploads_in_flight {}\n", im.uploads.load());
  out += fmt::format("# TYPE xd_http_uploads_refused_total counter\nxd_http_uploads_refused_total {}\n", im.uploads_refused.load());
  return out;
}

}  // namespace xd::http
