// Social trading (SPEC §5): activities a merchant configures on one SKU — group buy (拼团),
// flash sale (秒杀), bargain (砍一刀), share-to-drop (转发降价) — coupons (优惠券),
// distribution (分销) and gifting (送礼), plugged into trade through its extension points:
//  - a PricingRule at stage 100 prices an activity order ("activity":{"id",...} in the
//    checkout), reserving what it grants (a group seat, flash stock, the bargain) when an
//    order is being created;
//  - PricingRules at 300 (one merchant coupon) and 400 (one platform coupon);
//  - an OrderObserver that moves groups on payment, and gives back seats, flash stock,
//    bargains and coupons when an unpaid order is cancelled;
//  - distribution: orders of a shared product are attributed to the buyer's last touch and
//    pay the sharer out of the merchant's share on completion (OnCompleting);
//  - durable timers: a group's deadline (fails it and refunds every paid member), a
//    bargain's expiry.
//
//   PromoService promo(trade, {});
//   promo.Install(timers);                       // rules, observer, timer handlers
//   ASSIGN_OR_RETURN(auto in, ActivityInputFromJson(body));
//   store.Execute([&](Tx& tx) { return ToStatus(promo.CreateActivity(tx, merchant_id, in)); });
//
// Every write runs inside the single-writer pipeline, so counters (seats, stock, quota) are
// checked and changed by one guarded UPDATE each, with no locks; the schema CHECKs them too.
// Thread-safety: PromoService holds only configuration; all methods may be called from any
// thread with their own Tx/Reader.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/result.h"
#include "store/store.h"
#include "store/timers.h"
#include "trade/trade.h"

namespace xd::promo {

struct PromoConfig {
  int64_t bargain_daily_help_cap = 10;          // helps one user may give per day
  int64_t day_offset_ms = 8LL * 3600 * 1000;    // calendar days in China time (UTC+8)
  int64_t default_window_ms = 30LL * 24 * 3600 * 1000;  // activity window when ends_at is omitted
  int64_t attribution_window_ms = 7LL * 24 * 3600 * 1000;  // a share's last touch earns orders this long
  int64_t gift_ttl_ms = 24LL * 3600 * 1000;                // a paid gift waits this long for its recipient
};

// ---- statuses: each an enum with its stored (and JSON) name and one transition table ----

enum class ActivityStatus { kActive, kStopped };
enum class GroupStatus { kForming, kSucceeded, kFailed };
enum class BargainStatus { kActive, kBought, kExpired };
enum class GiftStatus { kUnpaid, kWaiting, kAccepted, kRefunded, kCancelled };
enum class CouponStatus { kActive, kStopped };
// A wallet entry's stored status. "expired" is not one: it is an unused entry past its
// valid_to, derived when shown (UserCouponDisplayName).
enum class UserCouponStatus { kUnused, kUsed };
// The commission an attributed order line owes its sharer.
enum class CommissionStatus { kPending, kPaid, kCancelled };
// "active", "forming", ...: the name stored in the database and shown in JSON.
std::string_view Name(ActivityStatus s);
std::string_view Name(GroupStatus s);
std::string_view Name(BargainStatus s);
std::string_view Name(GiftStatus s);
std::string_view Name(CouponStatus s);
std::string_view Name(UserCouponStatus s);
std::string_view Name(CommissionStatus s);
// The status of a stored name; nullopt for a name the table does not know.
std::optional<ActivityStatus> ParseActivityStatus(std::string_view name);
std::optional<GroupStatus> ParseGroupStatus(std::string_view name);
std::optional<BargainStatus> ParseBargainStatus(std::string_view name);
std::optional<GiftStatus> ParseGiftStatus(std::string_view name);
std::optional<CouponStatus> ParseCouponStatus(std::string_view name);
std::optional<UserCouponStatus> ParseUserCouponStatus(std::string_view name);
std::optional<CommissionStatus> ParseCommissionStatus(std::string_view name);
// Whether the transition table allows `from` → `to`:
//   activity: active → stopped
//   group:    forming → succeeded | failed
//   bargain:  active → bought | expired; bought → active (its order cancelled in time) | expired
//   gift:     unpaid → waiting (paid) | cancelled; waiting → accepted | refunded
//   coupon:   active → stopped (no new claims; claimed ones stay usable)
//   wallet:   unused → used (an order took it); used → unused (its unpaid order was
//             cancelled). A used coupon is not used again.
//   commission: pending → paid (the order completed) | cancelled (cancelled or refunded)
bool CanMove(ActivityStatus from, ActivityStatus to);
bool CanMove(GroupStatus from, GroupStatus to);
bool CanMove(BargainStatus from, BargainStatus to);
bool CanMove(GiftStatus from, GiftStatus to);
bool CanMove(CouponStatus from, CouponStatus to);
bool CanMove(UserCouponStatus from, UserCouponStatus to);
bool CanMove(CommissionStatus from, CommissionStatus to);

// ---- activities ----

// A create-activity body (API.md "Bodies of social trading"), decoded and range-checked.
struct ActivityInput {
  std::string type;  // group_buy | flash_sale | bargain | share_drop
  int64_t sku_id = 0;
  std::optional<int64_t> starts_at_ms, ends_at_ms;
  // group_buy
  int64_t group_price_fen = 0, group_size = 0, group_ttl_s = 0;
  std::optional<int64_t> leader_price_fen;
  bool new_user_only = false;
  // flash_sale
  int64_t price_fen = 0, stock = 0, per_user_limit = 0;
  // bargain (and share_drop's floor)
  int64_t floor_price_fen = 0, helps_needed = 0, ttl_s = 0;
  // share_drop: (distinct friends who opened the buyer's link, basis points off), both rising
  std::vector<std::pair<int64_t, int64_t>> tiers;
};
Result<ActivityInput> ActivityInputFromJson(const Json& body);

struct Activity {
  int64_t id = 0, merchant_id = 0, sku_id = 0, product_id = 0;
  std::string type;
  ActivityStatus status = ActivityStatus::kActive;
  int64_t starts_at_ms = 0, ends_at_ms = 0;
  Json config = Json::object();  // the type's settings, as in the create body
  int64_t stock_total = 0, stock_left = 0;  // flash sale
  int64_t created_at_ms = 0;
};
Json ToJson(const Activity& a);
// What a buyer pays in the activity, as its card shows it: the flash or group price, a
// bargain's (or share-to-drop's) floor.
int64_t ActivityPriceFen(const Activity& a);

// ---- group buy ----

struct Group {
  int64_t id = 0, activity_id = 0, product_id = 0, leader_id = 0;
  int64_t size = 0, seats_taken = 0, paid_members = 0;
  GroupStatus status = GroupStatus::kForming;
  int64_t expires_at_ms = 0, created_at_ms = 0;
  std::optional<int64_t> ended_at_ms;
};
Json ToJson(const Group& g);

// ---- coupons ----

struct CouponInput {
  std::string title, kind;  // kind: fixed | percent | threshold
  int64_t amount_fen = 0;   // fixed, threshold: the amount off
  int64_t percent_bps = 0;  // percent: the share off (1000 = 10% off, i.e. 9折)
  int64_t cap_fen = 0;      // percent: the most it takes off (0 = no cap)
  int64_t min_spend_fen = 0;
  int64_t total_quota = 0, per_user_limit = 1;
  Json scope = Json::object();  // {"type":"merchant"|"sku"|"category"|"platform","ids":[...],"category":"..."}
  std::optional<int64_t> valid_from_ms, valid_to_ms, valid_days;
};
Result<CouponInput> CouponInputFromJson(const Json& body);

struct Coupon {
  int64_t id = 0;
  std::optional<int64_t> merchant_id;  // none: a platform coupon
  std::string title, kind;
  CouponStatus status = CouponStatus::kActive;
  int64_t amount_fen = 0, percent_bps = 0, cap_fen = 0, min_spend_fen = 0;
  int64_t total_quota = 0, claimed = 0, per_user_limit = 0;
  Json scope = Json::object();
  std::optional<int64_t> valid_from_ms, valid_to_ms, valid_days;
  int64_t created_at_ms = 0;
};
Json ToJson(const Coupon& c);

// A coupon in a buyer's wallet.
struct UserCoupon {
  int64_t id = 0, coupon_id = 0, user_id = 0;
  UserCouponStatus status = UserCouponStatus::kUnused;  // (expired is derived from valid_to_ms)
  int64_t valid_from_ms = 0, valid_to_ms = 0, claimed_at_ms = 0;
  std::optional<int64_t> order_id, used_at_ms;
  Coupon coupon;
};
// The status a wallet entry shows: its stored one, or "expired" when unused past valid_to.
std::string_view UserCouponDisplayName(const UserCoupon& uc, int64_t now_ms);
Json ToJson(const UserCoupon& uc, int64_t now_ms);

// ---- bargain ----

struct Bargain {
  int64_t id = 0, activity_id = 0, user_id = 0, sku_id = 0;
  int64_t merchant_id = 0;  // the activity's
  int64_t list_price_fen = 0, floor_price_fen = 0, current_price_fen = 0;
  int64_t helps_needed = 0, helps_done = 0, seed = 0;
  BargainStatus status = BargainStatus::kActive;
  std::optional<int64_t> order_id;
  int64_t expires_at_ms = 0, created_at_ms = 0;
};
Json ToJson(const Bargain& b);

struct HelpResult {
  int64_t cut_fen = 0;
  Bargain bargain;
};

// The cut schedule of a bargain: `helps` cuts, each ≥ 1 fen, non-increasing (first cuts
// large), summing exactly to `total_fen`; a pure function of the seed. INVALID_FIELD when
// total_fen < helps.
Result<std::vector<int64_t>> BargainCuts(int64_t seed, int64_t total_fen, int64_t helps);

// ---- distribution (分销 / 分享员) ----

// A share link (分享): a sharer (any buyer) shares a target through a channel, optionally
// into a chat group. Opening it makes the sharer the viewer's last touch for the target's
// product (or, for a shop link, for the shop); an order line of it within the attribution
// window then pays the sharer the product's commission when the order completes. Links are
// found by their code only; no user id is ever part of a link.
enum class ShareTarget { kProduct, kActivity, kGroup, kBargain, kShop };
// "product", "activity", "group", "bargain", "shop" (stored and in JSON).
std::string_view Name(ShareTarget t);
std::optional<ShareTarget> ParseShareTarget(std::string_view name);
// The channels a link is made for (a statistic, and part of what makes a link the same one):
// link (copied), qr (scanned), poster, chat (a chat message), moments (朋友圈).
bool IsShareChannel(std::string_view channel);

struct ShareRequest {
  ShareTarget target = ShareTarget::kProduct;
  int64_t target_id = 0;
  std::string channel = "link";
  std::optional<std::string> chat_group;  // the chat group it is posted in (群接龙), 1..64 bytes
};

struct Share {
  int64_t id = 0, sharer_id = 0, product_id = 0;  // product_id 0 for a shop link
  std::string code;                    // the public, unguessable handle of the link (12 base62 chars)
  std::optional<int64_t> activity_id;  // a share-to-drop (or other activity) link
  std::optional<std::string> chat_group;  // the chat group the link was posted in (群接龙)
  int64_t opens = 0;                   // distinct signed-in viewers other than the sharer
  int64_t friend_opens = 0;            // of whom friends of the sharer (share-to-drop counts these)
  int64_t created_at_ms = 0;
  ShareTarget target = ShareTarget::kProduct;
  int64_t target_id = 0;    // the product, activity, group, bargain or shop (merchant) id
  std::string channel = "link";
  int64_t merchant_id = 0;  // the target's shop
};
// for_sharer: includes the sharer's id and the chat group the link was posted in. Anyone
// holding the link sees the rest (the target, where it lands, the counts), never who shared it:
// the group's key is what its stats are guarded by, and a user id is not for strangers.
Json ToJson(const Share& s, bool for_sharer);
// The ledger account of a sharer's earned commissions: "sharer:<user_id>".
std::string SharerAccount(int64_t user_id);

// ---- gifting (送礼) ----

// An order bought as a gift ("activity":{"gift":{"message":"…","parts"?:N}} in the checkout).
// Once paid it waits in sub_status "gift_pending" until its N parts are accepted through the
// gift link (its token), each by a different recipient other than the sender, with an address
// (N > 1: one SKU, N units, one unit a part; N = 1: the whole order). The order then ships, with
// every part's address in it (gift_parts). At PromoConfig::gift_ttl_ms the parts nobody took are
// refunded: the whole order when none was taken (decision 019).
struct Gift {
  int64_t id = 0, order_id = 0, sender_id = 0, quantity = 0;
  std::string token, message, title, image;
  GiftStatus status = GiftStatus::kUnpaid;
  // The last recipient (the one whose acceptance ended the wait) and when.
  std::optional<int64_t> recipient_id, expires_at_ms, accepted_at_ms;
  int64_t created_at_ms = 0;
  int64_t parts = 1, accepted_parts = 0;  // recipients it is for; how many accepted so far
  std::string sender_nickname;            // who sent it, for the gift page
  std::optional<Json> my_part;            // the viewer's part, when they hold one
  Json parts_detail = Json::array();      // for the sender: each part's status and recipient
};
// for_sender: includes the token and the link to pass on.
Json ToJson(const Gift& g, bool for_sender);

inline constexpr const char* kTimerGiftExpire = "promo.gift_expire";
inline constexpr const char* kTimerGroupExpire = "promo.group_expire";
inline constexpr const char* kTimerBargainExpire = "promo.bargain_expire";

class PromoService {
 public:
  PromoService(trade::TradeService& trade, PromoConfig config);

  // Registers the pricing rules (stages 100, 300, 400) and the order observer with trade,
  // and the timer handlers with the scheduler. Call once, before serving.
  void Install(TimerService& timers);

  // ---- activities ----
  // Creates an activity on one of the merchant's SKUs (NOT_FOUND for another's SKU).
  Result<Activity> CreateActivity(Tx& tx, int64_t merchant_id, const ActivityInput& in);
  // merchant_id (when set): NOT_FOUND unless the activity is that merchant's.
  Result<Activity> GetActivity(Reader& r, int64_t id, std::optional<int64_t> merchant_id = {});
  Result<std::vector<Activity>> MerchantActivities(Reader& r, int64_t merchant_id, int64_t limit, int64_t before_id);
  // Running activities of a product (for its page).
  Result<std::vector<Activity>> ProductActivities(Reader& r, int64_t product_id);
  // The running activity of each product of `product_ids` (a list page's badges: one query,
  // however long the page): a flash sale before a group buy before a bargain, then the
  // cheapest; products without one are absent.
  Result<std::map<int64_t, Activity>> RunningActivityOf(Reader& r, const std::vector<int64_t>& product_ids);
  // Running activities of `type` (a channel page: 秒杀, 拼团, 砍价) in active shops on on-sale
  // products, ending soonest first, with what the card shows. `after_id`: the last activity
  // of the previous page (0: the first page).
  struct ChannelItem {
    Activity activity;
    std::string title, image, merchant_name;
    int64_t list_price_fen = 0, sales = 0;
  };
  Result<std::vector<ChannelItem>> Channel(Reader& r, const std::string& type, int64_t limit, int64_t after_id);
  // What the buyer holds in each activity of `activity_ids`: units of orders created or paid
  // in it (a flash sale's per-user limit counts these), one query; absent = none.
  Result<std::map<int64_t, int64_t>> BoughtIn(Reader& r, int64_t buyer_id, const std::vector<int64_t>& activity_ids);
  // Whether the buyer holds a seat in the group (an order created or paid in it).
  Result<bool> InGroup(Reader& r, int64_t buyer_id, int64_t group_id);
  // Stops an activity: no new orders, groups or bargains (running groups finish).
  Result<Activity> StopActivity(Tx& tx, int64_t merchant_id, int64_t id);

  // ---- group buy ----
  Result<Group> GetGroup(Reader& r, int64_t id);
  // Forming, unexpired groups of a product with seats left, the fullest first.
  Result<std::vector<Group>> JoinableGroups(Reader& r, int64_t product_id, int64_t limit);

  // ---- coupons ----
  // A merchant coupon (merchant_id set; scope merchant|sku|category) or a platform coupon
  // (merchant_id none; scope platform|category).
  Result<Coupon> CreateCoupon(Tx& tx, std::optional<int64_t> merchant_id, const CouponInput& in);
  Result<Coupon> GetCoupon(Reader& r, int64_t id);
  Result<std::vector<Coupon>> MerchantCoupons(Reader& r, std::optional<int64_t> merchant_id, int64_t limit, int64_t before_id);
  // Coupons a buyer can claim now (active, quota left, not past valid_to, the shop active):
  // the platform's, one shop's, or every shop's (the coupon centre), newest first, with the
  // shop's name.
  enum class CouponSource { kPlatform, kShop, kEveryShop };
  struct ClaimableCoupon {
    Coupon coupon;
    std::string merchant_name;  // empty for a platform coupon
  };
  Result<std::vector<ClaimableCoupon>> ClaimableCoupons(Reader& r, CouponSource source, int64_t merchant_id, int64_t limit,
                                                        int64_t before_id);
  // Puts one coupon in the buyer's wallet: LIMIT_EXCEEDED at the per-user limit, CONFLICT
  // when the quota is gone, INVALID_STATE when stopped or past its window.
  Result<UserCoupon> ClaimCoupon(Tx& tx, int64_t user_id, int64_t coupon_id);
  // Stops handing a coupon out (StopCoupon by its merchant; NOT_FOUND for another's): no new
  // claims, wallet entries stay usable. Stopping a stopped coupon answers it as it is.
  Result<Coupon> StopCoupon(Tx& tx, std::optional<int64_t> merchant_id, int64_t id);
  // Wallet entries used at checkout, per coupon of `coupon_ids` (one query; absent = 0).
  Result<std::map<int64_t, int64_t>> CouponsUsed(Reader& r, const std::vector<int64_t>& coupon_ids);
  // How many of each coupon of `coupon_ids` the buyer holds, used or not (one query).
  Result<std::map<int64_t, int64_t>> CouponsHeld(Reader& r, int64_t user_id, const std::vector<int64_t>& coupon_ids);
  // status: "" (all) | unused | used | expired.
  Result<std::vector<UserCoupon>> UserCoupons(Reader& r, int64_t user_id, const std::string& status, int64_t limit,
                                              int64_t before_id);

  // ---- bargain ----
  Result<Bargain> StartBargain(Tx& tx, int64_t user_id, int64_t activity_id);
  Result<Bargain> GetBargain(Reader& r, int64_t id);
  // One help by another user: cuts the next amount of the schedule. ALREADY_EXISTS when
  // this helper helped before, LIMIT_EXCEEDED past the helper's daily cap, INVALID_STATE
  // when the bargain is over or already at its floor.
  Result<HelpResult> HelpBargain(Tx& tx, int64_t helper_id, int64_t bargain_id);
  Result<std::vector<Json>> BargainHelps(Reader& r, int64_t bargain_id);

  // ---- distribution ----
  // Sets the sharer commission of one of the merchant's products (0..5000 bps; 0 = none).
  Result<Json> SetDistribution(Tx& tx, int64_t merchant_id, int64_t product_id, int64_t commission_bps);
  // The merchant's distribution page: {"products":[{product_id,title,commission_bps}] (rates
  // set, highest first), "totals":{pending_fen,paid_fen,cancelled_fen,orders},
  // "leaderboard":[{rank,sharer (nickname),orders,paid_fen,pending_fen}]} — sharers by paid
  // commission on the merchant's orders, at most `limit`; sharers are named by nickname only.
  Result<Json> MerchantDistribution(Reader& r, int64_t merchant_id, int64_t limit);
  // The sharer's link to `req`'s target: the one made before for the same (sharer, target,
  // channel, chat group) if there is one (idempotent: a share sheet opened twice is one link),
  // else a new one with a fresh random code. The target must exist and be open to buyers (an
  // on-sale product, an activity, a group, a bargain, an active shop); a share_drop's price
  // falls as distinct friends open the sharer's links of its activity.
  Result<Share> CreateShare(Tx& tx, int64_t sharer_id, const ShareRequest& req);
  // The sharer's existing link for `req`, if any (the route's read before it writes).
  Result<std::optional<Share>> FindShare(Reader& r, int64_t sharer_id, const ShareRequest& req);
  Result<Share> GetShare(Reader& r, int64_t id);
  // A share by its public code; NOT_FOUND for unknown codes (the same answer whatever the
  // code looks like, so a probe learns nothing).
  Result<Share> ShareByCode(Reader& r, const std::string& code);
  // `viewer_id` opened the link: counted once per viewer, and the sharer becomes the viewer's
  // last touch for the product (a shop link: for the shop). A sharer's own opens count and
  // attribute nothing. via_signup: the viewer registered through the link (their first touch).
  Result<Share> OpenShare(Tx& tx, int64_t viewer_id, int64_t share_id, bool via_signup = false);
  // 我的收益: {"balance_fen" (available: the sharer account), "pending_fen" (what open orders
  // would pay at their current amounts), "paid_fen", "cancelled_fen" (at the rate, of lines
  // whose orders were cancelled or refunded), "withdrawn_fen", "card_balance_fen" (the
  // buyer's store credit, where withdrawals go), "items":[commissions, newest first],
  // "withdrawals":[newest first]}.
  Result<Json> SharerCommissions(Reader& r, int64_t sharer_id, int64_t limit);
  // Moves `amount_fen` of the sharer's available earnings to their store credit (card:<id>):
  // one balanced journal entry, decided on the account's locked balance so that concurrent
  // withdrawals (and commissions arriving) never take it below zero — INSUFFICIENT_FUNDS
  // (SHARER_BALANCE_LOW) beyond it. Answers {"withdrawal":{...},"balance_fen","card_balance_fen"}.
  Result<Json> WithdrawSharerEarnings(Tx& tx, int64_t sharer_id, int64_t amount_fen);

  // The buyer's share-to-drop progress on an activity (its SKU's list price, the friends who
  // opened the buyer's links, the price now and the next tier); INVALID_FIELD for another type.
  Result<Json> ShareDropProgress(Reader& r, int64_t activity_id, int64_t buyer_id);

  // ---- gifting ----
  Result<Gift> GiftByToken(Reader& r, const std::string& token);
  Result<std::vector<Gift>> SentGifts(Reader& r, int64_t sender_id, int64_t limit, int64_t before_id);
  // A recipient accepts the lowest waiting part with their address; the last part accepted
  // makes the order shippable. INVALID_STATE unless waiting and unexpired; RULE_VIOLATION for
  // the sender; ALREADY_EXISTS (GIFT_PART_HELD) for a recipient who holds a part; CONFLICT
  // (GIFT_ALL_ACCEPTED) when every part is taken.
  Result<Gift> AcceptGift(Tx& tx, int64_t recipient_id, const std::string& token, const Json& address);
  // Each part of a gift: {part_no,status,recipient_nickname,accepted_at,refunded_fen} (the sender's view).
  Result<Json> GiftPartsDetail(Reader& r, int64_t gift_id);
  // Where each part of a gift order goes, for the merchant who ships it:
  // {"order_id","parts":[{part_no,status,address|null,accepted_at,refunded_fen}]}; NOT_FOUND
  // unless the order is the merchant's ([] parts for an order that is no gift).
  Result<Json> MerchantGiftParts(Reader& r, int64_t merchant_id, int64_t order_id);
  // The part `user_id` holds of the gift, if any.
  Result<std::optional<Json>> MyGiftPart(Reader& r, int64_t gift_id, int64_t user_id);

  // ---- chat-group links and recommendations ----
  // A chat group's stats as its owner merchant sees them — the part of the group that is the
  // merchant's (links to its products posted there, orders of its products through them):
  // {"view":"merchant","chat_group","opens","orders","paid_orders","gmv_fen",
  //  "jielong":[{seq,nickname,title,quantity,status,ordered_at}]} (接龙: who ordered what, in
  // order; cancelled orders do not count; GMV is what paid orders kept after refunds).
  // NOT_FOUND when no link to the merchant's products was posted in the group.
  Result<Json> ChatGroupMerchantStats(Reader& r, int64_t merchant_id, const std::string& chat_group, int64_t limit);
  // The chat groups the merchant's links were posted in (the most opened first, at most
  // `limit`): {"days","items":[{chat_group,no,first_sharer,first_shared_at,links,opens (all
  // time),orders,gmv_fen (the last `days` calendar days, China time),"days":[{date,opens,orders,
  // gmv_fen}] newest first, days with activity only}]}; orders and GMV as in
  // ChatGroupMerchantStats. `no` numbers the shop's groups by their first link (1 = the first
  // group), `first_sharer` is that link's sharer's nickname: what people see instead of the key.
  Result<Json> MerchantChatGroups(Reader& r, int64_t merchant_id, int64_t days, int64_t limit);
  // The same group as one of its members sees it: {"view":"member","chat_group","jielong"}
  // with masked nicknames (小王 → 小*) and no GMV or totals, across every shop in the group.
  // A member posted a link into the group, opened a link posted there, or ordered through
  // one; NOT_FOUND for anyone else (existence is not revealed).
  Result<Json> ChatGroupMemberStats(Reader& r, int64_t user_id, const std::string& chat_group, int64_t limit);
  // A buyer recommends an on-sale product with a line of text (again: replaces the text).
  Result<Json> Recommend(Tx& tx, int64_t user_id, int64_t product_id, const std::string& text);
  // The caller's friends who recommend a product ("N 位好友推荐"): {"count","items":[{nickname,
  // text,created_at}] (newest first, at most `limit`),"mine": the caller's own text | null}.
  Result<Json> FriendRecommendations(Reader& r, int64_t user_id, int64_t product_id, int64_t limit);
  // Friends' recommendations, newest first, with the product's title, price and image.
  Result<Json> FriendsFeed(Reader& r, int64_t user_id, int64_t limit, int64_t before_ms);

  // Invariants for `xiaodian check`: no over-filled group, seat and payment counters agree
  // with the orders, no over-issued coupon or per-user excess, flash stock conserved,
  // bargain cuts sum exactly, sharer balances agree with paid commissions. Problems found;
  // empty when sound.
  Result<std::vector<std::string>> Check(Reader& r);

  const PromoConfig& config() const { return config_; }
  trade::TradeService& trade() { return trade_; }

 private:
  trade::TradeService& trade_;
  PromoConfig config_;
};

}  // namespace xd::promo
