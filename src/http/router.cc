#include "http/router.h"

#include "base/error.h"
#include "base/messages.h"

namespace xd::http {

namespace {
std::vector<std::string> SplitPath(std::string_view path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    out.emplace_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}
}  // namespace

std::string_view Request::Header(std::string_view name) const {
  for (auto& [k, v] : headers)
    if (k == name) return v;
  return {};
}

std::string PercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%' && i + 2 < s.size() && isxdigit(static_cast<unsigned char>(s[i + 1])) &&
               isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::optional<std::string> Request::QueryParam(std::string_view name) const {
  std::string_view q = query;
  size_t i = 0;
  while (i <= q.size()) {
    size_t amp = q.find('&', i);
    if (amp == std::string_view::npos) amp = q.size();
    std::string_view pair = q.substr(i, amp - i);
    size_t eq = pair.find('=');
    std::string_view key = pair.substr(0, eq);
    if (key == name) return PercentDecode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
    i = amp + 1;
  }
  return std::nullopt;
}

std::string_view Request::Param(std::string_view name) const {
  for (auto& [k, v] : params)
    if (k == name) return v;
  return {};
}

void Router::Add(RouteSpec spec, Handler handler) {
  routes_.push_back(Route{SplitPath(spec.pattern), std::move(handler)});
  specs_.push_back(std::move(spec));
}

const Handler* Router::Match(Request& req, int* status, int* index) const {
  auto segs = SplitPath(req.path);
  bool path_matched = false;
  for (size_t r = 0; r < routes_.size(); ++r) {
    const auto& route = routes_[r];
    if (route.segments.size() != segs.size()) continue;
    bool ok = true;
    for (size_t i = 0; i < segs.size() && ok; ++i)
      ok = route.segments[i].front() == '{' || route.segments[i] == segs[i];
    if (!ok) continue;
    path_matched = true;
    if (specs_[r].method != req.method) continue;
    req.params.clear();
    for (size_t i = 0; i < segs.size(); ++i)
      if (route.segments[i].front() == '{')
        req.params.emplace_back(route.segments[i].substr(1, route.segments[i].size() - 2), PercentDecode(segs[i]));
    if (index) *index = static_cast<int>(r);
    return &route.handler;
  }
  *status = path_matched ? 405 : 404;
  return nullptr;
}

Json OpenApiDocument(const Router& router) {
  Json codes = Json::array();
#define XD_CODE(name, status) codes.push_back(#name);
  XD_ERROR_CODES(XD_CODE)
#undef XD_CODE
  Json paths = Json::object();
  for (const auto& spec : router.specs()) {
    if (spec.pattern.rfind("/api/", 0) != 0 && spec.pattern.rfind("/healthz", 0) != 0 && spec.pattern.rfind("/metrics", 0) != 0 &&
        spec.pattern.rfind("/media/", 0) != 0)
      continue;
    std::string method = spec.method;
    for (auto& c : method) c = static_cast<char>(tolower(c));
    Json op{{"summary", spec.summary}, {"tags", Json::array({spec.tag})}, {"operationId", method + spec.pattern}};
    Json params = Json::array();
    for (const auto& seg : SplitPath(spec.pattern))
      if (seg.front() == '{')
        params.push_back(Json{{"name", seg.substr(1, seg.size() - 2)}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}});
    for (const auto& q : spec.query_params)
      params.push_back(Json{{"name", q}, {"in", "query"}, {"required", false}, {"schema", {{"type", "string"}}}});
    if (spec.auth == AuthKind::kStaff)
      params.push_back(Json{{"name", "X-Merchant-Id"}, {"in", "header"}, {"required", false}, {"schema", {{"type", "string"}}}});
    params.push_back(Json{{"$ref", "#/components/parameters/AcceptLanguage"}});
    op["parameters"] = params;
    if (spec.request_content_type == "multipart/form-data") {
      Json file_schema{{"type", "string"}, {"format", "binary"}};
      op["requestBody"] = Json{
          {"required", true},
          {"content",
           {{"multipart/form-data",
             {{"schema", {{"type", "object"}, {"properties", {{"file", file_schema}}}, {"required", Json::array({"file"})}}}}},
            {"image/jpeg", {{"schema", file_schema}}},
            {"image/png", {{"schema", file_schema}}},
            {"image/webp", {{"schema", file_schema}}}}}};
    } else if (!spec.request_example.is_null())
      op["requestBody"] = Json{{"required", true},
                               {"content", {{"application/json", {{"schema", {{"type", "object"}}}, {"example", spec.request_example}}}}}};
    switch (spec.auth) {
      case AuthKind::kNone: op["security"] = Json::array(); break;
      case AuthKind::kSignature: op["security"] = Json::array({Json{{"sandboxSignature", Json::array()}}}); break;
      default: op["security"] = Json::array({Json{{"bearer", Json::array()}}}); break;
    }
    if (!spec.api_key_scope.empty()) {
      op["security"].push_back(Json{{"apiKey", Json::array({spec.api_key_scope})}});
      op["x-api-key-scope"] = spec.api_key_scope;
    }
    const char* who = spec.auth == AuthKind::kStaff ? "merchant staff" : spec.auth == AuthKind::kAdmin ? "platform admin"
                      : spec.auth == AuthKind::kUser ? "signed-in user" : spec.auth == AuthKind::kSignature ? "payment provider" : "anyone";
    op["x-caller"] = who;
    op["responses"] = Json{{std::to_string(spec.success_status), {{"description", "success"}}},
                           {"default", {{"description", "error", },
                                        {"content", {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Error"}}}}}}}}}};
    paths[spec.pattern][method] = op;
  }
  Json reasons = Json::array();
  for (Msg m : AllMsgs()) reasons.push_back(MsgName(m));
  // docs/api.md "Errors" and docs/decisions/016-error-messages.md.
  Json error_schema{
      {"type", "object"},
      {"properties",
       {{"error",
         {{"type", "object"},
          {"required", Json::array({"code", "reason", "params", "message"})},
          {"properties",
           {{"code", {{"type", "string"}, {"enum", codes}, {"description", "Stable; gives the HTTP status"}}},
            {"reason",
             {{"type", "string"},
              {"enum", reasons},
              {"description", "Stable key of what went wrong (one of the catalogue's); a code's own name when nothing more precise applies"}}},
            {"params",
             {{"type", "object"},
              {"additionalProperties", true},
              {"description", "The reason's named values (numbers as numbers, money in fen, field names raw, e.g. {\"field\":\"items[2].quantity\"}); "
                              "\"item\" is the 0-based line of a request's list"}}},
            {"message",
             {{"type", "string"},
              {"description", "For people, in the request's Accept-Language: zh (default) or en; field names by their labels"}}}}}}}}}};
  Json doc;
  doc["openapi"] = "3.0.3";
  doc["info"] = Json{{"title", "xiaodian API"}, {"version", "1"},
                     {"description", "Social-commerce engine. IDs are strings; money is integer fen."}};
  doc["paths"] = paths;
  doc["components"]["securitySchemes"]["bearer"] = Json{{"type", "http"}, {"scheme", "bearer"}};
  doc["components"]["securitySchemes"]["apiKey"] =
      Json{{"type", "apiKey"}, {"in", "header"}, {"name", "X-Api-Key"},
           {"description", "A merchant's API key (xdk_...), also accepted as Authorization: Bearer; only on routes with x-api-key-scope"}};
  doc["components"]["securitySchemes"]["sandboxSignature"] =
      Json{{"type", "apiKey"}, {"in", "header"}, {"name", "X-Sandbox-Signature"}};
  doc["components"]["schemas"]["Error"] = error_schema;
  doc["components"]["parameters"]["AcceptLanguage"] =
      Json{{"name", "Accept-Language"}, {"in", "header"}, {"required", false}, {"schema", {{"type", "string"}, {"example", "en"}}},
           {"description", "The language of error messages: en when it prefers English (by q-value) over Chinese, else zh"}};
  return doc;
}

}  // namespace xd::http
