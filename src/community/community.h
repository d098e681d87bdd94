// Community group buying (社区团购, SPEC §7; issue 17; decision 022): leaders (团长) with their
// pickup points (自提点), campaigns (团购活动) with community prices, campaign stock and a cutoff,
// orders placed through a leader's link or a chosen pickup point (delivery "pickup": no
// address), one consolidated shipment per (campaign, pickup point) made at the cutoff, pickup
// codes the leader verifies, and the leader's commission on what was picked up.
//
// Plugged into trade through its extension points:
//  - a PricingRule at stage 100 ("community"): a checkout with "activity":{"community":{...}}
//    (delivery "pickup": no address, free shipping) takes the
//    campaign's prices, holds campaign stock, and is refused at or after the cutoff by its own
//    transaction's time (CUTOFF_PASSED) — the time it commits at, never the time the buyer
//    opened the page; a suspended or ended leader's link is LEADER_INACTIVE (410);
//  - an OrderObserver: a cancelled unpaid order gives its campaign stock back; a completing
//    order pays its leader rate × the picked-up part of what the buyer kept, into
//    leader_hold:<leader>, which moves to leader:<leader> when the merchant's hold ends.
//
//   CommunityService community(trade);
//   community.Install(timers);      // pricing rule, observer, timers (cutoff, unpicked, release)
//   store.Execute([&](Tx& tx) { return ToStatus(community.Apply(tx, user_id, application)); });
//
// Consolidation: the cutoff timer closes the campaign (a guarded UPDATE open → consolidated on
// the campaign's row, which every order's transaction locks first), so an order either commits
// before it — and is in its pickup point's batch — or sees the campaign closed and is refused.
// A pickup code is verified by guarded UPDATEs of the lines' picked counts: of concurrent
// verifications of the same units exactly one succeeds.
//
// Thread-safety: CommunityService holds only configuration; every method may be called from any
// thread with its own Tx/Reader.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/result.h"
#include "store/store.h"
#include "store/timers.h"
#include "trade/trade.h"

namespace xd::community {

inline constexpr const char* kTimerCutoff = "community.cutoff";
inline constexpr const char* kTimerReminder = "community.unpicked_reminder";
inline constexpr const char* kTimerUnpicked = "community.unpicked";
inline constexpr const char* kTimerRelease = "community.commission_release";

// ---- leaders and pickup points ----

struct PickupPointInput {
  std::string name, address, hours;
  int64_t latitude_e6 = 0, longitude_e6 = 0;  // millionths of a degree
  int64_t capacity = 0;
};

// A buyer's application to lead for a merchant: a new pickup point, or one of their own.
struct Application {
  int64_t merchant_id = 0;
  std::string name, phone;
  std::optional<PickupPointInput> pickup_point;
  std::optional<int64_t> pickup_point_id;
};
// {"merchant_id","name","phone","pickup_point":{name,address,hours,latitude,longitude,capacity}}
// or with "pickup_point_id" instead of "pickup_point".
Result<Application> ApplicationFromJson(const Json& body);

enum class LeaderStatus { kPending, kActive, kSuspended, kEnded, kRejected };
std::string_view ToString(LeaderStatus s);

struct PickupPoint {
  int64_t id = 0, leader_user_id = 0;
  PickupPointInput info;
};
// The public face (no owner).
Json ToJson(const PickupPoint& p);

struct Leader {
  int64_t id = 0, merchant_id = 0, user_id = 0, pickup_point_id = 0;
  std::string name, phone, code;
  LeaderStatus status = LeaderStatus::kPending;
  int64_t created_at_ms = 0, updated_at_ms = 0;
  PickupPoint point;
};
// for_self: with the attribution code; for the merchant the phone in full, else masked.
Json ToJson(const Leader& l, bool for_self);


// ---- campaigns ----

struct CampaignItemInput {
  int64_t sku_id = 0, price_fen = 0, stock = 0;
  std::optional<int64_t> commission_bps;
};
struct CampaignInput {
  std::string title;
  int64_t starts_at_ms = 0, cutoff_at_ms = 0;
  std::string pickup_date;  // YYYY-MM-DD
  int64_t commission_bps = 0;
  int64_t unpicked_days = 3;
  std::string unpicked_rule = "refund";  // refund | complete
  std::vector<CampaignItemInput> items;
};
// starts_at defaults to now (the caller passes now_ms).
Result<CampaignInput> CampaignInputFromJson(const Json& body, int64_t now_ms);

struct CampaignItem {
  int64_t sku_id = 0, product_id = 0, price_fen = 0, list_price_fen = 0, stock = 0, sold = 0;
  std::optional<int64_t> commission_bps;
  std::string title, image;
};
struct Campaign {
  int64_t id = 0, merchant_id = 0;
  std::string title, status;  // open | consolidated | cancelled
  int64_t starts_at_ms = 0, cutoff_at_ms = 0;
  std::string pickup_date;
  int64_t commission_bps = 0, unpicked_days = 0;
  std::string unpicked_rule;
  int64_t orders = 0;
  std::vector<CampaignItem> items;
};
Json ToJson(const Campaign& c);

// The shop's path of a leader's campaign link: "/#/tuan/<campaign>/<code>".
std::string LinkPath(int64_t campaign_id, const std::string& code);

// ---- batches (consolidated shipments) ----

// Buyers' orders in a batch, the per-buyer list; the picking list sums SKUs over them.
struct BatchView {
  Json batch;  // id, campaign, pickup point, leader, status, tracking, times, picking_list, buyers
};

class CommunityService {
 public:
  explicit CommunityService(trade::TradeService& trade);

  // Registers the pricing rule and the observer with trade, and the timer handlers. Once.
  void Install(TimerService& timers);

  // ---- leaders (the applicant / the leader: a buyer acting on their own roles) ----
  // A pending application; ALREADY_EXISTS when the user leads (or applied) for the merchant and
  // the role has not ended or been rejected (then it is reopened, pending).
  Result<Leader> Apply(Tx& tx, int64_t user_id, const Application& app);
  // The user's roles, newest first.
  Result<std::vector<Leader>> MyRoles(Reader& r, int64_t user_id);
  // The user's role `leader_id`; NOT_FOUND (LEADER_NOT_FOUND) for anyone else's.
  Result<Leader> MyRole(Reader& r, int64_t user_id, int64_t leader_id);

  // ---- leaders (the merchant) ----
  Result<std::vector<Leader>> MerchantLeaders(Reader& r, int64_t merchant_id,
                                              const std::string& status);
  // approve (pending|suspended → active), reject (pending → rejected), suspend (active →
  // suspended), end (pending|active|suspended → ended). LEADER_STATE otherwise.
  Result<Leader> SetLeaderStatus(Tx& tx, int64_t merchant_id, int64_t leader_id,
                                 const std::string& action);

  // ---- campaigns ----
  Result<Campaign> CreateCampaign(Tx& tx, int64_t merchant_id, const CampaignInput& in);
  // Closes the campaign now (提前截单: sold out, or the van leaves early): the cutoff becomes the
  // next millisecond and the cutoff timer consolidates at it, as at a cutoff set in advance.
  // CUTOFF_PASSED once its cutoff has passed, CAMPAIGN_NOT_OPEN for a cancelled one,
  // CAMPAIGN_NOT_FOUND for another merchant's.
  Result<Campaign> CloseCampaign(Tx& tx, int64_t merchant_id, int64_t campaign_id);
  // NOT_FOUND unless the merchant's (merchant_id set) or public (merchant_id empty).
  Result<Campaign> GetCampaign(Reader& r, int64_t campaign_id, std::optional<int64_t> merchant_id);
  Result<std::vector<Campaign>> MerchantCampaigns(Reader& r, int64_t merchant_id);
  // The campaign as a leader's link shows it: the campaign, the leader's pickup point (status
  // open, or closed for a leader who is not active), the link. CAMPAIGN_NOT_FOUND /
  // LEADER_NOT_FOUND for a code that is not the campaign's merchant's. An empty code: the
  // campaign and its shop only (the shop's own link; the buyer picks a pickup point).
  Result<Json> LinkView(Reader& r, int64_t campaign_id, const std::string& code);
  // The campaign's active pickup points nearest first from (lat, lng) (millionths), at most 50,
  // each with its distance in metres.
  Result<Json> NearestPoints(Reader& r, int64_t campaign_id, int64_t latitude_e6,
                             int64_t longitude_e6);
  // The leader's campaigns with their personal links.
  Result<Json> LeaderCampaigns(Reader& r, int64_t user_id, int64_t leader_id);

  // ---- orders and batches ----
  // The leader's orders of open campaigns (today's orders) with masked phones.
  Result<Json> LeaderOrders(Reader& r, int64_t user_id, int64_t leader_id);
  // Batches of the leader's pickup point for the merchant, newest first, with lists.
  Result<Json> LeaderBatches(Reader& r, int64_t user_id, int64_t leader_id);
  Result<Json> MerchantBatches(Reader& r, int64_t merchant_id, std::optional<int64_t> campaign_id);
  // One batch with its picking list and per-buyer list (phones masked unless for_merchant).
  Result<Json> MerchantBatch(Reader& r, int64_t merchant_id, int64_t batch_id);
  // CSV of the picking list and the buyers (for printing).
  Result<std::string> BatchCsv(Reader& r, int64_t merchant_id, int64_t batch_id);
  // Ships every paid order of the batch with one tracking number; an order still unpaid is
  // cancelled (its cutoff has passed). BATCH_STATE unless consolidated.
  Result<Json> ShipBatch(Tx& tx, int64_t merchant_id, int64_t batch_id, const std::string& carrier,
                         const std::string& tracking_no);
  // The leader marks the batch arrived: its orders are delivered, buyers are told (an event per
  // order), the pickup window starts (reminder and unpicked timers). 404 for another leader.
  Result<Json> MarkArrived(Tx& tx, int64_t user_id, int64_t leader_id, int64_t batch_id);
  // Verifies a pickup code at the leader's pickup point and hands over `items` (none = all
  // left). PICKUP_CODE_NOT_FOUND (404) for a code no open order of this point has (whoever's it
  // is), PICKUP_CODE_USED (409) when nothing is left to hand over. A full pickup completes the
  // order (commission).
  Result<Json> VerifyPickup(Tx& tx, int64_t user_id, int64_t leader_id, const std::string& code,
                            const std::vector<trade::LineRequest>& items);
  // What VerifyPickup would hand over for `code`, without handing anything over: the order's
  // lines with their picked counts and the buyer (phone masked), for a partial pickup. The same
  // refusals as VerifyPickup (PICKUP_CODE_NOT_FOUND for a code no open order of this point has,
  // PICKUP_CODE_USED, PICKUP_NOT_ARRIVED); 404 for another leader's role.
  Result<Json> PickupPreview(Reader& r, int64_t user_id, int64_t leader_id,
                             const std::string& code);
  // The buyer's pickup code for their order (NOT_FOUND for anyone else's).
  Result<Json> PickupCodeOf(Reader& r, int64_t buyer_id, int64_t order_id);

  // ---- the merchant's view of its leaders ----
  // Each active leader's own link to the merchant's campaign (orders through it are the
  // leader's): {"items":[{leader:{id,name}, pickup_point, link}]}. CAMPAIGN_NOT_FOUND for
  // another merchant's campaign.
  Result<Json> LeaderLinks(Reader& r, int64_t merchant_id, int64_t campaign_id);
  // Per leader per campaign (newest campaign first; one campaign with `campaign_id`): paid
  // orders, GMV (paid − refunded, fen), commission on completed orders, orders picked up;
  // {"items":[…], "totals":{orders, gmv_fen, commission_fen}}. Only the merchant's own orders.
  Result<Json> Performance(Reader& r, int64_t merchant_id, std::optional<int64_t> campaign_id);

  // ---- earnings ----
  Result<Json> Earnings(Reader& r, int64_t user_id, int64_t leader_id);
  Result<Json> Withdraw(Tx& tx, int64_t user_id, int64_t leader_id, int64_t amount_fen);

  // Invariants for `xiaodian check`: each leader's commission postings equal rate × picked-up
  // amounts (of what the buyer kept) of their completed orders; every paid order of a
  // consolidated campaign is in exactly one batch, its pickup point's; campaign stock
  // never oversold; leader accounts equal commissions minus withdrawals.
  // Reads no configuration: `xiaodian check` calls it without a service.
  static Result<std::vector<std::string>> Check(Reader& r);

  trade::TradeService& trade() { return trade_; }

 private:
  trade::TradeService& trade_;
};

}  // namespace xd::community
