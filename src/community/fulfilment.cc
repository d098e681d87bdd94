// Community orders from checkout to commission: the pricing rule (campaign price, campaign
// stock, the cutoff by the transaction's time), the observer (stock back on cancel, the leader's
// commission at completion), consolidation at the cutoff, shipping a batch, arrival, pickup codes,
// the unpicked rule, the leader's earnings and withdrawals, and the invariant check.
#include <sodium.h>

#include <algorithm>
#include <map>
#include <set>

#include "account/account.h"
#include "base/mask.h"
#include "base/id.h"
#include "base/messages.h"
#include "base/money.h"
#include "community/community.h"
#include "community/events.h"
#include "community/internal/community_internal.h"
#include "pay/pay.h"
#include "trade/states.h"

namespace xd::community {

using internal::kDayMs;
using internal::TimeOrNull;
using trade::OrderStatus;

namespace {

// What a checkout's "community" object names: the campaign, and the leader's link code or a
// pickup point chosen from the nearest.
struct CommunityRef {
  int64_t campaign_id = 0;
  std::optional<std::string> leader_code;
  std::optional<int64_t> pickup_point_id;
};

Result<CommunityRef> ParseRef(const Json& j) {
  ObjectReader r(j, "community.");
  CommunityRef ref;
  ref.campaign_id = r.Id("campaign_id");
  ref.leader_code = r.OptString("leader_code", {.min_len = 1, .max_len = 32});
  ref.pickup_point_id = r.OptId("pickup_point_id");
  RETURN_IF_ERROR(r.Finish());
  if (ref.leader_code.has_value() == ref.pickup_point_id.has_value())
    return Fail(Msg::COMMUNITY_REF_INVALID);
  return ref;
}

std::string PickupCode() {
  std::string code(6, '0');
  for (auto& ch : code) ch = static_cast<char>('0' + randombytes_uniform(10));
  return code;
}

// Stage 100: a community order's prices and campaign stock.
class CommunityPricingRule final : public trade::PricingRule {
 public:
  int stage() const override { return 100; }

  Status Apply(Reader& r, Tx* tx, trade::PricingContext& ctx) override {
    // "activity":{"community":{...}} in the checkout: nothing else may ride along.
    if (!ctx.activity.is_object() || !ctx.activity.contains("community")) return Ok();
    if (ctx.activity.size() != 1) return Fail(Msg::COMMUNITY_NO_ACTIVITY);
    const Json& community = ctx.activity["community"];
    if (!community.is_object()) return Fail(Msg::FIELD_NOT_OBJECT, {Field("community")});
    ASSIGN_OR_RETURN(CommunityRef ref, ParseRef(community));
    // The campaign's row first, share-locked to this transaction's end (PostgreSQL FOR SHARE):
    // the cutoff's consolidation changes it, so an order commits wholly before it or sees it
    // closed, while the campaign's orders, which only read it, do not wait for each other (FOR
    // UPDATE here, and the order counter each order wrote to this row, made every checkout of
    // the campaign queue on it to the commit: bursts answered 503 once the writers' lock
    // timeout ran out five times; decision 026).
    ASSIGN_OR_RETURN(auto camp, r.QueryOne("SELECT merchant_id, status, starts_at_ms, "
                                           "cutoff_at_ms, commission_bps FROM community_campaigns "
                                           "WHERE id=?" +
                                               std::string(tx ? tx->dialect().ForShare() : ""),
                                           {ref.campaign_id}));
    if (!camp) return Fail(Msg::CAMPAIGN_NOT_FOUND);
    if (camp->Int(0) != ctx.merchant_id)
      return Fail(Msg::CAMPAIGN_SKU_NOT_IN, {{"sku_id", IdString(ctx.lines.front().sku_id)}});
    // The time this transaction commits at (the writer's clock), never the page's.
    const int64_t now = tx ? tx->NowMs() : r.clock().NowMs();
    if (camp->Str(1) == "consolidated" || now >= camp->Int(3)) return Fail(Msg::CUTOFF_PASSED);
    if (camp->Str(1) != "open") return Fail(Msg::CAMPAIGN_NOT_OPEN);
    if (now < camp->Int(2)) return Fail(Msg::CAMPAIGN_NOT_STARTED);
    std::optional<Row> leader;
    if (ref.leader_code) {
      ASSIGN_OR_RETURN(leader, r.QueryOne("SELECT id, pickup_point_id, status FROM "
                                          "community_leaders WHERE code=? AND merchant_id=?",
                                          {*ref.leader_code, ctx.merchant_id}));
      if (!leader) return Fail(Msg::LEADER_NOT_FOUND);
    } else {
      ASSIGN_OR_RETURN(leader,
                       r.QueryOne("SELECT id, pickup_point_id, status FROM community_leaders WHERE "
                                  "pickup_point_id=? AND merchant_id=? "
                                  "ORDER BY CASE status WHEN 'active' THEN 0 ELSE 1 END LIMIT 1",
                                  {*ref.pickup_point_id, ctx.merchant_id}));
      if (!leader) return Fail(Msg::PICKUP_POINT_NOT_FOUND);
    }
    if (leader->Str(2) != "active") return Fail(Msg::LEADER_INACTIVE);
    int64_t off_total = 0;
    Json rates = Json::object();
    for (auto& line : ctx.lines) {
      ASSIGN_OR_RETURN(auto item,
                       r.QueryOne("SELECT price_fen, stock, sold, commission_bps FROM "
                                  "community_campaign_items WHERE campaign_id=? AND sku_id=?",
                                  {ref.campaign_id, line.sku_id}));
      if (!item) return Fail(Msg::CAMPAIGN_SKU_NOT_IN, {{"sku_id", IdString(line.sku_id)}});
      if (tx) {
        // The campaign's own stock, held by a guarded UPDATE (the CHECK refuses an oversell too).
        ASSIGN_OR_RETURN(int64_t held,
                         tx->Exec("UPDATE community_campaign_items SET sold = sold + ? WHERE "
                                  "campaign_id=? AND sku_id=? "
                                  "AND sold + ? <= stock",
                                  {line.quantity, ref.campaign_id, line.sku_id, line.quantity}));
        if (held != 1) {
          ASSIGN_OR_RETURN(int64_t left,
                           tx->QueryInt("SELECT stock - sold FROM community_campaign_items WHERE "
                                        "campaign_id=? AND sku_id=?",
                                        {ref.campaign_id, line.sku_id}));
          return Fail(Msg::CAMPAIGN_SOLD_OUT, {{"left", left}});
        }
      } else if (item->Int(2) + line.quantity > item->Int(1)) {
        return Fail(Msg::CAMPAIGN_SOLD_OUT, {{"left", item->Int(1) - item->Int(2)}});
      }
      line.unit_price_fen = std::min(item->Int(0), line.list_price_fen);
      ASSIGN_OR_RETURN(Money off,
                       Money::Fen(line.list_price_fen - line.unit_price_fen).Mul(line.quantity));
      off_total += off.fen();
      rates[IdString(line.sku_id)] = item->IsNull(3) ? camp->Int(4) : item->Int(3);
    }
    ctx.AddStep("activity", "团购价", -off_total);
    // Collected at the point: no address (it comes never), free "shipping" (pricing.cc).
    ctx.address_later = true;
    ctx.order_extra["delivery"] = "pickup";
    ctx.order_extra["community"] = Json{{"campaign_id", IdString(ref.campaign_id)},
                                        {"leader_id", IdString(leader->Int(0))},
                                        {"pickup_point_id", IdString(leader->Int(1))},
                                        {"delivery", "pickup"},
                                        {"rates", rates}};
    return Ok();
  }

  Status AfterOrderCreated(Tx& tx, const trade::PricingContext& ctx, int64_t order_id) override {
    if (!ctx.order_extra.contains("community")) return Ok();
    const Json& c = ctx.order_extra["community"];
    const int64_t campaign_id = *ParseId(c["campaign_id"].get<std::string>());
    const int64_t leader_id = *ParseId(c["leader_id"].get<std::string>());
    const int64_t point_id = *ParseId(c["pickup_point_id"].get<std::string>());
    // The clock moves while a command runs: the cutoff is decided once more here, at the
    // command's last step before its commit, and this is the time the order records (check:
    // no order created at or after its cutoff). The campaign's row is share-locked since
    // pricing, so its status is the one a consolidation will see. Nothing is written to it:
    // the campaign's order count is counted from community_orders when it is read.
    const int64_t now = tx.NowMs();
    ASSIGN_OR_RETURN(int64_t open,
                     tx.QueryInt("SELECT count(*) FROM community_campaigns WHERE id=? AND "
                                 "status='open' AND cutoff_at_ms > ?",
                                 {campaign_id, now}));
    if (open != 1) return Fail(Msg::CUTOFF_PASSED);
    // A code no open order of this point (and merchant) holds: the partial unique index refuses
    // a twin, and another draw follows (10^6 codes; a collision is rare).
    bool inserted = false;
    for (int attempt = 0; attempt < 8 && !inserted; ++attempt) {
      ASSIGN_OR_RETURN(
          int64_t n,
          tx.Exec("INSERT INTO community_orders(order_id, merchant_id, campaign_id, leader_id, "
                  "pickup_point_id, buyer_id, "
                  "pickup_code, created_at_ms) VALUES(?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING",
                  {order_id, ctx.merchant_id, campaign_id, leader_id, point_id, ctx.buyer_id,
                   PickupCode(), now}));
      inserted = n == 1;
    }
    if (!inserted) return Fail(ErrorCode::UNAVAILABLE, "no free pickup code");
    for (auto& line : ctx.lines)
      RETURN_IF_ERROR(
          tx.Run("INSERT INTO community_order_items(id, merchant_id, order_id, sku_id, "
                 "unit_price_fen, quantity, commission_bps) "
                 "VALUES(?,?,?,?,?,?,?)",
                 {tx.NewId(), ctx.merchant_id, order_id, line.sku_id, line.unit_price_fen,
                  line.quantity, c["rates"][IdString(line.sku_id)].get<int64_t>()}));
    return Ok();
  }
};

// The order's community row: (leader, is_open, picked_fen), if it is a community order.
Result<std::optional<Row>> CommunityRow(Reader& r, int64_t order_id) {
  return r.QueryOne(
      "SELECT leader_id, is_open, picked_fen, campaign_id, batch_id FROM community_orders WHERE "
      "order_id=?",
      {order_id});
}

Result<std::vector<internal::CommissionLine>> CommissionLines(Reader& r, int64_t order_id) {
  ASSIGN_OR_RETURN(Rows rows, r.Query("SELECT unit_price_fen, picked, commission_bps FROM "
                                      "community_order_items WHERE order_id=? ORDER BY id",
                                      {order_id}));
  std::vector<internal::CommissionLine> out;
  for (auto& row : rows) out.push_back({row.Int(0), row.Int(1), row.Int(2)});
  return out;
}

class CommunityObserver final : public trade::OrderObserver {
 public:
  explicit CommunityObserver(trade::TradeService& trade) : trade_(trade) {}

  // A cancel gives campaign stock back: the campaign's item rows, which a checkout locks (its
  // guarded `sold` UPDATE) before it reserves the SKU's stock, are locked before trade's.
  Status LockRows(Tx& tx, const trade::Order& o, trade::OrderChange change) override {
    if (change != trade::OrderChange::kCancel) return Ok();
    ASSIGN_OR_RETURN(auto co, CommunityRow(tx, o.id));
    if (!co) return Ok();
    ASSIGN_OR_RETURN(Rows lines, tx.Query("SELECT DISTINCT sku_id FROM community_order_items "
                                          "WHERE order_id=? ORDER BY sku_id",
                                          {o.id}));
    for (auto& l : lines)
      RETURN_IF_ERROR(ToStatus(tx.QueryOne("SELECT id FROM community_campaign_items WHERE "
                                           "campaign_id=? AND sku_id=?" +
                                               std::string(tx.dialect().ForUpdate()),
                                           {co->Int(3), l.Int(0)})));
    return Ok();
  }

  Status OnCancelled(Tx& tx, const trade::Order& o) override {
    ASSIGN_OR_RETURN(auto co, CommunityRow(tx, o.id));
    if (!co) return Ok();
    // An unpaid order gives its campaign stock back (nothing was handed over).
    ASSIGN_OR_RETURN(
        Rows lines,
        tx.Query("SELECT sku_id, quantity FROM community_order_items WHERE order_id=?", {o.id}));
    for (auto& l : lines)
      RETURN_IF_ERROR(tx.Run(
          "UPDATE community_campaign_items SET sold = sold - ? WHERE campaign_id=? AND sku_id=?",
          {l.Int(1), co->Int(3), l.Int(0)}));
    return tx.Run("UPDATE community_orders SET is_open=0 WHERE order_id=?", {o.id});
  }

  Status OnCompleting(Tx& tx, const trade::Order& o, std::vector<pay::Posting>* shares) override {
    ASSIGN_OR_RETURN(auto co, CommunityRow(tx, o.id));
    if (!co) return Ok();
    const int64_t leader_id = co->Int(0);
    ASSIGN_OR_RETURN(auto lines, CommissionLines(tx, o.id));
    int64_t kept = o.provider_paid_fen + o.card_paid_fen - o.refunded_fen;
    int64_t commission = internal::CommissionFor(lines, kept);
    // Never more than the merchant nets after the platform's commission and other shares.
    int64_t room = kept - o.commission_fen;
    for (auto& p : *shares) room -= p.amount_fen;
    commission = std::clamp<int64_t>(commission, 0, std::max<int64_t>(room, 0));
    RETURN_IF_ERROR(
        tx.Run("UPDATE community_orders SET commission_fen=?, is_open=0 WHERE order_id=?",
               {commission, o.id}));
    if (commission == 0) return Ok();
    shares->push_back({internal::LeaderHoldAccount(leader_id), commission});
    // Held as long as the merchant's earnings are (its kind's hold), then withdrawable.
    ASSIGN_OR_RETURN(account::Merchant m, account::GetMerchant(tx, o.merchant_id));
    return ToStatus(tx.AddTimer(kTimerRelease, tx.NowMs() + m.settings.hold_days * kDayMs,
                                Json{{"order_id", o.id}}));
  }

  Status OnRefunded(Tx& tx, const trade::Order& o, int64_t) override {
    ASSIGN_OR_RETURN(auto co, CommunityRow(tx, o.id));
    if (!co) return Ok();
    if (o.status == OrderStatus::kRefunded)
      return tx.Run("UPDATE community_orders SET is_open=0 WHERE order_id=?", {o.id});
    // The unpicked rule refunded what was left at the point (the code closed then): what was
    // picked up completes, paying the leader on it.
    if (co->Int(1) == 0 && o.status == OrderStatus::kDelivered)
      return trade_.Confirm(tx, o.id, std::nullopt);
    return Ok();
  }

 private:
  trade::TradeService& trade_;
};

// Orders of a batch whose money stays (paid in full: paid, shipped, delivered, completed).
std::string PaidSql() { return "o.status IN (" + trade::OrderStatusSql(trade::PaidInFull) + ")"; }

Result<Json> BatchJson(Reader& r, const Row& b, bool for_merchant) {
  // b: id, merchant_id, campaign_id, pickup_point_id, leader_id, status, carrier, tracking_no,
  // shipped, arrived, deadline, created
  const int64_t batch_id = b.Int(0);
  ASSIGN_OR_RETURN(
      auto camp,
      r.QueryOne("SELECT title, pickup_date, cutoff_at_ms FROM community_campaigns WHERE id=?",
                 {b.Int(2)}));
  ASSIGN_OR_RETURN(auto point,
                   r.QueryOne("SELECT name, address, hours FROM community_pickup_points WHERE id=?",
                              {b.Int(3)}));
  ASSIGN_OR_RETURN(auto leader,
                   r.QueryOne("SELECT name, phone FROM community_leaders WHERE id=?", {b.Int(4)}));
  ASSIGN_OR_RETURN(
      Rows picking,
      r.Query("SELECT oi.sku_id, oi.title, SUM(oi.quantity) FROM community_orders co JOIN orders o "
              "ON o.id = co.order_id "
              "JOIN order_items oi ON oi.order_id = co.order_id WHERE co.batch_id=? AND " +
                  PaidSql() + " GROUP BY oi.sku_id, oi.title ORDER BY oi.sku_id",
              {batch_id}));
  Json pick = Json::array();
  int64_t units = 0;
  for (auto& p : picking) {
    pick.push_back(
        Json{{"sku_id", IdString(p.Int(0))}, {"title", p.Str(1)}, {"quantity", p.Int(2)}});
    units += p.Int(2);
  }
  ASSIGN_OR_RETURN(Rows orders,
                   r.Query("SELECT co.order_id, o.status, o.total_fen, u.nickname, u.phone, "
                           "co.picked_fen, co.is_open "
                           "FROM community_orders co JOIN orders o ON o.id = co.order_id JOIN "
                           "users u ON u.id = co.buyer_id "
                           "WHERE co.batch_id=? AND o.status <> 'cancelled' ORDER BY co.order_id",
                           {batch_id}));
  Json buyers = Json::array();
  for (auto& row : orders) {
    ASSIGN_OR_RETURN(
        Rows lines,
        r.Query("SELECT ci.sku_id, oi.title, ci.quantity, ci.picked FROM community_order_items ci "
                "JOIN order_items oi ON oi.order_id = ci.order_id AND oi.sku_id = ci.sku_id WHERE "
                "ci.order_id=? ORDER BY ci.id",
                {row.Int(0)}));
    Json li = Json::array();
    for (auto& l : lines)
      li.push_back(Json{{"sku_id", IdString(l.Int(0))},
                        {"title", l.Str(1)},
                        {"quantity", l.Int(2)},
                        {"picked", l.Int(3)}});
    buyers.push_back(Json{{"order_id", IdString(row.Int(0))},
                          {"status", row.Str(1)},
                          {"total_fen", row.Int(2)},
                          {"nickname", row.Str(3)},
                          {"phone", MaskPhone(row.Str(4))},
                          {"picked_fen", row.Int(5)},
                          {"pickup_open", row.Int(6) == 1},
                          {"items", li}});
  }
  Json j{{"id", IdString(batch_id)},
         {"merchant_id", IdString(b.Int(1))},
         {"campaign",
          {{"id", IdString(b.Int(2))},
           {"title", camp ? camp->Str(0) : ""},
           {"pickup_date", camp ? camp->Str(1) : ""}}},
         {"pickup_point",
          {{"id", IdString(b.Int(3))},
           {"name", point ? point->Str(0) : ""},
           {"address", point ? point->Str(1) : ""},
           {"hours", point ? point->Str(2) : ""}}},
         {"leader",
          {{"id", IdString(b.Int(4))},
           {"name", leader ? leader->Str(0) : ""},
           {"phone", leader ? (for_merchant ? leader->Str(1) : MaskPhone(leader->Str(1))) : ""}}},
         {"status", b.Str(5)},
         {"carrier", b.Str(6)},
         {"tracking_no", b.Str(7)},
         {"shipped_at", TimeOrNull(b.OptInt(8))},
         {"arrived_at", TimeOrNull(b.OptInt(9))},
         {"pickup_deadline", TimeOrNull(b.OptInt(10))},
         {"created_at", FormatRfc3339(b.Int(11))},
         {"picking_list", pick},
         {"units", units},
         {"buyers", buyers}};
  return j;
}

constexpr const char* kBatchCols =
    "SELECT id, merchant_id, campaign_id, pickup_point_id, leader_id, status, carrier, "
    "tracking_no, shipped_at_ms, arrived_at_ms, "
    "pickup_deadline_ms, created_at_ms FROM community_batches ";

// The cutoff: closes the campaign and makes one batch per pickup point with orders.
Status Consolidate(Tx& tx, int64_t campaign_id) {
  ASSIGN_OR_RETURN(
      auto camp,
      tx.QueryOne(
          "SELECT merchant_id, cutoff_at_ms FROM community_campaigns WHERE id=? AND status='open'",
          {campaign_id}));
  if (!camp) return Ok();  // consolidated already, or cancelled
  const int64_t now = tx.NowMs();
  // A timer may be polled a moment early on another node's clock: come back at the cutoff.
  if (now < camp->Int(1))
    return ToStatus(tx.AddTimer(kTimerCutoff, camp->Int(1), Json{{"campaign_id", campaign_id}}));
  ASSIGN_OR_RETURN(int64_t closed, tx.Exec("UPDATE community_campaigns SET status='consolidated', "
                                           "consolidated_at_ms=?, updated_at_ms=? "
                                           "WHERE id=? AND status='open'",
                                           {now, now, campaign_id}));
  if (closed != 1) return Ok();
  const int64_t merchant_id = camp->Int(0);
  ASSIGN_OR_RETURN(Rows points,
                   tx.Query("SELECT co.pickup_point_id, MIN(co.leader_id), count(*) FROM "
                            "community_orders co JOIN orders o ON o.id = co.order_id "
                            "WHERE co.campaign_id=? AND o.status <> 'cancelled' GROUP BY "
                            "co.pickup_point_id ORDER BY co.pickup_point_id",
                            {campaign_id}));
  Json batches = Json::array();
  for (auto& p : points) {
    int64_t batch_id = tx.NewId();
    RETURN_IF_ERROR(
        tx.Run("INSERT INTO community_batches(id, merchant_id, campaign_id, pickup_point_id, "
               "leader_id, status, created_at_ms) "
               "VALUES(?,?,?,?,?,'consolidated',?)",
               {batch_id, merchant_id, campaign_id, p.Int(0), p.Int(1), now}));
    // Every order of the point (those cancelled too: in no list, but never in two batches).
    RETURN_IF_ERROR(
        tx.Run("UPDATE community_orders SET batch_id=? WHERE campaign_id=? AND pickup_point_id=? "
               "AND batch_id IS NULL",
               {batch_id, campaign_id, p.Int(0)}));
    batches.push_back(Json{{"batch_id", IdString(batch_id)},
                           {"pickup_point_id", IdString(p.Int(0))},
                           {"orders", p.Int(2)}});
    RETURN_IF_ERROR(Emit(tx, BatchChanged{"consolidated", batch_id, merchant_id,
                                          Json{{"campaign_id", IdString(campaign_id)},
                                               {"pickup_point_id", IdString(p.Int(0))},
                                               {"orders", p.Int(2)}}}));
  }
  return Ok();
}

// N days past arrival: each order still open at the point is refunded (what was not picked up;
// stock is not returned: perishable) or completed, by its campaign's rule.
Status ApplyUnpicked(Tx& tx, trade::TradeService& trade, int64_t batch_id) {
  ASSIGN_OR_RETURN(auto b,
                   tx.QueryOne("SELECT b.merchant_id, c.unpicked_rule FROM community_batches b "
                               "JOIN community_campaigns c ON c.id = b.campaign_id "
                               "WHERE b.id=? AND b.status='arrived'",
                               {batch_id}));
  if (!b) return Ok();
  const std::string rule = b->Str(1);
  ASSIGN_OR_RETURN(
      Rows open,
      tx.Query("SELECT co.order_id, co.buyer_id, co.picked_fen FROM community_orders co JOIN "
               "orders o ON o.id = co.order_id "
               "WHERE co.batch_id=? AND co.is_open=1 AND o.status=? ORDER BY co.order_id",
               {batch_id, trade::ToString(OrderStatus::kDelivered)}));
  for (auto& row : open) {
    const int64_t order_id = row.Int(0);
    RETURN_IF_ERROR(tx.Run("UPDATE community_orders SET is_open=0 WHERE order_id=?", {order_id}));
    RETURN_IF_ERROR(Emit(tx, OrderPickupEvent{"unpicked", order_id, b->Int(0), row.Int(1),
                                              Json{{"rule", rule}, {"picked_fen", row.Int(2)}}}));
    if (rule == "complete") {
      RETURN_IF_ERROR(trade.Confirm(tx, order_id, std::nullopt));
      continue;
    }
    ASSIGN_OR_RETURN(auto o, tx.QueryOne("SELECT provider_paid_fen + card_paid_fen - refunded_fen, "
                                         "items_fen FROM orders WHERE id=?",
                                         {order_id}));
    ASSIGN_OR_RETURN(
        Rows lines,
        tx.Query(
            "SELECT unit_price_fen, quantity, picked FROM community_order_items WHERE order_id=?",
            {order_id}));
    int64_t value = 0, unpicked = 0;
    for (auto& l : lines) {
      value += l.Int(0) * l.Int(1);
      unpicked += l.Int(0) * (l.Int(1) - l.Int(2));
    }
    const int64_t kept = o->Int(0);
    // The buyer's money for what stayed at the point (all of it when nothing was picked up).
    int64_t refund = row.Int(2) == 0 || value == 0
                         ? kept
                         : static_cast<int64_t>(static_cast<__int128>(kept) * unpicked / value);
    if (refund <= 0) {
      RETURN_IF_ERROR(trade.Confirm(tx, order_id, std::nullopt));
      continue;
    }
    // A refund-only request on the buyer's behalf, approved by the system (the after-sales
    // path refunds delivered orders; the goods are not restocked). A partial refund returns the
    // order to delivered; the observer completes it then.
    ASSIGN_OR_RETURN(trade::Aftersale as,
                     trade.RequestAftersale(tx, row.Int(1), order_id,
                                            trade::AftersaleRequest{.type = "refund_only", .amount_fen = refund,
                                                                    .reason = "逾期未提货退款"}));
    RETURN_IF_ERROR(ToStatus(trade.ApproveAftersale(tx, as.id, std::nullopt)));
  }
  return Ok();
}

Status RemindUnpicked(Tx& tx, int64_t batch_id) {
  ASSIGN_OR_RETURN(auto b, tx.QueryOne("SELECT merchant_id, pickup_deadline_ms FROM "
                                       "community_batches WHERE id=? AND status='arrived'",
                                       {batch_id}));
  if (!b) return Ok();
  ASSIGN_OR_RETURN(Rows open, tx.Query("SELECT order_id, buyer_id FROM community_orders WHERE "
                                       "batch_id=? AND is_open=1 AND reminded_at_ms IS NULL",
                                       {batch_id}));
  for (auto& row : open) {
    RETURN_IF_ERROR(tx.Run("UPDATE community_orders SET reminded_at_ms=? WHERE order_id=?",
                           {tx.NowMs(), row.Int(0)}));
    RETURN_IF_ERROR(
        Emit(tx, OrderPickupEvent{"pickup_reminder", row.Int(0), b->Int(0), row.Int(1),
                                  Json{{"pickup_deadline", FormatRfc3339(b->Int(1))}}}));
  }
  return Ok();
}

Status ReleaseCommission(Tx& tx, int64_t order_id) {
  ASSIGN_OR_RETURN(
      auto co,
      tx.QueryOne("SELECT leader_id, commission_fen FROM community_orders WHERE order_id=?",
                  {order_id}));
  if (!co || co->Int(1) == 0) return Ok();
  // Once per order: the journal (kind, ref) says whether it moved already.
  ASSIGN_OR_RETURN(
      int64_t done,
      tx.QueryInt(
          "SELECT count(*) FROM journal WHERE kind='community.commission_release' AND ref_id=?",
          {order_id}));
  if (done > 0) return Ok();
  return ToStatus(pay::Post(tx, "community.commission_release", order_id,
                            {{internal::LeaderHoldAccount(co->Int(0)), -co->Int(1)},
                             {internal::LeaderAccount(co->Int(0)), co->Int(1)}}));
}

}  // namespace

namespace internal {

int64_t CommissionFor(const std::vector<CommissionLine>& lines, int64_t kept_fen) {
  int64_t picked_value = 0;
  for (auto& l : lines) picked_value += l.unit_price_fen * l.picked;
  if (picked_value <= 0 || kept_fen <= 0) return 0;
  const int64_t base_total = std::min(picked_value, kept_fen);
  int64_t total = 0;
  for (auto& l : lines) {
    const int64_t line_value = l.unit_price_fen * l.picked;
    const int64_t base =
        static_cast<int64_t>(static_cast<__int128>(line_value) * base_total / picked_value);
    total += static_cast<int64_t>(static_cast<__int128>(base) * l.commission_bps / 10000);
  }
  return total;
}

std::shared_ptr<trade::PricingRule> NewCommunityPricingRule() {
  return std::make_shared<CommunityPricingRule>();
}
std::shared_ptr<trade::OrderObserver> NewCommunityObserver(trade::TradeService& trade) {
  return std::make_shared<CommunityObserver>(trade);
}

}  // namespace internal

void CommunityService::Install(TimerService& timers) {
  trade_.AddPricingRule(internal::NewCommunityPricingRule());
  trade_.AddObserver(internal::NewCommunityObserver(trade_));
  timers.Register(kTimerCutoff, [](Tx& tx, const Json& p) {
    return Consolidate(tx, p.at("campaign_id").get<int64_t>());
  });
  timers.Register(kTimerReminder, [](Tx& tx, const Json& p) {
    return RemindUnpicked(tx, p.at("batch_id").get<int64_t>());
  });
  timers.Register(kTimerUnpicked, [this](Tx& tx, const Json& p) {
    return ApplyUnpicked(tx, trade_, p.at("batch_id").get<int64_t>());
  });
  timers.Register(kTimerRelease, [](Tx& tx, const Json& p) {
    return ReleaseCommission(tx, p.at("order_id").get<int64_t>());
  });
}

// ---- batches ----

Result<Json> CommunityService::LeaderBatches(Reader& r, int64_t user_id, int64_t leader_id) {
  ASSIGN_OR_RETURN(Leader l, internal::OwnLeader(r, user_id, leader_id, false));
  ASSIGN_OR_RETURN(Rows rows,
                   r.Query(std::string(kBatchCols) +
                               "WHERE leader_id=? AND merchant_id=? ORDER BY id DESC LIMIT 50",
                           {l.id, l.merchant_id}));
  Json items = Json::array();
  for (auto& b : rows) {
    ASSIGN_OR_RETURN(Json j, BatchJson(r, b, false));
    items.push_back(std::move(j));
  }
  return Json{{"items", items}};
}

Result<Json> CommunityService::MerchantBatches(Reader& r, int64_t merchant_id,
                                               std::optional<int64_t> campaign_id) {
  ASSIGN_OR_RETURN(
      Rows rows,
      r.Query(std::string(kBatchCols) +
                  "WHERE merchant_id=? AND (?=0 OR campaign_id=?) ORDER BY id DESC LIMIT 200",
              {merchant_id, campaign_id.value_or(0), campaign_id.value_or(0)}));
  Json items = Json::array();
  for (auto& b : rows) {
    ASSIGN_OR_RETURN(Json j, BatchJson(r, b, true));
    items.push_back(std::move(j));
  }
  return Json{{"items", items}};
}

Result<Json> CommunityService::MerchantBatch(Reader& r, int64_t merchant_id, int64_t batch_id) {
  ASSIGN_OR_RETURN(auto b, r.QueryOne(std::string(kBatchCols) + "WHERE id=? AND merchant_id=?",
                                      {batch_id, merchant_id}));
  if (!b) return Fail(Msg::BATCH_NOT_FOUND);
  return BatchJson(r, *b, true);
}

namespace {
std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"') out += '"';
    out += ch;
  }
  return out + "\"";
}
}  // namespace

Result<std::string> CommunityService::BatchCsv(Reader& r, int64_t merchant_id, int64_t batch_id) {
  ASSIGN_OR_RETURN(Json b, MerchantBatch(r, merchant_id, batch_id));
  std::string out = "\xEF\xBB\xBF";  // a BOM, so spreadsheet programs read the Chinese as UTF-8
  out += "拣货单," + CsvField(b["campaign"]["title"].get<std::string>()) + "," +
         CsvField(b["pickup_point"]["name"].get<std::string>()) + "\n";
  out += "sku_id,商品,数量\n";
  for (auto& p : b["picking_list"])
    out += p["sku_id"].get<std::string>() + "," + CsvField(p["title"].get<std::string>()) + "," +
           std::to_string(p["quantity"].get<int64_t>()) + "\n";
  out += "\n订单,买家,手机,商品,金额(元),状态\n";
  for (auto& o : b["buyers"]) {
    std::string items;
    for (auto& it : o["items"])
      items += (items.empty() ? "" : "; ") + it["title"].get<std::string>() + "×" +
               std::to_string(it["quantity"].get<int64_t>());
    int64_t fen = o["total_fen"].get<int64_t>();
    out += o["order_id"].get<std::string>() + "," + CsvField(o["nickname"].get<std::string>()) +
           "," + o["phone"].get<std::string>() + "," + CsvField(items) + "," +
           std::to_string(fen / 100) + "." + (fen % 100 < 10 ? "0" : "") +
           std::to_string(fen % 100) + "," + o["status"].get<std::string>() + "\n";
  }
  return out;
}

Result<Json> CommunityService::ShipBatch(Tx& tx, int64_t merchant_id, int64_t batch_id,
                                         const std::string& carrier,
                                         const std::string& tracking_no) {
  const int64_t now = tx.NowMs();
  ASSIGN_OR_RETURN(int64_t moved, tx.Exec("UPDATE community_batches SET status='shipped', "
                                          "carrier=?, tracking_no=?, shipped_at_ms=? "
                                          "WHERE id=? AND merchant_id=? AND status='consolidated'",
                                          {carrier, tracking_no, now, batch_id, merchant_id}));
  if (moved != 1) {
    ASSIGN_OR_RETURN(auto exists,
                     tx.QueryOne("SELECT id FROM community_batches WHERE id=? AND merchant_id=?",
                                 {batch_id, merchant_id}));
    return Fail(exists ? Msg::BATCH_STATE : Msg::BATCH_NOT_FOUND);
  }
  ASSIGN_OR_RETURN(Rows orders, tx.Query("SELECT co.order_id, o.status FROM community_orders co "
                                         "JOIN orders o ON o.id = co.order_id "
                                         "WHERE co.batch_id=? ORDER BY co.order_id",
                                         {batch_id}));
  int64_t shipped = 0, cancelled = 0;
  for (auto& row : orders) {
    if (row.Str(1) == trade::ToString(OrderStatus::kPaid)) {
      // Community orders complete at pickup (or by the unpicked rule): the auto-confirm timer
      // trade sets for a shipped order (payload {"order_id"}) is taken back at once.
      RETURN_IF_ERROR(trade_.MarkShipped(tx, merchant_id, row.Int(0)));
      // The kind as a literal: the partial index timers_auto_confirm_payload (migration 035)
      // serves only a query that names its kind, never a bound parameter.
      ASSIGN_OR_RETURN(auto timer,
                       tx.QueryOne(std::string("SELECT id FROM timers WHERE kind='") +
                                       trade::kTimerAutoConfirm + "' AND payload=?",
                                   {DumpJson(Json{{"order_id", row.Int(0)}})}));
      if (timer) RETURN_IF_ERROR(tx.CancelTimer(timer->Int(0)));
      ++shipped;
    } else if (row.Str(1) == trade::ToString(OrderStatus::kCreated)) {
      // Still unpaid when its batch leaves: the cutoff has passed, so it is not coming.
      RETURN_IF_ERROR(trade_.Cancel(tx, row.Int(0), std::nullopt, "unpaid when the batch shipped"));
      ++cancelled;
    }
  }
  RETURN_IF_ERROR(Emit(tx, BatchChanged{"shipped", batch_id, merchant_id,
                                        Json{{"carrier", carrier},
                                             {"tracking_no", tracking_no},
                                             {"orders", shipped},
                                             {"cancelled_unpaid", cancelled}}}));
  ASSIGN_OR_RETURN(auto b, tx.QueryOne(std::string(kBatchCols) + "WHERE id=?", {batch_id}));
  return BatchJson(tx, *b, true);
}

Result<Json> CommunityService::MarkArrived(Tx& tx, int64_t user_id, int64_t leader_id,
                                           int64_t batch_id) {
  ASSIGN_OR_RETURN(Leader l, internal::OwnLeader(tx, user_id, leader_id, true));
  ASSIGN_OR_RETURN(auto b, tx.QueryOne("SELECT b.status, c.unpicked_days FROM community_batches b "
                                       "JOIN community_campaigns c ON c.id = b.campaign_id "
                                       "WHERE b.id=? AND b.leader_id=? AND b.merchant_id=?",
                                       {batch_id, l.id, l.merchant_id}));
  if (!b) return Fail(Msg::BATCH_NOT_FOUND);  // another leader's batch: nothing to say about it
  if (b->Str(0) != "shipped") return Fail(Msg::BATCH_STATE);
  const int64_t now = tx.NowMs(), deadline = now + b->Int(1) * kDayMs;
  ASSIGN_OR_RETURN(int64_t moved,
                   tx.Exec("UPDATE community_batches SET status='arrived', arrived_at_ms=?, "
                           "pickup_deadline_ms=? WHERE id=? AND status='shipped'",
                           {now, deadline, batch_id}));
  if (moved != 1) return Fail(Msg::BATCH_STATE);
  ASSIGN_OR_RETURN(Rows orders, tx.Query("SELECT co.order_id, co.buyer_id, co.pickup_code FROM "
                                         "community_orders co JOIN orders o ON o.id = co.order_id "
                                         "WHERE co.batch_id=? AND o.status=? ORDER BY co.order_id",
                                         {batch_id, trade::ToString(OrderStatus::kShipped)}));
  for (auto& row : orders) {
    RETURN_IF_ERROR(trade_.MarkDelivered(tx, row.Int(0)));
    // The buyer's notification: where, until when (the code stays the buyer's).
    RETURN_IF_ERROR(
        Emit(tx, OrderPickupEvent{"ready_for_pickup", row.Int(0), l.merchant_id, row.Int(1),
                                  Json{{"pickup_point", ToJson(l.point)},
                                       {"pickup_deadline", FormatRfc3339(deadline)}}}));
  }
  if (deadline - kDayMs > now)
    RETURN_IF_ERROR(
        ToStatus(tx.AddTimer(kTimerReminder, deadline - kDayMs, Json{{"batch_id", batch_id}})));
  RETURN_IF_ERROR(ToStatus(tx.AddTimer(kTimerUnpicked, deadline, Json{{"batch_id", batch_id}})));
  RETURN_IF_ERROR(Emit(tx, BatchChanged{"arrived", batch_id, l.merchant_id,
                                        Json{{"orders", static_cast<int64_t>(orders.size())},
                                             {"pickup_deadline", FormatRfc3339(deadline)}}}));
  ASSIGN_OR_RETURN(auto row, tx.QueryOne(std::string(kBatchCols) + "WHERE id=?", {batch_id}));
  return BatchJson(tx, *row, false);
}

namespace {

// Why `code` names no open order at the leader's point: PICKUP_CODE_USED when an order picked up
// under it is closed, else PICKUP_CODE_NOT_FOUND (whoever's it may be elsewhere).
std::unexpected<Error> NoOpenOrder(Reader& r, const Leader& l, const std::string& code) {
  ASSIGN_OR_RETURN(int64_t used, r.QueryInt("SELECT count(*) FROM community_orders WHERE "
                                            "pickup_point_id=? AND merchant_id=? AND pickup_code=? "
                                            "AND is_open=0 AND picked_fen > 0",
                                            {l.pickup_point_id, l.merchant_id, code}));
  return Fail(used > 0 ? Msg::PICKUP_CODE_USED : Msg::PICKUP_CODE_NOT_FOUND);
}

}  // namespace

Result<Json> CommunityService::VerifyPickup(Tx& tx, int64_t user_id, int64_t leader_id,
                                            const std::string& code,
                                            const std::vector<trade::LineRequest>& items) {
  ASSIGN_OR_RETURN(Leader l, internal::OwnLeader(tx, user_id, leader_id, true));
  // Only this point's open orders of this merchant: a code anywhere else is unknown here.
  ASSIGN_OR_RETURN(
      auto co,
      tx.QueryOne(
          "SELECT co.order_id, co.buyer_id, b.status FROM community_orders co "
          "LEFT JOIN community_batches b ON b.id = co.batch_id "
          "WHERE co.pickup_point_id=? AND co.merchant_id=? AND co.pickup_code=? AND co.is_open=1" +
              std::string(tx.dialect().ForUpdate().empty() ? "" : " FOR UPDATE OF co"),
          {l.pickup_point_id, l.merchant_id, code}));
  if (!co) return NoOpenOrder(tx, l, code);
  const int64_t order_id = co->Int(0);
  if (co->IsNull(2) || co->Str(2) != "arrived") return Fail(Msg::PICKUP_NOT_ARRIVED);
  ASSIGN_OR_RETURN(Rows lines, tx.Query("SELECT sku_id, quantity, picked, unit_price_fen FROM "
                                        "community_order_items WHERE order_id=? ORDER BY id",
                                        {order_id}));
  std::map<int64_t, int64_t> want;  // sku → units handed over now
  if (items.empty()) {
    for (auto& l2 : lines)
      if (l2.Int(2) < l2.Int(1)) want[l2.Int(0)] = l2.Int(1) - l2.Int(2);
    if (want.empty()) return Fail(Msg::PICKUP_CODE_USED);
  } else {
    for (auto& it : items) want[it.sku_id] += it.quantity;
  }
  int64_t amount = 0;
  Json handed = Json::array();
  for (auto& [sku, qty] : want) {
    auto line = std::ranges::find_if(lines, [&](const Row& x) { return x.Int(0) == sku; });
    if (line == lines.end()) return Fail(Msg::PICKUP_ITEMS_EXCEED);
    // Guarded: of concurrent verifications, only units still there are handed over.
    ASSIGN_OR_RETURN(int64_t changed,
                     tx.Exec("UPDATE community_order_items SET picked = picked + ? WHERE "
                             "order_id=? AND sku_id=? AND picked + ? <= quantity",
                             {qty, order_id, sku, qty}));
    if (changed != 1) return Fail(items.empty() ? Msg::PICKUP_CODE_USED : Msg::PICKUP_ITEMS_EXCEED);
    amount += line->Int(3) * qty;
    handed.push_back(Json{{"sku_id", IdString(sku)}, {"quantity", qty}});
  }
  const int64_t now = tx.NowMs();
  RETURN_IF_ERROR(tx.Run(
      "UPDATE community_orders SET picked_fen = picked_fen + ?, picked_at_ms=? WHERE order_id=?",
      {amount, now, order_id}));
  RETURN_IF_ERROR(
      tx.Run("INSERT INTO community_pickups(id, merchant_id, order_id, leader_id, items, "
             "amount_fen, picked_at_ms) VALUES(?,?,?,?,?,?,?)",
             {tx.NewId(), l.merchant_id, order_id, l.id, DumpJson(handed), amount, now}));
  ASSIGN_OR_RETURN(
      int64_t left,
      tx.QueryInt(
          "SELECT COALESCE(SUM(quantity - picked), 0) FROM community_order_items WHERE order_id=?",
          {order_id}));
  RETURN_IF_ERROR(Emit(
      tx, OrderPickupEvent{"picked_up", order_id, l.merchant_id, co->Int(1),
                           Json{{"items", handed}, {"amount_fen", amount}, {"units_left", left}}}));
  if (left == 0) RETURN_IF_ERROR(trade_.Confirm(tx, order_id, std::nullopt));  // commission
  ASSIGN_OR_RETURN(auto after, tx.QueryOne("SELECT status FROM orders WHERE id=?", {order_id}));
  return Json{{"order_id", IdString(order_id)},
              {"picked", handed},
              {"amount_fen", amount},
              {"units_left", left},
              {"order_status", after ? after->Str(0) : ""}};
}

Result<Json> CommunityService::PickupPreview(Reader& r, int64_t user_id, int64_t leader_id,
                                             const std::string& code) {
  ASSIGN_OR_RETURN(Leader l, internal::OwnLeader(r, user_id, leader_id, true));
  // The same scope as VerifyPickup: this point's open orders of this merchant only.
  ASSIGN_OR_RETURN(
      auto co, r.QueryOne("SELECT co.order_id, u.nickname, u.phone, b.status FROM community_orders "
                          "co JOIN users u ON u.id = co.buyer_id LEFT JOIN community_batches b ON "
                          "b.id = co.batch_id WHERE co.pickup_point_id=? AND co.merchant_id=? AND "
                          "co.pickup_code=? AND co.is_open=1",
                          {l.pickup_point_id, l.merchant_id, code}));
  if (!co) return NoOpenOrder(r, l, code);
  if (co->IsNull(3) || co->Str(3) != "arrived") return Fail(Msg::PICKUP_NOT_ARRIVED);
  const int64_t order_id = co->Int(0);
  ASSIGN_OR_RETURN(
      Rows lines,
      r.Query("SELECT ci.sku_id, ci.quantity, ci.picked, (SELECT oi.title FROM order_items oi "
              "WHERE oi.order_id = ci.order_id AND oi.sku_id = ci.sku_id ORDER BY oi.id LIMIT 1) "
              "FROM community_order_items ci WHERE ci.order_id=? ORDER BY ci.id",
              {order_id}));
  Json items = Json::array();
  for (const Row& x : lines)
    items.push_back(Json{{"sku_id", IdString(x.Int(0))},
                         {"title", x.IsNull(3) ? "" : x.Str(3)},
                         {"quantity", x.Int(1)},
                         {"picked", x.Int(2)}});
  return Json{{"order_id", IdString(order_id)},
              {"code", code},
              {"buyer", {{"nickname", co->Str(1)}, {"phone", MaskPhone(co->Str(2))}}},
              {"lines", std::move(items)}};
}

Result<Json> CommunityService::PickupCodeOf(Reader& r, int64_t buyer_id, int64_t order_id) {
  ASSIGN_OR_RETURN(auto row, r.QueryOne("SELECT co.pickup_code, co.is_open, co.picked_fen, p.name, "
                                        "p.address, p.hours, b.status, b.pickup_deadline_ms, "
                                        "c.pickup_date, l.name FROM community_orders co JOIN "
                                        "community_pickup_points p ON p.id = co.pickup_point_id "
                                        "JOIN community_campaigns c ON c.id = co.campaign_id JOIN "
                                        "community_leaders l ON l.id = co.leader_id "
                                        "LEFT JOIN community_batches b ON b.id = co.batch_id WHERE "
                                        "co.order_id=? AND co.buyer_id=?",
                                        {order_id, buyer_id}));
  if (!row) {
    ASSIGN_OR_RETURN(auto mine, r.QueryOne("SELECT id FROM orders WHERE id=? AND buyer_id=?",
                                           {order_id, buyer_id}));
    return Fail(mine ? Msg::PICKUP_CODE_NONE : Msg::ORDER_NOT_FOUND);
  }
  return Json{{"order_id", IdString(order_id)},
              {"pickup_code", row->Str(0)},
              {"open", row->Int(1) == 1},
              {"picked_fen", row->Int(2)},
              {"pickup_point",
               {{"name", row->Str(3)},
                {"address", row->Str(4)},
                {"hours", row->Str(5)},
                {"leader_name", row->Str(9)}}},
              {"batch_status", row->IsNull(6) ? Json(nullptr) : Json(row->Str(6))},
              {"pickup_deadline", TimeOrNull(row->OptInt(7))},
              {"pickup_date", row->Str(8)}};
}

// ---- earnings ----

Result<Json> CommunityService::Earnings(Reader& r, int64_t user_id, int64_t leader_id) {
  ASSIGN_OR_RETURN(Leader l, internal::OwnLeader(r, user_id, leader_id, false));
  ASSIGN_OR_RETURN(int64_t held, pay::Balance(r, internal::LeaderHoldAccount(l.id)));
  ASSIGN_OR_RETURN(int64_t available, pay::Balance(r, internal::LeaderAccount(l.id)));
  ASSIGN_OR_RETURN(
      int64_t withdrawn,
      r.QueryInt("SELECT COALESCE(SUM(amount_fen), 0) FROM community_withdrawals WHERE leader_id=?",
                 {l.id}));
  ASSIGN_OR_RETURN(
      Rows rows,
      r.Query("SELECT co.order_id, co.picked_fen, co.commission_fen, o.status, o.completed_at_ms "
              "FROM community_orders co "
              "JOIN orders o ON o.id = co.order_id WHERE co.leader_id=? AND co.commission_fen > 0 "
              "ORDER BY co.order_id DESC LIMIT 100",
              {l.id}));
  Json orders = Json::array();
  for (auto& row : rows)
    orders.push_back(Json{{"order_id", IdString(row.Int(0))},
                          {"picked_fen", row.Int(1)},
                          {"commission_fen", row.Int(2)},
                          {"status", row.Str(3)},
                          {"completed_at", TimeOrNull(row.OptInt(4))}});
  return Json{{"held_fen", held},
              {"withdrawable_fen", available},
              {"withdrawn_fen", withdrawn},
              {"orders", orders}};
}

Result<Json> CommunityService::Withdraw(Tx& tx, int64_t user_id, int64_t leader_id,
                                        int64_t amount_fen) {
  ASSIGN_OR_RETURN(Leader l, internal::OwnLeader(tx, user_id, leader_id, false));
  ASSIGN_OR_RETURN(int64_t available, pay::BalanceForDebit(tx, internal::LeaderAccount(l.id)));
  if (amount_fen > available) return Fail(Msg::LEADER_FUNDS, {Fen("available", available)});
  int64_t id = tx.NewId();
  RETURN_IF_ERROR(ToStatus(pay::Post(tx, "community.withdrawal", id,
                                     {{internal::LeaderAccount(l.id), -amount_fen},
                                      {internal::LeaderPayoutAccount(l.id), amount_fen}})));
  RETURN_IF_ERROR(
      tx.Run("INSERT INTO community_withdrawals(id, merchant_id, leader_id, amount_fen, "
             "created_at_ms) VALUES(?,?,?,?,?)",
             {id, l.merchant_id, l.id, amount_fen, tx.NowMs()}));
  return Json{{"id", IdString(id)},
              {"amount_fen", amount_fen},
              {"withdrawable_fen", available - amount_fen}};
}

// ---- check ----

Result<std::vector<std::string>> CommunityService::Check(Reader& r) {
  std::vector<std::string> problems;
  // Commission: each completed order's posting equals the formula over what was picked up.
  ASSIGN_OR_RETURN(Rows done, r.Query("SELECT co.order_id, co.leader_id, co.commission_fen, "
                                      "o.provider_paid_fen + o.card_paid_fen - o.refunded_fen, "
                                      "o.commission_fen FROM community_orders co JOIN orders o ON "
                                      "o.id = co.order_id WHERE o.status=? LIMIT 100000",
                                      {trade::ToString(OrderStatus::kCompleted)}));
  std::map<int64_t, int64_t> expected_by_leader;
  for (auto& row : done) {
    ASSIGN_OR_RETURN(auto lines, CommissionLines(r, row.Int(0)));
    int64_t expected = std::clamp<int64_t>(internal::CommissionFor(lines, row.Int(3)), 0,
                                           std::max<int64_t>(row.Int(3) - row.Int(4), 0));
    if (expected != row.Int(2) && problems.size() < 10)
      problems.push_back("community order " + IdString(row.Int(0)) + " paid its leader " +
                         std::to_string(row.Int(2)) + " fen but rate × picked-up amount is " +
                         std::to_string(expected));
    expected_by_leader[row.Int(1)] += expected;
  }
  // The postings into each leader's hold equal the commissions owed; hold + available + paid out
  // (minus nothing else) equals them too.
  ASSIGN_OR_RETURN(Rows leaders, r.Query("SELECT id FROM community_leaders LIMIT 100000"));
  for (auto& lr : leaders) {
    const int64_t id = lr.Int(0);
    ASSIGN_OR_RETURN(
        int64_t posted,
        r.QueryInt(
            "SELECT COALESCE(SUM(amount_fen), 0) FROM postings WHERE account=? AND amount_fen > 0",
            {internal::LeaderHoldAccount(id)}));
    ASSIGN_OR_RETURN(int64_t held, pay::Balance(r, internal::LeaderHoldAccount(id)));
    ASSIGN_OR_RETURN(int64_t avail, pay::Balance(r, internal::LeaderAccount(id)));
    ASSIGN_OR_RETURN(int64_t paid_out, pay::Balance(r, internal::LeaderPayoutAccount(id)));
    ASSIGN_OR_RETURN(
        int64_t withdrawn,
        r.QueryInt(
            "SELECT COALESCE(SUM(amount_fen), 0) FROM community_withdrawals WHERE leader_id=?",
            {id}));
    const int64_t expected = expected_by_leader[id];
    if (posted != expected)
      problems.push_back("leader " + IdString(id) + ": commission postings " +
                         std::to_string(posted) + " fen, rate × picked-up amounts " +
                         std::to_string(expected));
    if (held + avail + paid_out != posted || held < 0 || avail < 0 || paid_out != withdrawn)
      problems.push_back("leader " + IdString(id) + ": hold " + std::to_string(held) +
                         " + withdrawable " + std::to_string(avail) + " + paid out " +
                         std::to_string(paid_out) + " fen disagree with commissions " +
                         std::to_string(posted) + " and withdrawals " + std::to_string(withdrawn));
  }
  // Every paid order of a consolidated campaign is in exactly one batch: its point's, its
  // campaign's.
  ASSIGN_OR_RETURN(
      Rows unbatched,
      r.Query("SELECT co.order_id FROM community_orders co JOIN orders o ON o.id = co.order_id "
              "JOIN community_campaigns c ON c.id = co.campaign_id LEFT JOIN community_batches b "
              "ON b.id = co.batch_id "
              "WHERE c.status='consolidated' AND " +
              PaidSql() +
              " AND (b.id IS NULL OR b.campaign_id <> co.campaign_id OR b.pickup_point_id <> "
              "co.pickup_point_id) LIMIT 10"));
  for (auto& row : unbatched)
    problems.push_back("paid community order " + IdString(row.Int(0)) +
                       " is in no consolidated shipment of its pickup point");
  ASSIGN_OR_RETURN(Rows early, r.Query("SELECT co.order_id FROM community_orders co JOIN "
                                       "community_campaigns c ON c.id = co.campaign_id "
                                       "WHERE co.created_at_ms >= c.cutoff_at_ms LIMIT 10"));
  for (auto& row : early)
    problems.push_back("community order " + IdString(row.Int(0)) +
                       " was accepted after its campaign's cutoff");
  // Campaign stock: what orders hold (not cancelled) equals `sold`, never beyond stock.
  ASSIGN_OR_RETURN(Rows stock,
                   r.Query("SELECT i.campaign_id, i.sku_id, i.sold, i.stock, COALESCE(x.q, 0) FROM "
                           "community_campaign_items i LEFT JOIN "
                           "(SELECT co.campaign_id, ci.sku_id, SUM(ci.quantity) q FROM "
                           "community_order_items ci JOIN community_orders co "
                           "ON co.order_id = ci.order_id JOIN orders o ON o.id = ci.order_id WHERE "
                           "o.status <> 'cancelled' "
                           "GROUP BY co.campaign_id, ci.sku_id) x ON x.campaign_id = i.campaign_id "
                           "AND x.sku_id = i.sku_id "
                           "WHERE i.sold <> COALESCE(x.q, 0) OR i.sold > i.stock LIMIT 10"));
  for (auto& row : stock)
    problems.push_back("campaign " + IdString(row.Int(0)) + " sku " + IdString(row.Int(1)) +
                       ": sold " + std::to_string(row.Int(2)) + " of " +
                       std::to_string(row.Int(3)) + " but orders hold " +
                       std::to_string(row.Int(4)));
  return problems;
}

}  // namespace xd::community
