// The membership module's outbox events (architecture decision 4): the facts of each step at
// the moment it happened — the programme as saved, the store, the card, the journal entry — for
// the data platform (member levels and online/offline tags, issue 19) and webhooks.
#pragma once

#include <string>

#include "base/id.h"
#include "base/json.h"
#include "member/member.h"
#include "store/store.h"

namespace xd::member {

// "member.programme_saved": the programme as it is after the change.
struct ProgrammeSaved {
  static constexpr int kSchemaVersion = 1;
  Programme programme;
  EventHead Head() const {
    return {"member.programme_saved", kSchemaVersion, programme.id, programme.merchant_id};
  }
  Json Payload() const { return Json{{"programme", ToJson(programme, true)}}; }
};

// "member.store_saved" | "member.store_deleted".
struct StoreChanged {
  static constexpr int kSchemaVersion = 1;
  bool deleted = false;
  MemberStore store;
  EventHead Head() const {
    return {deleted ? "member.store_deleted" : "member.store_saved", kSchemaVersion, store.id,
            store.merchant_id};
  }
  Json Payload() const { return Json{{"store", ToJson(store, true)}}; }
};

// "member.card_claimed": a new card, the link it came through, and the count issued with it.
struct CardClaimed {
  static constexpr int kSchemaVersion = 1;
  Card card;
  int64_t issued = 0;
  EventHead Head() const {
    return {"member.card_claimed", kSchemaVersion, card.id, card.merchant_id};
  }
  Json Payload() const {
    return Json{{"card_id", IdString(card.id)},
                {"user_id", IdString(card.user_id)},
                {"programme_id", IdString(card.programme_id)},
                {"store_id", card.store_id ? Json(IdString(*card.store_id)) : Json(nullptr)},
                {"issued", issued}};
  }
};

// "member.points_posted": one journal entry and the card's totals after it.
struct PointsPosted {
  static constexpr int kSchemaVersion = 1;
  PointsEntry entry;
  int64_t merchant_id = 0, user_id = 0, points_after = 0, growth_after = 0, level_after = 0;
  EventHead Head() const {
    return {"member.points_posted", kSchemaVersion, entry.card_id, merchant_id};
  }
  Json Payload() const {
    Json j = ToJson(entry);
    j["user_id"] = IdString(user_id);
    j["points_after"] = points_after;
    j["growth_after"] = growth_after;
    j["level_after"] = level_after;
    return j;
  }
};

}  // namespace xd::member
