// O2O membership cards (会员卡, SPEC §6; issue 16): a merchant's physical stores (门店), its
// one card programme (levels with a growth threshold, a discount and a points multiplier;
// points per yuan, points validity, an optional issue limit), the buyers' cards claimed by
// scanning a QR code of a claim link, the rotating member code a store's POS scans, member
// prices at checkout, points earned online and offline (the POS API) and redeemed, pushes to
// members' inboxes, and card sharing. Plugged into trade through its extension points:
//  - a PricingRule at stage 200 ("member"): the buyer's level discount on the merchant's lines
//    that no activity priced (or a SKU's member price), shown as its own step;
//  - a PricingRule at stage 450 ("points"): points redeemed at the programme's rate and cap;
//  - an OrderObserver: a completed order earns points (points per yuan × the level's
//    multiplier) and growth (1 per yuan) on the buyer's card at that merchant (decision 018);
//    refunds reverse their share (a debt when spent) and give redeemed points back.
//
//   MemberService member(trade, secret);          // secret: StoredMemberCodeSecret, or configured
//   member.Install();                               // the pricing rule and the observer
//   ASSIGN_OR_RETURN(ProgrammeConfig cfg, ProgrammeConfigFromJson(body));
//   store.Execute([&](Tx& tx) { return ToStatus(member.PutProgramme(tx, merchant_id, cfg)); });
//   store.Execute([&](Tx& tx) { return ToStatus(member.Claim(tx, user_id, token)); });
//
// Claims hold under any concurrency and across nodes: the programme's `issued` counter moves by
// one guarded UPDATE (issued < issue_limit), a card is one INSERT … ON CONFLICT DO NOTHING on
// the (buyer, merchant) unique index, so a racing second claim of one buyer finds the first
// card, and a claim past the limit rolls back with its card. Points are an append-only journal
// (member_points_journal); a card's points and growth are its journal's sums, checked by
// `xiaodian check` (Check).
//
// Thread-safety: MemberService holds only configuration; every method may be called from any
// thread with its own Tx/Reader.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/limits.h"
#include "base/result.h"
#include "store/store.h"
#include "store/timers.h"
#include "trade/trade.h"

namespace xd::member {

// ---- the card programme ----

// One level of a programme. Levels are ordered by growth threshold, the first at 0 (every new
// member's). Rates in basis points: discount_bps 500 = 5% off (9.5折); points_multiplier_bps
// 10000 = ×1, 15000 = ×1.5.
struct Level {
  std::string name;
  int64_t growth_threshold = 0;
  int64_t discount_bps = 0;
  int64_t points_multiplier_bps = 10'000;
  std::string benefits;
};

// What a merchant sets (the body of PUT /merchant/member-programme), typed and validated.
struct ProgrammeConfig {
  std::string title;
  std::string cover_color = "#c8a063";  // #rrggbb
  std::vector<Level> levels;
  int64_t points_per_yuan = 1;
  int64_t points_validity_days = 0;    // 0: points never expire
  std::optional<int64_t> issue_limit;  // none: unlimited
  // Redemption at checkout: this many points take ¥1 off (0: redemption is off), up to
  // redeem_cap_bps of the order's goods after discounts. Funded by the merchant.
  int64_t redeem_points_per_yuan = 0;
  int64_t redeem_cap_bps = 0;
  // Pushes a member receives from this merchant in any 7 days (limits::kMaxPushCapPerWeek).
  int64_t push_cap_per_week = limits::kDefaultPushCapPerWeek;
  // Points a member earns when a friend claims the card from their share link (0: none).
  int64_t referral_bonus_points = 0;
};
// Reads and validates a programme body: INVALID_FIELD / MISSING_FIELD / UNKNOWN_FIELD with the
// field named; levels 1..limits::kMaxMemberLevels, the first at threshold 0, thresholds
// strictly rising, names unique.
Result<ProgrammeConfig> ProgrammeConfigFromJson(const Json& body);
// The levels as stored and shown (an array of objects), and read back without throwing: a
// malformed stored value is INTERNAL (the store was written by something else).
Json LevelsToJson(const std::vector<Level>& levels);
Result<std::vector<Level>> StoredLevels(const std::string& text);
// The highest level whose threshold `growth` reaches.
int64_t LevelForGrowth(const std::vector<Level>& levels, int64_t growth);
// "9.5折" for 500 bps off; "" for none.
std::string DiscountLabel(int64_t discount_bps);

struct Programme {
  int64_t id = 0, merchant_id = 0;
  ProgrammeConfig config;
  int64_t issued = 0;
  std::string claim_token;  // the programme's claim link (also every store has its own)
  int64_t created_at_ms = 0, updated_at_ms = 0;
};
// for_staff: with the issued count and the claim token and link; the public view (a claim
// page) shows what a member gets.
Json ToJson(const Programme& p, bool for_staff);

// ---- stores (门店) ----

struct StoreInput {
  std::string name, address, opening_hours;
  int64_t latitude_e6 = 0, longitude_e6 = 0;  // millionths of a degree
};
// {"name","address","opening_hours","latitude","longitude"} (degrees as JSON numbers, kept to
// six decimals).
Result<StoreInput> StoreInputFromJson(const Json& body);

enum class StoreStatus { kOpen, kDeleted };
struct MemberStore {
  int64_t id = 0, merchant_id = 0;
  StoreInput info;
  std::string claim_token;
  StoreStatus status = StoreStatus::kOpen;
  int64_t created_at_ms = 0, updated_at_ms = 0;
};
Json ToJson(const MemberStore& s, bool for_staff);

// The shop's path of a claim link: "/#/c/<token>" (the QR code encodes it with the origin).
std::string ClaimPath(const std::string& token);

// ---- cards ----

struct Card {
  int64_t id = 0, merchant_id = 0, programme_id = 0, user_id = 0;
  std::string card_no;
  int64_t level = 0, points = 0, growth = 0;
  std::optional<int64_t> store_id;
  int64_t claimed_at_ms = 0;
  // Points a refund took back after they were spent; later earnings pay it first.
  int64_t points_debt = 0;
  // Growth at the start of the review year: the level follows growth - growth_base (up at
  // once, down only at the review at review_at_ms).
  int64_t growth_base = 0, review_at_ms = 0, expiry_swept_at_ms = 0;
  int64_t online_spend_fen = 0, offline_spend_fen = 0;
  std::optional<int64_t> pushes_opted_out_at_ms;
  std::optional<std::string> share_token;
  std::optional<int64_t> referrer_card_id;
};
// The card with its programme's face and its level (clamped to the levels there are), and the
// next level's threshold when there is one.
Json ToJson(const Card& c, const Programme& p, const std::string& merchant_name);

// What a claim link leads to.
struct ClaimTarget {
  Programme programme;
  std::optional<MemberStore> store;  // a store's link
  std::optional<Card> referrer;      // a member's share link: the card shared
  std::string merchant_name;
};

struct ClaimResult {
  Card card;
  bool created = false;  // false: the buyer already held this merchant's card
};

// ---- member codes ----
// A member code is the card number (10 digits) followed by an 8-digit MAC of the card number
// and the minute it was made in, under the merchant's key (HMAC-SHA256 of the store's secret
// and the merchant id): a new one every kMemberCodeStepMs, each valid kMemberCodeTtlMs from the
// start of its minute. The same digits are the QR code's content.
inline constexpr int64_t kMemberCodeStepMs = 60'000;
inline constexpr int64_t kMemberCodeTtlMs = 120'000;
inline constexpr size_t kCardNoDigits = 10;
inline constexpr size_t kMemberCodeDigits = 18;
// The POS's refused member codes are limited per API key per window (counted in the store:
// member_pos_code_failures, so every node sees one count).
inline constexpr int64_t kPosCodeWindowMs = 10 * 60'000;

struct MemberCode {
  std::string digits;
  int64_t issued_at_ms = 0;   // the start of its minute
  int64_t refresh_at_ms = 0;  // when the next one is made
  int64_t expires_at_ms = 0;
};
MemberCode MakeMemberCode(std::string_view secret, int64_t merchant_id, const std::string& card_no,
                          int64_t now_ms);
// The card number of a code made for `merchant_id` that is valid at now_ms. INVALID_CODE
// (401) for a code that is malformed, forged, another merchant's or expired (a POS tells the
// member to refresh); never a hint which.
Result<std::string> VerifyMemberCode(std::string_view secret, int64_t merchant_id,
                                     std::string_view code, int64_t now_ms);

// The member-code secret kept in the store: generated at random on first use (member_config).
Result<std::string> StoredMemberCodeSecret(Tx& tx);

// One journal entry as the member sees it. kind: order_completed (earned when an order
// completes; order_paid: earned at payment, before decision 018) | order_refunded | redeemed |
// redeem_returned | pos_purchase | pos_refunded | expired | adjusted | referral_bonus |
// level_review. `debt`: what it added to (or, negative, paid off) the card's points debt.
struct PointsEntry {
  int64_t id = 0, card_id = 0;
  std::string kind;
  std::optional<int64_t> order_id;
  int64_t points = 0, growth = 0;
  std::optional<int64_t> expires_at_ms;
  int64_t created_at_ms = 0;
  int64_t debt = 0;
  std::optional<int64_t> ref_id;
  std::string note;
};
Json ToJson(const PointsEntry& e);

// ---- offline purchases (the POS API) ----

struct PosItem {
  std::string name;
  int64_t quantity = 0, amount_fen = 0;
};
// POST /open/pos/purchases: {"store_id","member_code","receipt_id","amount_fen","items":[{name,
// quantity, amount_fen}]} (items optional, at most limits::kMaxPosItems).
struct PosPurchaseInput {
  int64_t store_id = 0;
  std::string member_code, receipt_id;
  int64_t amount_fen = 0;
  std::vector<PosItem> items;
};
Result<PosPurchaseInput> PosPurchaseFromJson(const Json& body);

enum class PosStatus { kCompleted, kRefunded };
struct PosPurchase {
  int64_t id = 0, merchant_id = 0, store_id = 0, card_id = 0, user_id = 0;
  std::string receipt_id;
  int64_t amount_fen = 0;
  std::vector<PosItem> items;
  int64_t points = 0, growth = 0;
  // kRefunded once refunded_fen reaches amount_fen; partial refunds keep it kCompleted.
  PosStatus status = PosStatus::kCompleted;
  int64_t refunded_fen = 0;
  int64_t created_at_ms = 0;
  std::optional<int64_t> refunded_at_ms;  // the last refund's time
};
Json ToJson(const PosPurchase& p);

// POST /open/pos/purchases/{id}/refund: {"amount_fen", "refund_id"} (the POS's own id of the
// refund; a repeat of it changes nothing), or no body: whatever is left, in full.
struct PosRefundInput {
  std::optional<int64_t> amount_fen;  // none: the rest
  std::string refund_id;              // "" with no amount
};
Result<PosRefundInput> PosRefundFromJson(const Json& body);

struct PosResult {
  PosPurchase purchase;
  bool replayed = false;  // the receipt was recorded before: this is the first result
  int64_t points_balance = 0;
};

// ---- pushes to members ----

// Who a push goes to: all members, a level, or the members carrying every one of `tags` (the
// data platform's user tags, issue 19: "rfm:champion", "interest:<category>", …). A tag
// audience is resolved by the caller before the push is created (member ranks below insight:
// the HTTP layer asks insight which of the merchant's members carry the tags and hands their
// user ids in `tag_user_ids`); CreatePush keeps only the merchant's own cards among them.
struct PushAudience {
  enum class Kind { kAll, kLevel, kTags };
  Kind kind = Kind::kAll;
  int64_t level = 0;  // the level index members show
  std::vector<std::string> tags;
  std::vector<int64_t> tag_user_ids;  // kTags: resolved by the caller, never read from JSON
};
// POST /merchant/member-pushes: {"text", "product_id"?, "coupon_id"?, "audience"?: {"all":
// true} | {"level": n} | {"tags": [..]}} (all members when absent).
struct PushInput {
  std::string text;
  std::optional<int64_t> product_id, coupon_id;
  PushAudience audience;
};
Result<PushInput> PushInputFromJson(const Json& body);

struct Push {
  int64_t id = 0, merchant_id = 0;
  PushInput input;
  bool sent = false;  // delivery reached the whole audience
  int64_t cursor_card_id = 0;
  // targeted = delivered + capped + opted_out; opened and ordered_7d computed when read.
  int64_t targeted = 0, delivered = 0, capped = 0, opted_out = 0, opened = 0, ordered_7d = 0;
  int64_t created_by = 0, created_at_ms = 0;
};
Json ToJson(const Push& p);

class MemberService {
 public:
  MemberService(trade::TradeService& trade, std::string code_secret);

  // Registers the member pricing rule (stage 200), the points redemption rule (stage 450) and
  // the points observer with trade. Once, before serving.
  void Install();
  // Registers the sweep (points expiry, yearly level reviews) and push delivery timers, and
  // schedules the sweep when none is pending. Once, before serving.
  Status InstallTimers(Store& store, TimerService& timers);

  // ---- programme (staff: the routes authorize inside the command; these take the merchant) ----
  // Creates the merchant's programme or replaces its settings (the claim token stays). Levels
  // may change freely: cards keep their points and growth (the journal is never rewritten) and
  // their level index, shown clamped to the levels there are. RULE_VIOLATION for an issue limit
  // below the cards already issued.
  Result<Programme> PutProgramme(Tx& tx, int64_t merchant_id, const ProgrammeConfig& config);
  // NOT_FOUND when the merchant has none.
  Result<Programme> GetProgramme(Reader& r, int64_t merchant_id);

  // ---- stores ----
  Result<MemberStore> CreateStore(Tx& tx, int64_t merchant_id, const StoreInput& in);
  // NOT_FOUND unless the store is the merchant's and not deleted.
  Result<MemberStore> UpdateStore(Tx& tx, int64_t merchant_id, int64_t store_id,
                                  const StoreInput& in);
  Status DeleteStore(Tx& tx, int64_t merchant_id, int64_t store_id);
  Result<MemberStore> GetStore(Reader& r, int64_t merchant_id, int64_t store_id);
  // The merchant's open stores, oldest first (at most limits::kMaxMemberStores).
  Result<std::vector<MemberStore>> Stores(Reader& r, int64_t merchant_id);

  // ---- claiming ----
  // The programme (and store) a claim token names; NOT_FOUND for an unknown token, a deleted
  // store's, or a merchant that is not active.
  Result<ClaimTarget> ResolveClaim(Reader& r, const std::string& token);
  // Puts the merchant's card in the buyer's wallet, once: a buyer who holds it gets it back
  // (created = false). CONFLICT when the programme's issue limit is reached.
  Result<ClaimResult> Claim(Tx& tx, int64_t user_id, const std::string& token);

  // The card's share link (made on first use, then the same): a friend claims the merchant's
  // card from it and the referral is recorded, with the programme's referral bonus to the
  // sharer (funded by the merchant). NOT_FOUND for anyone else's card.
  Result<std::string> ShareToken(Tx& tx, int64_t user_id, int64_t card_id);
  // The cards claimed from the card's share link, newest first.
  Result<Json> Referrals(Reader& r, int64_t user_id, int64_t card_id);

  // ---- the buyer's cards ----
  // The buyer's cards, newest first, with each programme and merchant name.
  Result<Json> Wallet(Reader& r, int64_t user_id);
  // One of the buyer's cards (NOT_FOUND for anyone else's).
  Result<Json> CardView(Reader& r, int64_t user_id, int64_t card_id);
  // The card's current member code (NOT_FOUND for anyone else's card).
  Result<MemberCode> CodeFor(Reader& r, int64_t user_id, int64_t card_id);
  // The card's journal, newest first.
  Result<std::vector<PointsEntry>> Points(Reader& r, int64_t user_id, int64_t card_id,
                                          int64_t limit, int64_t before_id);

  // ---- the merchant's members ----
  // The merchant's cards, newest first: {"items":[{id,card_no,member:{id,nickname,phone}
  // (phone masked 138****0000),level:{index,name},points,growth,store_id,claimed_at}],
  // "next_cursor"}.
  // `query` (may be empty) finds members by a part of their phone, nickname or card number.
  Result<Json> Members(Reader& r, int64_t merchant_id, int64_t limit, int64_t before_id,
                       const std::string& query = "");

  // Adds (points > 0) or removes points by hand with a reason, as staff `actor_id` (the entry
  // keeps both: audited). NOT_FOUND for another merchant's card; RULE_VIOLATION
  // (MEMBER_ADJUST_BELOW_ZERO) for taking more than the balance. An addition pays a debt first.
  Result<Card> AdjustPoints(Tx& tx, int64_t merchant_id, int64_t card_id, int64_t points,
                            const std::string& reason, int64_t actor_id);
  // A card's journal as its merchant sees it (NOT_FOUND for another merchant's card).
  Result<std::vector<PointsEntry>> CardPointsForStaff(Reader& r, int64_t merchant_id,
                                                      int64_t card_id, int64_t limit,
                                                      int64_t before_id);

  // ---- per-SKU member prices ----
  // Sets the member price of one of the merchant's SKUs (NOT_FOUND for anyone else's SKU;
  // RULE_VIOLATION when it is not below the SKU's price).
  Status PutSkuPrice(Tx& tx, int64_t merchant_id, int64_t sku_id, int64_t price_fen);
  Status DeleteSkuPrice(Tx& tx, int64_t merchant_id, int64_t sku_id);
  // [{sku_id, price_fen, list_price_fen, title}], at most limits::kMaxMemberSkuPrices.
  Result<Json> SkuPrices(Reader& r, int64_t merchant_id);

  // ---- for the POS ----
  // The merchant's card a scanned member code names; INVALID_CODE as VerifyMemberCode.
  Result<Card> CardByCode(Reader& r, int64_t merchant_id, std::string_view code);
  // Records an offline purchase at one of the merchant's stores and earns its points and
  // growth at once (points per yuan × the level's multiplier; 1 growth per yuan), paying a
  // debt first. Idempotent by (merchant, receipt id): a replay — concurrent or later, even
  // after the code expired — returns the first purchase, replayed = true, and earns nothing.
  // NOT_FOUND (MEMBER_STORE_NOT_FOUND) for a store that is not the merchant's; INVALID_CODE
  // for a forged, expired or foreign member code; RATE_LIMITED after
  // limits::kMaxPosCodeFailures refused codes of one `limiter_key` (an API key) within
  // kPosCodeWindowMs, until that window ends — unless `admitted`: AdmitRefusedCode counted
  // this attempt and let it through.
  Result<PosResult> RecordPosPurchase(Tx& tx, int64_t merchant_id, const std::string& limiter_key,
                                      std::optional<int64_t> api_key_id, const PosPurchaseInput& in,
                                      bool admitted = false);
  // Refunds an offline purchase in part or in full (the rest, with no amount): its points and
  // growth are taken back in proportion, cumulatively — after refunds of r fen in all the
  // purchase has given back floor(points × r / amount) points and floor(growth × r / amount)
  // growth, so the parts add up exactly to a full refund — from the balance and the rest as a
  // debt. Once per refund id (a repeat returns the purchase as it is; so does a refund of the
  // rest when nothing is left). NOT_FOUND for another merchant's purchase; RULE_VIOLATION
  // (MEMBER_POS_REFUND_TOO_MUCH) for more than is left.
  Result<PosPurchase> RefundPosPurchase(Tx& tx, int64_t merchant_id, int64_t purchase_id,
                                        const PosRefundInput& in = {});
  // Counts a refused member code of `limiter_key` before the purchase command runs (its own
  // command: the purchase's rolls back with its refusal). False, counting nothing, when the
  // key has used up limits::kMaxPosCodeFailures in the current window; true without counting
  // when the receipt is already recorded (a replay answers with the first purchase).
  Result<bool> AdmitRefusedCode(Tx& tx, int64_t merchant_id, const std::string& limiter_key,
                                const std::string& receipt_id);
  Result<PosPurchase> GetPosPurchase(Reader& r, int64_t merchant_id, int64_t purchase_id);

  // ---- pushes ----
  // Creates a push and delivers it to the first kPushBatch members of its audience at once
  // (the rest on the member.push timer). NOT_FOUND without a programme, or for a product or
  // coupon that is not the merchant's; INVALID_FIELD for a level the programme lacks. A tag
  // audience targets the merchant's cards held by in.audience.tag_user_ids (others ignored).
  Result<Push> CreatePush(Tx& tx, int64_t merchant_id, int64_t actor_id, const PushInput& in);
  // The user ids of the merchant's members, oldest card first, at most `limit` (a tag audience
  // is matched among them by the data platform).
  Result<std::vector<int64_t>> MemberUserIds(Reader& r, int64_t merchant_id, int64_t limit);
  // With its stats (NOT_FOUND for another merchant's).
  Result<Push> GetPush(Reader& r, int64_t merchant_id, int64_t push_id);
  Result<std::vector<Push>> Pushes(Reader& r, int64_t merchant_id, int64_t limit,
                                   int64_t before_id);
  // The buyer's inbox (消息), newest first: {"items":[{id, merchant:{id,name}, text,
  // product_id, coupon_id, card_id, delivered_at, opened}], "unread", "next_cursor"}.
  Result<Json> Inbox(Reader& r, int64_t user_id, int64_t limit, int64_t before_id);
  // Marks a message opened (once; NOT_FOUND for anyone else's).
  Status OpenMessage(Tx& tx, int64_t user_id, int64_t message_id);
  // The member's opt-out of the card's merchant's pushes (NOT_FOUND for anyone else's card).
  Status SetPushOptOut(Tx& tx, int64_t user_id, int64_t card_id, bool opt_out);

  // Invariants for `xiaodian check`: every card's points and growth equal its journal's sums,
  // no negative balance, every programme's issued count equals its cards and stays within its
  // limit, no order reversed beyond what it earned. Problems found; empty when sound.
  Result<std::vector<std::string>> Check(Reader& r);

  trade::TradeService& trade() { return trade_; }
  const std::string& code_secret() const { return code_secret_; }

 private:
  void RegisterPushTimer(TimerService& timers);
  // Refused member codes of the limiter key in the current window (member_pos_code_failures).
  Result<int64_t> RefusedCodes(Reader& r, const std::string& key, int64_t now_ms);

  trade::TradeService& trade_;
  std::string code_secret_;
};

}  // namespace xd::member
