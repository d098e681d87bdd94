// The data platform's core (insight.h): China-time days, the projections of the log (stage 2)
// with their rebuild, and the check. Ingestion is ingest.cc, the reads are tags.cc,
// merchant_bi.cc, platform.cc and feed_reads.cc. The analytics store is SQLite whatever the
// trading store is, so the SQL on it is SQLite's.
#include "insight/insight.h"
#include "insight/owner.h"
#include "insight/internal/common.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string>

#include "base/clock.h"
#include "base/id.h"
#include "base/messages.h"

namespace xd::insight {

using internal::JsonInt;
using internal::JsonStr;
using internal::kCarted;
using internal::kDayMs;
using internal::kOrdered;
using internal::kPaid;
using internal::kProjectCursor;
using internal::kViewed;

namespace {

constexpr int64_t kChinaOffsetMs = 8LL * 3600 * 1000;

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

}  // namespace xd::insight
