#include "http/public_reads.h"

#include <cctype>
#include <string_view>

#include "app/app.h"
#include "base/clock.h"
#include "base/id.h"
#include "promo/promo.h"

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

Status AddActivityBadges(Call& c, Reader& r, const std::vector<Json*>& cards) {
  std::vector<int64_t> ids;
  ids.reserve(cards.size());
  for (const Json* card : cards)
    ids.push_back(ParseId((*card)["id"].get<std::string>()).value_or(0));
  ASSIGN_OR_RETURN(auto running, c.app().promo.RunningActivityOf(r, ids));
  for (size_t i = 0; i < cards.size(); ++i) {
    auto it = running.find(ids[i]);
    if (it == running.end()) {
      (*cards[i])["activity"] = nullptr;
      continue;
    }
    const promo::Activity& a = it->second;
    (*cards[i])["activity"] = Json{{"id", IdString(a.id)},
                                   {"type", a.type},
                                   {"price_fen", promo::ActivityPriceFen(a)},
                                   {"ends_at", FormatRfc3339(a.ends_at_ms)}};
  }
  return Ok();
}

}  // namespace xd::http
