// A small synchronous HTTP/1.1 client with keep-alive, for the sandbox provider's
// notification sender, the webhook sender and API tests over real HTTP. One connection per
// client object; not thread-safe (use one per thread). `host` is an IP address or a name
// (resolved on connect); `timeout_ms` bounds connect and each request.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/json.h"
#include "http/router.h"

namespace xd::http {

class Client {
 public:
  Client(std::string host, uint16_t port, int timeout_ms = 60'000);
  ~Client();
  // Refuses to connect to loopback, private, link-local, CGNAT, unspecified or multicast
  // addresses — checked on the addresses a name resolves to, right before connecting (the
  // webhook sender's SSRF guard; a refused connect is status 0, "address not allowed").
  void DenyPrivateAddresses(bool deny);
  // Sends a request; status 0 with an error message in body when the connection fails.
  Response Send(const std::string& method, const std::string& target, const std::string& body = "",
                const std::vector<std::pair<std::string, std::string>>& headers = {});
  // JSON convenience: sends `body` (if not null) with an optional Bearer token.
  struct JsonResponse {
    int status;
    Json body;
  };
  JsonResponse Json(const std::string& method, const std::string& target, const xd::Json& body = nullptr,
                    const std::string& token = "", std::vector<std::pair<std::string, std::string>> headers = {});

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace xd::http
