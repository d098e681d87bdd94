// The account module's outbox events (architecture decision 4; issue 12). Payloads snapshot
// what changed; a phone number never goes into the outbox (it leaves the process).
#pragma once

#include <cstdint>
#include <string>

#include "account/account.h"
#include "base/id.h"
#include "base/json.h"
#include "store/store.h"

namespace xd::account {

// "user.registered".
struct UserRegistered {
  static constexpr int kSchemaVersion = 1;
  User user;

  EventHead Head() const { return {"user.registered", kSchemaVersion, user.id, 0}; }
  Json Payload() const {
    return Json{{"user_id", IdString(user.id)}, {"nickname", user.nickname}, {"created_at", FormatRfc3339(user.created_at_ms)}};
  }
};

// "merchant.opened" | "merchant.approved" | "merchant.updated": the merchant as it is after
// the change, settings included.
struct MerchantChanged {
  static constexpr int kSchemaVersion = 2;  // 2: the merchant snapshot
  enum class What { kOpened, kApproved, kUpdated };
  What what = What::kUpdated;
  Merchant merchant;

  EventHead Head() const {
    const char* type = what == What::kOpened ? "merchant.opened" : what == What::kApproved ? "merchant.approved" : "merchant.updated";
    return {type, kSchemaVersion, merchant.id, merchant.id};
  }
  Json Payload() const {
    return Json{{"merchant_id", IdString(merchant.id)}, {"kind", merchant.kind}, {"status", merchant.status},
                {"merchant", ToJson(merchant, true)}};
  }
};

// "kind_defaults.updated": the platform's defaults for a kind of merchant.
struct KindDefaultsUpdated {
  static constexpr int kSchemaVersion = 2;  // 2: the settings
  std::string kind;
  MerchantSettings settings;

  EventHead Head() const { return {"kind_defaults.updated", kSchemaVersion, 0, 0}; }
  Json Payload() const { return Json{{"kind", kind}, {"settings", ToJson(settings)}}; }
};

// "merchant.staff_invited" | "merchant.staff_invitation_revoked" | "merchant.staff_added" |
// "merchant.staff_removed". `role` is empty where the change has none (revoked, removed).
struct StaffChanged {
  static constexpr int kSchemaVersion = 1;
  enum class What { kInvited, kInvitationRevoked, kAdded, kRemoved };
  What what = What::kAdded;
  int64_t merchant_id = 0, user_id = 0, invitation_id = 0;
  std::string role;

  EventHead Head() const {
    const char* type = what == What::kInvited ? "merchant.staff_invited"
                       : what == What::kInvitationRevoked ? "merchant.staff_invitation_revoked"
                       : what == What::kAdded ? "merchant.staff_added" : "merchant.staff_removed";
    return {type, kSchemaVersion, merchant_id, merchant_id};
  }
  Json Payload() const {
    Json j{{"merchant_id", IdString(merchant_id)}};
    if (user_id) j["user_id"] = IdString(user_id);
    if (invitation_id) j["invitation_id"] = IdString(invitation_id);
    if (!role.empty()) j["role"] = role;
    return j;
  }
};

// "friend.requested" (from → to) | "friend.accepted" | "friend.removed" (between a and b).
struct FriendChanged {
  static constexpr int kSchemaVersion = 1;
  enum class What { kRequested, kAccepted, kRemoved };
  What what = What::kRequested;
  int64_t a = 0, b = 0;  // requested: a asked b

  EventHead Head() const {
    const char* type = what == What::kRequested ? "friend.requested" : what == What::kAccepted ? "friend.accepted" : "friend.removed";
    return {type, kSchemaVersion, a, 0};
  }
  Json Payload() const {
    if (what == What::kRequested) return Json{{"from", IdString(a)}, {"to", IdString(b)}};
    return Json{{"a", IdString(a)}, {"b", IdString(b)}};
  }
};

}  // namespace xd::account
