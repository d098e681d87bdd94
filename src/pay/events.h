// The pay module's outbox events (architecture decision 4; issue 12): each payload snapshots
// the amounts at the event. Payments and refunds belong to an order; the order's merchant
// is on the order's own events (trade), so these carry merchant 0 unless they know it.
#pragma once

#include <cstdint>
#include <string>

#include "base/id.h"
#include "base/json.h"
#include "pay/pay.h"
#include "store/store.h"

namespace xd::pay {

// "payment.succeeded": the provider confirmed a payment (or store credit paid it whole).
struct PaymentSucceeded {
  static constexpr int kSchemaVersion = 1;
  Payment payment;
  std::string transaction_id;

  EventHead Head() const { return {"payment.succeeded", kSchemaVersion, payment.id, 0}; }
  Json Payload() const {
    return Json{{"payment_id", IdString(payment.id)}, {"order_id", IdString(payment.order_id)},
                {"buyer_id", IdString(payment.buyer_id)}, {"amount_fen", payment.amount_fen},
                {"card_fen", payment.card_fen}, {"transaction_id", transaction_id}};
  }
};

// "payment.failed" / "payment.closed": a pending payment ended without money moving; its
// store-credit hold went back to the buyer.
struct PaymentEnded {
  static constexpr int kSchemaVersion = 1;
  Payment payment;  // as it was while pending
  bool failed = false;

  EventHead Head() const { return {failed ? "payment.failed" : "payment.closed", kSchemaVersion, payment.id, 0}; }
  Json Payload() const {
    return Json{{"payment_id", IdString(payment.id)}, {"order_id", IdString(payment.order_id)},
                {"buyer_id", IdString(payment.buyer_id)}, {"amount_fen", payment.amount_fen},
                {"card_fen_released", payment.card_fen}};
  }
};

// "refund.started": a refund of an order's payment began (the card part is back already).
struct RefundStarted {
  static constexpr int kSchemaVersion = 1;
  Refund refund;
  std::string reason;

  EventHead Head() const { return {"refund.started", kSchemaVersion, refund.id, 0}; }
  Json Payload() const {
    return Json{{"refund_id", IdString(refund.id)}, {"order_id", IdString(refund.order_id)},
                {"payment_id", IdString(refund.payment_id)}, {"amount_fen", refund.provider_fen + refund.card_fen},
                {"provider_fen", refund.provider_fen}, {"card_fen", refund.card_fen}, {"status", std::string(Name(refund.status))},
                {"reason", reason}};
  }
};

// "card.issued": store credit issued to a user.
struct CardIssued {
  static constexpr int kSchemaVersion = 1;
  int64_t card_id = 0, user_id = 0, amount_fen = 0, issued_by = 0;
  std::string reason;

  EventHead Head() const { return {"card.issued", kSchemaVersion, card_id, 0}; }
  Json Payload() const {
    return Json{{"card_id", IdString(card_id)}, {"user_id", IdString(user_id)}, {"amount_fen", amount_fen},
                {"issued_by", IdString(issued_by)}, {"reason", reason}};
  }
};

// "settlement.released": an order's held settlement became withdrawable for its merchant.
struct SettlementReleased {
  static constexpr int kSchemaVersion = 1;
  int64_t settlement_id = 0, order_id = 0, merchant_id = 0, amount_fen = 0;

  EventHead Head() const { return {"settlement.released", kSchemaVersion, order_id, merchant_id}; }
  Json Payload() const {
    return Json{{"settlement_id", IdString(settlement_id)}, {"order_id", IdString(order_id)},
                {"merchant_id", IdString(merchant_id)}, {"amount_fen", amount_fen}};
  }
};

// "merchant.withdrawal": a merchant withdrew from its withdrawable balance.
struct MerchantWithdrawal {
  static constexpr int kSchemaVersion = 1;
  int64_t withdrawal_id = 0, merchant_id = 0, amount_fen = 0, balance_after_fen = 0;

  EventHead Head() const { return {"merchant.withdrawal", kSchemaVersion, withdrawal_id, merchant_id}; }
  Json Payload() const {
    return Json{{"withdrawal_id", IdString(withdrawal_id)}, {"merchant_id", IdString(merchant_id)},
                {"amount_fen", amount_fen}, {"balance_after_fen", balance_after_fen}};
  }
};

}  // namespace xd::pay
