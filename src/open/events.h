// The open platform's outbox events (architecture decision 4; issue 12). No secret or key
// text ever goes into the outbox.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/id.h"
#include "base/json.h"
#include "store/store.h"

namespace xd::open {

// "api_key.created" (with its scopes) | "api_key.revoked".
struct ApiKeyChanged {
  static constexpr int kSchemaVersion = 1;
  bool revoked = false;
  int64_t key_id = 0, merchant_id = 0, created_by = 0;
  std::vector<std::string> scopes;

  EventHead Head() const { return {revoked ? "api_key.revoked" : "api_key.created", kSchemaVersion, key_id, merchant_id}; }
  Json Payload() const {
    Json j{{"key_id", IdString(key_id)}, {"merchant_id", IdString(merchant_id)}};
    if (!revoked) {
      j["by"] = IdString(created_by);
      j["scopes"] = scopes;
    }
    return j;
  }
};

// "webhook.endpoint_created" | "webhook.endpoint_deleted" | "webhook.secret_rotated".
struct EndpointChanged {
  static constexpr int kSchemaVersion = 1;
  enum class What { kCreated, kDeleted, kSecretRotated };
  What what = What::kCreated;
  int64_t endpoint_id = 0, merchant_id = 0;

  EventHead Head() const {
    const char* type = what == What::kCreated ? "webhook.endpoint_created"
                       : what == What::kDeleted ? "webhook.endpoint_deleted" : "webhook.secret_rotated";
    return {type, kSchemaVersion, endpoint_id, merchant_id};
  }
  Json Payload() const { return Json{{"endpoint_id", IdString(endpoint_id)}, {"merchant_id", IdString(merchant_id)}}; }
};

}  // namespace xd::open
