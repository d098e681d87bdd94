// What the member module's files share and nobody outside may include: row decoders and the
// reads and writes of cards and the points journal that the pricing rule and the observer use.
#pragma once

#include <optional>
#include <string>

#include "member/member.h"

namespace xd::member::internal {

inline constexpr int64_t kDayMs = 24LL * 3600 * 1000;

// The stored name of a journal entry's kind.
inline constexpr const char* kEarned = "order_paid";
inline constexpr const char* kReversed = "order_refunded";

extern const char* const kProgrammeCols;
// INTERNAL when the stored levels are malformed.
Result<Programme> ProgrammeFromRow(const Row& r);
extern const char* const kStoreCols;
Result<MemberStore> StoreFromRow(const Row& r);
extern const char* const kCardCols;
Card CardFromRow(const Row& r);

// The buyer's card at the merchant, if any.
Result<std::optional<Card>> CardOf(Reader& r, int64_t user_id, int64_t merchant_id);
// The programme by id (INTERNAL if a card names one that is gone: programmes are never deleted).
Result<Programme> ProgrammeById(Reader& r, int64_t id);

// The level a card shows: its stored index, clamped to the programme's levels.
const Level& ShownLevel(const Card& c, const Programme& p);

// Points a paid amount earns: floor(goods_fen × points_per_yuan × multiplier_bps / 1,000,000)
// (a yuan is 100 fen, a ×1 multiplier 10,000 bps). Never overflows: computed in 128 bits and
// capped at INT64_MAX.
int64_t PointsFor(int64_t goods_fen, int64_t points_per_yuan, int64_t multiplier_bps);

// Stage 200: the member discount.
std::shared_ptr<trade::PricingRule> NewMemberPricingRule();
// Paid orders earn, refunds reverse.
std::shared_ptr<trade::OrderObserver> NewPointsObserver();

}  // namespace xd::member::internal
