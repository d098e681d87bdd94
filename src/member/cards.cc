// Cards: claim links resolved to their programme (and store), the claim itself (one card per
// buyer per merchant, within the issue limit under any concurrency), the buyer's wallet and
// card page, and the rotating member code with its verification.
#include <cstdlib>

#include "account/account.h"
#include "base/mask.h"
#include "base/crypto.h"
#include "base/id.h"
#include "base/limits.h"
#include "base/messages.h"
#include "member/events.h"
#include "member/internal/member_internal.h"

namespace xd::member {

namespace {

constexpr size_t kMaxTokenLen = 64;
constexpr size_t kWalletMax = 100;  // cards listed at once (a buyer holds one per merchant)

// The card's columns prefixed by its alias "c.", then the programme's by "p.", then the
// merchant's name: one row per card for the wallet and the card page.
constexpr const char* kCardWithProgramme =
    "SELECT c.id, c.merchant_id, c.programme_id, c.user_id, c.card_no, c.level, c.points, "
    "c.growth, c.store_id, c.claimed_at_ms, c.points_debt, c.growth_base, c.review_at_ms, "
    "c.expiry_swept_at_ms, c.online_spend_fen, c.offline_spend_fen, c.pushes_opted_out_at_ms, "
    "c.share_token, c.referrer_card_id, "
    "p.id, p.merchant_id, p.title, p.cover_color, p.levels, p.points_per_yuan, "
    "p.points_validity_days, p.issue_limit, p.issued, "
    "p.claim_token, p.created_at_ms, p.updated_at_ms, p.redeem_points_per_yuan, "
    "p.redeem_cap_bps, p.push_cap_per_week, p.referral_bonus_points, m.name "
    "FROM member_cards c JOIN member_programmes p ON p.id = c.programme_id JOIN merchants m ON "
    "m.id = c.merchant_id ";
constexpr size_t kCardColCount = 19, kProgrammeColCount = 16;

Result<Json> CardJsonFromRow(const Row& row) {
  Card c = internal::CardFromRow(row);
  Row programme;
  programme.cells.assign(row.cells.begin() + kCardColCount,
                         row.cells.begin() + kCardColCount + kProgrammeColCount);
  ASSIGN_OR_RETURN(Programme p, internal::ProgrammeFromRow(programme));
  return ToJson(c, p, row.Str(kCardColCount + kProgrammeColCount));
}

// Ten random digits, the first not 0 (so the number never loses a digit in a spreadsheet).
std::string NewCardNo() {
  uint64_t v = std::strtoull(RandomHex(8).c_str(), nullptr, 16);
  return std::to_string(1'000'000'000ULL + v % 9'000'000'000ULL);
}

// The 8-digit MAC of a card number in one minute, under the merchant's key.
std::string CodeMac(std::string_view secret, int64_t merchant_id, std::string_view card_no,
                    int64_t step) {
  // Each merchant's own key: a code shown for one shop never verifies at another.
  std::string key = HmacSha256Hex(secret, "xiaodian member-code key|" + IdString(merchant_id));
  std::string mac = HmacSha256Hex(key, std::string(card_no) + "|" + std::to_string(step));
  uint64_t v = std::strtoull(mac.substr(0, 16).c_str(), nullptr, 16) % 100'000'000ULL;
  std::string digits = std::to_string(v);
  return std::string(8 - digits.size(), '0') + digits;
}

}  // namespace

namespace internal {

const char* const kCardCols =
    "id, merchant_id, programme_id, user_id, card_no, level, points, growth, store_id, "
    "claimed_at_ms, points_debt, growth_base, review_at_ms, expiry_swept_at_ms, "
    "online_spend_fen, offline_spend_fen, pushes_opted_out_at_ms, share_token, referrer_card_id";

Card CardFromRow(const Row& r) {
  Card c;
  c.id = r.Int(0);
  c.merchant_id = r.Int(1);
  c.programme_id = r.Int(2);
  c.user_id = r.Int(3);
  c.card_no = r.Str(4);
  c.level = r.Int(5);
  c.points = r.Int(6);
  c.growth = r.Int(7);
  c.store_id = r.OptInt(8);
  c.claimed_at_ms = r.Int(9);
  c.points_debt = r.Int(10);
  c.growth_base = r.Int(11);
  c.review_at_ms = r.Int(12);
  c.expiry_swept_at_ms = r.Int(13);
  c.online_spend_fen = r.Int(14);
  c.offline_spend_fen = r.Int(15);
  c.pushes_opted_out_at_ms = r.OptInt(16);
  if (!r.IsNull(17)) c.share_token = r.Str(17);
  c.referrer_card_id = r.OptInt(18);
  return c;
}

Result<std::optional<Card>> CardOf(Reader& r, int64_t user_id, int64_t merchant_id) {
  ASSIGN_OR_RETURN(auto row, r.QueryOne(std::string("SELECT ") + kCardCols +
                                            " FROM member_cards WHERE user_id=? AND merchant_id=?",
                                        {user_id, merchant_id}));
  if (!row) return std::optional<Card>();
  return std::optional<Card>(CardFromRow(*row));
}

const Level& ShownLevel(const Card& c, const Programme& p) {
  int64_t last = static_cast<int64_t>(p.config.levels.size()) - 1;
  return p.config.levels[static_cast<size_t>(std::min(c.level, last))];
}

}  // namespace internal

Json ToJson(const Card& c, const Programme& p, const std::string& merchant_name) {
  const Level& level = internal::ShownLevel(c, p);
  int64_t index = std::min<int64_t>(c.level, static_cast<int64_t>(p.config.levels.size()) - 1);
  Json next = nullptr;
  if (index + 1 < static_cast<int64_t>(p.config.levels.size())) {
    const Level& n = p.config.levels[static_cast<size_t>(index + 1)];
    next = Json{
        {"name", n.name},
        {"growth_threshold", n.growth_threshold},
        {"growth_needed", std::max<int64_t>(0, n.growth_threshold - (c.growth - c.growth_base))}};
  }
  return Json{{"id", IdString(c.id)},
              {"merchant_id", IdString(c.merchant_id)},
              {"merchant_name", merchant_name},
              {"programme_id", IdString(c.programme_id)},
              {"card_no", c.card_no},
              {"title", p.config.title},
              {"cover_color", p.config.cover_color},
              {"level", Json{{"index", index},
                             {"name", level.name},
                             {"discount_bps", level.discount_bps},
                             {"discount_label", DiscountLabel(level.discount_bps)},
                             {"points_multiplier_bps", level.points_multiplier_bps},
                             {"benefits", level.benefits}}},
              {"next_level", next},
              {"points", c.points},
              {"growth", c.growth},
              {"points_per_yuan", p.config.points_per_yuan},
              {"points_debt", c.points_debt},
              {"growth_this_year", c.growth - c.growth_base},
              {"review_at", FormatRfc3339(c.review_at_ms)},
              {"online_spend_fen", c.online_spend_fen},
              {"offline_spend_fen", c.offline_spend_fen},
              {"redeem_points_per_yuan", p.config.redeem_points_per_yuan},
              {"redeem_cap_bps", p.config.redeem_cap_bps},
              {"pushes_opted_out", c.pushes_opted_out_at_ms.has_value()},
              {"store_id", c.store_id ? Json(IdString(*c.store_id)) : Json(nullptr)},
              {"claimed_at", FormatRfc3339(c.claimed_at_ms)}};
}

Json ToJson(const PointsEntry& e) {
  return Json{
      {"id", IdString(e.id)},
      {"card_id", IdString(e.card_id)},
      {"kind", e.kind},
      {"order_id", e.order_id ? Json(IdString(*e.order_id)) : Json(nullptr)},
      {"points", e.points},
      {"growth", e.growth},
      {"expires_at", e.expires_at_ms ? Json(FormatRfc3339(*e.expires_at_ms)) : Json(nullptr)},
      {"debt", e.debt},
      {"ref_id", e.ref_id ? Json(IdString(*e.ref_id)) : Json(nullptr)},
      {"note", e.note},
      {"created_at", FormatRfc3339(e.created_at_ms)}};
}

// ---- member codes ----

MemberCode MakeMemberCode(std::string_view secret, int64_t merchant_id, const std::string& card_no,
                          int64_t now_ms) {
  int64_t step = now_ms / kMemberCodeStepMs;
  MemberCode code;
  code.digits = card_no + CodeMac(secret, merchant_id, card_no, step);
  code.issued_at_ms = step * kMemberCodeStepMs;
  code.refresh_at_ms = code.issued_at_ms + kMemberCodeStepMs;
  code.expires_at_ms = code.issued_at_ms + kMemberCodeTtlMs;
  return code;
}

Result<std::string> VerifyMemberCode(std::string_view secret, int64_t merchant_id,
                                     std::string_view code, int64_t now_ms) {
  auto refused = [] { return Fail(Msg::MEMBER_CODE_INVALID); };
  if (code.size() != kMemberCodeDigits) return refused();
  for (char ch : code)
    if (ch < '0' || ch > '9') return refused();
  std::string_view card_no = code.substr(0, kCardNoDigits), mac = code.substr(kCardNoDigits);
  // Valid from the start of its minute for kMemberCodeTtlMs: this minute's and the last one's.
  int64_t step = now_ms / kMemberCodeStepMs;
  bool ok = false;
  for (int64_t s = step; s > step - kMemberCodeTtlMs / kMemberCodeStepMs; --s)
    ok = ConstantTimeEqual(CodeMac(secret, merchant_id, card_no, s), mac) ||
         ok;  // both compared, always
  if (!ok) return refused();
  return std::string(card_no);
}

Result<std::string> StoredMemberCodeSecret(Tx& tx) {
  ASSIGN_OR_RETURN(auto row,
                   tx.QueryOne("SELECT value FROM member_config WHERE name='code_secret'"));
  if (row) return row->Str(0);
  std::string secret = RandomBase64Url(32);
  RETURN_IF_ERROR(
      tx.Run("INSERT INTO member_config(name, value) VALUES('code_secret', ?)", {secret}));
  return secret;
}

// ---- claiming ----

Result<ClaimTarget> MemberService::ResolveClaim(Reader& r, const std::string& token) {
  auto not_found = [] { return Fail(Msg::MEMBER_CLAIM_LINK_NOT_FOUND); };
  if (token.empty() || token.size() > kMaxTokenLen) return not_found();
  ClaimTarget t;
  ASSIGN_OR_RETURN(auto prow, r.QueryOne(std::string("SELECT ") + internal::kProgrammeCols +
                                             " FROM member_programmes WHERE claim_token=?",
                                         {token}));
  if (prow) {
    ASSIGN_OR_RETURN(t.programme, internal::ProgrammeFromRow(*prow));
  } else {
    ASSIGN_OR_RETURN(auto srow,
                     r.QueryOne(std::string("SELECT ") + internal::kStoreCols +
                                    " FROM member_stores WHERE claim_token=? AND status='open'",
                                {token}));
    if (srow) {
      ASSIGN_OR_RETURN(MemberStore s, internal::StoreFromRow(*srow));
      auto p = GetProgramme(r, s.merchant_id);
      if (!p) return not_found();  // a store's link before its merchant designed a card
      t.programme = std::move(*p);
      t.store = std::move(s);
    } else {
      ASSIGN_OR_RETURN(auto crow, r.QueryOne(std::string("SELECT ") + internal::kCardCols +
                                                 " FROM member_cards WHERE share_token=?",
                                             {token}));
      if (!crow) return not_found();
      Card sharer = internal::CardFromRow(*crow);
      ASSIGN_OR_RETURN(t.programme, internal::ProgrammeById(r, sharer.programme_id));
      t.referrer = std::move(sharer);
    }
  }
  auto m = account::GetMerchant(r, t.programme.merchant_id);
  if (!m || m->status != "active") return not_found();
  t.merchant_name = m->name;
  return t;
}

Result<ClaimResult> MemberService::Claim(Tx& tx, int64_t user_id, const std::string& token) {
  ASSIGN_OR_RETURN(ClaimTarget t, ResolveClaim(tx, token));
  const Programme& p = t.programme;
  ASSIGN_OR_RETURN(std::optional<Card> held, internal::CardOf(tx, user_id, p.merchant_id));
  if (held) return ClaimResult{std::move(*held), false};
  Card c;
  c.id = tx.NewId();
  c.merchant_id = p.merchant_id;
  c.programme_id = p.id;
  c.user_id = user_id;
  c.level = LevelForGrowth(p.config.levels, 0);
  c.store_id = t.store ? std::optional<int64_t>(t.store->id) : std::nullopt;
  c.claimed_at_ms = tx.NowMs();
  c.review_at_ms = c.claimed_at_ms + internal::kYearMs;
  c.referrer_card_id = t.referrer ? std::optional<int64_t>(t.referrer->id) : std::nullopt;
  // A fresh number; with 9·10^9 of them per merchant a repeat is rare, and checked.
  for (int attempt = 0;; ++attempt) {
    c.card_no = NewCardNo();
    ASSIGN_OR_RETURN(
        int64_t taken,
        tx.QueryInt("SELECT count(*) FROM member_cards WHERE merchant_id=? AND card_no=?",
                    {p.merchant_id, c.card_no}));
    if (taken == 0) break;
    if (attempt == 5) return Fail(ErrorCode::UNAVAILABLE, "no free card number; retry");
  }
  // The card first, ignoring a conflict on (buyer, merchant): on PostgreSQL a concurrent claim
  // of the same buyer makes this wait for its commit and then insert nothing, so the buyer gets
  // that card back instead of an error.
  ASSIGN_OR_RETURN(
      int64_t inserted,
      tx.Exec("INSERT INTO member_cards(id, merchant_id, programme_id, user_id, card_no, level, "
              "points, growth, store_id, claimed_at_ms, review_at_ms, referrer_card_id) "
              "VALUES(?,?,?,?,?,?,0,0,?,?,?,?) ON CONFLICT(user_id, merchant_id) DO NOTHING",
              {c.id, c.merchant_id, c.programme_id, user_id, c.card_no, c.level, c.store_id,
               c.claimed_at_ms, c.review_at_ms, c.referrer_card_id}));
  if (inserted == 0) {
    ASSIGN_OR_RETURN(std::optional<Card> other, internal::CardOf(tx, user_id, p.merchant_id));
    if (!other) return Fail(Msg::MEMBER_CLAIM_CONFLICT);
    return ClaimResult{std::move(*other), false};
  }
  // Check and take in one statement: the limit is never exceeded (the CHECK says so too). A
  // claim refused here rolls back with its card.
  ASSIGN_OR_RETURN(int64_t taken, tx.Exec("UPDATE member_programmes SET issued = issued + 1 WHERE "
                                          "id=? AND (issue_limit IS NULL OR issued < issue_limit)",
                                          {p.id}));
  if (taken == 0) return Fail(Msg::MEMBER_CARDS_ALL_ISSUED);
  ASSIGN_OR_RETURN(int64_t issued,
                   tx.QueryInt("SELECT issued FROM member_programmes WHERE id=?", {p.id}));
  RETURN_IF_ERROR(Emit(tx, CardClaimed{c, issued}));
  if (t.referrer && t.referrer->user_id != user_id) {
    // The referral, once per new card, and the sharer's bonus (the merchant's points).
    int64_t bonus = p.config.referral_bonus_points;
    RETURN_IF_ERROR(
        tx.Run("INSERT INTO member_referrals(id, merchant_id, referrer_card_id, "
               "card_id, bonus_points, created_at_ms) VALUES(?,?,?,?,?,?)",
               {tx.NewId(), p.merchant_id, t.referrer->id, c.id, bonus, tx.NowMs()}));
    if (bonus > 0) {
      ASSIGN_OR_RETURN(Card sharer, internal::LockCard(tx, t.referrer->id));
      internal::Posting e =
          internal::Earning(sharer, p, tx.NowMs(), internal::kReferralBonus, bonus, 0);
      e.ref_id = c.id;
      RETURN_IF_ERROR(internal::Post(tx, sharer, p, e));
    }
  }
  return ClaimResult{std::move(c), true};
}

Result<std::string> MemberService::ShareToken(Tx& tx, int64_t user_id, int64_t card_id) {
  ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT share_token FROM member_cards WHERE id=? AND "
                                         "user_id=?",
                                         {card_id, user_id}));
  if (!row) return Fail(Msg::MEMBER_CARD_NOT_FOUND);
  if (!row->IsNull(0)) return row->Str(0);
  std::string token = RandomBase64Url(16);
  RETURN_IF_ERROR(tx.Run("UPDATE member_cards SET share_token=? WHERE id=? AND share_token IS NULL",
                         {token, card_id}));
  return token;
}

Result<Json> MemberService::Referrals(Reader& r, int64_t user_id, int64_t card_id) {
  ASSIGN_OR_RETURN(
      int64_t mine,
      r.QueryInt("SELECT count(*) FROM member_cards WHERE id=? AND user_id=?", {card_id, user_id}));
  if (mine == 0) return Fail(Msg::MEMBER_CARD_NOT_FOUND);
  ASSIGN_OR_RETURN(Rows rows,
                   r.Query("SELECT f.card_id, f.bonus_points, f.created_at_ms, u.nickname FROM "
                           "member_referrals f JOIN member_cards c ON c.id = f.card_id JOIN users "
                           "u ON u.id = c.user_id WHERE f.referrer_card_id=? ORDER BY f.id DESC "
                           "LIMIT 100",
                           {card_id}));
  Json items = Json::array();
  int64_t bonus = 0;
  for (auto& row : rows) {
    items.push_back(Json{{"card_id", IdString(row.Int(0))},
                         {"bonus_points", row.Int(1)},
                         {"claimed_at", FormatRfc3339(row.Int(2))},
                         {"nickname", row.Str(3)}});
    bonus += row.Int(1);
  }
  return Json{{"items", std::move(items)}, {"bonus_points", bonus}};
}

// ---- the buyer's cards ----

Result<Json> MemberService::Wallet(Reader& r, int64_t user_id) {
  ASSIGN_OR_RETURN(Rows rows, r.Query(std::string(kCardWithProgramme) +
                                          "WHERE c.user_id=? ORDER BY c.id DESC LIMIT ?",
                                      {user_id, static_cast<int64_t>(kWalletMax)}));
  Json items = Json::array();
  for (auto& row : rows) {
    ASSIGN_OR_RETURN(Json card, CardJsonFromRow(row));
    items.push_back(std::move(card));
  }
  return Json{{"items", items}};
}

Result<Json> MemberService::CardView(Reader& r, int64_t user_id, int64_t card_id) {
  ASSIGN_OR_RETURN(auto row,
                   r.QueryOne(std::string(kCardWithProgramme) + "WHERE c.id=? AND c.user_id=?",
                              {card_id, user_id}));
  if (!row) return Fail(Msg::MEMBER_CARD_NOT_FOUND);
  return CardJsonFromRow(*row);
}

Result<MemberCode> MemberService::CodeFor(Reader& r, int64_t user_id, int64_t card_id) {
  ASSIGN_OR_RETURN(auto row, r.QueryOne(std::string("SELECT ") + internal::kCardCols +
                                            " FROM member_cards WHERE id=? AND user_id=?",
                                        {card_id, user_id}));
  if (!row) return Fail(Msg::MEMBER_CARD_NOT_FOUND);
  Card c = internal::CardFromRow(*row);
  return MakeMemberCode(code_secret_, c.merchant_id, c.card_no, r.clock().NowMs());
}

Result<std::vector<PointsEntry>> MemberService::Points(Reader& r, int64_t user_id, int64_t card_id,
                                                       int64_t limit, int64_t before_id) {
  ASSIGN_OR_RETURN(
      int64_t mine,
      r.QueryInt("SELECT count(*) FROM member_cards WHERE id=? AND user_id=?", {card_id, user_id}));
  if (mine == 0) return Fail(Msg::MEMBER_CARD_NOT_FOUND);
  ASSIGN_OR_RETURN(
      Rows rows,
      r.Query(std::string("SELECT ") + internal::kEntryCols +
                  " FROM member_points_journal WHERE card_id=?1 AND (?2=0 OR id<?2) ORDER BY id "
                  "DESC LIMIT ?3",
              {card_id, before_id, limit}));
  std::vector<PointsEntry> out;
  for (auto& row : rows) out.push_back(internal::EntryFromRow(row));
  return out;
}

Result<Json> MemberService::Members(Reader& r, int64_t merchant_id, int64_t limit,
                                    int64_t before_id, const std::string& query) {
  ASSIGN_OR_RETURN(Programme p, GetProgramme(r, merchant_id));
  std::string pattern;
  if (!query.empty()) {
    pattern = "%";
    for (char ch : query) {
      if (ch == '%' || ch == '_' || ch == '\\') pattern += '\\';
      pattern += ch;
    }
    pattern += "%";
  }
  ASSIGN_OR_RETURN(
      Rows rows,
      r.Query("SELECT c.id, c.merchant_id, c.programme_id, c.user_id, c.card_no, c.level, "
              "c.points, "
              "c.growth, c.store_id, c.claimed_at_ms, c.points_debt, c.growth_base, "
              "c.review_at_ms, c.expiry_swept_at_ms, c.online_spend_fen, c.offline_spend_fen, "
              "c.pushes_opted_out_at_ms, c.share_token, c.referrer_card_id, u.nickname, "
              "u.phone FROM member_cards c JOIN users u ON u.id = c.user_id WHERE "
              "c.merchant_id=?1 AND (?2=0 OR c.id<?2) AND (?4='' OR u.phone LIKE ?4 ESCAPE "
              "'\\' OR u.nickname LIKE ?4 ESCAPE '\\' OR c.card_no LIKE ?4 ESCAPE '\\') "
              "ORDER BY c.id DESC LIMIT ?3",
              {merchant_id, before_id, limit, pattern}));
  Json items = Json::array();
  int64_t last = 0;
  const int64_t top = static_cast<int64_t>(p.config.levels.size()) - 1;
  constexpr size_t kNick = 19, kPhone = 20;
  for (auto& row : rows) {
    Card c = internal::CardFromRow(row);
    const Level& level = internal::ShownLevel(c, p);
    items.push_back(Json{{"id", IdString(c.id)},
                         {"card_no", c.card_no},
                         {"member",
                          {{"id", IdString(c.user_id)},
                           {"nickname", row.Str(kNick)},
                           {"phone", MaskPhone(row.Str(kPhone))}}},
                         {"level", {{"index", std::min(c.level, top)}, {"name", level.name}}},
                         {"points", c.points},
                         {"points_debt", c.points_debt},
                         {"growth", c.growth},
                         {"online_spend_fen", c.online_spend_fen},
                         {"offline_spend_fen", c.offline_spend_fen},
                         {"pushes_opted_out", c.pushes_opted_out_at_ms.has_value()},
                         {"store_id", c.store_id ? Json(IdString(*c.store_id)) : Json(nullptr)},
                         {"claimed_at", FormatRfc3339(c.claimed_at_ms)}});
    last = c.id;
  }
  bool full = static_cast<int64_t>(rows.size()) == limit;
  return Json{{"items", std::move(items)},
              {"next_cursor", full ? Json(IdString(last)) : Json(nullptr)}};
}

Result<std::vector<PointsEntry>> MemberService::CardPointsForStaff(Reader& r, int64_t merchant_id,
                                                                   int64_t card_id, int64_t limit,
                                                                   int64_t before_id) {
  ASSIGN_OR_RETURN(int64_t mine, r.QueryInt("SELECT count(*) FROM member_cards WHERE id=? AND "
                                            "merchant_id=?",
                                            {card_id, merchant_id}));
  if (mine == 0) return Fail(Msg::MEMBER_CARD_NOT_FOUND);
  ASSIGN_OR_RETURN(
      Rows rows,
      r.Query(std::string("SELECT ") + internal::kEntryCols +
                  " FROM member_points_journal WHERE card_id=?1 AND (?2=0 OR id<?2) ORDER BY id "
                  "DESC LIMIT ?3",
              {card_id, before_id, limit}));
  std::vector<PointsEntry> out;
  for (auto& row : rows) out.push_back(internal::EntryFromRow(row));
  return out;
}

Result<Card> MemberService::CardByCode(Reader& r, int64_t merchant_id, std::string_view code) {
  ASSIGN_OR_RETURN(std::string card_no,
                   VerifyMemberCode(code_secret_, merchant_id, code, r.clock().NowMs()));
  ASSIGN_OR_RETURN(auto row, r.QueryOne(std::string("SELECT ") + internal::kCardCols +
                                            " FROM member_cards WHERE merchant_id=? AND card_no=?",
                                        {merchant_id, card_no}));
  // A well-signed code of a card that is not there: answered as a bad code, never a hint.
  if (!row) return Fail(Msg::MEMBER_CODE_INVALID);
  return internal::CardFromRow(*row);
}

}  // namespace xd::member
