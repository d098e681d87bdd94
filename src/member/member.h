// O2O membership cards (会员卡, SPEC §6; issue 16): a merchant's physical stores (门店), its
// one card programme (levels with a growth threshold, a discount and a points multiplier;
// points per yuan, points validity, an optional issue limit), the buyers' cards claimed by
// scanning a QR code of a claim link, the rotating member code a store's POS scans, member
// prices at checkout and points earned online. Plugged into trade through its extension points:
//  - a PricingRule at stage 200 ("member"): the buyer's level discount on the merchant's lines
//    that no activity priced, shown as its own step;
//  - an OrderObserver: a paid order earns points (points per yuan × the level's multiplier) and
//    growth (1 per yuan) on the buyer's card at that merchant; each refund reverses its share.
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
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/result.h"
#include "store/store.h"
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
};
// The card with its programme's face and its level (clamped to the levels there are), and the
// next level's threshold when there is one.
Json ToJson(const Card& c, const Programme& p, const std::string& merchant_name);
// A phone as a merchant sees its members': the first 3 and last 4 digits (138****0000).
std::string MaskPhone(const std::string& phone);

// What a claim link leads to.
struct ClaimTarget {
  Programme programme;
  std::optional<MemberStore> store;  // a store's link
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

struct MemberCode {
  std::string digits;
  int64_t issued_at_ms = 0;   // the start of its minute
  int64_t refresh_at_ms = 0;  // when the next one is made
  int64_t expires_at_ms = 0;
};
MemberCode MakeMemberCode(std::string_view secret, int64_t merchant_id, const std::string& card_no,
                          int64_t now_ms);
// The card number of a code made for `merchant_id` that is valid at now_ms. INVALID_SIGNATURE
// (401) for a code that is malformed, forged, another merchant's or expired (a POS tells the
// member to refresh); never a hint which.
Result<std::string> VerifyMemberCode(std::string_view secret, int64_t merchant_id,
                                     std::string_view code, int64_t now_ms);

// The member-code secret kept in the store: generated at random on first use (member_config).
Result<std::string> StoredMemberCodeSecret(Tx& tx);

// One journal entry as the member sees it.
struct PointsEntry {
  int64_t id = 0, card_id = 0;
  std::string kind;  // order_paid | order_refunded
  std::optional<int64_t> order_id;
  int64_t points = 0, growth = 0;
  std::optional<int64_t> expires_at_ms;
  int64_t created_at_ms = 0;
};
Json ToJson(const PointsEntry& e);

class MemberService {
 public:
  MemberService(trade::TradeService& trade, std::string code_secret);

  // Registers the member pricing rule (stage 200) and the points observer with trade. Once,
  // before serving.
  void Install();

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
  Result<Json> Members(Reader& r, int64_t merchant_id, int64_t limit, int64_t before_id);

  // ---- for the POS (issue 16's next slice) ----
  // The merchant's card a scanned member code names; INVALID_SIGNATURE as VerifyMemberCode.
  Result<Card> CardByCode(Reader& r, int64_t merchant_id, std::string_view code);

  // Invariants for `xiaodian check`: every card's points and growth equal its journal's sums,
  // no negative balance, every programme's issued count equals its cards and stays within its
  // limit, no order reversed beyond what it earned. Problems found; empty when sound.
  Result<std::vector<std::string>> Check(Reader& r);

  trade::TradeService& trade() { return trade_; }
  const std::string& code_secret() const { return code_secret_; }

 private:
  trade::TradeService& trade_;
  std::string code_secret_;
};

}  // namespace xd::member
