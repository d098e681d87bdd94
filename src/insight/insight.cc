// The data platform: ingestion of server and client events into the analytics log, the
// projections, and the reads over them (insight.h). The analytics store is SQLite whatever the
// trading store is, so the SQL on it is SQLite's; the few reads of the trading store (a
// product's merchant and category, an order's attribution) are backend-neutral.
#include "insight/insight.h"
#include "insight/owner.h"
#include "insight/internal/days.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "base/clock.h"
#include "base/id.h"
#include "base/log.h"
#include "base/messages.h"
#include "base/thread_name.h"

namespace xd::insight {

using internal::DayText;

namespace {

using internal::kDayMs;
constexpr int64_t kChinaOffsetMs = 8LL * 3600 * 1000;
constexpr const char* kIngestCursor = "insight.log";
constexpr const char* kProjectCursor = "projections";

// Visitor stages per merchant and day (merchant_day_visitors.stage).
enum Stage : int { kViewed = 1, kCarted = 2, kOrdered = 3, kPaid = 4 };

// The client event types the shop sends; anything else is refused (that event only).
const std::set<std::string>& ClientTypes() {
  static const std::set<std::string> types{"impression", "view",        "click",
                                           "share",      "add_to_cart", "search"};
  return types;
}
// Where a client says it came from (traffic sources); anything else becomes "".
const std::set<std::string>& Sources() {
  static const std::set<std::string> sources{"search", "feed", "share", "chat_group", "live",
                                             "leader", "qr",   "store", "direct"};
  return sources;
}
// The outbox events that are interactions; the rest (a product edited, a key created) are not.
const std::set<std::string>& ServerTypes() {
  static const std::set<std::string> types{
      "user.registered",      "cart.added",      "order.created",       "order.paid",
      "order.cancelled",      "order.completed", "order.refunded",      "refund.succeeded",
      "share.created",        "share.opened",    "commission.paid",     "member.card_claimed",
      "member.points_posted", "coupon.claimed",  "product.recommended", "group.opened",
      "group.succeeded",      "group.failed",    "gift.sent",           "gift.accepted"};
  return types;
}

bool IdChars(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '-' || ch == '_';
  });
}

int64_t JsonId(const Json& j, const char* key) {
  if (!j.is_object() || !j.contains(key)) return 0;
  const Json& v = j[key];
  if (v.is_string()) return ParseId(v.get<std::string>()).value_or(0);
  if (v.is_number_integer()) return v.get<int64_t>();
  return 0;
}
int64_t JsonInt(const Json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_number_integer()) return 0;
  return j[key].get<int64_t>();
}
std::string JsonStr(const Json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_string()) return "";
  return j[key].get<std::string>();
}

// One row of the log, before it is written.
struct LogRow {
  std::string source_key, type;
  int64_t user_id = 0;
  std::string device_id;
  int64_t merchant_id = 0, product_id = 0, order_id = 0, amount_fen = 0;
  std::string category, channel;
  int64_t occurred_at_ms = 0, received_at_ms = 0;
  Json data = Json::object();
};

// Inserts rows that are not there yet; how many were new.
Result<int> WriteLog(Tx& tx, const std::vector<LogRow>& rows) {
  int added = 0;
  for (const LogRow& row : rows) {
    ASSIGN_OR_RETURN(
        int64_t n, tx.Exec("INSERT INTO log(source_key, type, user_id, device_id, merchant_id, "
                           "product_id, order_id, "
                           "amount_fen, category, channel, occurred_at_ms, received_at_ms, data) "
                           "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(source_key) DO NOTHING",
                           {row.source_key, row.type, row.user_id, row.device_id, row.merchant_id,
                            row.product_id, row.order_id, row.amount_fen, row.category, row.channel,
                            row.occurred_at_ms, row.received_at_ms, DumpJson(row.data)}));
    added += static_cast<int>(n);
  }
  return added;
}

struct ProductInfo {
  int64_t merchant_id = 0;
  std::string category;
};
// Products' merchants and categories from the trading store (one query).
Result<std::map<int64_t, ProductInfo>> LoadProducts(Reader& r, const std::set<int64_t>& ids) {
  std::map<int64_t, ProductInfo> out;
  if (ids.empty()) return out;
  std::vector<int64_t> list(ids.begin(), ids.end());
  ASSIGN_OR_RETURN(Rows rows,
                   r.Query("SELECT id, merchant_id, category FROM products WHERE id IN " +
                               r.dialect().IdsIn("?"),
                           {IdListParam(list)}));
  for (const Row& row : rows) out[row.Int(0)] = ProductInfo{row.Int(1), row.Str(2)};
  return out;
}

// Where a paid order came from: what its activity says, else the attribution checkout made
// (a sharer's link, a chat group), else "direct".
std::string ChannelOf(const Json& order, const std::set<int64_t>& shared,
                      const std::set<int64_t>& chat, int64_t order_id) {
  const Json activity =
      order.is_object() && order.contains("activity") ? order["activity"] : Json();
  if (activity.is_object()) {
    if (activity.contains("community")) return "community";
    if (activity.contains("gift")) return "gift";
    if (activity.contains("group_id")) return "group_buy";
    if (activity.contains("bargain_id")) return "bargain";
  }
  if (chat.count(order_id)) return "chat_group";
  if (shared.count(order_id)) return "share";
  return "direct";
}

}  // namespace

int64_t DayOf(int64_t ms) {
  const int64_t days = (ms + kChinaOffsetMs) >= 0 ? (ms + kChinaOffsetMs) / kDayMs
                                                  : ((ms + kChinaOffsetMs) - kDayMs + 1) / kDayMs;
  // civil_from_days (Howard Hinnant): days since 1970-01-01 → y, m, d.
  int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = yoe + era * 400;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) ++y;
  return y * 10000 + m * 100 + d;
}

std::optional<int64_t> DayStartMs(int64_t day) {
  int64_t y = day / 10000, m = (day / 100) % 100, d = day % 100;
  if (y < 1970 || y > 9999 || m < 1 || m > 12 || d < 1 || d > 31) return std::nullopt;
  // days_from_civil (Howard Hinnant).
  y -= m <= 2 ? 1 : 0;
  const int64_t era = y / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const int64_t days = era * 146097 + doe - 719468;
  const int64_t ms = days * kDayMs - kChinaOffsetMs;
  if (DayOf(ms) != day) return std::nullopt;  // 20260231
  return ms;
}

std::string DefaultAnalyticsPath(const std::string& db_path) {
  if (db_path.find("://") != std::string::npos) return "xiaodian-analytics.db";
  return db_path + ".analytics";
}

// ---- stage 1: server events from the outbox ----

class Insight::Feed final : public OutboxConsumer {
 public:
  explicit Feed(Store& analytics) : analytics_(analytics) {}
  std::string_view name() const override { return kIngestCursor; }

  // Maps the batch to log rows (reading what the payloads do not say from the same trading
  // snapshot) and writes them to the analytics store before the runner moves the cursor.
  Result<Command> Prepare(Reader& r, const std::vector<Store::Event>& events) override {
    std::set<int64_t> product_ids, order_ids, pos_ids;
    for (const Store::Event& e : events) {
      if (!ServerTypes().count(e.head.type)) continue;
      const Json& p = e.payload;
      if (int64_t id = JsonId(p, "product_id")) product_ids.insert(id);
      if (p.contains("order") && p["order"].is_object() && p["order"].contains("items"))
        for (const Json& it : p["order"]["items"]) product_ids.insert(JsonId(it, "product_id"));
      if (e.head.type == "order.paid") order_ids.insert(e.head.aggregate_id);
      if (e.head.type == "member.points_posted" && JsonStr(p, "kind") == "pos_purchase")
        pos_ids.insert(JsonId(p, "ref_id"));
    }
    ASSIGN_OR_RETURN(auto products, LoadProducts(r, product_ids));
    std::set<int64_t> shared, chat;
    std::map<int64_t, int64_t> pos_amounts;
    if (!order_ids.empty()) {
      const std::string ids = IdListParam(std::vector<int64_t>(order_ids.begin(), order_ids.end()));
      ASSIGN_OR_RETURN(
          Rows s, r.Query("SELECT DISTINCT order_id FROM order_commissions WHERE order_id IN " +
                              r.dialect().IdsIn("?"),
                          {ids}));
      for (const Row& row : s) shared.insert(row.Int(0));
      ASSIGN_OR_RETURN(Rows c, r.Query("SELECT order_id FROM chat_group_orders WHERE order_id IN " +
                                           r.dialect().IdsIn("?"),
                                       {ids}));
      for (const Row& row : c) chat.insert(row.Int(0));
    }
    if (!pos_ids.empty()) {
      ASSIGN_OR_RETURN(
          Rows rows, r.Query("SELECT id, amount_fen FROM member_pos_purchases WHERE id IN " +
                                 r.dialect().IdsIn("?"),
                             {IdListParam(std::vector<int64_t>(pos_ids.begin(), pos_ids.end()))}));
      for (const Row& row : rows) pos_amounts[row.Int(0)] = row.Int(1);
    }
    const int64_t now = r.clock().NowMs();
    std::vector<LogRow> rows;
    for (const Store::Event& e : events) {
      if (!ServerTypes().count(e.head.type)) continue;
      const Json& p = e.payload;
      LogRow row;
      row.source_key = "o:" + std::to_string(e.seq);
      row.type = e.head.type;
      row.merchant_id = e.head.merchant_id;
      row.occurred_at_ms = e.occurred_at_ms;
      row.received_at_ms = now;
      row.user_id = e.actor.kind == Actor::Kind::kUser ? e.actor.id : 0;
      const std::string& t = e.head.type;
      if (t.rfind("order.", 0) == 0 || t == "refund.succeeded") {
        const Json order = p.contains("order") ? p["order"] : Json::object();
        row.order_id = JsonId(p, "order_id");
        row.user_id = JsonId(order, "buyer_id");
        row.merchant_id = JsonId(p, "merchant_id");
        row.amount_fen =
            t == "refund.succeeded" ? JsonInt(p, "amount_fen") : JsonInt(p, "total_fen");
        Json items = Json::array();
        if (order.contains("items"))
          for (const Json& it : order["items"]) {
            int64_t pid = JsonId(it, "product_id");
            auto found = products.find(pid);
            items.push_back({{"product_id", pid},
                             {"category", found == products.end() ? "" : found->second.category},
                             {"quantity", JsonInt(it, "quantity")},
                             {"line_fen", JsonInt(it, "line_fen")}});
          }
        if (t == "order.paid" || t == "order.created") row.data["items"] = std::move(items);
        if (t == "order.paid") row.channel = ChannelOf(order, shared, chat, row.order_id);
      } else if (t == "cart.added") {
        row.user_id = JsonId(p, "user_id");
        row.product_id = JsonId(p, "product_id");
        row.amount_fen = JsonInt(p, "unit_price_fen") * JsonInt(p, "quantity");
      } else if (t == "share.created" || t == "share.opened") {
        row.product_id = JsonId(p, "product_id");
        row.user_id = t == "share.created" ? JsonId(p, "sharer_id") : JsonId(p, "viewer_id");
        row.data["sharer_id"] = JsonId(p, "sharer_id");
      } else if (t == "commission.paid") {
        row.user_id = JsonId(p, "sharer_id");
        row.order_id = JsonId(p, "order_id");
        row.product_id = JsonId(p, "product_id");
        row.amount_fen = JsonInt(p, "amount_fen");
      } else if (t == "member.points_posted" || t == "member.card_claimed") {
        row.user_id = JsonId(p, "user_id");
        row.data["kind"] = JsonStr(p, "kind");
        row.data["level_after"] = JsonInt(p, "level_after");
        if (JsonStr(p, "kind") == "pos_purchase") {
          row.type = "offline.purchase";
          auto found = pos_amounts.find(JsonId(p, "ref_id"));
          row.amount_fen = found == pos_amounts.end() ? 0 : found->second;
        }
      } else if (t == "user.registered") {
        row.user_id = e.head.aggregate_id;
      } else if (int64_t pid = JsonId(p, "product_id")) {
        row.product_id = pid;
      }
      if (row.product_id) {
        auto found = products.find(row.product_id);
        if (found != products.end()) {
          row.category = found->second.category;
          if (row.merchant_id == 0) row.merchant_id = found->second.merchant_id;
        }
      }
      rows.push_back(std::move(row));
    }
    if (!rows.empty()) {
      // Idempotent by source_key: written again after a crash before the cursor moved, or by a
      // runner that then finds the cursor moved, it adds nothing.
      RETURN_IF_ERROR(
          analytics_.Execute([&](Tx& tx) -> Status { return ToStatus(WriteLog(tx, rows)); }));
    }
    return Command();  // nothing to write in the trading store beyond the cursor
  }

 private:
  Store& analytics_;
};

Insight::Insight(Store& trading, Store& analytics)
    : trading_(trading),
      analytics_(analytics),
      feed_(std::make_unique<Feed>(analytics)),
      runner_(std::make_unique<ConsumerRunner>(trading, *feed_, config::kIngestBatch)),
      ranking_(std::make_unique<RankingTrainer>(trading, analytics)) {}

Insight::~Insight() { Stop(); }

void Insight::Start(int poll_ms) {
  std::lock_guard lock(mu_);
  if (running_) return;
  running_ = true;
  thread_ = std::thread([this, poll_ms] {
    SetThreadName("xd-insight");
    // The ranking model trained before a restart ranks until the next training.
    if (auto loaded = ranking_->Load(); !loaded)
      spdlog::warn("event=ranking_model_load_failed error=\"{}\"", loaded.error().message);
    for (;;) {
      {
        std::lock_guard l(mu_);
        if (!running_) return;
      }
      auto in = IngestOutboxOnce();
      if (!in && in.error().code != ErrorCode::CONFLICT)
        spdlog::warn("event=insight_ingest_failed error=\"{}\"", in.error().message);
      auto out = ProjectOnce();
      if (!out) spdlog::warn("event=insight_project_failed error=\"{}\"", out.error().message);
      if ((in && *in > 0) || (out && *out > 0)) continue;
      // Caught up: retrain the ranking model when its period has passed (a few seconds at most
      // for ranking_config::kMaxScanRows rows; ingestion waits meanwhile, nothing is lost).
      auto trained = ranking_->MaybeTrain();
      if (!trained) spdlog::warn("event=ranking_train_failed error=\"{}\"", trained.error().message);
      std::unique_lock l(mu_);
      cv_.wait_for(l, std::chrono::milliseconds(poll_ms), [this] { return !running_; });
    }
  });
}

void Insight::Stop() {
  {
    std::lock_guard lock(mu_);
    if (!running_) return;
    running_ = false;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Result<int> Insight::IngestOutboxOnce() { return runner_->RunOnce(); }

// ---- stage 2: projections ----

namespace {

struct Applier {
  Tx& tx;

  // A device's user once it was seen signed in ('identify' rows, replayed in order).
  Result<int64_t> UserOf(const Row& row) {
    if (row.Int(2) > 0) return row.Int(2);
    if (row.Str(3).empty()) return int64_t{0};
    return tx.QueryInt("SELECT user_id FROM devices WHERE device_id=?", {row.Str(3)});
  }

  Status Day(int64_t merchant, int64_t day, const char* column, int64_t add) {
    return tx.Run(std::string("INSERT INTO merchant_days(merchant_id, day, ") + column +
                      ") VALUES(?,?,?) ON CONFLICT(merchant_id, day) DO UPDATE SET " + column +
                      " = " + column + " + excluded." + column,
                  {merchant, day, add});
  }
  Status ProductDay(int64_t merchant, int64_t day, int64_t product, const char* column,
                    int64_t add) {
    return tx.Run(std::string("INSERT INTO merchant_product_days(merchant_id, day, product_id, ") +
                      column +
                      ") VALUES(?,?,?,?) ON CONFLICT(merchant_id, day, product_id) DO UPDATE SET " +
                      column + " = " + column + " + excluded." + column,
                  {merchant, day, product, add});
  }
  Status Visitor(int64_t merchant, int64_t day, const std::string& visitor, int stage) {
    if (visitor.empty()) return Ok();
    return tx.Run(
        "INSERT INTO merchant_day_visitors(merchant_id, day, visitor, stage) VALUES(?,?,?,?) "
        "ON CONFLICT(merchant_id, day, visitor) DO UPDATE SET stage = MAX(stage, excluded.stage)",
        {merchant, day, visitor, int64_t{stage}});
  }
  Status Seen(int64_t user, int64_t at) {
    if (user <= 0) return Ok();
    return tx.Run(
        "INSERT INTO user_facts(user_id, first_seen_ms, last_seen_ms) VALUES(?,?,?) ON "
        "CONFLICT(user_id) DO UPDATE SET "
        "first_seen_ms = MIN(first_seen_ms, excluded.first_seen_ms), last_seen_ms = "
        "MAX(last_seen_ms, excluded.last_seen_ms)",
        {user, at, at});
  }
  Status Fact(int64_t user, const char* column, int64_t add) {
    if (user <= 0) return Ok();
    return tx.Run(
        std::string("UPDATE user_facts SET ") + column + " = " + column + " + ? WHERE user_id=?",
        {add, user});
  }
  // Interest in a category, decayed with a half-life: the score at the newest moment seen, an
  // older event adding its weight decayed to that moment. Deterministic in replay order.
  Status Interest(int64_t user, const std::string& category, int64_t weight_milli, int64_t at) {
    if (user <= 0 || category.empty()) return Ok();
    ASSIGN_OR_RETURN(
        auto row,
        tx.QueryOne(
            "SELECT score_milli, updated_ms FROM user_categories WHERE user_id=? AND category=?",
            {user, category}));
    int64_t score = weight_milli, updated = at;
    if (row) {
      const int64_t old = row->Int(0), then = row->Int(1);
      const double half = static_cast<double>(config::kInterestHalfLifeMs);
      if (at >= then) {
        score = std::llround(static_cast<double>(old) *
                             std::exp2(-static_cast<double>(at - then) / half)) +
                weight_milli;
      } else {
        score = old + std::llround(static_cast<double>(weight_milli) *
                                   std::exp2(-static_cast<double>(then - at) / half));
        updated = then;
      }
    }
    return tx.Run(
        "INSERT INTO user_categories(user_id, category, score_milli, updated_ms) VALUES(?,?,?,?) "
        "ON CONFLICT(user_id, category) "
        "DO UPDATE SET score_milli = excluded.score_milli, updated_ms = excluded.updated_ms",
        {user, category, score, updated});
  }

  // Columns: id, type, user_id, device_id, merchant_id, product_id, order_id, amount_fen,
  // category, channel, occurred_at_ms, data.
  Status Apply(const Row& row) {
    const std::string& type = row.Str(1);
    const std::string device = row.Str(3);
    const int64_t merchant = row.Int(4), product = row.Int(5), amount = row.Int(7),
                  at = row.Int(10);
    const std::string category = row.Str(8), channel = row.Str(9);
    const int64_t day = DayOf(at);
    if (type == "identify") {
      return tx.Run(
          "INSERT INTO devices(device_id, user_id, linked_at_ms) VALUES(?,?,?) ON "
          "CONFLICT(device_id) DO NOTHING",
          {device, row.Int(2), at});
    }
    ASSIGN_OR_RETURN(int64_t user, UserOf(row));
    const std::string visitor = user > 0         ? "u" + std::to_string(user)
                                : device.empty() ? ""
                                                 : "d" + device;
    RETURN_IF_ERROR(Seen(user, at));
    if (type == "view") {
      if (merchant > 0) {
        RETURN_IF_ERROR(Day(merchant, day, "views", 1));
        if (product > 0) RETURN_IF_ERROR(ProductDay(merchant, day, product, "views", 1));
        RETURN_IF_ERROR(Visitor(merchant, day, visitor, kViewed));
      }
      return Interest(user, category, 1000, at);
    }
    if (type == "impression") {
      if (merchant <= 0) return Ok();
      RETURN_IF_ERROR(Day(merchant, day, "impressions", 1));
      if (product > 0) RETURN_IF_ERROR(ProductDay(merchant, day, product, "impressions", 1));
      if (visitor.empty()) return Ok();
      // What this visitor was shown of the merchant today: the feed's per-user-per-day cap.
      return tx.Run(
          "INSERT INTO visitor_merchant_days(visitor, day, merchant_id, impressions) "
          "VALUES(?,?,?,1) ON CONFLICT(visitor, day, merchant_id) DO UPDATE SET "
          "impressions = impressions + 1",
          {visitor, day, merchant});
    }
    if (type == "click") return Interest(user, category, 500, at);
    if (type == "cart.added") {
      if (merchant > 0) {
        RETURN_IF_ERROR(Day(merchant, day, "carts", 1));
        if (product > 0) RETURN_IF_ERROR(ProductDay(merchant, day, product, "carts", 1));
        RETURN_IF_ERROR(Visitor(merchant, day, visitor, kCarted));
      }
      return Interest(user, category, 3000, at);
    }
    if (type == "order.created") {
      if (merchant <= 0) return Ok();
      RETURN_IF_ERROR(Day(merchant, day, "orders", 1));
      return Visitor(merchant, day, visitor, kOrdered);
    }
    if (type == "order.cancelled")
      return merchant > 0 ? Day(merchant, day, "cancelled_orders", 1) : Ok();
    if (type == "order.paid") {
      const Json data = row.JsonAt(11);
      int64_t units = 0;
      if (merchant > 0) {
        RETURN_IF_ERROR(Day(merchant, day, "paid_orders", 1));
        RETURN_IF_ERROR(Day(merchant, day, "gmv_fen", amount));
        RETURN_IF_ERROR(Visitor(merchant, day, visitor, kPaid));
        RETURN_IF_ERROR(
            tx.Run("INSERT INTO merchant_channel_days(merchant_id, day, channel, paid_orders, "
                   "gmv_fen) VALUES(?,?,?,1,?) "
                   "ON CONFLICT(merchant_id, day, channel) DO UPDATE SET paid_orders = paid_orders "
                   "+ 1, gmv_fen = gmv_fen + excluded.gmv_fen",
                   {merchant, day, channel, amount}));
        if (user > 0)
          RETURN_IF_ERROR(
              tx.Run("INSERT INTO merchant_customers(merchant_id, user_id, first_paid_ms, "
                     "last_paid_ms, paid_orders, paid_fen) "
                     "VALUES(?,?,?,?,1,?) ON CONFLICT(merchant_id, user_id) DO UPDATE SET "
                     "first_paid_ms = MIN(first_paid_ms, excluded.first_paid_ms), last_paid_ms = "
                     "MAX(last_paid_ms, excluded.last_paid_ms), "
                     "paid_orders = paid_orders + 1, paid_fen = paid_fen + excluded.paid_fen",
                     {merchant, user, at, at, amount}));
      }
      if (data.contains("items"))
        for (const Json& it : data["items"]) {
          const int64_t pid = JsonInt(it, "product_id"), qty = JsonInt(it, "quantity");
          units += qty;
          if (merchant > 0 && pid > 0) {
            RETURN_IF_ERROR(ProductDay(merchant, day, pid, "paid_units", qty));
            RETURN_IF_ERROR(ProductDay(merchant, day, pid, "gmv_fen", JsonInt(it, "line_fen")));
          }
          RETURN_IF_ERROR(Interest(user, JsonStr(it, "category"), 5000, at));
        }
      if (user > 0) {
        RETURN_IF_ERROR(
            tx.Run("UPDATE user_facts SET paid_orders = paid_orders + 1, paid_fen = paid_fen + ?, "
                   "units = units + ?, "
                   "last_paid_ms = MAX(last_paid_ms, ?), channels = json_set(channels, '$.' || ?, "
                   "COALESCE(json_extract(channels, '$.' || ?), 0) + 1) WHERE user_id=?",
                   {amount, units, at, channel, channel, user}));
      }
      return Ok();
    }
    if (type == "refund.succeeded") {
      if (merchant > 0) RETURN_IF_ERROR(Day(merchant, day, "refunded_fen", amount));
      return Fact(user, "refunded_fen", amount);
    }
    if (type == "share.created") {
      if (merchant > 0) RETURN_IF_ERROR(Day(merchant, day, "shares", 1));
      return Fact(user, "shares", 1);
    }
    if (type == "share.opened") {
      const int64_t sharer = JsonInt(row.JsonAt(11), "sharer_id");
      if (sharer <= 0 || sharer == user) return Ok();
      RETURN_IF_ERROR(Seen(sharer, at));
      return Fact(sharer, "share_opens_by_others", 1);
    }
    if (type == "commission.paid") return Fact(user, "share_purchases", 1);
    if (type == "offline.purchase") {
      RETURN_IF_ERROR(Fact(user, "offline_purchases", 1));
      RETURN_IF_ERROR(Fact(user, "offline_fen", amount));
    }
    if (type == "offline.purchase" || type == "member.points_posted") {
      const int64_t level = JsonInt(row.JsonAt(11), "level_after");
      if (user > 0)
        RETURN_IF_ERROR(
            tx.Run("UPDATE user_facts SET member_level = MAX(member_level, ?) WHERE user_id=?",
                   {level, user}));
    }
    return Ok();  // search, share (client), add_to_cart (client: the server's cart.added counts)...
  }
};

constexpr const char* kProjectionTables[] = {"devices",
                                             "merchant_days",
                                             "merchant_day_visitors",
                                             "merchant_product_days",
                                             "visitor_merchant_days",
                                             "merchant_channel_days",
                                             "merchant_customers",
                                             "user_facts",
                                             "user_categories"};

}  // namespace

Result<int> Insight::ProjectOnce() {
  std::lock_guard lock(project_mu_);
  return analytics_.ExecuteFor<int>([](Tx& tx) -> Result<int> {
    ASSIGN_OR_RETURN(
        int64_t cursor,
        tx.QueryInt("SELECT COALESCE(MAX(log_id), 0) FROM cursors WHERE name=?", {kProjectCursor}));
    ASSIGN_OR_RETURN(
        Rows rows,
        tx.Query("SELECT id, type, user_id, device_id, merchant_id, product_id, order_id, "
                 "amount_fen, category, "
                 "channel, occurred_at_ms, data FROM log WHERE id > ? ORDER BY id LIMIT ?",
                 {cursor, config::kProjectBatch}));
    if (rows.empty()) return 0;
    Applier applier{tx};
    for (const Row& row : rows) RETURN_IF_ERROR(applier.Apply(row));
    RETURN_IF_ERROR(
        tx.Run("INSERT INTO cursors(name, log_id) VALUES(?, ?) ON CONFLICT(name) DO UPDATE SET "
               "log_id = excluded.log_id",
               {kProjectCursor, rows.back().Int(0)}));
    return static_cast<int>(rows.size());
  });
}

Status Insight::CatchUp() {
  for (int round = 0; round < 1'000'000; ++round) {
    auto in = IngestOutboxOnce();
    if (!in && in.error().code != ErrorCode::CONFLICT) return std::unexpected(in.error());
    ASSIGN_OR_RETURN(int out, ProjectOnce());
    if (in && *in == 0 && out == 0) return Ok();
  }
  return Fail(ErrorCode::INTERNAL, "insight catch-up did not finish");
}

Status Insight::Rebuild() {
  {
    std::lock_guard lock(project_mu_);
    RETURN_IF_ERROR(analytics_.Execute([](Tx& tx) -> Status {
      for (const char* table : kProjectionTables)
        RETURN_IF_ERROR(tx.Run(std::string("DELETE FROM ") + table));
      return tx.Run("DELETE FROM cursors WHERE name=?", {kProjectCursor});
    }));
  }
  for (;;) {
    ASSIGN_OR_RETURN(int n, ProjectOnce());
    if (n == 0) return Ok();
  }
}

// ---- client events ----

Status Insight::CheckClientBatch(const Json& body) const {
  if (!body.is_object()) return Fail(Msg::INVALID_JSON);
  if (!body.contains("events") || !body["events"].is_array())
    return Fail(Msg::FIELD_REQUIRED, {Field("events")});
  if (body["events"].size() > static_cast<size_t>(config::kMaxClientEvents))
    return Fail(Msg::PAYLOAD_TOO_LARGE);
  for (auto& [key, value] : body.items()) {
    if (key != "events" && key != "device_id") return Fail(Msg::FIELD_UNKNOWN, {Field(key)});
  }
  if (body.contains("device_id")) {
    const Json& d = body["device_id"];
    if (!d.is_string() || d.get<std::string>().empty() ||
        d.get<std::string>().size() > config::kMaxClientIdLen || !IdChars(d.get<std::string>()))
      return Fail(Msg::FIELD_INVALID, {Field("device_id")});
  }
  return Ok();
}

void Insight::IngestClientEvents(const ClientSource& source, const Json& body,
                                 std::function<void(Result<IngestReport>)> done) {
  IngestReport report;
  const int64_t now = analytics_.clock().NowMs();
  std::string device = source.device_id;
  if (device.empty() && source.user_id == 0) {
    done(Fail(Msg::FIELD_REQUIRED, {Field("device_id")}));
    return;
  }
  const std::string who = device.empty() ? "u" + std::to_string(source.user_id) : device;
  std::vector<LogRow> rows;
  std::set<int64_t> product_ids;
  const Json& events = body["events"];
  for (size_t i = 0; i < events.size(); ++i) {
    const Json& e = events[i];
    auto refuse = [&](const std::string& field) {
      report.rejected.push_back(
          {{"index", static_cast<int64_t>(i)}, {"code", "INVALID_FIELD"}, {"field", field}});
    };
    if (!e.is_object()) {
      refuse("");
      continue;
    }
    LogRow row;
    std::string bad;
    for (auto& [key, value] : e.items()) {
      if (key == "id" && value.is_string() && !value.get<std::string>().empty() &&
          value.get<std::string>().size() <= config::kMaxClientIdLen &&
          IdChars(value.get<std::string>())) {
        row.source_key = "c:" + who + ":" + value.get<std::string>();
      } else if (key == "type" && value.is_string() &&
                 ClientTypes().count(value.get<std::string>())) {
        row.type = value.get<std::string>();
      } else if (key == "product_id" && value.is_string() && ParseId(value.get<std::string>())) {
        row.product_id = *ParseId(value.get<std::string>());
      } else if (key == "at_ms" && value.is_number_integer()) {
        row.occurred_at_ms =
            std::clamp<int64_t>(value.get<int64_t>(), now - config::kMaxClientPastMs, now);
      } else if (key == "source" && value.is_string() && value.get<std::string>().size() <= 20) {
        row.channel = Sources().count(value.get<std::string>()) ? value.get<std::string>() : "";
      } else if (key == "query" && value.is_string() &&
                 value.get<std::string>().size() <= config::kMaxQueryLen) {
        row.data["query"] = value;
      } else if (key == "result_count" && value.is_number_integer() && value.get<int64_t>() >= 0 &&
                 value.get<int64_t>() <= 1'000'000) {
        row.data["result_count"] = value;
      } else if (key == "feed_id" && value.is_string() && !value.get<std::string>().empty() &&
                 value.get<std::string>().size() <= config::kMaxClientIdLen &&
                 IdChars(value.get<std::string>())) {
        row.data["feed_id"] = value;  // the feed request that showed it (GET /feed's feed_id)
      } else if (key == "feed_source" && value.is_string() &&
                 value.get<std::string>().size() <= 20 && IdChars(value.get<std::string>())) {
        row.data["feed_source"] = value;  // the candidate source (feed/rank.h SourceName)
      } else if (key == "position" && value.is_number_integer() && value.get<int64_t>() >= 0 &&
                 value.get<int64_t>() <= 10'000) {
        row.data["position"] = value;
      } else if (bad.empty()) {
        bad = key;
      }
    }
    if (bad.empty() && row.source_key.empty()) bad = "id";
    if (bad.empty() && row.type.empty()) bad = "type";
    if (!bad.empty()) {
      refuse(bad);
      continue;
    }
    if (row.occurred_at_ms == 0) row.occurred_at_ms = now;
    row.user_id = source.user_id;
    row.device_id = device;
    row.received_at_ms = now;
    if (row.product_id) product_ids.insert(row.product_id);
    rows.push_back(std::move(row));
  }
  // The merchant is the product's, never what a client says: another shop's product viewed
  // counts for that shop's page, and an unknown product for nobody.
  auto products = trading_.Read([&](Reader& r) { return LoadProducts(r, product_ids); });
  if (!products) {
    done(std::unexpected(products.error()));
    return;
  }
  for (LogRow& row : rows) {
    auto found = products->find(row.product_id);
    if (found == products->end()) continue;
    row.merchant_id = found->second.merchant_id;
    row.category = found->second.category;
  }
  if (source.user_id > 0 && !device.empty()) {
    LogRow link;
    link.source_key = "l:" + device;  // the first sign-in on a device links it, once
    link.type = "identify";
    link.user_id = source.user_id;
    link.device_id = device;
    link.occurred_at_ms = now;
    link.received_at_ms = now;
    rows.push_back(std::move(link));
  }
  const int valid = static_cast<int>(rows.size()) - (source.user_id > 0 && !device.empty() ? 1 : 0);
  auto shared = std::make_shared<std::vector<LogRow>>(std::move(rows));
  auto added = std::make_shared<int>(0);
  analytics_.Submit(
      [shared, added](Tx& tx) -> Status {
        ASSIGN_OR_RETURN(*added, WriteLog(tx, *shared));
        return Ok();
      },
      [report = std::move(report), added, valid, link = source.user_id > 0 && !device.empty(),
       done = std::move(done)](Status s) mutable {
        if (!s) {
          done(std::unexpected(s.error()));
          return;
        }
        // The link row counts in `added` the first time only; the events are what the caller asked
        // about.
        int events_added = *added;
        if (link && events_added > valid) events_added = valid;
        report.accepted = events_added;
        report.duplicates = valid - events_added;
        done(std::move(report));
      });
}

// ---- reads ----

namespace {

// A user's tags at `now` (the body of UserTags, shared with UsersWithTags).
Result<Json> TagsIn(Reader& r, int64_t user_id, int64_t now) {
  ASSIGN_OR_RETURN(auto f,
                   r.QueryOne("SELECT first_seen_ms, last_seen_ms, paid_orders, paid_fen, "
                              "refunded_fen, last_paid_ms, units, "
                              "offline_purchases, offline_fen, shares, share_opens_by_others, "
                              "share_purchases, member_level, channels "
                              "FROM user_facts WHERE user_id=?",
                              {user_id}));
  Json out{{"user_id", IdString(user_id)}};
  if (!f) {
    out["known"] = false;
    return out;
  }
  out["known"] = true;
  const int64_t first_seen = f->Int(0), last_seen = f->Int(1), orders = f->Int(2), paid = f->Int(3),
                last_paid = f->Int(5);
  const int64_t offline = f->Int(7);
  // Category interests, each decayed to now.
  ASSIGN_OR_RETURN(
      Rows cats,
      r.Query("SELECT category, score_milli, updated_ms FROM user_categories WHERE user_id=?",
              {user_id}));
  std::vector<std::pair<int64_t, std::string>> scored;
  for (const Row& c : cats) {
    const double age = static_cast<double>(std::max<int64_t>(0, now - c.Int(2)));
    scored.emplace_back(
        std::llround(static_cast<double>(c.Int(1)) *
                     std::exp2(-age / static_cast<double>(config::kInterestHalfLifeMs))),
        c.Str(0));
  }
  std::sort(scored.begin(), scored.end(), [](auto& a, auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  Json interests = Json::array();
  for (size_t i = 0; i < scored.size() && i < 5; ++i)
    interests.push_back({{"category", scored[i].second}, {"score_milli", scored[i].first}});
  out["interests"] = interests;
  // Price band by the average paid order.
  const int64_t aov = orders > 0 ? paid / orders : 0;
  out["aov_fen"] = aov;
  out["price_band"] = orders == 0 ? "unknown" : aov < 5'000 ? "low" : aov < 20'000 ? "mid" : "high";
  // RFM: recency within 30 days, frequency ≥ 3 paid orders, monetary ≥ ¥500.
  const bool r_hi = orders > 0 && now - last_paid <= 30 * kDayMs, f_hi = orders >= 3,
             m_hi = paid >= 50'000;
  const char* segment = orders == 0           ? "prospect"
                        : r_hi && f_hi        ? "champion"
                        : r_hi && orders == 1 ? "new_customer"
                        : r_hi                ? "promising"
                        : f_hi || m_hi        ? "at_risk"
                                              : "hibernating";
  out["rfm"] = {{"recency_days", orders > 0 ? (now - last_paid) / kDayMs : -1},
                {"frequency", orders},
                {"monetary_fen", paid},
                {"segment", segment}};
  out["lifecycle"] = now - first_seen <= 30 * kDayMs  ? "new"
                     : now - last_seen <= 30 * kDayMs ? "active"
                                                      : "dormant";
  out["member_level"] = f->Int(12);
  out["online_offline"] = {{"online_orders", orders},
                           {"offline_purchases", offline},
                           {"offline_fen", f->Int(8)},
                           {"mix", orders > 0 && offline > 0 ? "omnichannel"
                                   : offline > 0             ? "offline"
                                   : orders > 0              ? "online"
                                                             : "none"}};
  const int64_t brought = f->Int(11);
  out["sharer_influence"] = {{"shares", f->Int(9)},
                             {"opens_by_others", f->Int(10)},
                             {"purchases_brought", brought},
                             {"level", brought >= 3    ? "influencer"
                                       : f->Int(9) > 0 ? "sharer"
                                                       : "none"}};
  Json channels = Json::object();
  if (auto parsed = ParseJson(f->Str(13)); parsed && parsed->is_object()) channels = *parsed;
  std::string top_channel;
  int64_t top = 0;
  for (auto& [k, v] : channels.items())
    if (v.is_number_integer() && v.get<int64_t>() > top) top = v.get<int64_t>(), top_channel = k;
  out["channel"] = {{"main", top_channel.empty() ? Json(nullptr) : Json(top_channel)},
                    {"paid_orders_by_channel", channels}};
  return out;
}

// The tag names a user carries (see IsTargetableTag): "rfm:<segment>", "price_band:<band>",
// "lifecycle:<stage>", "channel_mix:<mix>", "sharer:<level>", "interest:<category>" (top 5).
std::vector<std::string> TagNames(const Json& t) {
  std::vector<std::string> names;
  if (!t.value("known", false)) return names;
  names.push_back("rfm:" + t["rfm"]["segment"].get<std::string>());
  names.push_back("price_band:" + t["price_band"].get<std::string>());
  names.push_back("lifecycle:" + t["lifecycle"].get<std::string>());
  names.push_back("channel_mix:" + t["online_offline"]["mix"].get<std::string>());
  names.push_back("sharer:" + t["sharer_influence"]["level"].get<std::string>());
  for (const Json& i : t["interests"])
    names.push_back("interest:" + i["category"].get<std::string>());
  return names;
}

}  // namespace

Result<Json> Insight::UserTags(int64_t user_id) {
  const int64_t now = analytics_.clock().NowMs();
  return analytics_.Read([&](Reader& r) { return TagsIn(r, user_id, now); });
}

const std::vector<std::string>& TargetableTags() {
  static const std::vector<std::string> tags = {
      "rfm:champion",       "rfm:new_customer",    "rfm:promising",           "rfm:at_risk",
      "rfm:hibernating",    "rfm:prospect",        "price_band:low",          "price_band:mid",
      "price_band:high",    "lifecycle:new",       "lifecycle:active",        "lifecycle:dormant",
      "channel_mix:online", "channel_mix:offline", "channel_mix:omnichannel", "sharer:influencer",
      "sharer:sharer"};
  return tags;
}

bool IsTargetableTag(std::string_view tag) {
  constexpr std::string_view kInterest = "interest:";
  if (tag.size() > kInterest.size() && tag.substr(0, kInterest.size()) == kInterest &&
      tag.size() <= config::kMaxTagLen)
    return true;
  return std::ranges::find(TargetableTags(), tag) != TargetableTags().end();
}

Result<std::vector<int64_t>> Insight::UsersWithTags(const std::vector<int64_t>& user_ids,
                                                    const std::vector<std::string>& tags) {
  if (user_ids.size() > config::kMaxTagAudience)
    return Fail(Msg::MEMBER_PUSH_TAG_AUDIENCE_TOO_LARGE, {{"max", config::kMaxTagAudience}});
  const int64_t now = analytics_.clock().NowMs();
  return analytics_.Read([&](Reader& r) -> Result<std::vector<int64_t>> {
    std::vector<int64_t> out;
    for (int64_t id : user_ids) {
      ASSIGN_OR_RETURN(Json t, TagsIn(r, id, now));
      std::vector<std::string> has = TagNames(t);
      bool all = std::ranges::all_of(
          tags, [&](const std::string& tag) { return std::ranges::find(has, tag) != has.end(); });
      if (all) out.push_back(id);
    }
    return out;
  });
}

namespace {

struct DayRow {
  int64_t views = 0, impressions = 0, carts = 0, orders = 0, paid_orders = 0, gmv_fen = 0,
          refunded_fen = 0, cancelled = 0, shares = 0;
  int64_t visitors = 0, buyers = 0;
};

Result<std::vector<std::pair<int64_t, DayRow>>> LoadDays(Reader& r, int64_t merchant,
                                                         int64_t from_day, int64_t to_day) {
  std::map<int64_t, DayRow> by_day;
  ASSIGN_OR_RETURN(internal::DayRange range, internal::CheckDayRange(from_day, to_day));
  const int64_t start = range.start_ms, end = range.end_ms;
  for (int64_t t = start; t <= end; t += kDayMs) by_day[DayOf(t)];
  ASSIGN_OR_RETURN(Rows rows,
                   r.Query("SELECT day, views, impressions, carts, orders, paid_orders, gmv_fen, "
                           "refunded_fen, cancelled_orders, shares "
                           "FROM merchant_days WHERE merchant_id=? AND day BETWEEN ? AND ?",
                           {merchant, from_day, to_day}));
  for (const Row& row : rows) {
    DayRow& d = by_day[row.Int(0)];
    d.views = row.Int(1), d.impressions = row.Int(2), d.carts = row.Int(3), d.orders = row.Int(4),
    d.paid_orders = row.Int(5);
    d.gmv_fen = row.Int(6), d.refunded_fen = row.Int(7), d.cancelled = row.Int(8),
    d.shares = row.Int(9);
  }
  ASSIGN_OR_RETURN(Rows visitors,
                   r.Query("SELECT day, count(*), SUM(CASE WHEN stage >= 4 THEN 1 ELSE 0 END) FROM "
                           "merchant_day_visitors "
                           "WHERE merchant_id=? AND day BETWEEN ? AND ? GROUP BY day",
                           {merchant, from_day, to_day}));
  for (const Row& row : visitors) {
    by_day[row.Int(0)].visitors = row.Int(1);
    by_day[row.Int(0)].buyers = row.Int(2);
  }
  return std::vector<std::pair<int64_t, DayRow>>(by_day.begin(), by_day.end());
}

}  // namespace

Result<Json> Insight::MerchantOverview(int64_t merchant_id, int64_t from_day, int64_t to_day) {
  const int64_t now = analytics_.clock().NowMs();
  ASSIGN_OR_RETURN(Json out, analytics_.Read([&](Reader& r) -> Result<Json> {
    ASSIGN_OR_RETURN(auto days, LoadDays(r, merchant_id, from_day, to_day));
    Json series = Json::array();
    DayRow total;
    for (auto& [day, d] : days) {
      series.push_back({{"day", DayText(day)},
                        {"visitors", d.visitors},
                        {"views", d.views},
                        {"impressions", d.impressions},
                        {"carts", d.carts},
                        {"orders", d.orders},
                        {"paid_orders", d.paid_orders},
                        {"buyers", d.buyers},
                        {"gmv_fen", d.gmv_fen},
                        {"aov_fen", d.paid_orders ? d.gmv_fen / d.paid_orders : 0},
                        {"refunded_fen", d.refunded_fen},
                        {"cancelled_orders", d.cancelled},
                        {"shares", d.shares}});
      total.views += d.views, total.carts += d.carts, total.orders += d.orders,
          total.paid_orders += d.paid_orders;
      total.gmv_fen += d.gmv_fen, total.refunded_fen += d.refunded_fen, total.shares += d.shares;
    }
    // The funnel over the range: each visitor counted once, at the furthest stage reached.
    ASSIGN_OR_RETURN(
        Rows stages,
        r.Query("SELECT stage, count(*) FROM (SELECT visitor, MAX(stage) AS stage FROM "
                "merchant_day_visitors "
                "WHERE merchant_id=? AND day BETWEEN ? AND ? GROUP BY visitor) AS v GROUP BY stage",
                {merchant_id, from_day, to_day}));
    int64_t at_least[5] = {0, 0, 0, 0, 0};
    for (const Row& row : stages)
      for (int s = 1; s <= 4 && s <= row.Int(0); ++s) at_least[s] += row.Int(1);
    Json funnel = Json::array({{{"stage", "view"}, {"visitors", at_least[1]}},
                               {{"stage", "cart"}, {"visitors", at_least[2]}},
                               {{"stage", "order"}, {"visitors", at_least[3]}},
                               {{"stage", "pay"}, {"visitors", at_least[4]}}});
    ASSIGN_OR_RETURN(Rows top,
                     r.Query("SELECT product_id, SUM(paid_units), SUM(gmv_fen), SUM(views), "
                             "SUM(carts) FROM merchant_product_days "
                             "WHERE merchant_id=? AND day BETWEEN ? AND ? GROUP BY product_id "
                             "ORDER BY SUM(gmv_fen) DESC, SUM(views) DESC, product_id LIMIT ?",
                             {merchant_id, from_day, to_day, config::kTopProducts}));
    Json products = Json::array();
    for (const Row& row : top)
      products.push_back({{"product_id", IdString(row.Int(0))},
                          {"paid_units", row.Int(1)},
                          {"gmv_fen", row.Int(2)},
                          {"views", row.Int(3)},
                          {"carts", row.Int(4)}});
    ASSIGN_OR_RETURN(
        Rows channels,
        r.Query("SELECT channel, SUM(paid_orders), SUM(gmv_fen) FROM merchant_channel_days "
                "WHERE merchant_id=? AND day BETWEEN ? AND ? GROUP BY channel ORDER BY "
                "SUM(gmv_fen) DESC, channel",
                {merchant_id, from_day, to_day}));
    Json channel_mix = Json::array();
    for (const Row& row : channels)
      channel_mix.push_back(
          {{"channel", row.Str(0)}, {"paid_orders", row.Int(1)}, {"gmv_fen", row.Int(2)}});
    // The shop's customers as of now (all time): new in 30 days, repeat and recent, one-time,
    // dormant.
    ASSIGN_OR_RETURN(
        Rows seg,
        r.Query(
            "SELECT CASE WHEN first_paid_ms >= ?1 THEN 'new' WHEN last_paid_ms < ?2 THEN 'dormant' "
            "WHEN paid_orders >= 2 THEN 'repeat' ELSE 'one_time' END AS s, count(*), SUM(paid_fen) "
            "FROM merchant_customers WHERE merchant_id=?3 GROUP BY s ORDER BY s",
            {now - 30 * kDayMs, now - 90 * kDayMs, merchant_id}));
    Json segments = Json::array();
    for (const Row& row : seg)
      segments.push_back(
          {{"segment", row.Str(0)}, {"customers", row.Int(1)}, {"paid_fen", row.Int(2)}});
    ASSIGN_OR_RETURN(int64_t visitors,
                     r.QueryInt("SELECT count(DISTINCT visitor) FROM merchant_day_visitors WHERE "
                                "merchant_id=? AND day BETWEEN ? AND ?",
                                {merchant_id, from_day, to_day}));
    ASSIGN_OR_RETURN(int64_t buyers,
                     r.QueryInt("SELECT count(DISTINCT visitor) FROM merchant_day_visitors WHERE "
                                "merchant_id=? AND day BETWEEN ? AND ? AND stage >= 4",
                                {merchant_id, from_day, to_day}));
    return Json{{"from", DayText(from_day)},
                {"to", DayText(to_day)},
                {"days", series},
                {"totals",
                 {{"gmv_fen", total.gmv_fen},
                  {"orders", total.orders},
                  {"paid_orders", total.paid_orders},
                  {"aov_fen", total.paid_orders ? total.gmv_fen / total.paid_orders : 0},
                  {"refunded_fen", total.refunded_fen},
                  {"views", total.views},
                  {"carts", total.carts},
                  {"shares", total.shares},
                  {"visitors", visitors},
                  {"buyers", buyers},
                  {"conversion_bps", visitors ? buyers * 10'000 / visitors : 0}}},
                {"funnel", funnel},
                {"top_products", products},
                {"channels", channel_mix},
                {"segments", segments}};
  }));
  // The top products' titles, from the trading store (this merchant's products only).
  std::vector<int64_t> ids;
  for (const Json& p : out["top_products"])
    ids.push_back(*ParseId(p["product_id"].get<std::string>()));
  if (!ids.empty()) {
    ASSIGN_OR_RETURN(Rows titles, trading_.Read([&](Reader& r) {
      return r.Query(
          "SELECT id, title FROM products WHERE merchant_id=? AND id IN " + r.dialect().IdsIn("?"),
          {merchant_id, IdListParam(ids)});
    }));
    std::map<std::string, std::string> by_id;
    for (const Row& row : titles) by_id[IdString(row.Int(0))] = row.Str(1);
    for (Json& p : out["top_products"]) p["title"] = by_id[p["product_id"].get<std::string>()];
  }
  return out;
}

Result<std::string> Insight::MerchantDaysCsv(int64_t merchant_id, int64_t from_day,
                                             int64_t to_day) {
  return analytics_.Read([&](Reader& r) -> Result<std::string> {
    ASSIGN_OR_RETURN(auto days, LoadDays(r, merchant_id, from_day, to_day));
    std::string csv =
        "day,visitors,views,carts,orders,paid_orders,buyers,gmv_fen,aov_fen,refunded_fen,cancelled_"
        "orders,shares\r\n";
    for (auto& [day, d] : days) {
      csv += DayText(day) + "," + std::to_string(d.visitors) + "," + std::to_string(d.views) + "," +
             std::to_string(d.carts) + "," + std::to_string(d.orders) + "," +
             std::to_string(d.paid_orders) + "," + std::to_string(d.buyers) + "," +
             std::to_string(d.gmv_fen) + "," +
             std::to_string(d.paid_orders ? d.gmv_fen / d.paid_orders : 0) + "," +
             std::to_string(d.refunded_fen) + "," + std::to_string(d.cancelled) + "," +
             std::to_string(d.shares) + "\r\n";
    }
    return csv;
  });
}

Result<std::vector<std::string>> Insight::Check() {
  return analytics_.Read([](Reader& r) -> Result<std::vector<std::string>> {
    std::vector<std::string> problems;
    ASSIGN_OR_RETURN(
        int64_t cursor,
        r.QueryInt("SELECT COALESCE(MAX(log_id), 0) FROM cursors WHERE name=?", {kProjectCursor}));
    ASSIGN_OR_RETURN(int64_t last, r.QueryInt("SELECT COALESCE(MAX(id), 0) FROM log"));
    if (cursor > last)
      problems.push_back("analytics: the projection cursor " + std::to_string(cursor) +
                         " is past the log's end " + std::to_string(last));
    struct Pair {
      const char* what;
      const char* projected;
      const char* recount;
    };
    // Each total the projections hold against the same total counted from the log (rows up to
    // the cursor): a row applied twice, or skipped, shows here.
    const Pair pairs[] = {
        {"paid orders", "SELECT COALESCE(SUM(paid_orders), 0) FROM merchant_days",
         "SELECT count(*) FROM log WHERE type='order.paid' AND merchant_id > 0 AND id <= ?"},
        {"GMV", "SELECT COALESCE(SUM(gmv_fen), 0) FROM merchant_days",
         "SELECT COALESCE(SUM(amount_fen), 0) FROM log WHERE type='order.paid' AND merchant_id > 0 "
         "AND id <= ?"},
        {"created orders", "SELECT COALESCE(SUM(orders), 0) FROM merchant_days",
         "SELECT count(*) FROM log WHERE type='order.created' AND merchant_id > 0 AND id <= ?"},
        {"views", "SELECT COALESCE(SUM(views), 0) FROM merchant_days",
         "SELECT count(*) FROM log WHERE type='view' AND merchant_id > 0 AND id <= ?"},
        {"carts", "SELECT COALESCE(SUM(carts), 0) FROM merchant_days",
         "SELECT count(*) FROM log WHERE type='cart.added' AND merchant_id > 0 AND id <= ?"},
        {"refunds", "SELECT COALESCE(SUM(refunded_fen), 0) FROM merchant_days",
         "SELECT COALESCE(SUM(amount_fen), 0) FROM log WHERE type='refund.succeeded' AND "
         "merchant_id > 0 AND id <= ?"},
        {"channel GMV", "SELECT COALESCE(SUM(gmv_fen), 0) FROM merchant_channel_days",
         "SELECT COALESCE(SUM(amount_fen), 0) FROM log WHERE type='order.paid' AND merchant_id > 0 "
         "AND id <= ?"},
        {"users' paid orders", "SELECT COALESCE(SUM(paid_orders), 0) FROM user_facts",
         "SELECT count(*) FROM log WHERE type='order.paid' AND user_id > 0 AND id <= ?"},
    };
    for (const Pair& p : pairs) {
      ASSIGN_OR_RETURN(int64_t projected, r.QueryInt(p.projected));
      ASSIGN_OR_RETURN(int64_t recount, r.QueryInt(p.recount, {cursor}));
      if (projected != recount)
        problems.push_back(std::string("analytics: ") + p.what + " in the projections " +
                           std::to_string(projected) + " != " + std::to_string(recount) +
                           " recounted from the log");
    }
    ASSIGN_OR_RETURN(std::vector<std::string> models, CheckRankingModels(r));
    problems.insert(problems.end(), models.begin(), models.end());
    return problems;
  });
}

Result<bool> BindToTradingStore(Store& analytics, std::string_view trading_store_id) {
  return analytics.ExecuteFor<bool>([&](Tx& tx) -> Result<bool> {
    ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT value FROM meta WHERE key='trading_store'"));
    if (row && row->Str(0) == trading_store_id) return false;
    bool reset = false;
    if (row) {  // another store's events and projections: nothing of them applies to this one
      for (const char* table : kProjectionTables) RETURN_IF_ERROR(tx.Run(std::string("DELETE FROM ") + table));
      RETURN_IF_ERROR(tx.Run("DELETE FROM cursors"));
      RETURN_IF_ERROR(tx.Run("DELETE FROM log"));
      reset = true;
    }
    RETURN_IF_ERROR(tx.Run("INSERT INTO meta(key, value) VALUES('trading_store', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                           {trading_store_id}));
    return reset;
  });
}

// ---- reads for the feed ----

Result<std::unordered_map<int64_t, int>> Insight::ShownOnDay(const std::string& visitor,
                                                             int64_t day) {
  return analytics_.Read([&](Reader& r) -> Result<std::unordered_map<int64_t, int>> {
    ASSIGN_OR_RETURN(Rows rows, r.Query("SELECT merchant_id, impressions FROM visitor_merchant_days "
                                        "WHERE visitor=? AND day=? ORDER BY impressions DESC "
                                        "LIMIT 1000",
                                        {visitor, day}));
    std::unordered_map<int64_t, int> out;
    for (const Row& row : rows) out[row.Int(0)] = static_cast<int>(row.Int(1));
    return out;
  });
}

Result<std::vector<std::pair<std::string, double>>> Insight::TopInterests(int64_t user_id,
                                                                          int limit) {
  const int64_t now = analytics_.clock().NowMs();
  return analytics_.Read([&](Reader& r) -> Result<std::vector<std::pair<std::string, double>>> {
    ASSIGN_OR_RETURN(Rows rows, r.Query("SELECT category, score_milli, updated_ms FROM "
                                        "user_categories WHERE user_id=? ORDER BY score_milli "
                                        "DESC LIMIT 50",
                                        {user_id}));
    std::vector<std::pair<std::string, double>> out;
    for (const Row& c : rows) {
      const double age = static_cast<double>(std::max<int64_t>(0, now - c.Int(2)));
      out.emplace_back(c.Str(0), static_cast<double>(c.Int(1)) *
                                     std::exp2(-age / static_cast<double>(config::kInterestHalfLifeMs)));
    }
    std::sort(out.begin(), out.end(), [](auto& a, auto& b) {
      return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    if (out.size() > static_cast<size_t>(std::max(limit, 0))) out.resize(std::max(limit, 0));
    const double top = out.empty() ? 0 : out.front().second;
    for (auto& [category, score] : out) score = top > 0 ? score / top : 0;
    return out;
  });
}

Result<std::unordered_map<int64_t, Insight::ProductCounts>> Insight::ProductCountsSince(
    const std::vector<int64_t>& product_ids, int64_t from_day) {
  std::unordered_map<int64_t, ProductCounts> out;
  if (product_ids.empty()) return out;
  return analytics_.Read([&](Reader& r) -> Result<std::unordered_map<int64_t, ProductCounts>> {
    ASSIGN_OR_RETURN(Rows rows,
                     r.Query("SELECT product_id, SUM(impressions), SUM(views), SUM(paid_units) "
                             "FROM merchant_product_days WHERE product_id IN " +
                                 r.dialect().IdsIn("?1") + " AND day>=?2 GROUP BY product_id",
                             {IdListParam(product_ids), from_day}));
    for (const Row& row : rows) out[row.Int(0)] = ProductCounts{row.Int(1), row.Int(2), row.Int(3)};
    return out;
  });
}

Result<std::vector<Insight::MerchantExposure>> Insight::MerchantExposures(int64_t from_day,
                                                                          int64_t to_day) {
  return analytics_.Read([&](Reader& r) -> Result<std::vector<MerchantExposure>> {
    ASSIGN_OR_RETURN(Rows rows,
                     r.Query("SELECT merchant_id, SUM(impressions), SUM(views), SUM(paid_orders), "
                             "SUM(gmv_fen) FROM merchant_days WHERE day>=? AND day<=? "
                             "GROUP BY merchant_id ORDER BY 2 DESC, 1 LIMIT 200000",
                             {from_day, to_day}));
    std::vector<MerchantExposure> out;
    out.reserve(rows.size());
    for (const Row& row : rows)
      out.push_back({row.Int(0), row.Int(1), row.Int(2), row.Int(3), row.Int(4)});
    return out;
  });
}

Result<std::vector<int64_t>> Insight::TopMerchantsByGmv(int64_t from_day, int64_t to_day,
                                                        int limit) {
  return analytics_.Read([&](Reader& r) -> Result<std::vector<int64_t>> {
    ASSIGN_OR_RETURN(Rows rows, r.Query("SELECT merchant_id, SUM(gmv_fen) g FROM merchant_days "
                                        "WHERE day>=? AND day<=? GROUP BY merchant_id "
                                        "HAVING SUM(gmv_fen) > 0 ORDER BY g DESC, merchant_id "
                                        "LIMIT ?",
                                        {from_day, to_day, int64_t{limit}}));
    std::vector<int64_t> out;
    for (const Row& row : rows) out.push_back(row.Int(0));
    return out;
  });
}

}  // namespace xd::insight
