// HTTP-neutral request/response types and the router: METHOD + path pattern with {params}
// → handler. Every route carries its OpenAPI description, so the served document is
// generated from the routes themselves and cannot miss one.
//
// Handlers are asynchronous: they get a Respond callback they must call exactly once, from
// any thread (reads answer at once; writes answer when the pipeline commits).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/json.h"
#include "base/result.h"

namespace xd::http {

struct Request {
  std::string method;
  std::string path;          // decoded path, without the query string
  std::string query;         // raw query string
  std::string body;
  std::string remote_ip;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-case
  std::vector<std::pair<std::string, std::string>> params;   // path parameters

  std::string_view Header(std::string_view name) const;
  std::optional<std::string> QueryParam(std::string_view name) const;
  std::string_view Param(std::string_view name) const;
};

// A body written piece by piece with chunked transfer coding (exports, issue 19): the server
// asks for the next piece only once the previous one is on the wire, so a download of any size
// holds one piece per connection and a slow reader slows only itself. Next runs on the
// connection's I/O thread, so one call should be a bounded amount of work (a page of rows).
class BodyStream {
 public:
  virtual ~BodyStream() = default;
  // The next piece (may be empty only at the end); nullopt once the body is complete. An error
  // ends the body without the terminating chunk and closes the connection, so the client sees
  // a truncated download instead of a short file that looks whole.
  virtual Result<std::optional<std::string>> Next() = 0;
};

struct Response {
  int status = 200;
  std::string body;
  // When set, the body is this stream's pieces (chunked; `body` is ignored).
  std::shared_ptr<BodyStream> stream;
  // When set, the server serialises it into `body` on the connection's I/O thread — so a
  // reply completed by the single writer does not spend the writer's time on JSON.
  std::shared_ptr<const Json> json;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  // Kept alive until the response has been written (or the connection dropped it): lets a
  // route account for the memory its body holds (routes_media.cc's serving budget).
  std::shared_ptr<const void> hold;
};

using Respond = std::function<void(Response)>;
using Handler = std::function<void(Request&, Respond)>;

enum class AuthKind { kNone, kUser, kStaff, kAdmin, kSignature };

struct RouteSpec {
  std::string method;
  std::string pattern;  // "/api/v1/orders/{id}"
  std::string summary;
  std::string tag;
  AuthKind auth = AuthKind::kNone;
  int success_status = 200;
  Json request_example;  // null when the route takes no body
  std::vector<std::string> query_params;
  // The API-key scope that opens this staff route to merchants' keys (empty: sessions only).
  // Filled by Api::Add from ApiKeyScopeFor when left empty.
  std::string api_key_scope;
  // "multipart/form-data" for a route whose body is a file (multipart with a `file` part, or
  // the file's bytes as they are); empty: JSON as request_example shows.
  std::string request_content_type;
};

class Router {
 public:
  void Add(RouteSpec spec, Handler handler);
  // Finds the handler and fills req.params; *index is the route's position in specs() (for
  // metrics). nullptr with *status 404 (no such path) or 405 (path exists, not the method).
  const Handler* Match(Request& req, int* status, int* index = nullptr) const;
  const std::vector<RouteSpec>& specs() const { return specs_; }

 private:
  struct Route {
    std::vector<std::string> segments;  // "{x}" marks a parameter
    Handler handler;
  };
  std::vector<RouteSpec> specs_;
  std::vector<Route> routes_;
};

// Splits "a=1&b=%E5%92%96" and percent-decodes; "+" is a space.
std::string PercentDecode(std::string_view s);

// The OpenAPI 3 document for the routes (with every error code listed).
Json OpenApiDocument(const Router& router);

}  // namespace xd::http
