// Routes of the data platform (insight/, issue 19): client events in batches, a user's tags
// for the platform admin, a merchant's BI over its own customers (JSON and CSV), and the
// streamed exports of a merchant's orders and events (CSV or NDJSON).
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/mask.h"
#include "base/id.h"
#include "base/messages.h"
#include "http/api.h"
#include "feed/feed.h"
#include "insight/insight.h"
#include "insight/merchant_bi.h"
#include "insight/platform.h"
#include "member/member.h"
#include "trade/trade.h"

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

// The shop's breakdowns (insight/merchant_bi.h): only the caller's merchant, from the trading
// store and the data platform's projections.
Status MerchantBreakdowns(Call& c) {
  RETURN_IF_ERROR(NeedInsight(c));
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kRead));
  ASSIGN_OR_RETURN(auto range, DayRange(c));
  ASSIGN_OR_RETURN(Json out, insight::MerchantBreakdowns(c.app().store, c.app().insight->analytics(),
                                                         s.merchant_id, range.first, range.second));
  c.Reply(out);
  return Ok();
}

// The platform's BI (admin): by merchant kind, size band and the long tail, with the feed's
// head (the exposure policy's, a count or a share of the active merchants) for the bands.
Status AdminPlatform(Call& c) {
  RETURN_IF_ERROR(NeedInsight(c));
  ASSIGN_OR_RETURN(AdminCaller admin, c.Admin());
  (void)admin;
  ASSIGN_OR_RETURN(auto range, DayRange(c));
  ASSIGN_OR_RETURN(feed::ExposurePolicy policy,
                   c.app().store.Read([](Reader& r) { return feed::LoadPolicy(r); }));
  ASSIGN_OR_RETURN(Json out, insight::PlatformOverview(*c.app().insight, c.app().store, range.first,
                                                       range.second, policy));
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

// ---- exports ----
// A merchant's orders or events for a date range, streamed (chunked): a page of rows per
// piece, each read when the previous piece is on the wire, so memory is one page per download
// whatever the range. Pages are separate reads: an order that changes during a long download
// shows as it was when its page was read.

constexpr int64_t kExportPage = 500;

enum class ExportFormat { kCsv, kNdjson };

Result<ExportFormat> FormatOf(Call& c) {
  std::string f = c.req().QueryParam("format").value_or("csv");
  if (f == "csv") return ExportFormat::kCsv;
  if (f == "ndjson") return ExportFormat::kNdjson;
  return Fail(Msg::FIELD_INVALID, {Field("format")});
}

// RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled. A field that
// starts like a formula (=, +, -, @) gets a leading apostrophe so a spreadsheet shows it as
// text instead of running it (a buyer's name or a review is attacker-chosen).
void CsvField(std::string& out, std::string_view v) {
  std::string cell;
  if (!v.empty() && (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@')) cell = "'";
  cell += v;
  if (cell.find_first_of(",\"\r\n") == std::string::npos) {
    out += cell;
    return;
  }
  out += '"';
  for (char ch : cell) {
    if (ch == '"') out += '"';
    out += ch;
  }
  out += '"';
}

void CsvRow(std::string& out, const std::vector<std::string>& cells) {
  for (size_t i = 0; i < cells.size(); ++i) {
    if (i) out += ',';
    CsvField(out, cells[i]);
  }
  out += "\r\n";
}

std::string MaskedName(const std::string& name) {
  if (name.empty()) return name;
  size_t first = 1;  // one UTF-8 character
  while (first < name.size() && (static_cast<unsigned char>(name[first]) & 0xC0) == 0x80) ++first;
  return name.substr(0, first) + "**";
}

// The stored address with its personal parts masked: the region stays (a merchant's sales by
// region need it), the name keeps its first character, the phone its first 3 and last 4
// digits, the street address goes.
Json MaskedAddress(Json address) {
  if (!address.is_object()) return address;
  if (address.contains("name") && address["name"].is_string())
    address["name"] = MaskedName(address["name"].get<std::string>());
  if (address.contains("phone") && address["phone"].is_string())
    address["phone"] = MaskPhone(address["phone"].get<std::string>());
  if (address.contains("detail")) address["detail"] = "***";
  return address;
}

const char* StatusLabel(trade::OrderStatus s, Lang lang) {
  using S = trade::OrderStatus;
  const bool zh = lang == Lang::kZh;
  switch (s) {
    case S::kCreated: return zh ? "待付款" : "awaiting payment";
    case S::kPaid: return zh ? "待发货" : "paid";
    case S::kShipped: return zh ? "已发货" : "shipped";
    case S::kDelivered: return zh ? "已送达" : "delivered";
    case S::kCompleted: return zh ? "已完成" : "completed";
    case S::kCancelled: return zh ? "已取消" : "cancelled";
    case S::kRefunding: return zh ? "退款中" : "refunding";
    case S::kRefunded: return zh ? "已退款" : "refunded";
  }
  return "";
}

std::string Yuan(int64_t fen) {
  std::string sign = fen < 0 ? "-" : "";
  int64_t a = fen < 0 ? -fen : fen;
  std::string cents = std::to_string(a % 100);
  if (cents.size() < 2) cents = "0" + cents;
  return sign + std::to_string(a / 100) + "." + cents;
}

std::string TimeText(const std::optional<int64_t>& ms) { return ms ? FormatRfc3339(*ms) : ""; }

class OrdersExport : public BodyStream {
 public:
  OrdersExport(AppContext& app, int64_t merchant_id, int64_t from_ms, int64_t to_ms,
               ExportFormat format, bool personal, Lang lang)
      : app_(app), merchant_id_(merchant_id), from_ms_(from_ms), to_ms_(to_ms), format_(format),
        personal_(personal), lang_(lang) {}

  Result<std::optional<std::string>> Next() override {
    if (done_) return std::nullopt;
    std::string out;
    if (!started_ && format_ == ExportFormat::kCsv) {
      out = "\xEF\xBB\xBF";  // a BOM: spreadsheets then read the file as UTF-8
      CsvRow(out, lang_ == Lang::kZh
                      ? std::vector<std::string>{"订单号", "下单时间", "状态", "买家ID", "收货人",
                                                 "电话", "地区", "详细地址", "商品", "件数",
                                                 "商品金额(元)", "优惠(元)", "运费(元)",
                                                 "应付(元)", "已付(元)", "已退款(元)",
                                                 "付款时间", "发货时间", "完成时间"}
                      : std::vector<std::string>{"order_id", "created_at", "status", "buyer_id",
                                                 "name", "phone", "region", "detail", "items",
                                                 "quantity", "items_yuan", "discount_yuan",
                                                 "shipping_yuan", "total_yuan", "paid_yuan",
                                                 "refunded_yuan", "paid_at", "shipped_at",
                                                 "completed_at"});
    }
    started_ = true;
    ASSIGN_OR_RETURN(std::vector<trade::Order> orders, app_.store.Read([&](Reader& r) {
      return app_.trade.ListOrders(r, std::nullopt, merchant_id_, "", kExportPage, before_);
    }));
    if (static_cast<int64_t>(orders.size()) < kExportPage) done_ = true;
    if (!orders.empty()) before_ = orders.back().id;
    for (const trade::Order& o : orders) {
      if (o.created_at_ms >= to_ms_) continue;  // newer than the range: the pages go back in time
      if (o.created_at_ms < from_ms_) {
        done_ = true;
        break;
      }
      Json address = ParseJson(o.address_json).value_or(Json(nullptr));
      if (!personal_) address = MaskedAddress(std::move(address));
      if (format_ == ExportFormat::kNdjson) {
        Json j = trade::ToJson(o);
        j["address"] = address;
        out += DumpJson(j);
        out += '\n';
        continue;
      }
      std::string items;
      int64_t quantity = 0;
      for (const trade::OrderItem& it : o.items) {
        if (!items.empty()) items += "; ";
        items += it.title + " x" + std::to_string(it.quantity);
        quantity += it.quantity;
      }
      auto text = [&](const char* key) {
        return address.is_object() && address.contains(key) && address[key].is_string()
                   ? address[key].get<std::string>()
                   : std::string();
      };
      CsvRow(out, {IdString(o.id), FormatRfc3339(o.created_at_ms), StatusLabel(o.status, lang_),
                   IdString(o.buyer_id), text("name"), text("phone"), text("region"),
                   text("detail"), items, std::to_string(quantity), Yuan(o.items_fen),
                   Yuan(o.discount_fen), Yuan(o.shipping_fen), Yuan(o.total_fen),
                   Yuan(o.provider_paid_fen + o.card_paid_fen), Yuan(o.refunded_fen),
                   TimeText(o.paid_at_ms), TimeText(o.shipped_at_ms), TimeText(o.completed_at_ms)});
    }
    return out;
  }

 private:
  AppContext& app_;
  const int64_t merchant_id_, from_ms_, to_ms_;
  const ExportFormat format_;
  const bool personal_;
  const Lang lang_;
  bool started_ = false, done_ = false;
  int64_t before_ = 0;
};

class EventsExport : public BodyStream {
 public:
  EventsExport(insight::Insight& insight, int64_t merchant_id, int64_t from_ms, int64_t to_ms,
               ExportFormat format, bool personal)
      : insight_(insight), merchant_id_(merchant_id), from_ms_(from_ms), to_ms_(to_ms),
        format_(format), personal_(personal) {}

  Result<std::optional<std::string>> Next() override {
    if (done_) return std::nullopt;
    std::string out;
    if (!after_ && format_ == ExportFormat::kCsv)
      CsvRow(out, {"event_id", "type", "occurred_at", "user_id", "device_id", "product_id",
                   "order_id", "amount_fen", "category", "channel", "data"});
    ASSIGN_OR_RETURN(std::vector<insight::LoggedEvent> events,
                     insight_.MerchantEventsPage(merchant_id_, from_ms_, to_ms_, after_,
                                                 kExportPage));
    if (static_cast<int64_t>(events.size()) < kExportPage) done_ = true;
    if (!events.empty()) after_ = insight::EventKey{events.back().occurred_at_ms, events.back().id};
    else if (!after_) after_ = insight::EventKey{from_ms_, 0};
    for (const insight::LoggedEvent& e : events) {
      // A device id is a pseudonymous identifier of a person's phone: personal data.
      const std::string device = personal_ ? e.device_id : std::string();
      auto id = [](int64_t v) { return v ? IdString(v) : std::string(); };
      if (format_ == ExportFormat::kNdjson) {
        Json j{{"event_id", IdString(e.id)}, {"type", e.type},
               {"occurred_at", FormatRfc3339(e.occurred_at_ms)}, {"user_id", id(e.user_id)},
               {"device_id", device}, {"product_id", id(e.product_id)},
               {"order_id", id(e.order_id)}, {"amount_fen", e.amount_fen},
               {"category", e.category}, {"channel", e.channel},
               {"data", ParseJson(e.data).value_or(Json::object())}};
        out += DumpJson(j);
        out += '\n';
      } else {
        CsvRow(out, {IdString(e.id), e.type, FormatRfc3339(e.occurred_at_ms), id(e.user_id),
                     device, id(e.product_id), id(e.order_id), std::to_string(e.amount_fen),
                     e.category, e.channel, e.data});
      }
    }
    return out;
  }

 private:
  insight::Insight& insight_;
  const int64_t merchant_id_, from_ms_, to_ms_;
  const ExportFormat format_;
  const bool personal_;
  bool done_ = false;
  std::optional<insight::EventKey> after_;
};

// Whether the caller may see buyers' names, phones and addresses: a session whose role ships
// orders (owner, operator; support sees them masked), or a key that also holds
// export:personal (its creator's role is checked for that permission when the key is made).
bool SeesPersonalData(const StaffCaller& s) {
  if (!account::RoleAllows(s.role, Perm::kOrders)) return false;
  if (!s.api_key_id) return true;
  for (const std::string& scope : s.api_key_scopes)
    if (scope == "export:personal") return true;
  return false;
}

struct ExportRequest {
  StaffCaller staff;
  int64_t from_ms = 0, to_ms = 0;
  ExportFormat format = ExportFormat::kCsv;
  std::string filename;
};

Result<ExportRequest> ParseExport(Call& c, const char* what) {
  ExportRequest e;
  ASSIGN_OR_RETURN(e.staff, c.Staff(Perm::kRead));
  ASSIGN_OR_RETURN(auto range, DayRange(c));
  if (range.first > range.second) return Fail(Msg::FIELD_INVALID, {Field("from")});
  ASSIGN_OR_RETURN(e.format, FormatOf(c));
  e.from_ms = *insight::DayStartMs(range.first);
  // The end of the last day: the next day's start (DayStartMs takes only real dates).
  e.to_ms = *insight::DayStartMs(range.second) + 24LL * 3600 * 1000;
  e.filename = std::string(what) + "-" + std::to_string(range.first) + "-" +
               std::to_string(range.second) +
               (e.format == ExportFormat::kCsv ? ".csv" : ".ndjson");
  return e;
}

const char* ContentType(ExportFormat f) {
  return f == ExportFormat::kCsv ? "text/csv; charset=utf-8" : "application/x-ndjson";
}

Status ExportOrders(Call& c) {
  ASSIGN_OR_RETURN(ExportRequest e, ParseExport(c, "orders"));
  c.ReplyStream(std::make_shared<OrdersExport>(c.app(), e.staff.merchant_id, e.from_ms, e.to_ms,
                                               e.format, SeesPersonalData(e.staff), c.lang()),
                ContentType(e.format), e.filename);
  return Ok();
}

Status ExportEvents(Call& c) {
  RETURN_IF_ERROR(NeedInsight(c));
  ASSIGN_OR_RETURN(ExportRequest e, ParseExport(c, "events"));
  c.ReplyStream(std::make_shared<EventsExport>(*c.app().insight, e.staff.merchant_id, e.from_ms,
                                               e.to_ms, e.format, SeesPersonalData(e.staff)),
                ContentType(e.format), e.filename);
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
      {{"GET", "/api/v1/admin/insights/platform",
        "The platform's BI over China-time days (from, to: YYYY-MM-DD, ≤ 366 days; the last 30 by default): "
        "GMV and paid orders by merchant kind (c2c, b2c, ka) per day, merchants by size band (head, middle, "
        "long tail by GMV rank, as the fairness report), the long tail's share of GMV and of impressions, "
        "the exposure Gini (admin)", "insight", AuthKind::kAdmin, 200, nullptr, {"from", "to"}},
       AdminPlatform},
      {{"GET", "/api/v1/merchant/insights/overview",
        "The shop's BI over China-time days (from, to: YYYY-MM-DD, ≤ 366 days; the last 30 by default): "
        "GMV, orders, visitors, buyers, AOV per day, the funnel view → cart → order → pay, top products, "
        "channels, customer segments (staff)", "insight", AuthKind::kStaff, 200, nullptr, {"from", "to"}},
       MerchantOverview},
      {{"GET", "/api/v1/merchant/insights/breakdowns",
        "The shop's breakdowns over China-time days (from, to as the overview): group-buy success rate, coupon "
        "redemption per coupon, paid orders and GMV per chat group, live room, community leader and store, new vs "
        "returning buyers and the repurchase rate, weekly cohorts by first-order week, members vs non-members, "
        "share chains (depth, viral coefficient) (staff)", "insight", AuthKind::kStaff, 200, nullptr, {"from", "to"}},
       MerchantBreakdowns},
      {{"GET", "/api/v1/merchant/insights/export.csv",
        "The per-day series as CSV (≤ 366 rows) (staff)", "insight", AuthKind::kStaff, 200, nullptr, {"from", "to"}},
       MerchantExport},
      {{"GET", "/api/v1/merchant/exports/orders",
        "The shop's orders created in [from, to] (YYYY-MM-DD China-time days, the last 30 by default), newest "
        "first, as CSV (format=csv, UTF-8 with a BOM, headers in the request's language) or NDJSON "
        "(format=ndjson, one order object per line), streamed with chunked transfer coding in constant "
        "memory. Buyers' names, phones and street addresses are masked unless the caller's role ships "
        "orders (owner, operator) or the API key also holds export:personal (staff; API key scope export)",
        "insight", AuthKind::kStaff, 200, nullptr, {"from", "to", "format"}},
       ExportOrders},
      {{"GET", "/api/v1/merchant/exports/events",
        "The shop's data-platform events that happened in [from, to], oldest first, as CSV or NDJSON, "
        "streamed like the orders export; device ids only for callers who see personal data (staff; API "
        "key scope export)", "insight", AuthKind::kStaff, 200, nullptr, {"from", "to", "format"}},
       ExportEvents},
  });
  // clang-format on
}

}  // namespace xd::http
