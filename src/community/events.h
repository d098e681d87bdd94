// The community module's outbox events (architecture decision 4): the facts of each step when it
// happened — a leader's role, a campaign as published, a batch consolidated, shipped, arrived, an
// order ready for pickup (the buyer's notification), a reminder, a pickup — for the data platform
// (per leader results) and webhooks.
#pragma once

#include <string>
#include <utility>

#include "base/id.h"
#include "base/json.h"
#include "community/community.h"
#include "store/store.h"

namespace xd::community {

// "community.leader_<action>": applied | approve | reject | suspend | end, the role after it.
struct LeaderChanged {
  static constexpr int kSchemaVersion = 1;
  Leader leader;
  std::string action;
  EventHead Head() const {
    return {"community.leader_" + action, kSchemaVersion, leader.id, leader.merchant_id};
  }
  Json Payload() const {
    Json j = ToJson(leader, false);
    j["user_id"] = IdString(leader.user_id);
    return j;
  }
};

// "community.campaign_saved": the campaign as published.
struct CampaignSaved {
  static constexpr int kSchemaVersion = 1;
  Campaign campaign;
  EventHead Head() const {
    return {"community.campaign_saved", kSchemaVersion, campaign.id, campaign.merchant_id};
  }
  Json Payload() const { return Json{{"campaign", ToJson(campaign)}}; }
};

// "community.batch_<step>": consolidated | shipped | arrived, with what the step knew.
struct BatchChanged {
  static constexpr int kSchemaVersion = 1;
  std::string step;
  int64_t batch_id = 0, merchant_id = 0;
  Json facts;
  EventHead Head() const {
    return {"community.batch_" + step, kSchemaVersion, batch_id, merchant_id};
  }
  Json Payload() const { return facts; }
};

// "community.order_<step>": ready_for_pickup (the buyer is told, with the point and the window),
// pickup_reminder, picked_up (units and amount), unpicked (the rule applied).
struct OrderPickupEvent {
  static constexpr int kSchemaVersion = 1;
  std::string step;
  int64_t order_id = 0, merchant_id = 0, buyer_id = 0;
  Json facts;
  EventHead Head() const {
    return {"community.order_" + step, kSchemaVersion, order_id, merchant_id};
  }
  Json Payload() const {
    Json j = facts;
    j["order_id"] = IdString(order_id);
    j["buyer_id"] = IdString(buyer_id);
    return j;
  }
};

}  // namespace xd::community
