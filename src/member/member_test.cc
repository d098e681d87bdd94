// The member module's domain logic without the HTTP server: programme settings refused field
// by field, levels read back from the store without throwing, the level for a growth value,
// discount labels, points arithmetic at the limits, and member codes — made, verified within
// their two minutes, refused when forged, expired, early, or shown for another merchant. Then
// the claim on a temp store: one card per buyer, the issue limit, a limit edit below what was
// issued.
#include "member/member.h"

#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "account/account.h"
#include "base/limits.h"
#include "member/internal/member_internal.h"
#include "pay/pay.h"

namespace xd::member {
namespace {

Json GoodProgramme() {
  return Json{{"title", "咖啡会员卡"},
              {"cover_color", "#1f6f5c"},
              {"levels",
               {{{"name", "普通会员"}, {"growth_threshold", 0}},
                {{"name", "金卡"},
                 {"growth_threshold", 500},
                 {"discount_bps", 500},
                 {"points_multiplier_bps", 15000},
                 {"benefits", "生日双倍积分"}}}},
              {"points_per_yuan", 2},
              {"points_validity_days", 365},
              {"issue_limit", 1000}};
}

TEST(ProgrammeConfigTest, ReadsAGoodBody) {
  auto c = ProgrammeConfigFromJson(GoodProgramme());
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->title, "咖啡会员卡");
  ASSERT_EQ(c->levels.size(), 2u);
  EXPECT_EQ(c->levels[0].points_multiplier_bps, 10000);  // the default ×1
  EXPECT_EQ(c->levels[1].discount_bps, 500);
  EXPECT_EQ(c->issue_limit, 1000);
  Json unlimited = GoodProgramme();
  unlimited["issue_limit"] = nullptr;
  EXPECT_FALSE(ProgrammeConfigFromJson(unlimited)->issue_limit.has_value());
}

TEST(ProgrammeConfigTest, RefusesEachBadField) {
  auto refused = [](const std::function<void(Json&)>& edit) {
    Json body = GoodProgramme();
    edit(body);
    auto c = ProgrammeConfigFromJson(body);
    return c ? std::string("accepted") : std::string(ErrorCodeName(c.error().code));
  };
  EXPECT_EQ(refused([](Json& b) { b.erase("title"); }), "MISSING_FIELD");
  EXPECT_EQ(refused([](Json& b) { b["colour"] = "#fff"; }), "UNKNOWN_FIELD");
  EXPECT_EQ(refused([](Json& b) { b["cover_color"] = "red"; }), "INVALID_FIELD");
  EXPECT_EQ(refused([](Json& b) { b["cover_color"] = "#12345g"; }), "INVALID_FIELD");
  EXPECT_EQ(refused([](Json& b) { b["levels"] = Json::array(); }), "INVALID_FIELD");
  EXPECT_EQ(refused([](Json& b) { b["levels"][0]["growth_threshold"] = 10; }),
            "INVALID_FIELD");  // the first is at 0
  EXPECT_EQ(refused([](Json& b) { b["levels"][1]["growth_threshold"] = 0; }),
            "INVALID_FIELD");  // rising
  EXPECT_EQ(refused([](Json& b) { b["levels"][1]["name"] = "普通会员"; }),
            "INVALID_FIELD");  // unique names
  EXPECT_EQ(
      refused([](Json& b) { b["levels"][1]["discount_bps"] = limits::kMaxMemberDiscountBps + 1; }),
      "INVALID_FIELD");
  EXPECT_EQ(refused([](Json& b) { b["levels"][1]["discount_bps"] = "500"; }), "INVALID_FIELD");
  EXPECT_EQ(refused([](Json& b) { b["levels"][1]["perks"] = "x"; }), "UNKNOWN_FIELD");
  EXPECT_EQ(refused([](Json& b) { b["levels"][1] = "金卡"; }), "INVALID_FIELD");
  EXPECT_EQ(refused([](Json& b) { b["points_per_yuan"] = -1; }), "INVALID_FIELD");
  EXPECT_EQ(refused([](Json& b) { b["issue_limit"] = 0; }), "INVALID_FIELD");
  EXPECT_EQ(refused([](Json& b) { b["issue_limit"] = 1.5; }), "INVALID_FIELD");
  Json many = Json::array();
  for (size_t i = 0; i <= limits::kMaxMemberLevels; ++i)
    many.push_back(Json{{"name", "L" + std::to_string(i)},
                        {"growth_threshold", static_cast<int64_t>(i) * 10}});
  EXPECT_EQ(refused([&](Json& b) { b["levels"] = many; }), "INVALID_FIELD");
}

TEST(ProgrammeConfigTest, StoredLevelsReadBackAndMalformedOnesAreInternal) {
  auto c = ProgrammeConfigFromJson(GoodProgramme());
  ASSERT_TRUE(c);
  auto back = StoredLevels(DumpJson(LevelsToJson(c->levels)));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->at(1).benefits, "生日双倍积分");
  EXPECT_EQ(back->at(1).points_multiplier_bps, 15000);
  for (std::string bad :
       {"", "{", "{}", "[]", R"([{"name":"a"}])", R"([{"name":"a","growth_threshold":"0"}])"}) {
    auto r = StoredLevels(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::INTERNAL) << bad;
  }
}

TEST(LevelTest, GrowthPicksTheHighestLevelReached) {
  std::vector<Level> levels{{"普通", 0}, {"银卡", 100}, {"金卡", 500}};
  EXPECT_EQ(LevelForGrowth(levels, 0), 0);
  EXPECT_EQ(LevelForGrowth(levels, 99), 0);
  EXPECT_EQ(LevelForGrowth(levels, 100), 1);
  EXPECT_EQ(LevelForGrowth(levels, 10'000), 2);
  EXPECT_EQ(DiscountLabel(0), "");
  EXPECT_EQ(DiscountLabel(500), "9.5折");
  EXPECT_EQ(DiscountLabel(1000), "9折");
  EXPECT_EQ(DiscountLabel(1250), "8.75折");
  EXPECT_EQ(DiscountLabel(5000), "5折");
}

TEST(PointsTest, PerYuanTimesMultiplierRoundedDownAndNeverOverflowing) {
  using internal::PointsFor;
  EXPECT_EQ(PointsFor(9900, 1, 10000), 99);   // ¥99 at ×1
  EXPECT_EQ(PointsFor(9999, 1, 10000), 99);   // whole points only
  EXPECT_EQ(PointsFor(9900, 2, 15000), 297);  // ¥99 × 2 per yuan × 1.5
  EXPECT_EQ(PointsFor(50, 1, 10000), 0);
  EXPECT_EQ(PointsFor(9900, 0, 10000), 0);
  EXPECT_EQ(PointsFor(-100, 1, 10000), 0);
  EXPECT_EQ(PointsFor(INT64_MAX, limits::kMaxPointsPerYuan, limits::kMaxPointsMultiplierBps),
            INT64_MAX);
}

// Decision 018's arithmetic: an earning pays the debt first, a taking beyond the balance
// becomes debt; what an entry gives the member is points - debt either way.
TEST(PointsTest, EarningsPayTheDebtFirstAndTakingsBeyondTheBalanceBecomeDebt) {
  Programme p;
  p.config.points_validity_days = 30;
  Card c;
  c.points = 40;
  c.growth = 100;
  internal::Posting take = internal::Taking(c, internal::kPosRefunded, 100, 150);
  EXPECT_EQ(take.points, -40);
  EXPECT_EQ(take.debt, 60);
  EXPECT_EQ(take.growth, -100) << "growth never below zero";
  EXPECT_EQ(take.points - take.debt, -100);
  c.points = 0;
  c.points_debt = 60;
  internal::Posting some = internal::Earning(c, p, 1000, internal::kEarned, 25, 5);
  EXPECT_EQ(some.points, 0);
  EXPECT_EQ(some.debt, -25);
  EXPECT_FALSE(some.expires_at_ms.has_value()) << "nothing landed on the balance to lapse";
  c.points_debt = 35;
  internal::Posting rest = internal::Earning(c, p, 1000, internal::kEarned, 50, 5);
  EXPECT_EQ(rest.points, 15);
  EXPECT_EQ(rest.debt, -35);
  EXPECT_EQ(rest.points - rest.debt, 50);
  EXPECT_EQ(rest.expires_at_ms, 1000 + 30 * internal::kDayMs);
  c.points_debt = 0;
  internal::Posting none = internal::Taking(c, internal::kReversed, 0, 0);
  EXPECT_EQ(none.points, 0);
  EXPECT_EQ(none.debt, 0);
}

// ---- member codes ----

constexpr int64_t kMerchant = 7001;
constexpr const char* kSecret = "member-test-secret";
const std::string kCardNo = "1234567890";

TEST(MemberCodeTest, ValidForTwoMinutesFromItsMinute) {
  const int64_t t0 = 1'800'000'000'000;  // a minute boundary (divisible by 60,000)
  MemberCode code = MakeMemberCode(kSecret, kMerchant, kCardNo, t0 + 15'000);
  ASSERT_EQ(code.digits.size(), kMemberCodeDigits);
  EXPECT_EQ(code.digits.substr(0, kCardNoDigits), kCardNo);
  EXPECT_EQ(code.issued_at_ms, t0);
  EXPECT_EQ(code.refresh_at_ms, t0 + 60'000);
  EXPECT_EQ(code.expires_at_ms, t0 + 120'000);
  // Rotates each minute; the same minute gives the same code.
  EXPECT_EQ(MakeMemberCode(kSecret, kMerchant, kCardNo, t0 + 59'999).digits, code.digits);
  EXPECT_NE(MakeMemberCode(kSecret, kMerchant, kCardNo, t0 + 60'000).digits, code.digits);
  for (int64_t at : {t0, t0 + 59'999, t0 + 60'000, t0 + 119'999}) {
    auto v = VerifyMemberCode(kSecret, kMerchant, code.digits, at);
    ASSERT_TRUE(v) << at - t0;
    EXPECT_EQ(*v, kCardNo);
  }
  auto expired = VerifyMemberCode(kSecret, kMerchant, code.digits, t0 + 120'000);
  ASSERT_FALSE(expired);
  EXPECT_EQ(expired.error().code, ErrorCode::INVALID_CODE);
  EXPECT_FALSE(VerifyMemberCode(kSecret, kMerchant, code.digits, t0 - 1))
      << "a code from the future";
}

TEST(MemberCodeTest, ForgedOrForeignCodesAreRefused) {
  const int64_t now = 1'800'000'030'000;
  std::string good = MakeMemberCode(kSecret, kMerchant, kCardNo, now).digits;
  ASSERT_TRUE(VerifyMemberCode(kSecret, kMerchant, good, now));
  auto refused = [&](std::string_view code, int64_t merchant = kMerchant,
                     std::string_view secret = kSecret) {
    auto v = VerifyMemberCode(secret, merchant, code, now);
    return !v && v.error().code == ErrorCode::INVALID_CODE;
  };
  // Every single changed digit (card number or MAC) is refused.
  for (size_t i = 0; i < good.size(); ++i) {
    std::string forged = good;
    forged[i] = forged[i] == '9' ? '0' : static_cast<char>(forged[i] + 1);
    EXPECT_TRUE(refused(forged)) << "digit " << i;
  }
  // Another card's number with this card's MAC.
  EXPECT_TRUE(refused("1234567891" + good.substr(kCardNoDigits)));
  EXPECT_TRUE(refused(good, kMerchant + 1)) << "another merchant's POS";
  EXPECT_TRUE(refused(good, kMerchant, "another-secret"));
  EXPECT_TRUE(refused(""));
  EXPECT_TRUE(refused(good.substr(1)));
  EXPECT_TRUE(refused(good + "0"));
  EXPECT_TRUE(refused("12345678901234567a"));
  EXPECT_TRUE(refused(" " + good.substr(1)));
}

// ---- claims on a store ----

class ClaimTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("xd_member_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto s =
        Store::Open({.path = (dir_ / "db").string(), .readers = 2, .sync_full = false}, clock_);
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
    sandbox_ = std::make_unique<pay::SandboxProvider>("member-test", clock_);
    trade_ = std::make_unique<trade::TradeService>(*sandbox_, trade::TradeConfig{});
    member_ = std::make_unique<MemberService>(*trade_, kSecret);
    merchant_ = Write<int64_t>([&](Tx& tx) -> Result<int64_t> {
      ASSIGN_OR_RETURN(account::User owner,
                       account::CreateUser(tx, "13900000000", "x", "店主", false));
      account::Principal p{.user_id = owner.id};
      ASSIGN_OR_RETURN(account::Merchant m,
                       account::OpenMerchant(tx, p, "c2c", "咖啡店", std::nullopt));
      return m.id;
    });
  }
  void TearDown() override {
    member_.reset();
    trade_.reset();
    sandbox_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  template <class T, class F>
  T Write(F&& f) {
    auto r = store_->ExecuteFor<T>(std::forward<F>(f));
    EXPECT_TRUE(r) << r.error().message;
    return r ? *r : T{};
  }
  Result<ClaimResult> Claim(int64_t user, const std::string& token) {
    return store_->ExecuteFor<ClaimResult>([&](Tx& tx) { return member_->Claim(tx, user, token); });
  }
  Programme Put(std::optional<int64_t> limit) {
    ProgrammeConfig c = *ProgrammeConfigFromJson(GoodProgramme());
    c.issue_limit = limit;
    return Write<Programme>([&](Tx& tx) { return member_->PutProgramme(tx, merchant_, c); });
  }

  FakeClock clock_{1'800'000'000'000};
  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<pay::SandboxProvider> sandbox_;
  std::unique_ptr<trade::TradeService> trade_;
  std::unique_ptr<MemberService> member_;
  int64_t merchant_ = 0;
};

TEST_F(ClaimTest, OneCardPerBuyerWithinTheLimit) {
  Programme p = Put(2);
  auto first = Claim(101, p.claim_token);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_TRUE(first->created);
  EXPECT_EQ(first->card.card_no.size(), kCardNoDigits);
  auto again = Claim(101, p.claim_token);
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->card.id, first->card.id);
  ASSERT_TRUE(Claim(102, p.claim_token));
  auto over = Claim(103, p.claim_token);
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code, ErrorCode::CONFLICT);
  EXPECT_TRUE(Claim(101, p.claim_token))
      << "a holder still gets the card back when the limit is reached";
  auto unknown = Claim(104, "no-such-token");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::NOT_FOUND);
  // A limit below what was issued is refused; the same limit, or none, is fine, and the token
  // stays.
  ProgrammeConfig c = p.config;
  c.issue_limit = 1;
  auto lowered = store_->ExecuteFor<Programme>(
      [&](Tx& tx) { return member_->PutProgramme(tx, merchant_, c); });
  ASSERT_FALSE(lowered);
  EXPECT_EQ(lowered.error().code, ErrorCode::RULE_VIOLATION);
  EXPECT_EQ(Put(std::nullopt).claim_token, p.claim_token);
  EXPECT_TRUE(Claim(103, p.claim_token));
  auto problems = store_->Read([&](Reader& r) { return member_->Check(r); });
  ASSERT_TRUE(problems);
  EXPECT_TRUE(problems->empty()) << Json(*problems).dump();
}

TEST_F(ClaimTest, AStoresLinkClaimsTheProgrammeAndADeletedStoresLinkIsGone) {
  StoreInput in{.name = "静安店",
                .address = "上海市静安区南京西路 1 号",
                .opening_hours = "8:00-22:00",
                .latitude_e6 = 31'228'611,
                .longitude_e6 = 121'454'756};
  MemberStore s =
      Write<MemberStore>([&](Tx& tx) { return member_->CreateStore(tx, merchant_, in); });
  auto early = Claim(201, s.claim_token);
  ASSERT_FALSE(early) << "no programme yet";
  EXPECT_EQ(early.error().code, ErrorCode::NOT_FOUND);
  Put(std::nullopt);
  auto card = Claim(201, s.claim_token);
  ASSERT_TRUE(card) << card.error().message;
  EXPECT_EQ(card->card.store_id, s.id);
  ASSERT_TRUE(store_->Execute([&](Tx& tx) { return member_->DeleteStore(tx, merchant_, s.id); }));
  EXPECT_FALSE(Claim(202, s.claim_token));
  EXPECT_FALSE(store_->Read([&](Reader& r) { return member_->GetStore(r, merchant_, s.id); }));
  // Another merchant cannot touch the store.
  auto other = store_->Execute(
      [&](Tx& tx) { return ToStatus(member_->UpdateStore(tx, merchant_ + 1, s.id, in)); });
  EXPECT_FALSE(other);
}

}  // namespace
}  // namespace xd::member
