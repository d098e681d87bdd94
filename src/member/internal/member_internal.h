// What the member module's files share and nobody outside may include: row decoders and the
// reads and writes of cards and the points journal that the pricing rules, the observer, the
// POS, pushes and the sweeps use.
#pragma once

#include <optional>
#include <string>

#include "member/member.h"

namespace xd::member::internal {

inline constexpr int64_t kDayMs = 24LL * 3600 * 1000;
inline constexpr int64_t kYearMs = 365 * kDayMs;  // a review year
inline constexpr int64_t kWeekMs = 7 * kDayMs;    // the push cap's window
// The sweep (points expiry, yearly level reviews): how often, and how many cards per firing.
inline constexpr int64_t kSweepIntervalMs = 3600LL * 1000;
inline constexpr int64_t kSweepBatch = 200;
inline constexpr const char* kTimerSweep = "member.sweep";
inline constexpr const char* kTimerPush = "member.push";

// The stored names of a journal entry's kind.
inline constexpr const char* kEarnedAtPayment = "order_paid";  // before decision 018
inline constexpr const char* kEarned = "order_completed";
inline constexpr const char* kReversed = "order_refunded";
inline constexpr const char* kRedeemed = "redeemed";
inline constexpr const char* kRedeemReturned = "redeem_returned";
inline constexpr const char* kPosPurchase = "pos_purchase";
inline constexpr const char* kPosRefunded = "pos_refunded";
inline constexpr const char* kExpired = "expired";
inline constexpr const char* kAdjusted = "adjusted";
inline constexpr const char* kReferralBonus = "referral_bonus";
inline constexpr const char* kLevelReview = "level_review";

extern const char* const kProgrammeCols;
// INTERNAL when the stored levels are malformed.
Result<Programme> ProgrammeFromRow(const Row& r);
extern const char* const kStoreCols;
Result<MemberStore> StoreFromRow(const Row& r);
extern const char* const kCardCols;
Card CardFromRow(const Row& r);
extern const char* const kEntryCols;
PointsEntry EntryFromRow(const Row& r);

// The buyer's card at the merchant, if any.
Result<std::optional<Card>> CardOf(Reader& r, int64_t user_id, int64_t merchant_id);
// The same, locked to commit (Dialect::ForUpdate): two commands moving one card's points on
// two nodes run one after the other.
Result<std::optional<Card>> LockCardOf(Tx& tx, int64_t user_id, int64_t merchant_id);
// A card by id, locked; INTERNAL when it is gone (cards are never deleted).
Result<Card> LockCard(Tx& tx, int64_t card_id);
// The programme by id (INTERNAL if a card names one that is gone: programmes are never deleted).
Result<Programme> ProgrammeById(Reader& r, int64_t id);

// The level a card shows: its stored index, clamped to the programme's levels.
const Level& ShownLevel(const Card& c, const Programme& p);

// Points a paid amount earns: floor(goods_fen × points_per_yuan × multiplier_bps / 1,000,000)
// (a yuan is 100 fen, a ×1 multiplier 10,000 bps). Never overflows: computed in 128 bits and
// capped at INT64_MAX.
int64_t PointsFor(int64_t goods_fen, int64_t points_per_yuan, int64_t multiplier_bps);

// One journal entry about to be posted. `points` moves the balance and `debt` the debt; an
// entry's effect on what the member is owed is points - debt (an earning that pays a debt
// off is points + paid with debt -paid; a taking beyond the balance is -balance with debt
// +rest).
struct Posting {
  const char* kind = "";
  std::optional<int64_t> order_id, ref_id;
  int64_t points = 0, debt = 0, growth = 0;
  std::optional<int64_t> expires_at_ms;
  std::string note;
  std::optional<int64_t> actor_id;
  int64_t online_spend_fen = 0, offline_spend_fen = 0;  // moves of the card's spend totals
};
// Earns `points` (≥ 0): the card's debt is paid first, the rest lands on the balance (and
// lapses after the programme's validity).
Posting Earning(const Card& c, const Programme& p, int64_t now_ms, const char* kind, int64_t points,
                int64_t growth);
// Takes back `points` (≥ 0): from the balance, the rest recorded as debt (never a negative
// balance); growth never below zero.
Posting Taking(const Card& c, const char* kind, int64_t points, int64_t growth);
// Appends the entry and moves the card's totals by it (`c` holds them after); the level
// rises at once with the year's growth, never falls here. The card must be locked (LockCard).
// CHECK constraints refuse a negative balance or debt; a card moved meanwhile is ABORTED.
Status Post(Tx& tx, Card& c, const Programme& p, const Posting& e);

// Stage 200: the member discount and per-SKU member prices.
std::shared_ptr<trade::PricingRule> NewMemberPricingRule();
// Stage 450: points redeemed at checkout.
std::shared_ptr<trade::PricingRule> NewPointsRedemptionRule();
// Completed orders earn, refunds reverse, cancellations return redeemed points.
std::shared_ptr<trade::OrderObserver> NewPointsObserver();

// The sweep's two halves, each over at most kSweepBatch cards; each returns how many it moved.
Result<int64_t> ExpirePoints(Tx& tx);
Result<int64_t> ReviewLevels(Tx& tx);

}  // namespace xd::member::internal
