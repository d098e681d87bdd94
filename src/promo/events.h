// Social trading's outbox events (architecture decision 4; issue 12): the facts of each
// activity step at the moment it happened (prices, sizes, counts), for the data platform,
// live rooms and the feed. Ids are strings, money in fen.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/id.h"
#include "base/json.h"
#include "promo/promo.h"
#include "store/store.h"

namespace xd::promo {

// "activity.created" | "activity.stopped": the activity as it is after the change.
struct ActivityChanged {
  static constexpr int kSchemaVersion = 2;  // 2: the activity snapshot
  bool stopped = false;
  Activity activity;

  EventHead Head() const {
    return {stopped ? "activity.stopped" : "activity.created", kSchemaVersion, activity.id, activity.merchant_id};
  }
  Json Payload() const {
    return Json{{"activity_id", IdString(activity.id)}, {"merchant_id", IdString(activity.merchant_id)},
                {"type", activity.type}, {"sku_id", IdString(activity.sku_id)}, {"activity", ToJson(activity)}};
  }
};

// "group.opened" | "group.succeeded" | "group.failed" (reason "expired", or "empty": every
// seat was given back before it expired), for the activity's merchant.
struct GroupChanged {
  static constexpr int kSchemaVersion = 1;
  enum class What { kOpened, kSucceeded, kFailed };
  What what = What::kOpened;
  int64_t group_id = 0, activity_id = 0, merchant_id = 0, leader_id = 0, size = 0, paid_members = 0;
  std::string reason;

  // The activity's merchant: the event is the shop's (its webhooks, open/open.h kEventTypes).
  EventHead Head() const {
    const char* type = what == What::kOpened ? "group.opened" : what == What::kSucceeded ? "group.succeeded" : "group.failed";
    return {type, kSchemaVersion, group_id, merchant_id};
  }
  Json Payload() const {
    Json j{{"group_id", IdString(group_id)}, {"activity_id", IdString(activity_id)}, {"merchant_id", IdString(merchant_id)},
           {"size", size}};
    if (what == What::kOpened) j["leader_id"] = IdString(leader_id);
    if (what == What::kFailed) j["paid_members"] = paid_members;
    if (!reason.empty()) j["reason"] = reason;
    return j;
  }
};

// "bargain.started" | "bargain.helped" (by helper_id, cut_fen) | "bargain.expired".
struct BargainChanged {
  static constexpr int kSchemaVersion = 2;  // 2: prices and counts on every step
  enum class What { kStarted, kHelped, kExpired };
  What what = What::kStarted;
  Bargain bargain;  // after the step
  int64_t helper_id = 0, cut_fen = 0;

  EventHead Head() const {
    const char* type = what == What::kStarted ? "bargain.started" : what == What::kHelped ? "bargain.helped" : "bargain.expired";
    return {type, kSchemaVersion, bargain.id, 0};
  }
  Json Payload() const {
    Json j{{"bargain_id", IdString(bargain.id)}, {"activity_id", IdString(bargain.activity_id)},
           {"user_id", IdString(bargain.user_id)}, {"list_price_fen", bargain.list_price_fen},
           {"current_price_fen", bargain.current_price_fen}, {"helps_done", bargain.helps_done},
           {"helps_needed", bargain.helps_needed}};
    if (what == What::kHelped) {
      j["helper_id"] = IdString(helper_id);
      j["cut_fen"] = cut_fen;
    }
    return j;
  }
};

// "gift.sent" (paid, waiting for its recipient) | "gift.accepted" | "gift.expired" (refunded).
struct GiftChanged {
  static constexpr int kSchemaVersion = 1;
  enum class What { kSent, kAccepted, kExpired };
  What what = What::kSent;
  int64_t gift_id = 0, order_id = 0, sender_id = 0, recipient_id = 0;

  EventHead Head() const {
    const char* type = what == What::kSent ? "gift.sent" : what == What::kAccepted ? "gift.accepted" : "gift.expired";
    return {type, kSchemaVersion, gift_id, 0};
  }
  Json Payload() const {
    Json j{{"gift_id", IdString(gift_id)}, {"order_id", IdString(order_id)}};
    if (sender_id) j["sender_id"] = IdString(sender_id);
    if (recipient_id) j["recipient_id"] = IdString(recipient_id);
    return j;
  }
};

// "coupon.created": the coupon as created (platform coupons have no merchant).
struct CouponCreated {
  static constexpr int kSchemaVersion = 2;  // 2: the coupon snapshot
  Coupon coupon;

  EventHead Head() const { return {"coupon.created", kSchemaVersion, coupon.id, coupon.merchant_id.value_or(0)}; }
  Json Payload() const {
    return Json{{"coupon_id", IdString(coupon.id)},
                {"merchant_id", coupon.merchant_id ? Json(IdString(*coupon.merchant_id)) : Json(nullptr)},
                {"total_quota", coupon.total_quota}, {"coupon", ToJson(coupon)}};
  }
};

// "coupon.claimed": a user took one; `claimed` counts the coupon's claims including this one.
struct CouponClaimed {
  static constexpr int kSchemaVersion = 1;
  int64_t coupon_id = 0, user_coupon_id = 0, user_id = 0, merchant_id = 0, claimed = 0;

  EventHead Head() const { return {"coupon.claimed", kSchemaVersion, coupon_id, merchant_id}; }
  Json Payload() const {
    return Json{{"coupon_id", IdString(coupon_id)}, {"user_coupon_id", IdString(user_coupon_id)},
                {"user_id", IdString(user_id)}, {"claimed", claimed}};
  }
};

// "coupon.stopped": the issuer stopped handing the coupon out (claimed ones stay usable).
struct CouponStopped {
  static constexpr int kSchemaVersion = 1;
  Coupon coupon;

  EventHead Head() const { return {"coupon.stopped", kSchemaVersion, coupon.id, coupon.merchant_id.value_or(0)}; }
  Json Payload() const { return Json{{"coupon_id", IdString(coupon.id)}, {"coupon", ToJson(coupon)}}; }
};

// "product.recommended": a user recommended a product to their friends.
struct ProductRecommended {
  static constexpr int kSchemaVersion = 1;
  int64_t user_id = 0, product_id = 0, merchant_id = 0;

  EventHead Head() const { return {"product.recommended", kSchemaVersion, product_id, merchant_id}; }
  Json Payload() const { return Json{{"user_id", IdString(user_id)}, {"product_id", IdString(product_id)}}; }
};

// "commission.paid": a sharer earned commission on a completed order's line.
struct CommissionPaid {
  static constexpr int kSchemaVersion = 1;
  int64_t order_id = 0, merchant_id = 0, sharer_id = 0, product_id = 0, amount_fen = 0;

  EventHead Head() const { return {"commission.paid", kSchemaVersion, order_id, merchant_id}; }
  Json Payload() const {
    return Json{{"order_id", IdString(order_id)}, {"sharer_id", IdString(sharer_id)}, {"product_id", IdString(product_id)},
                {"amount_fen", amount_fen}};
  }
};

// "sharer.withdrawal": a sharer moved earned commissions to their store credit;
// `balance_fen` is what the sharer account holds after it.
struct SharerWithdrawal {
  static constexpr int kSchemaVersion = 1;
  int64_t withdrawal_id = 0, sharer_id = 0, amount_fen = 0, balance_fen = 0;

  EventHead Head() const { return {"sharer.withdrawal", kSchemaVersion, withdrawal_id, 0}; }
  Json Payload() const {
    return Json{{"withdrawal_id", IdString(withdrawal_id)}, {"sharer_id", IdString(sharer_id)},
                {"amount_fen", amount_fen}, {"balance_fen", balance_fen}};
  }
};

// "share.created" | "share.opened" (by viewer_id; the sharer's own opens too).
struct ShareChanged {
  static constexpr int kSchemaVersion = 1;
  bool opened = false;
  int64_t share_id = 0, sharer_id = 0, product_id = 0, viewer_id = 0;
  std::optional<int64_t> activity_id;

  EventHead Head() const { return {opened ? "share.opened" : "share.created", kSchemaVersion, share_id, 0}; }
  Json Payload() const {
    Json j{{"share_id", IdString(share_id)}, {"sharer_id", IdString(sharer_id)}, {"product_id", IdString(product_id)}};
    if (opened) j["viewer_id"] = IdString(viewer_id);
    if (activity_id) j["activity_id"] = IdString(*activity_id);
    return j;
  }
};

}  // namespace xd::promo
