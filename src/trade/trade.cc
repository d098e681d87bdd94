// TradeService: wiring (rules, observers, timers) and the invariant checks.
#include "trade/trade.h"

#include <algorithm>
#include <map>

#include "base/id.h"
#include "base/money.h"
#include "catalog/catalog.h"
#include "trade/internal/trade_internal.h"
#include "trade/states.h"

namespace xd::trade {

TradeService::TradeService(pay::SandboxProvider& provider, TradeConfig config) : provider_(provider), config_(config) {
  rules_.push_back(NewShippingRule(config_));
}

void TradeService::AddPricingRule(std::shared_ptr<PricingRule> rule) {
  rules_.push_back(std::move(rule));
  std::stable_sort(rules_.begin(), rules_.end(), [](auto& a, auto& b) { return a->stage() < b->stage(); });
}

void TradeService::AddObserver(std::shared_ptr<OrderObserver> observer) { observers_.push_back(std::move(observer)); }

void TradeService::RegisterTimers(TimerService& timers) {
  timers.Register(kTimerUnpaid, [this](Tx& tx, const Json& p) -> Status {
    int64_t order_id = p.at("order_id").get<int64_t>();
    ASSIGN_OR_RETURN(Order o, LoadOrder(tx, order_id, false));
    if (o.status != OrderStatus::kCreated) return Ok();
    // Ask the provider first: a buyer who paid just before the deadline keeps the order.
    ASSIGN_OR_RETURN(auto pending, pay::PendingPaymentOf(tx, order_id));
    if (pending) {
      ASSIGN_OR_RETURN(pay::PaymentStatus state, QueryPayment(tx, pending->id));
      if (pay::Charged(state)) return Ok();
    }
    return Cancel(tx, order_id, std::nullopt, "unpaid timeout");
  });
  timers.Register(kTimerAutoConfirm, [this](Tx& tx, const Json& p) -> Status {
    int64_t order_id = p.at("order_id").get<int64_t>();
    ASSIGN_OR_RETURN(Order o, LoadOrder(tx, order_id, false));
    if (o.status == OrderStatus::kRefunding)  // wait for the after-sales request to end
      return ToStatus(tx.AddTimer(kTimerAutoConfirm, tx.NowMs() + 24 * 3600 * 1000, p));
    if (o.status != OrderStatus::kShipped && o.status != OrderStatus::kDelivered) return Ok();
    return Confirm(tx, order_id, std::nullopt);
  });
  timers.Register(kTimerAftersale, [this](Tx& tx, const Json& p) -> Status {
    return ToStatus(ApproveAftersale(tx, p.at("aftersale_id").get<int64_t>(), std::nullopt));
  });
  timers.Register(pay::kTimerSettle, [](Tx& tx, const Json& p) -> Status { return pay::ReleaseSettlement(tx, p.at("order_id").get<int64_t>()); });
}

Result<std::vector<std::string>> TradeService::Check(Reader& r) {
  std::vector<std::string> problems;
  // Escrow holds what buyers paid for orders not yet completed, minus refunds already posted:
  // in total, and each merchant's escrow account for that merchant's orders.
  ASSIGN_OR_RETURN(int64_t escrow, pay::PlatformBalance(r, pay::kEscrowPrefix));
  const std::string open_orders = "o.status IN (" + OrderStatusSql(EscrowHolds) + ")";
  const std::string paid_sql = "SELECT o.merchant_id m, o.provider_paid_fen + o.card_paid_fen fen FROM orders o WHERE " + open_orders;
  const std::string refunds_sql = "SELECT o.merchant_id m, -(f.card_fen + CASE WHEN f.status IN (" +
                                  pay::RefundStatusSql(pay::ProviderRefunded) +
                                  ") THEN f.provider_fen ELSE 0 END) fen FROM refunds f JOIN orders o ON o.id = f.order_id WHERE " + open_orders;
  ASSIGN_OR_RETURN(int64_t held, r.QueryInt("SELECT COALESCE(SUM(fen),0) FROM (" + paid_sql + " UNION ALL " + refunds_sql + ") x"));
  if (escrow != held) problems.push_back("escrow holds " + std::to_string(escrow) + " fen but open orders account for " + std::to_string(held));
  ASSIGN_OR_RETURN(Rows off, r.Query("SELECT account, SUM(expected), SUM(actual) FROM (SELECT '" + std::string(pay::kEscrowPrefix) +
                                     "' || CAST(m AS TEXT) AS account, fen AS expected, 0 AS actual FROM (" + paid_sql + " UNION ALL " +
                                     refunds_sql + ") y UNION ALL SELECT account, 0, balance_fen FROM balances WHERE " +
                                     pay::AccountInFamily("account", pay::kEscrowPrefix) +
                                     ") x GROUP BY account HAVING SUM(expected) <> SUM(actual) ORDER BY account LIMIT 10"));
  for (auto& row : off)
    problems.push_back(row.Str(0) + " holds " + std::to_string(row.Int(2)) + " fen but the merchant's open orders account for " +
                       std::to_string(row.Int(1)));
  ASSIGN_OR_RETURN(Rows totals, r.Query("SELECT id, total_fen, items_fen - discount_fen + shipping_fen, pricing FROM orders "
                                        "WHERE total_fen <> items_fen - discount_fen + shipping_fen OR total_fen < 0 LIMIT 10"));
  for (auto& row : totals) problems.push_back("order " + IdString(row.Int(0)) + " total " + std::to_string(row.Int(1)) + " disagrees with its parts");
  ASSIGN_OR_RETURN(Rows double_paid, r.Query("SELECT order_id, count(*) FROM payments WHERE status IN (" + pay::PaymentStatusSql(pay::Charged) + ") GROUP BY order_id HAVING count(*) > 1 LIMIT 10"));
  for (auto& row : double_paid) problems.push_back("order " + IdString(row.Int(0)) + " charged " + std::to_string(row.Int(1)) + " times");
  ASSIGN_OR_RETURN(Rows over_refund, r.Query("SELECT id FROM orders WHERE refunded_fen > provider_paid_fen + card_paid_fen LIMIT 10"));
  for (auto& row : over_refund) problems.push_back("order " + IdString(row.Int(0)) + " refunded more than paid");
  ASSIGN_OR_RETURN(Rows paid_mismatch, r.Query("SELECT id FROM orders WHERE status IN (" + OrderStatusSql(PaidInFull) + ") "
                                               "AND provider_paid_fen + card_paid_fen <> total_fen LIMIT 10"));
  for (auto& row : paid_mismatch) problems.push_back("order " + IdString(row.Int(0)) + " is paid but the payment differs from its total");
  // Returns: no order line returned beyond what was bought, and each SKU's restocked count
  // (skus.returned) equals the units received returns brought back.
  ASSIGN_OR_RETURN(Rows over_return, r.Query("SELECT oi.order_id, oi.sku_id, oi.quantity, SUM(ai.quantity) FROM aftersale_items ai "
                                             "JOIN aftersales a ON a.id = ai.aftersale_id JOIN order_items oi ON oi.order_id = ai.order_id "
                                             "AND oi.sku_id = ai.sku_id WHERE a.status IN (" + AftersaleStatusSql(ClaimsItems) + ") "
                                             "GROUP BY oi.order_id, oi.sku_id, oi.quantity HAVING SUM(ai.quantity) > oi.quantity LIMIT 10"));
  for (auto& row : over_return)
    problems.push_back("order " + IdString(row.Int(0)) + " sku " + IdString(row.Int(1)) + ": " + std::to_string(row.Int(3)) +
                       " units returned of " + std::to_string(row.Int(2)) + " bought");
  ASSIGN_OR_RETURN(Rows restock, r.Query("SELECT s.id, s.returned, COALESCE(x.q, 0) FROM skus s LEFT JOIN (SELECT ai.sku_id, SUM(ai.quantity) q "
                                         "FROM aftersale_items ai JOIN aftersales a ON a.id = ai.aftersale_id "
                                         "WHERE a.status IN (" + AftersaleStatusSql(GoodsReceived) + ") GROUP BY ai.sku_id) x ON x.sku_id = s.id "
                                         "WHERE s.returned <> COALESCE(x.q, 0) LIMIT 10"));
  for (auto& row : restock)
    problems.push_back("sku " + IdString(row.Int(0)) + ": restocked " + std::to_string(row.Int(1)) + " units but returns brought back " +
                       std::to_string(row.Int(2)));
  // Every order event's snapshot says what its transition did (schema 2: the snapshot is
  // taken at the event, so a consumer reading it later never sees a later state).
  for (int64_t after = 0, reported = 0;;) {
    ASSIGN_OR_RETURN(Rows evs, r.Query("SELECT seq, type, payload FROM events WHERE seq > ? AND type LIKE 'order.%' "
                                       "AND type <> 'order.released' AND schema_version >= 2 ORDER BY seq LIMIT 1000",
                                       {after}));
    for (auto& e : evs) {
      Json p = e.JsonAt(2);
      const Json* snap = p.is_object() && p.contains("order") ? &p["order"] : nullptr;
      bool ok = snap && snap->is_object() && snap->value("status", "") == p.value("to", "") &&
                snap->value("id", "") == p.value("order_id", "") && "order." + p.value("to", "") == e.Str(1);
      if (!ok && reported++ < 10)
        problems.push_back("event " + std::to_string(e.Int(0)) + " (" + e.Str(1) + ") carries a snapshot of another state");
    }
    if (evs.size() < 1000) break;
    after = evs.back().Int(0);
  }
  return problems;
}

}  // namespace xd::trade
