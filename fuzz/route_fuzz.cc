// Fuzz target: HTTP request parsing pieces and routing over the real route table —
// path matching with parameters, percent-decoding, query parameters. Property: never
// crashes; a matched route's parameters are non-empty; a match has a route index.
#include <cstdint>
#include <string>

#include "http/router.h"

namespace {
xd::http::Router& Routes() {
  static xd::http::Router* router = [] {
    auto* r = new xd::http::Router();
    const char* patterns[][2] = {{"GET", "/api/v1/products/{id}"},         {"POST", "/api/v1/orders/{id}/pay"},
                                 {"GET", "/api/v1/orders/{id}"},           {"POST", "/api/v1/merchant/aftersales/{id}/approve"},
                                 {"DELETE", "/api/v1/friends/{user_id}"},  {"GET", "/api/v1/products"},
                                 {"POST", "/api/v1/pay/sandbox/{payment_id}/complete"}, {"GET", "/healthz"}};
    for (auto& p : patterns) r->Add(xd::http::RouteSpec{p[0], p[1], "", ""}, [](xd::http::Request&, xd::http::Respond) {});
    return r;
  }();
  return *router;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string s(reinterpret_cast<const char*>(data), size);
  xd::http::Request req;
  size_t sp = s.find(' ');
  req.method = sp == std::string::npos ? "GET" : s.substr(0, sp);
  std::string target = sp == std::string::npos ? s : s.substr(sp + 1);
  size_t q = target.find('?');
  req.path = target.substr(0, q);
  if (q != std::string::npos) req.query = target.substr(q + 1);
  int status = 0;
  int index = -1;
  const auto* h = Routes().Match(req, &status, &index);
  if ((h != nullptr) != (index >= 0)) __builtin_trap();
  if (h) {
    for (auto& [k, v] : req.params)
      if (k.empty()) __builtin_trap();
  } else if (status != 404 && status != 405) {
    __builtin_trap();
  }
  (void)req.QueryParam("q");
  (void)req.QueryParam("");
  (void)xd::http::PercentDecode(s);
  return 0;
}
