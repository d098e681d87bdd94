// What the community module's files share and nobody outside may include: row decoders, the
// leader lookups that authorize a leader's command inside its transaction, account names.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "community/community.h"

namespace xd::community::internal {

inline constexpr int64_t kDayMs = 24LL * 3600 * 1000;

// Ledger accounts: the commission during the merchant's hold, then withdrawable, then paid out.
std::string LeaderHoldAccount(int64_t leader_id);
std::string LeaderAccount(int64_t leader_id);
std::string LeaderPayoutAccount(int64_t leader_id);
inline constexpr std::string_view kLeaderHoldPrefix = "leader_hold:";
inline constexpr std::string_view kLeaderPrefix = "leader:";

// "SELECT <kLeaderCols> FROM community_leaders l JOIN community_pickup_points p ON ..."
extern const char* const kLeaderSelect;
Result<Leader> LeaderFromRow(const Row& r);
std::optional<LeaderStatus> LeaderStatusFromString(std::string_view s);

// The user's own role `leader_id` (LEADER_NOT_FOUND for anyone else's, or an ended one when
// `acting`: an ended leader acts on nothing). Read in the command's transaction, so a role
// ended while the command waited is honoured.
Result<Leader> OwnLeader(Reader& r, int64_t user_id, int64_t leader_id, bool acting);

// The commission a completed order owes its leader: per line rate × the line's picked part of
// what the buyer kept (min(picked value, paid − refunded), shared out by picked value), each
// rounded down. One formula for the posting and for `xiaodian check`.
struct CommissionLine {
  int64_t unit_price_fen = 0, picked = 0, commission_bps = 0;
};
int64_t CommissionFor(const std::vector<CommissionLine>& lines, int64_t kept_fen);

// Stage 100 for checkouts with "community":{...}.
std::shared_ptr<trade::PricingRule> NewCommunityPricingRule();
// Cancelled → campaign stock back; completing → the leader's commission; refunded → codes close.
std::shared_ptr<trade::OrderObserver> NewCommunityObserver(trade::TradeService& trade);

// A JSON time or null.
Json TimeOrNull(const std::optional<int64_t>& ms);

}  // namespace xd::community::internal
