// Long-lived streams taken over from the HTTP server (WebSocket upgrades, Server-Sent Events):
// the server reads a request, asks the acceptor whether it wants it, and if so hands it the
// connection and the parsed request instead of routing it. For the http module's own .cc files
// (it includes Boost): server.h only forward-declares StreamAcceptor.
#pragma once

#include "http/asio.h"
#include "http/router.h"

namespace xd::http {

class StreamAcceptor {
 public:
  virtual ~StreamAcceptor() = default;
  // Whether the request opens a stream this acceptor serves (path and, for WebSocket, Upgrade).
  virtual bool Wants(const bhttp::request<bhttp::string_body>& msg, const Request& req) const = 0;
  // Takes the connection: answers (101, an event stream, or an error) and owns it from now on.
  virtual void Take(beast::tcp_stream stream, bhttp::request<bhttp::string_body> msg,
                    Request req) = 0;
};

}  // namespace xd::http
