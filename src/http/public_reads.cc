#include "http/public_reads.h"

#include <cctype>
#include <string_view>

namespace xd::http {

std::optional<int64_t> SignedInUser(Call& c) {
  if (c.req().Header("authorization").empty()) return std::nullopt;
  auto p = c.User();
  if (!p) return std::nullopt;
  return p->user_id;
}

std::string PublicOrigin(const Request& req) {
  std::string_view host = req.Header("host");
  if (host.empty() || host.size() > 255) return "";
  for (char ch : host)
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '.' && ch != '-' && ch != ':' &&
        ch != '[' && ch != ']')
      return "";
  std::string scheme = req.Header("x-forwarded-proto") == "https" ? "https" : "http";
  return scheme + "://" + std::string(host);
}

}  // namespace xd::http
