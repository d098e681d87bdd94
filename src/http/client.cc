#include "http/client.h"

#include "http/asio.h"

namespace xd::http {

namespace {

bool PrivateAddress(const net::ip::address& a) {
  if (a.is_loopback() || a.is_unspecified() || a.is_multicast()) return true;
  if (a.is_v6()) {
    auto v6 = a.to_v6();
    if (v6.is_v4_mapped()) return PrivateAddress(net::ip::make_address_v4(net::ip::v4_mapped, v6));
    return v6.is_link_local() || v6.is_site_local() || (v6.to_bytes()[0] & 0xfe) == 0xfc;  // fc00::/7 unique local
  }
  uint32_t v = a.to_v4().to_uint();
  uint32_t x = v >> 24, y = (v >> 16) & 0xff;
  return x == 0 || x == 10 || x == 127 || (x == 169 && y == 254) || (x == 172 && y >= 16 && y <= 31) || (x == 192 && y == 168) ||
         (x == 100 && y >= 64 && y <= 127) || x >= 224;
}

}  // namespace

struct Client::Impl {
  std::string host;
  uint16_t port;
  net::io_context ioc;
  std::optional<beast::tcp_stream> stream;
  beast::flat_buffer buffer;

  int timeout_ms = 60'000;
  bool deny_private = false;
  std::string connect_error;

  bool Connect() {
    stream.emplace(ioc);
    beast::error_code ec;
    stream->expires_after(std::chrono::milliseconds(std::min(timeout_ms, 30'000)));
    std::vector<tcp::endpoint> endpoints;
    auto address = net::ip::make_address(host, ec);
    if (!ec) {
      endpoints.emplace_back(address, port);
    } else {
      tcp::resolver resolver(ioc);
      auto results = resolver.resolve(host, std::to_string(port), ec);
      if (!ec)
        for (auto& r : results) endpoints.push_back(r.endpoint());
    }
    connect_error = ec ? ec.message() : "";
    if (!ec && deny_private) {
      std::erase_if(endpoints, [](const tcp::endpoint& e) { return PrivateAddress(e.address()); });
      if (endpoints.empty()) connect_error = "address not allowed (private or loopback)";
    }
    if (!ec && !endpoints.empty()) {
      stream->connect(endpoints, ec);
      if (ec) connect_error = ec.message();
    }
    if (!connect_error.empty()) stream.reset();
    return connect_error.empty();
  }
};

void Client::DenyPrivateAddresses(bool deny) { impl_->deny_private = deny; }

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
      out.body = "connect failed: " + impl_->connect_error;
      return out;
    }
    bhttp::request<bhttp::string_body> req(bhttp::string_to_verb(method), target, 11);
    req.set(bhttp::field::host, impl_->host);
    req.keep_alive(true);
    for (auto& [k, v] : headers) req.set(k, v);
    if (!body.empty()) {
      if (req.find(bhttp::field::content_type) == req.end()) req.set(bhttp::field::content_type, "application/json");
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
