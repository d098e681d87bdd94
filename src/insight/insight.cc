// The data platform's core (insight.h): China-time days, the projections of the log (stage 2)
// with their rebuild, and the check. Ingestion is ingest.cc, the reads are tags.cc,
// merchant_bi.cc, platform.cc and feed_reads.cc. The analytics store is SQLite whatever the
// trading store is, so the SQL on it is SQLite's.
#include "insight/insight.h"
#include "insight/owner.h"
#include "insight/internal/buyer_days.h"
#include "insight/internal/common.h"
#include "insight/internal/copurchase.h"
#include "insight/internal/sketch.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "base/clock.h"
#include "base/id.h"
#include "base/log.h"
#include "base/messages.h"

namespace xd::insight {

using internal::JsonId;
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

int32_t internal::EpochDayOf(int64_t ms) {
  const int64_t local = ms + kChinaOffsetMs;
  return static_cast<int32_t>(local >= 0 ? local / kDayMs : (local - kDayMs + 1) / kDayMs);
}

int64_t internal::DayOfEpochDay(int32_t epoch_day) {
  return DayOf(static_cast<int64_t>(epoch_day) * kDayMs - kChinaOffsetMs);
}

int64_t DayOf(int64_t ms) {
  const int64_t days = internal::EpochDayOf(ms);
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

// product_sales: `units` more counted units of `product`, its merchant and category as given
// (the newest purchase's).
Status AddSales(Tx& tx, int64_t product, int64_t merchant, const std::string& category,
                int64_t units) {
  return tx.Run(
      "INSERT INTO product_sales(product_id, merchant_id, category, units) VALUES(?,?,?,?) "
      "ON CONFLICT(product_id) DO UPDATE SET merchant_id = excluded.merchant_id, "
      "category = excluded.category, units = units + excluded.units",
      {product, merchant, category, units});
}

// A visitor as the projections key it: the user, else the device ('' for neither).
std::string VisitorKey(int64_t user, const std::string& device) {
  return user > 0 ? "u" + std::to_string(user) : device.empty() ? "" : "d" + device;
}

// visitor_feed_merchants: `n` more impressions of the merchant by the feed to the visitor.
using ShownKey = std::tuple<std::string, int64_t, std::string, int64_t>;  // visitor, day, feed, merchant
Status AddShown(Tx& tx, const ShownKey& key, int64_t n) {
  const auto& [visitor, day, feed_id, merchant] = key;
  return tx.Run(
      "INSERT INTO visitor_feed_merchants(visitor, day, feed_id, merchant_id, impressions) "
      "VALUES(?,?,?,?,?) ON CONFLICT(visitor, day, feed_id, merchant_id) DO UPDATE SET "
      "impressions = impressions + excluded.impressions",
      {visitor, day, feed_id, merchant, n});
}

// One projection round (≤ config::kProjectBatch log rows): the rows' effects gathered in memory
// while they are applied in id order, then written once per key by Flush, in the transaction that
// moves the cursor (decision 038). A busy shop's day, a product, a user touched by hundreds of
// events of a round cost one statement each, not one per event; the previous values a change
// depends on (a visitor's stage, a customer's first and last order, a decayed interest) are read
// once per round. The tables end up exactly as one statement per event left them, whatever the
// rounds' boundaries (InsightTest.RebuildEqualsIncremental…).
struct Applier {
  Tx& tx;
  internal::CoPurchaseApplier co_purchases{tx};  // bought together (decision 040)

  struct DayDelta {
    int64_t views = 0, impressions = 0, carts = 0, orders = 0, paid_orders = 0, gmv_fen = 0,
            refunded_fen = 0, cancelled_orders = 0, shares = 0, member_orders = 0, member_gmv_fen = 0;
    int64_t at_least[5] = {0, 0, 0, 0, 0};  // visitors newly at stage ≥ s (s = 1..4)
  };
  struct ProductDelta {
    int64_t views = 0, impressions = 0, carts = 0, paid_units = 0, gmv_fen = 0, self_units = 0;
  };
  struct Sales {  // product_sales: the round's counted units, the newest merchant and category
    int64_t merchant = 0, units = 0;
    std::string category;
  };
  struct VisitorStage {
    int before = 0, stage = 0;  // the stored stage (0: no row), the round's furthest
  };
  struct Customer {
    bool existed = false;
    int64_t first_before = 0, last_before = 0, orders_before = 0, fen_before = 0;
    int64_t first = 0, last = 0, orders = 0, fen = 0;
    internal::BuyerDays days;  // paid_days (decision 042)
  };
  struct Facts {
    int64_t first_seen = 0, last_seen = 0;
    int64_t paid_orders = 0, paid_fen = 0, refunded_fen = 0, last_paid = 0, units = 0,
            offline_purchases = 0, offline_fen = 0, shares = 0, share_opens_by_others = 0,
            share_purchases = 0, member_level = 0;
    std::vector<std::pair<std::string, int64_t>> channels;  // in the order first paid through
  };
  using Interest = internal::Interest;
  struct CustomerDayDelta {
    int64_t customers = 0, repeaters = 0, paid_fen = 0, repeat_fen = 0;
  };

  std::map<std::pair<int64_t, int64_t>, DayDelta> days;
  std::map<std::tuple<int64_t, int64_t, int64_t>, ProductDelta> products;
  std::map<int64_t, Sales> sales;
  std::map<std::tuple<int64_t, int64_t, std::string>, std::pair<int64_t, int64_t>> channels;
  std::map<ShownKey, int64_t> shown;  // the feed's impressions, for its per-user-per-day cap
  struct RoomDelta {
    int64_t views = 0, likes = 0, comments = 0;
  };
  std::map<std::tuple<int64_t, int64_t, int64_t>, RoomDelta> rooms;
  std::map<std::tuple<int64_t, int64_t, std::string>, VisitorStage> visitors;
  std::map<std::pair<int64_t, int64_t>, Customer> customers;
  std::map<std::pair<int64_t, int64_t>, internal::DayGaps> gaps;  // (merchant, day): the round's changes
  std::vector<internal::GapChange> gap_changes;
  std::map<int64_t, Facts> facts;
  std::map<std::pair<int64_t, std::string>, Interest> interests;
  std::unordered_map<std::string, int64_t> device_users;

  // A device's user once it was seen signed in ('identify' rows, replayed in order).
  Result<int64_t> UserOf(const Row& row) {
    if (row.Int(2) > 0) return row.Int(2);
    const std::string& device = row.Str(3);
    if (device.empty()) return int64_t{0};
    if (auto it = device_users.find(device); it != device_users.end()) return it->second;
    ASSIGN_OR_RETURN(int64_t user,
                     tx.QueryInt("SELECT user_id FROM devices WHERE device_id=?", {device}));
    device_users.emplace(device, user);
    return user;
  }

  DayDelta& Day(int64_t merchant, int64_t day) { return days[{merchant, day}]; }
  ProductDelta& ProductDay(int64_t merchant, int64_t day, int64_t product) {
    return products[{merchant, day, product}];
  }
  Status Visitor(int64_t merchant, int64_t day, const std::string& visitor, int stage) {
    if (visitor.empty()) return Ok();
    auto [it, added] = visitors.try_emplace({merchant, day, visitor});
    if (added) {
      ASSIGN_OR_RETURN(int64_t before,
                       tx.QueryInt("SELECT stage FROM merchant_day_visitors WHERE merchant_id=? "
                                   "AND day=? AND visitor=?",
                                   {merchant, day, visitor}));
      it->second.before = it->second.stage = static_cast<int>(before);
    }
    it->second.stage = std::max(it->second.stage, stage);
    return Ok();
  }
  // The user's facts, created (first and last seen at `at`) the first time the round sees them.
  Facts& Seen(int64_t user, int64_t at) {
    auto [it, added] = facts.try_emplace(user);
    Facts& f = it->second;
    if (added) f.first_seen = f.last_seen = at;
    f.first_seen = std::min(f.first_seen, at);
    f.last_seen = std::max(f.last_seen, at);
    return f;
  }
  // Interest in a category, decayed with a half-life: the score at the newest moment seen, an
  // older event adding its weight decayed to that moment. Deterministic in replay order.
  Status AddInterest(int64_t user, const std::string& category, int64_t weight_milli, int64_t at) {
    if (user <= 0 || category.empty()) return Ok();
    auto [it, added] = interests.try_emplace({user, category});
    bool known = !added;
    if (added) {
      ASSIGN_OR_RETURN(
          auto row,
          tx.QueryOne(
              "SELECT score_milli, updated_ms FROM user_categories WHERE user_id=? AND category=?",
              {user, category}));
      if (row) {
        it->second = {row->Int(0), row->Int(1)};
        known = true;
      }
    }
    internal::AddInterest(it->second, known, weight_milli, at, config::kInterestHalfLifeMs);
    return Ok();
  }
  Status Paid(int64_t merchant, int64_t user, int64_t at, int64_t amount) {
    auto [it, added] = customers.try_emplace({merchant, user});
    Customer& c = it->second;
    if (added) {
      ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT first_paid_ms, last_paid_ms, paid_orders, "
                                             "paid_fen, paid_days FROM merchant_customers WHERE "
                                             "merchant_id=? AND user_id=?",
                                             {merchant, user}));
      if (row) {
        c.existed = true;
        c.first = c.first_before = row->Int(0);
        c.last = c.last_before = row->Int(1);
        c.orders = c.orders_before = row->Int(2);
        c.fen = c.fen_before = row->Int(3);
        auto days = internal::BuyerDays::Decode(row->Str(4));
        if (!days) return Fail(ErrorCode::INTERNAL, "merchant_customers: paid days that do not decode");
        c.days = std::move(*days);
      }
    }
    // The order's place among the buyer's others, and what it moves (buyer_days.h).
    gap_changes.clear();
    c.days.Add(internal::EpochDayOf(at), gap_changes);
    for (const internal::GapChange& g : gap_changes)
      gaps[{merchant, internal::DayOfEpochDay(g.gaps.day)}].Add(g.gaps, g.sign);
    if (c.orders == 0) {
      c.first = c.last = at;
    } else {
      c.first = std::min(c.first, at);
      c.last = std::max(c.last, at);
    }
    c.orders += 1;
    c.fen += amount;
    return Ok();
  }

  // Columns: id, type, user_id, device_id, merchant_id, product_id, order_id, amount_fen,
  // category, channel, occurred_at_ms, data.
  Status Apply(const Row& row) {
    const std::string& type = row.Str(1);
    const std::string& device = row.Str(3);
    const int64_t merchant = row.Int(4), product = row.Int(5), amount = row.Int(7),
                  at = row.Int(10);
    const std::string& category = row.Str(8);
    const std::string& channel = row.Str(9);
    const int64_t day = DayOf(at);
    if (type == "identify") {
      device_users.erase(device);
      return tx.Run(
          "INSERT INTO devices(device_id, user_id, linked_at_ms) VALUES(?,?,?) ON "
          "CONFLICT(device_id) DO NOTHING",
          {device, row.Int(2), at});
    }
    ASSIGN_OR_RETURN(int64_t user, UserOf(row));
    const std::string visitor = VisitorKey(user, device);
    Facts* fact = user > 0 ? &Seen(user, at) : nullptr;
    if (type == "view") {
      if (merchant > 0) {
        Day(merchant, day).views += 1;
        if (product > 0) ProductDay(merchant, day, product).views += 1;
        RETURN_IF_ERROR(Visitor(merchant, day, visitor, kViewed));
      }
      return AddInterest(user, category, internal::kInterestView, at);
    }
    if (type == "impression") {
      if (merchant <= 0) return Ok();
      Day(merchant, day).impressions += 1;
      if (product > 0) ProductDay(merchant, day, product).impressions += 1;
      // What the feed showed this visitor of the merchant today, per feed: the feed's
      // per-user-per-day cap (a shop's own page or a search result does not count).
      if (!visitor.empty() && channel == "feed")
        shown[{visitor, day, JsonStr(row.JsonAt(11), "feed_id"), merchant}] += 1;
      return Ok();
    }
    if (type == "click") return AddInterest(user, category, internal::kInterestClick, at);
    if (type == "live.view" || type == "live.like" || type == "live.comment") {
      const Json data = row.JsonAt(11);
      const int64_t room = JsonId(data, "room_id");
      if (merchant <= 0 || room <= 0) return Ok();
      RoomDelta& r = rooms[{merchant, day, room}];
      if (type == "live.view") r.views += 1;
      else if (type == "live.like") r.likes += JsonInt(data, "count");
      else r.comments += 1;
      return Ok();
    }
    if (type == "cart.added") {
      if (merchant > 0) {
        Day(merchant, day).carts += 1;
        if (product > 0) ProductDay(merchant, day, product).carts += 1;
        RETURN_IF_ERROR(Visitor(merchant, day, visitor, kCarted));
      }
      return AddInterest(user, category, internal::kInterestCart, at);
    }
    if (type == "order.created") {
      if (merchant <= 0) return Ok();
      Day(merchant, day).orders += 1;
      return Visitor(merchant, day, visitor, kOrdered);
    }
    if (type == "order.cancelled") {
      if (merchant > 0) Day(merchant, day).cancelled_orders += 1;
      return Ok();
    }
    if (type == "order.paid") {
      const Json data = row.JsonAt(11);
      int64_t units = 0;
      if (merchant > 0) {
        DayDelta& d = Day(merchant, day);
        d.paid_orders += 1;
        d.gmv_fen += amount;
        if (data.value("member", false)) {  // the card was claimed by then (set at ingestion)
          d.member_orders += 1;
          d.member_gmv_fen += amount;
        }
        RETURN_IF_ERROR(Visitor(merchant, day, visitor, kPaid));
        auto& ch = channels[{merchant, day, channel}];
        ch.first += 1;
        ch.second += amount;
        if (user > 0) RETURN_IF_ERROR(Paid(merchant, user, at, amount));
      }
      // A self-purchase (decision 045) counts in the merchant's BI but not in the feed's figures:
      // its units are kept apart (self_units) and stay out of product_sales.
      const bool self = internal::IsSelfPurchase(data);
      for (const internal::PaidItem& it : internal::PaidItems(data)) {
        units += it.quantity;
        if (merchant > 0 && it.product_id > 0) {
          ProductDelta& p = ProductDay(merchant, day, it.product_id);
          p.paid_units += it.quantity;
          p.gmv_fen += it.line_fen;
          if (self) {
            p.self_units += it.quantity;
          } else {
            Sales& s = sales[it.product_id];
            s.merchant = merchant, s.category = it.category;
            s.units += it.quantity;
          }
        }
        RETURN_IF_ERROR(AddInterest(user, it.category, internal::kInterestPaidItem, at));
      }
      if (fact) {
        fact->paid_orders += 1;
        fact->paid_fen += amount;
        fact->units += units;
        fact->last_paid = std::max(fact->last_paid, at);
        auto c = std::find_if(fact->channels.begin(), fact->channels.end(),
                              [&](const auto& e) { return e.first == channel; });
        if (c == fact->channels.end()) fact->channels.emplace_back(channel, 1);
        else c->second += 1;
      }
      return co_purchases.Paid(user, at, data);
    }
    if (type == "refund.succeeded") {
      if (merchant > 0) Day(merchant, day).refunded_fen += amount;
      if (fact) fact->refunded_fen += amount;
      return Ok();
    }
    if (type == "share.created") {
      if (merchant > 0) Day(merchant, day).shares += 1;
      if (fact) fact->shares += 1;
      return Ok();
    }
    if (type == "share.opened") {
      const int64_t sharer = JsonInt(row.JsonAt(11), "sharer_id");
      if (sharer <= 0 || sharer == user) return Ok();
      Seen(sharer, at).share_opens_by_others += 1;
      return Ok();
    }
    if (type == "commission.paid") {
      if (fact) fact->share_purchases += 1;
      return Ok();
    }
    if (type == "offline.purchase" && fact) {
      fact->offline_purchases += 1;
      fact->offline_fen += amount;
    }
    if ((type == "offline.purchase" || type == "member.points_posted") && fact)
      fact->member_level = std::max(fact->member_level, JsonInt(row.JsonAt(11), "level_after"));
    return Ok();  // search, share (client), add_to_cart (client: the server's cart.added counts)...
  }

  // Writes what the round gathered: each key once.
  Status Flush() {
    // Visitors first: a visitor new to a stage counts in its day's rollup and joins the day's
    // sketches of that stage and below it (the stages it had are in them already).
    std::map<std::tuple<int64_t, int64_t, int>, std::vector<const std::string*>> sketch_adds;
    for (const auto& [key, v] : visitors) {
      if (v.stage <= v.before) continue;
      const auto& [merchant, day, visitor] = key;
      RETURN_IF_ERROR(tx.Run(
          "INSERT INTO merchant_day_visitors(merchant_id, day, visitor, stage) VALUES(?,?,?,?) "
          "ON CONFLICT(merchant_id, day, visitor) DO UPDATE SET stage = excluded.stage",
          {merchant, day, visitor, int64_t{v.stage}}));
      DayDelta& d = Day(merchant, day);
      for (int s = v.before + 1; s <= v.stage; ++s) {
        d.at_least[s] += 1;
        sketch_adds[{merchant, day, s}].push_back(&visitor);
      }
    }
    for (const auto& [key, added] : sketch_adds) {
      const auto& [merchant, day, stage] = key;
      ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT sketch_hex FROM merchant_day_sketches WHERE "
                                             "merchant_id=? AND day=? AND stage=?",
                                             {merchant, day, int64_t{stage}}));
      internal::Hll sketch;
      if (row) {
        auto stored = internal::Hll::DecodeHex(row->Str(0));
        if (!stored) return Fail(ErrorCode::INTERNAL, "merchant_day_sketches: a sketch that does not decode");
        sketch = *stored;
      }
      for (const std::string* v : added) sketch.Add(*v);
      RETURN_IF_ERROR(tx.Run(
          "INSERT INTO merchant_day_sketches(merchant_id, day, stage, sketch_hex) VALUES(?,?,?,?) "
          "ON CONFLICT(merchant_id, day, stage) DO UPDATE SET sketch_hex = excluded.sketch_hex",
          {merchant, day, int64_t{stage}, sketch.EncodeHex()}));
    }
    for (const auto& [key, d] : days) {
      RETURN_IF_ERROR(tx.Run(
          "INSERT INTO merchant_days(merchant_id, day, views, impressions, carts, orders, "
          "paid_orders, gmv_fen, refunded_fen, cancelled_orders, shares, visitors, "
          "carted_visitors, ordered_visitors, buyers, member_orders, member_gmv_fen) "
          "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
          "ON CONFLICT(merchant_id, day) DO UPDATE SET views = views + excluded.views, "
          "impressions = impressions + excluded.impressions, carts = carts + excluded.carts, "
          "orders = orders + excluded.orders, paid_orders = paid_orders + excluded.paid_orders, "
          "gmv_fen = gmv_fen + excluded.gmv_fen, refunded_fen = refunded_fen + "
          "excluded.refunded_fen, cancelled_orders = cancelled_orders + excluded.cancelled_orders, "
          "shares = shares + excluded.shares, visitors = visitors + excluded.visitors, "
          "carted_visitors = carted_visitors + excluded.carted_visitors, ordered_visitors = "
          "ordered_visitors + excluded.ordered_visitors, buyers = buyers + excluded.buyers, "
          "member_orders = member_orders + excluded.member_orders, member_gmv_fen = "
          "member_gmv_fen + excluded.member_gmv_fen",
          {key.first, key.second, d.views, d.impressions, d.carts, d.orders, d.paid_orders,
           d.gmv_fen, d.refunded_fen, d.cancelled_orders, d.shares, d.at_least[1], d.at_least[2],
           d.at_least[3], d.at_least[4], d.member_orders, d.member_gmv_fen}));
    }
    for (const auto& [key, p] : products) {
      const auto& [merchant, day, product] = key;
      RETURN_IF_ERROR(tx.Run(
          "INSERT INTO merchant_product_days(merchant_id, day, product_id, views, impressions, "
          "carts, paid_units, gmv_fen, self_units) VALUES(?,?,?,?,?,?,?,?,?) ON "
          "CONFLICT(merchant_id, day, product_id) DO UPDATE SET views = views + excluded.views, "
          "impressions = impressions + excluded.impressions, carts = carts + excluded.carts, "
          "paid_units = paid_units + excluded.paid_units, gmv_fen = gmv_fen + excluded.gmv_fen, "
          "self_units = self_units + excluded.self_units",
          {merchant, day, product, p.views, p.impressions, p.carts, p.paid_units, p.gmv_fen,
           p.self_units}));
    }
    for (const auto& [product, s] : sales)
      RETURN_IF_ERROR(AddSales(tx, product, s.merchant, s.category, s.units));
    for (const auto& [key, c] : channels) {
      const auto& [merchant, day, channel] = key;
      RETURN_IF_ERROR(
          tx.Run("INSERT INTO merchant_channel_days(merchant_id, day, channel, paid_orders, "
                 "gmv_fen) VALUES(?,?,?,?,?) ON CONFLICT(merchant_id, day, channel) DO UPDATE SET "
                 "paid_orders = paid_orders + excluded.paid_orders, gmv_fen = gmv_fen + "
                 "excluded.gmv_fen",
                 {merchant, day, channel, c.first, c.second}));
    }
    for (const auto& [key, n] : shown) RETURN_IF_ERROR(AddShown(tx, key, n));
    for (const auto& [key, r] : rooms) {
      const auto& [merchant, day, room] = key;
      RETURN_IF_ERROR(tx.Run(
          "INSERT INTO merchant_room_days(merchant_id, day, room_id, views, likes, comments) "
          "VALUES(?,?,?,?,?,?) ON CONFLICT(merchant_id, day, room_id) DO UPDATE SET views = "
          "views + excluded.views, likes = likes + excluded.likes, comments = comments + "
          "excluded.comments",
          {merchant, day, room, r.views, r.likes, r.comments}));
    }
    // Customers, and their counts by the day of their first and of their last paid order: the
    // old contribution out, the new one in; a day left with no customer has no row (as if the
    // round had been cut anywhere else).
    std::map<std::tuple<int64_t, std::string, int64_t>, CustomerDayDelta> edges;
    auto contribute = [&](int64_t merchant, int64_t first, int64_t last, int64_t orders,
                          int64_t fen, int64_t sign) {
      const int64_t repeat = orders >= 2 ? 1 : 0;
      for (auto [edge, at] : {std::pair<const char*, int64_t>{"first", first}, {"last", last}}) {
        CustomerDayDelta& e = edges[{merchant, edge, DayOf(at)}];
        e.customers += sign;
        e.repeaters += sign * repeat;
        e.paid_fen += sign * fen;
        e.repeat_fen += sign * repeat * fen;
      }
    };
    for (const auto& [key, c] : customers) {
      const auto& [merchant, user] = key;
      RETURN_IF_ERROR(tx.Run(
          "INSERT INTO merchant_customers(merchant_id, user_id, first_paid_ms, last_paid_ms, "
          "paid_orders, paid_fen, paid_days) VALUES(?,?,?,?,?,?,?) ON CONFLICT(merchant_id, "
          "user_id) DO UPDATE SET first_paid_ms = excluded.first_paid_ms, last_paid_ms = "
          "excluded.last_paid_ms, paid_orders = excluded.paid_orders, paid_fen = "
          "excluded.paid_fen, paid_days = excluded.paid_days",
          {merchant, user, c.first, c.last, c.orders, c.fen, c.days.Encode()}));
      if (c.existed) contribute(merchant, c.first_before, c.last_before, c.orders_before, c.fen_before, -1);
      contribute(merchant, c.first, c.last, c.orders, c.fen, 1);
    }
    for (const auto& [key, e] : edges) {
      const auto& [merchant, edge, day] = key;
      if (e.customers == 0 && e.repeaters == 0 && e.paid_fen == 0 && e.repeat_fen == 0) continue;
      RETURN_IF_ERROR(tx.Run(
          "INSERT INTO merchant_customer_days(merchant_id, edge, day, customers, repeaters, "
          "paid_fen, repeat_fen) VALUES(?,?,?,?,?,?,?) ON CONFLICT(merchant_id, edge, day) DO "
          "UPDATE SET customers = customers + excluded.customers, repeaters = repeaters + "
          "excluded.repeaters, paid_fen = paid_fen + excluded.paid_fen, repeat_fen = repeat_fen + "
          "excluded.repeat_fen",
          {merchant, edge, day, e.customers, e.repeaters, e.paid_fen, e.repeat_fen}));
      if (e.customers < 0)
        RETURN_IF_ERROR(tx.Run("DELETE FROM merchant_customer_days WHERE merchant_id=? AND "
                               "edge=? AND day=? AND customers=0",
                               {merchant, edge, day}));
    }
    // The days' order gaps: the round's changes merged into the stored counts.
    for (const auto& [key, change] : gaps) {
      const auto& [merchant, day] = key;
      ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT gaps FROM merchant_order_gaps WHERE "
                                             "merchant_id=? AND day=?",
                                             {merchant, day}));
      internal::DayGaps stored;
      if (row) {
        auto decoded = internal::DayGaps::Decode(row->Str(0));
        if (!decoded) return Fail(ErrorCode::INTERNAL, "merchant_order_gaps: gaps that do not decode");
        stored = std::move(*decoded);
      }
      stored.Merge(change);
      if (stored.Negative()) return Fail(ErrorCode::INTERNAL, "merchant_order_gaps: a count below zero");
      if (stored.Empty())
        RETURN_IF_ERROR(tx.Run("DELETE FROM merchant_order_gaps WHERE merchant_id=? AND day=?", {merchant, day}));
      else
        RETURN_IF_ERROR(tx.Run("INSERT INTO merchant_order_gaps(merchant_id, day, gaps) VALUES(?,?,?) "
                               "ON CONFLICT(merchant_id, day) DO UPDATE SET gaps = excluded.gaps",
                               {merchant, day, stored.Encode()}));
    }
    for (const auto& [user, f] : facts) {
      RETURN_IF_ERROR(tx.Run(
          "INSERT INTO user_facts(user_id, first_seen_ms, last_seen_ms, paid_orders, paid_fen, "
          "refunded_fen, last_paid_ms, units, offline_purchases, offline_fen, shares, "
          "share_opens_by_others, share_purchases, member_level) "
          "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(user_id) DO UPDATE SET "
          "first_seen_ms = MIN(first_seen_ms, excluded.first_seen_ms), last_seen_ms = "
          "MAX(last_seen_ms, excluded.last_seen_ms), paid_orders = paid_orders + "
          "excluded.paid_orders, paid_fen = paid_fen + excluded.paid_fen, refunded_fen = "
          "refunded_fen + excluded.refunded_fen, last_paid_ms = MAX(last_paid_ms, "
          "excluded.last_paid_ms), units = units + excluded.units, offline_purchases = "
          "offline_purchases + excluded.offline_purchases, offline_fen = offline_fen + "
          "excluded.offline_fen, shares = shares + excluded.shares, share_opens_by_others = "
          "share_opens_by_others + excluded.share_opens_by_others, share_purchases = "
          "share_purchases + excluded.share_purchases, member_level = MAX(member_level, "
          "excluded.member_level)",
          {user, f.first_seen, f.last_seen, f.paid_orders, f.paid_fen, f.refunded_fen,
           f.last_paid, f.units, f.offline_purchases, f.offline_fen, f.shares,
           f.share_opens_by_others, f.share_purchases, f.member_level}));
      for (const auto& [channel, n] : f.channels)
        RETURN_IF_ERROR(
            tx.Run("UPDATE user_facts SET channels = json_set(channels, '$.' || ?, "
                   "COALESCE(json_extract(channels, '$.' || ?), 0) + ?) WHERE user_id=?",
                   {channel, channel, n, user}));
    }
    for (const auto& [key, in] : interests) {
      RETURN_IF_ERROR(tx.Run(
          "INSERT INTO user_categories(user_id, category, score_milli, updated_ms) VALUES(?,?,?,?) "
          "ON CONFLICT(user_id, category) "
          "DO UPDATE SET score_milli = excluded.score_milli, updated_ms = excluded.updated_ms",
          {key.first, key.second, in.score, in.updated}));
    }
    return co_purchases.Flush();
  }
};

constexpr const char* kProjectionTables[] = {"devices",
                                             "merchant_days",
                                             "merchant_day_visitors",
                                             "merchant_day_sketches",
                                             "merchant_customer_days",
                                             "merchant_order_gaps",
                                             "merchant_room_days",
                                             "merchant_product_days",
                                             "visitor_feed_merchants",
                                             "merchant_channel_days",
                                             "merchant_customers",
                                             "user_facts",
                                             "user_categories",
                                             "co_purchases",
                                             "buyer_products",
                                             "product_sales"};

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
    RETURN_IF_ERROR(applier.Flush());
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
        {"members' paid orders", "SELECT COALESCE(SUM(member_orders), 0) FROM merchant_days",
         "SELECT count(*) FROM log WHERE type='order.paid' AND merchant_id > 0 AND "
         "json_extract(data, '$.member') AND id <= ?"},
        {"members' GMV", "SELECT COALESCE(SUM(member_gmv_fen), 0) FROM merchant_days",
         "SELECT COALESCE(SUM(amount_fen), 0) FROM log WHERE type='order.paid' AND merchant_id > 0 "
         "AND json_extract(data, '$.member') AND id <= ?"},
        // Decision 045: the units bought by the shop's own staff and owner, kept apart, and
        // the others' (the feed's best sellers).
        {"self-purchased units", "SELECT COALESCE(SUM(self_units), 0) FROM merchant_product_days",
         "SELECT COALESCE(SUM(json_extract(i.value, '$.quantity')), 0) FROM log l, "
         "json_each(l.data, '$.items') i WHERE l.type='order.paid' AND l.merchant_id > 0 AND "
         "json_extract(i.value, '$.product_id') > 0 AND json_extract(l.data, '$.self') = 1 AND "
         "l.id <= ?"},
        {"counted sales", "SELECT COALESCE(SUM(units), 0) FROM product_sales",
         "SELECT COALESCE(SUM(json_extract(i.value, '$.quantity')), 0) FROM log l, "
         "json_each(l.data, '$.items') i WHERE l.type='order.paid' AND l.merchant_id > 0 AND "
         "json_extract(i.value, '$.product_id') > 0 AND "
         "COALESCE(json_extract(l.data, '$.self'), 0) <> 1 AND l.id <= ?"},
        {"live comments", "SELECT COALESCE(SUM(comments), 0) FROM merchant_room_days",
         "SELECT count(*) FROM log WHERE type='live.comment' AND merchant_id > 0 AND "
         "CAST(json_extract(data, '$.room_id') AS INTEGER) > 0 AND id <= ?"},
    };
    for (const Pair& p : pairs) {
      ASSIGN_OR_RETURN(int64_t projected, r.QueryInt(p.projected));
      ASSIGN_OR_RETURN(int64_t recount, r.QueryInt(p.recount, {cursor}));
      if (projected != recount)
        problems.push_back(std::string("analytics: ") + p.what + " in the projections " +
                           std::to_string(projected) + " != " + std::to_string(recount) +
                           " recounted from the log");
    }
    // The rollups against the projection rows they summarise (decision 038).
    const Pair rollups[] = {
        {"visitor-days", "SELECT COALESCE(SUM(visitors), 0) FROM merchant_days",
         "SELECT count(*) FROM merchant_day_visitors"},
        {"buyer-days", "SELECT COALESCE(SUM(buyers), 0) FROM merchant_days",
         "SELECT count(*) FROM merchant_day_visitors WHERE stage >= 4"},
        {"days with a visitors' sketch",
         "SELECT count(*) FROM merchant_day_sketches WHERE stage = 1",
         "SELECT count(*) FROM merchant_days WHERE visitors > 0"},
        {"customers by first order",
         "SELECT COALESCE(SUM(customers), 0) FROM merchant_customer_days WHERE edge = 'first'",
         "SELECT count(*) FROM merchant_customers"},
        {"customers by last order",
         "SELECT COALESCE(SUM(customers), 0) FROM merchant_customer_days WHERE edge = 'last'",
         "SELECT count(*) FROM merchant_customers"},
        {"repeat customers' spend",
         "SELECT COALESCE(SUM(repeat_fen), 0) FROM merchant_customer_days WHERE edge = 'first'",
         "SELECT COALESCE(SUM(paid_fen), 0) FROM merchant_customers WHERE paid_orders >= 2"},
    };
    for (const Pair& p : rollups) {
      ASSIGN_OR_RETURN(int64_t projected, r.QueryInt(p.projected));
      ASSIGN_OR_RETURN(int64_t recount, r.QueryInt(p.recount));
      if (projected != recount)
        problems.push_back(std::string("analytics: ") + p.what + " in the rollups " +
                           std::to_string(projected) + " != " + std::to_string(recount) +
                           " counted from the projections");
    }
    ASSIGN_OR_RETURN(std::vector<std::string> days, internal::CheckBuyerDays(r));
    problems.insert(problems.end(), days.begin(), days.end());
    ASSIGN_OR_RETURN(std::vector<std::string> models, CheckRankingModels(r));
    problems.insert(problems.end(), models.begin(), models.end());
    return problems;
  });
}

namespace {

// Whether a migration left `key` in meta for a fill from the log at start.
Result<bool> FillPending(Store& analytics, const char* key) {
  ASSIGN_OR_RETURN(int64_t n, analytics.Read([&](Reader& r) {
    return r.QueryInt("SELECT count(*) FROM meta WHERE key=? AND value='fill'", {std::string(key)});
  }));
  return n > 0;
}

// Migration 053's sketches of the days projected before it (the 'sketches' key in meta): each
// merchant-day's visitors read back from merchant_day_visitors, a few hundred days to a
// transaction. What the projection would have written, since a sketch depends only on the set.
Status FillSketches(Store& analytics) {
  ASSIGN_OR_RETURN(bool pending, FillPending(analytics, "sketches"));
  if (!pending) return Ok();
  ASSIGN_OR_RETURN(Rows keys, analytics.Read([](Reader& r) {
    return r.Query("SELECT merchant_id, day FROM merchant_days WHERE visitors > 0 ORDER BY "
                   "merchant_id, day");
  }));
  constexpr size_t kDaysPerTx = 500;
  for (size_t from = 0; from < keys.size(); from += kDaysPerTx) {
    RETURN_IF_ERROR(analytics.Execute([&](Tx& tx) -> Status {
      for (size_t i = from; i < std::min(keys.size(), from + kDaysPerTx); ++i) {
        const int64_t merchant = keys[i].Int(0), day = keys[i].Int(1);
        ASSIGN_OR_RETURN(Rows visitors, tx.Query("SELECT visitor, stage FROM merchant_day_visitors "
                                                 "WHERE merchant_id=? AND day=?",
                                                 {merchant, day}));
        internal::Hll sketches[5];
        for (const Row& v : visitors)
          for (int s = 1; s <= std::min<int64_t>(v.Int(1), 4); ++s) sketches[s].Add(v.Str(0));
        for (int s = 1; s <= 4; ++s) {
          if (sketches[s].Empty()) continue;
          RETURN_IF_ERROR(tx.Run(
              "INSERT INTO merchant_day_sketches(merchant_id, day, stage, sketch_hex) "
              "VALUES(?,?,?,?) ON CONFLICT(merchant_id, day, stage) DO UPDATE SET sketch_hex = "
              "excluded.sketch_hex",
              {merchant, day, int64_t{s}, sketches[s].EncodeHex()}));
        }
      }
      return Ok();
    }));
  }
  spdlog::info("event=analytics_sketches_filled days={}", keys.size());
  return analytics.Execute([](Tx& tx) { return tx.Run("DELETE FROM meta WHERE key='sketches'"); });
}

// Migration 063's figures for the log rows projected before it (the 'feed_sales' key in meta):
// the self-purchased units of each product-day and product_sales, from the paid orders up to the
// projection cursor, as the projection would have written them (the same PaidItems, DayOf and
// IsSelfPurchase). The log's paid orders are read once, in id order, each row as it is read.
Status FillFeedSales(Store& analytics) {
  ASSIGN_OR_RETURN(bool pending, FillPending(analytics, "feed_sales"));
  if (!pending) return Ok();
  std::map<std::tuple<int64_t, int64_t, int64_t>, int64_t> self_units;
  struct Sales {
    int64_t merchant = 0, units = 0;
    std::string category;
  };
  std::map<int64_t, Sales> sales;
  RETURN_IF_ERROR(analytics.Read([&](Reader& r) -> Status {
    return r.QueryEach(
        "SELECT merchant_id, occurred_at_ms, data FROM log WHERE type='order.paid' AND "
        "merchant_id > 0 AND id <= (SELECT COALESCE(MAX(log_id), 0) FROM cursors WHERE name=?) "
        "ORDER BY id",
        {kProjectCursor}, [&](const Row& row) {
          const Json data = row.JsonAt(2);
          const bool self = internal::IsSelfPurchase(data);
          for (const internal::PaidItem& it : internal::PaidItems(data)) {
            if (it.product_id <= 0) continue;
            if (self) {
              self_units[{row.Int(0), DayOf(row.Int(1)), it.product_id}] += it.quantity;
            } else {
              Sales& s = sales[it.product_id];
              s.merchant = row.Int(0), s.category = it.category;
              s.units += it.quantity;
            }
          }
          return Ok();
        });
  }));
  RETURN_IF_ERROR(analytics.Execute([&](Tx& tx) -> Status {
    RETURN_IF_ERROR(tx.Run("UPDATE merchant_product_days SET self_units = 0 WHERE self_units <> 0"));
    RETURN_IF_ERROR(tx.Run("DELETE FROM product_sales"));
    for (const auto& [key, units] : self_units) {
      const auto& [merchant, day, product] = key;
      RETURN_IF_ERROR(tx.Run("UPDATE merchant_product_days SET self_units = ? WHERE "
                             "merchant_id = ? AND day = ? AND product_id = ?",
                             {units, merchant, day, product}));
    }
    for (const auto& [product, s] : sales)
      RETURN_IF_ERROR(AddSales(tx, product, s.merchant, s.category, s.units));
    return tx.Run("DELETE FROM meta WHERE key='feed_sales'");
  }));
  spdlog::info("event=analytics_feed_sales_filled products={} self_days={}", sales.size(),
               self_units.size());
  return Ok();
}

// visitor_feed_merchants for the impressions projected before analytics migration 065 (which
// left the table empty and the 'feed_shown' key): the log's feed impressions and sign-ins up to
// the projection's cursor, replayed in id order with the projection's rule for the visitor (the
// user, else the device's user once a sign-in linked it, else the device).
Status FillFeedShown(Store& analytics) {
  ASSIGN_OR_RETURN(bool pending, FillPending(analytics, "feed_shown"));
  if (!pending) return Ok();
  std::unordered_map<std::string, int64_t> device_users;
  std::map<ShownKey, int64_t> shown;
  RETURN_IF_ERROR(analytics.Read([&](Reader& r) -> Status {
    return r.QueryEach(
        "SELECT type, user_id, device_id, merchant_id, occurred_at_ms, data FROM log WHERE "
        "(type='identify' OR (type='impression' AND channel='feed' AND merchant_id > 0)) AND "
        "id <= (SELECT COALESCE(MAX(log_id), 0) FROM cursors WHERE name=?) ORDER BY id",
        {kProjectCursor}, [&](const Row& row) {
          const std::string& device = row.Str(2);
          if (row.Str(0) == "identify") {
            device_users.emplace(device, row.Int(1));  // the first link stays (devices)
            return Ok();
          }
          int64_t user = row.Int(1);
          if (user <= 0 && !device.empty())
            if (auto it = device_users.find(device); it != device_users.end()) user = it->second;
          const std::string visitor = VisitorKey(user, device);
          if (!visitor.empty())
            shown[{visitor, DayOf(row.Int(4)), JsonStr(row.JsonAt(5), "feed_id"), row.Int(3)}] += 1;
          return Ok();
        });
  }));
  RETURN_IF_ERROR(analytics.Execute([&](Tx& tx) -> Status {
    RETURN_IF_ERROR(tx.Run("DELETE FROM visitor_feed_merchants"));
    for (const auto& [key, n] : shown) RETURN_IF_ERROR(AddShown(tx, key, n));
    return tx.Run("DELETE FROM meta WHERE key='feed_shown'");
  }));
  spdlog::info("event=analytics_feed_shown_filled rows={}", shown.size());
  return Ok();
}

}  // namespace

Result<bool> BindToTradingStore(Store& analytics, std::string_view trading_store_id, Store* trading) {
  ASSIGN_OR_RETURN(bool reset, analytics.ExecuteFor<bool>([&](Tx& tx) -> Result<bool> {
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
  }));
  RETURN_IF_ERROR(FillSketches(analytics));
  RETURN_IF_ERROR(internal::FillCoPurchases(analytics, trading));
  RETURN_IF_ERROR(internal::FillBuyerDays(analytics, trading));
  // After the co-purchase fill: it marks the self-purchases of rows logged before 040.
  RETURN_IF_ERROR(FillFeedSales(analytics));
  RETURN_IF_ERROR(FillFeedShown(analytics));
  return reset;
}

}  // namespace xd::insight
