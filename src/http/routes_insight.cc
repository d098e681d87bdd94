// Routes of the data platform (insight/, issue 19): client events in batches, a user's tags
// for the platform admin, and a merchant's BI over its own customers (JSON and CSV).
#include <memory>

#include "base/id.h"
#include "base/messages.h"
#include "http/api.h"
#include "insight/insight.h"

namespace xd::http {

using account::Perm;

namespace {

Status NeedInsight(Call& c) {
  if (!c.app().insight)
    return Fail(ErrorCode::UNAVAILABLE, "the data platform is not running on this node");
  return Ok();
}

// POST /api/v1/events: anonymous or signed in. The body is bounded before it is parsed (413),
// the batch by its event count (413), each source (user, else IP) by a token bucket (429); the
// events are checked one by one and the refused ones listed, the rest kept.
Status PostEvents(Call& c) {
  RETURN_IF_ERROR(NeedInsight(c));
  if (c.req().body.size() > insight::config::kMaxClientBodyBytes)
    return Fail(Msg::PAYLOAD_TOO_LARGE);
  insight::ClientSource source;
  if (!c.req().Header("authorization").empty() || c.ApiKeyText()) {
    ASSIGN_OR_RETURN(account::Principal p, c.User());
    source.user_id = p.user_id;
  }
  const std::string bucket =
      source.user_id ? "u" + std::to_string(source.user_id) : "ip" + c.req().remote_ip;
  if (c.app().events_limiter && !c.app().events_limiter->Allow(bucket))
    return Fail(Msg::RATE_LIMITED);
  ASSIGN_OR_RETURN(Json body, c.Body());
  RETURN_IF_ERROR(c.app().insight->CheckClientBatch(body));
  if (body.contains("device_id")) source.device_id = body["device_id"].get<std::string>();
  c.app().insight->IngestClientEvents(
      source, body, [respond = c.responder(), lang = c.lang()](Result<insight::IngestReport> r) {
        Response resp;
        if (!r) {
          resp.status = ErrorCodeHttpStatus(r.error().code);
          resp.body = ErrorBody(r.error(), lang);
        } else {
          resp.status = 202;
          resp.json = std::make_shared<const Json>(Json{
              {"accepted", r->accepted}, {"duplicates", r->duplicates}, {"rejected", r->rejected}});
        }
        respond(std::move(resp));
      });
  return Ok();
}

Status AdminUserTags(Call& c) {
  RETURN_IF_ERROR(NeedInsight(c));
  ASSIGN_OR_RETURN(AdminCaller admin, c.Admin());
  (void)admin;
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  ASSIGN_OR_RETURN(Json tags, c.app().insight->UserTags(id));
  c.Reply(tags);
  return Ok();
}

// ?from=&to= as YYYY-MM-DD China-time days; by default the 30 days up to today.
Result<std::pair<int64_t, int64_t>> DayRange(Call& c) {
  const int64_t today = insight::DayOf(c.app().store.clock().NowMs());
  auto parse = [&](const char* name, int64_t fallback) -> Result<int64_t> {
    auto text = c.req().QueryParam(name);
    if (!text) return fallback;
    if (text->size() != 10 || (*text)[4] != '-' || (*text)[7] != '-')
      return Fail(Msg::FIELD_INVALID, {Field(name)});
    std::string digits = text->substr(0, 4) + text->substr(5, 2) + text->substr(8, 2);
    if (digits.find_first_not_of("0123456789") != std::string::npos)
      return Fail(Msg::FIELD_INVALID, {Field(name)});
    int64_t day = std::stoll(digits);
    if (!insight::DayStartMs(day)) return Fail(Msg::FIELD_INVALID, {Field(name)});
    return day;
  };
  const int64_t month_ago = insight::DayOf(c.app().store.clock().NowMs() - 29LL * 24 * 3600 * 1000);
  ASSIGN_OR_RETURN(int64_t from, parse("from", month_ago));
  ASSIGN_OR_RETURN(int64_t to, parse("to", today));
  return std::make_pair(from, to);
}

Status MerchantOverview(Call& c) {
  RETURN_IF_ERROR(NeedInsight(c));
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kRead));
  ASSIGN_OR_RETURN(auto range, DayRange(c));
  ASSIGN_OR_RETURN(Json out,
                   c.app().insight->MerchantOverview(s.merchant_id, range.first, range.second));
  c.Reply(out);
  return Ok();
}

Status MerchantExport(Call& c) {
  RETURN_IF_ERROR(NeedInsight(c));
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kRead));
  ASSIGN_OR_RETURN(auto range, DayRange(c));
  ASSIGN_OR_RETURN(std::string csv,
                   c.app().insight->MerchantDaysCsv(s.merchant_id, range.first, range.second));
  c.ReplyText(std::move(csv), "text/csv; charset=utf-8");
  return Ok();
}

}  // namespace

void AddInsightRoutes(Api& api) {
  // clang-format off
  api.AddTable({
      {{"POST", "/api/v1/events",
        "Client events in a batch (≤ 100 events, ≤ 64 KiB; anonymous with a device_id, or signed in): "
        "impression, view, click, share, add_to_cart, search. Deduplicated by the client's event id per "
        "device; timestamps (at_ms) clamped to the server's last 24 h; a product's merchant is the "
        "server's. 202 with accepted, duplicates and the refused events", "insight", AuthKind::kNone, 202,
        Json{{"device_id", "d-7f3a9c"}, {"events", Json::array({Json{{"id", "e1"}, {"type", "view"}, {"product_id", "123"},
                                                                     {"source", "feed"}, {"at_ms", 1764800000000}}})}}},
       PostEvents},
      {{"GET", "/api/v1/admin/users/{id}/tags",
        "A user's tags: category interests (decayed), price band, RFM segment, lifecycle, member level, "
        "online/offline mix, sharer influence, channel (admin)", "insight", AuthKind::kAdmin}, AdminUserTags},
      {{"GET", "/api/v1/merchant/insights/overview",
        "The shop's BI over China-time days (from, to: YYYY-MM-DD, ≤ 366 days; the last 30 by default): "
        "GMV, orders, visitors, buyers, AOV per day, the funnel view → cart → order → pay, top products, "
        "channels, customer segments (staff)", "insight", AuthKind::kStaff, 200, nullptr, {"from", "to"}},
       MerchantOverview},
      {{"GET", "/api/v1/merchant/insights/export.csv",
        "The per-day series as CSV (≤ 366 rows) (staff)", "insight", AuthKind::kStaff, 200, nullptr, {"from", "to"}},
       MerchantExport},
  });
  // clang-format on
}

}  // namespace xd::http
