// Domain-level tests of promo without the HTTP server: a temp store, the real services.
// The activity registry: an unknown type is refused (never priced as another type), and
// each registered type validates its own config. The statuses' transition tables.
#include "promo/promo.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "account/account.h"
#include "base/messages.h"
#include "catalog/catalog.h"
#include "pay/pay.h"
#include "promo/internal/promo_internal.h"
#include "trade/states.h"

namespace xd::promo {
namespace {

class PromoDomain : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("xd_promo_test_" + std::to_string(::getpid()) + "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto s = Store::Open({.path = (dir_ / "db").string(), .readers = 1}, clock_);
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
    // A c2c shop with one SKU at 10000 fen.
    auto ids = store_->ExecuteFor<std::pair<int64_t, int64_t>>([](Tx& tx) -> Result<std::pair<int64_t, int64_t>> {
      ASSIGN_OR_RETURN(account::User u, account::CreateUser(tx, "13800000000", "x", "店主", false));
      ASSIGN_OR_RETURN(account::Merchant m, account::OpenMerchant(tx, account::Principal{u.id, false}, "c2c", "小店", std::nullopt));
      catalog::ProductInput in;
      in.title = "咖啡豆";
      in.category = "食品";
      in.status = "on_sale";
      in.skus.push_back(catalog::SkuInput{Json::object(), 10000, 10, ""});
      ASSIGN_OR_RETURN(catalog::Product p, catalog::CreateProduct(tx, m.id, in));
      return std::make_pair(m.id, p.skus.front().id);
    });
    ASSERT_TRUE(ids) << ids.error().message;
    merchant_id_ = ids->first;
    sku_id_ = ids->second;
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Decodes `body` (with the SKU and a window added) and creates the activity.
  Result<Activity> Create(Json body) {
    body["sku_id"] = std::to_string(sku_id_);
    body["starts_at"] = FormatRfc3339(clock_.NowMs());
    body["ends_at"] = FormatRfc3339(clock_.NowMs() + 3600 * 1000);
    ASSIGN_OR_RETURN(ActivityInput in, ActivityInputFromJson(body));
    return store_->ExecuteFor<Activity>([&](Tx& tx) { return promo_.CreateActivity(tx, merchant_id_, in); });
  }

  FakeClock clock_;
  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
  pay::SandboxProvider sandbox_{"test-secret", clock_};
  trade::TradeService trade_{sandbox_, {}};
  PromoService promo_{trade_, {}};
  int64_t merchant_id_ = 0, sku_id_ = 0;
};

TEST_F(PromoDomain, RegistryKnowsEachTypeAndRefusesOthers) {
  const auto& types = internal::ActivityTypes();
  for (const char* name : {"group_buy", "flash_sale", "bargain", "share_drop"}) {
    auto t = types.Find(name);
    ASSERT_TRUE(t) << name;
    EXPECT_EQ((*t)->name(), name);
  }
  auto unknown = types.Find("lottery");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::INVALID_FIELD);
  EXPECT_EQ(Render(unknown.error(), Lang::kZh), "不支持这种活动类型") << unknown.error().message;
  // The create body names the type: an unknown one is refused before anything is stored.
  auto in = ActivityInputFromJson(Json{{"type", "lottery"}, {"sku_id", "1"}, {"floor_price_fen", 1}});
  ASSERT_FALSE(in);
  EXPECT_EQ(in.error().code, ErrorCode::INVALID_FIELD);
}

TEST_F(PromoDomain, EachTypeValidatesItsConfig) {
  struct Case {
    Json body;
    std::optional<ErrorCode> error;  // none: created
  };
  std::vector<Case> cases = {
      // group buy
      {{{"type", "group_buy"}, {"group_price_fen", 4900}, {"group_size", 3}, {"group_ttl_s", 3600}}, std::nullopt},
      {{{"type", "group_buy"}, {"group_price_fen", 4900}, {"group_size", 1}, {"group_ttl_s", 3600}}, ErrorCode::INVALID_FIELD},
      {{{"type", "group_buy"}, {"group_price_fen", 12000}, {"group_size", 3}, {"group_ttl_s", 3600}}, ErrorCode::RULE_VIOLATION},
      {{{"type", "group_buy"}, {"group_price_fen", 4900}, {"group_size", 3}, {"group_ttl_s", 3600}, {"leader_price_fen", 5000}},
       ErrorCode::INVALID_FIELD},
      {{{"type", "group_buy"}, {"group_price_fen", 4900}, {"group_size", 3}, {"group_ttl_s", 3600}, {"stock", 5}}, ErrorCode::UNKNOWN_FIELD},
      // flash sale
      {{{"type", "flash_sale"}, {"price_fen", 990}, {"stock", 5}}, std::nullopt},
      {{{"type", "flash_sale"}, {"price_fen", 990}}, ErrorCode::MISSING_FIELD},
      {{{"type", "flash_sale"}, {"price_fen", 10000}, {"stock", 5}}, ErrorCode::RULE_VIOLATION},
      // bargain
      {{{"type", "bargain"}, {"floor_price_fen", 5000}, {"helps_needed", 3}, {"ttl_s", 3600}}, std::nullopt},
      {{{"type", "bargain"}, {"floor_price_fen", 9999}, {"helps_needed", 3}, {"ttl_s", 3600}}, ErrorCode::RULE_VIOLATION},
      {{{"type", "bargain"}, {"floor_price_fen", 5000}, {"helps_needed", 3}, {"ttl_s", 10}}, ErrorCode::INVALID_FIELD},
      // share to drop
      {{{"type", "share_drop"}, {"floor_price_fen", 8000}, {"tiers", {{{"opens", 1}, {"off_bps", 500}}, {{"opens", 5}, {"off_bps", 1500}}}}},
       std::nullopt},
      {{{"type", "share_drop"}, {"floor_price_fen", 8000}, {"tiers", {{{"opens", 5}, {"off_bps", 500}}, {{"opens", 1}, {"off_bps", 1500}}}}},
       ErrorCode::INVALID_FIELD},
      {{{"type", "share_drop"}, {"floor_price_fen", 8000}, {"tiers", Json::array()}}, ErrorCode::INVALID_FIELD},
  };
  for (auto& c : cases) {
    auto a = Create(c.body);
    if (!c.error) {
      ASSERT_TRUE(a) << c.body.dump() << ": " << a.error().message;
      EXPECT_EQ(a->type, c.body["type"]);
      // The stored config reads back typed, without throwing.
      auto again = store_->Read([&](Reader& r) { return promo_.GetActivity(r, a->id); });
      ASSERT_TRUE(again);
      if (a->type == "group_buy") {
        EXPECT_EQ(internal::GroupBuyConfigOf(*again)->group_size, 3);
      }
      if (a->type == "flash_sale") {
        EXPECT_EQ(internal::FlashSaleConfigOf(*again)->price_fen, 990);
      }
      if (a->type == "bargain") {
        EXPECT_EQ(internal::BargainConfigOf(*again)->helps_needed, 3);
      }
      if (a->type == "share_drop") {
        EXPECT_EQ(internal::ShareDropConfigOf(*again)->tiers.size(), 2u);
      }
    } else {
      ASSERT_FALSE(a) << c.body.dump();
      EXPECT_EQ(a.error().code, *c.error) << c.body.dump() << ": " << a.error().message;
    }
  }
  // A malformed stored config is an error, not an exception.
  Activity broken;
  broken.id = 7;
  broken.type = "flash_sale";
  broken.config = Json{{"price_fen", "cheap"}};
  auto config = internal::FlashSaleConfigOf(broken);
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().code, ErrorCode::INTERNAL);
}

// Each status has one table: its names round-trip, and only the listed moves are allowed.
TEST(PromoStatus, TransitionTables) {
  for (auto st : {GroupStatus::kForming, GroupStatus::kSucceeded, GroupStatus::kFailed}) EXPECT_EQ(ParseGroupStatus(Name(st)), st);
  for (auto st : {GiftStatus::kUnpaid, GiftStatus::kWaiting, GiftStatus::kAccepted, GiftStatus::kRefunded, GiftStatus::kCancelled})
    EXPECT_EQ(ParseGiftStatus(Name(st)), st);
  for (auto st : {BargainStatus::kActive, BargainStatus::kBought, BargainStatus::kExpired}) EXPECT_EQ(ParseBargainStatus(Name(st)), st);
  EXPECT_EQ(ParseActivityStatus("stopped"), ActivityStatus::kStopped);
  EXPECT_EQ(ParseGroupStatus("grouping"), std::nullopt);
  EXPECT_TRUE(CanMove(ActivityStatus::kActive, ActivityStatus::kStopped));
  EXPECT_FALSE(CanMove(ActivityStatus::kStopped, ActivityStatus::kActive));
  EXPECT_TRUE(CanMove(GroupStatus::kForming, GroupStatus::kFailed));
  EXPECT_FALSE(CanMove(GroupStatus::kSucceeded, GroupStatus::kFailed));
  EXPECT_FALSE(CanMove(GroupStatus::kFailed, GroupStatus::kForming));
  EXPECT_TRUE(CanMove(BargainStatus::kBought, BargainStatus::kActive));
  EXPECT_FALSE(CanMove(BargainStatus::kExpired, BargainStatus::kActive));
  EXPECT_TRUE(CanMove(GiftStatus::kWaiting, GiftStatus::kRefunded));
  EXPECT_FALSE(CanMove(GiftStatus::kAccepted, GiftStatus::kRefunded));
  EXPECT_FALSE(CanMove(GiftStatus::kUnpaid, GiftStatus::kAccepted));
  auto moved = internal::Move(GiftStatus::kAccepted, GiftStatus::kRefunded);
  ASSERT_FALSE(moved);
  EXPECT_EQ(moved.error().code, ErrorCode::INVALID_STATE);
  EXPECT_EQ(*internal::Move(GroupStatus::kForming, GroupStatus::kSucceeded), "succeeded");
}

// Coupons, wallet entries and commissions: today's names, and only the listed moves.
TEST(PromoStatus, CouponAndCommissionTables) {
  for (auto st : {CouponStatus::kActive, CouponStatus::kStopped}) EXPECT_EQ(ParseCouponStatus(Name(st)), st);
  for (auto st : {UserCouponStatus::kUnused, UserCouponStatus::kUsed}) EXPECT_EQ(ParseUserCouponStatus(Name(st)), st);
  for (auto st : {CommissionStatus::kPending, CommissionStatus::kPaid, CommissionStatus::kCancelled})
    EXPECT_EQ(ParseCommissionStatus(Name(st)), st);
  EXPECT_EQ(Name(UserCouponStatus::kUnused), "unused");
  EXPECT_EQ(Name(CommissionStatus::kCancelled), "cancelled");
  EXPECT_EQ(ParseUserCouponStatus("expired"), std::nullopt);  // derived when shown, never stored
  EXPECT_TRUE(CanMove(UserCouponStatus::kUnused, UserCouponStatus::kUsed));
  EXPECT_TRUE(CanMove(UserCouponStatus::kUsed, UserCouponStatus::kUnused));  // its unpaid order was cancelled
  EXPECT_FALSE(CanMove(UserCouponStatus::kUsed, UserCouponStatus::kUsed));   // a used coupon is not used again
  EXPECT_TRUE(CanMove(CouponStatus::kActive, CouponStatus::kStopped));
  EXPECT_FALSE(CanMove(CouponStatus::kStopped, CouponStatus::kActive));
  EXPECT_TRUE(CanMove(CommissionStatus::kPending, CommissionStatus::kPaid));
  EXPECT_TRUE(CanMove(CommissionStatus::kPending, CommissionStatus::kCancelled));
  EXPECT_FALSE(CanMove(CommissionStatus::kPaid, CommissionStatus::kCancelled));
  EXPECT_FALSE(CanMove(CommissionStatus::kCancelled, CommissionStatus::kPaid));
  auto paid_twice = internal::Move(CommissionStatus::kPaid, CommissionStatus::kPaid);
  ASSERT_FALSE(paid_twice);
  EXPECT_EQ(paid_twice.error().code, ErrorCode::INVALID_STATE);
  // The checks' lists come from the tables (promo's own and trade's order table).
  EXPECT_EQ(internal::Sql(UserCouponStatus::kUsed), "'used'");
  EXPECT_EQ(internal::Sql(trade::OrderStatus::kCancelled), "'cancelled'");
  EXPECT_EQ(trade::OrderStatusSql(trade::PaidInFull), "'paid','shipped','delivered','completed'");
}

// activity_orders.state has one table: created → paid | cancelled, both final; the seat,
// stock and limit counts take their list from it; the schema admits exactly its names.
TEST_F(PromoDomain, ActivityOrderStatesMoveOnlyAsTheirTableLists) {
  using S = internal::ActivityOrderState;
  for (S s : {S::kCreated, S::kPaid, S::kCancelled}) EXPECT_EQ(internal::ParseActivityOrderState(Name(s)), s);
  EXPECT_EQ(Name(S::kCreated), "created");
  EXPECT_EQ(internal::ParseActivityOrderState("reserved"), std::nullopt);
  EXPECT_TRUE(internal::CanMove(S::kCreated, S::kPaid));
  EXPECT_TRUE(internal::CanMove(S::kCreated, S::kCancelled));
  for (S to : {S::kCreated, S::kPaid, S::kCancelled}) {
    EXPECT_FALSE(internal::CanMove(S::kPaid, to)) << Name(to);  // a refund leaves it paid
    EXPECT_FALSE(internal::CanMove(S::kCancelled, to)) << Name(to);
  }
  auto revived = internal::Move(S::kCancelled, S::kPaid);
  ASSERT_FALSE(revived);
  EXPECT_EQ(revived.error().code, ErrorCode::INVALID_STATE);
  auto uncancelled = internal::Move(S::kPaid, S::kCancelled);
  ASSERT_FALSE(uncancelled);
  EXPECT_EQ(uncancelled.error().code, ErrorCode::INVALID_STATE);
  EXPECT_EQ(*internal::Move(S::kCreated, S::kPaid), "paid");
  EXPECT_EQ(internal::ActivityOrderStateSql(internal::HoldsClaim), "'created','paid'");

  auto insert = [&](int64_t order_id, std::string_view state) {
    return store_->Execute([&](Tx& tx) {
      return tx.Run("INSERT INTO activity_orders(order_id, activity_id, buyer_id, quantity, state, created_at_ms) VALUES(?,1,1,1,?,0)",
                    {order_id, state});
    });
  };
  int64_t order_id = 0;
  for (S s : {S::kCreated, S::kPaid, S::kCancelled}) EXPECT_TRUE(insert(++order_id, Name(s))) << Name(s);
  EXPECT_FALSE(insert(++order_id, "reserved"));
}

// A wallet entry moves through its table with the real functions: unused → used when an order
// takes it (a second order is refused), back to unused when that order is cancelled unpaid;
// shown as expired once past its window.
TEST_F(PromoDomain, CouponWalletMovesThroughItsTable) {
  auto in = CouponInputFromJson(Json{{"title", "满减"}, {"kind", "fixed"}, {"amount_fen", 500}, {"total_quota", 10},
                                     {"per_user_limit", 1}, {"scope", {{"type", "merchant"}}}, {"valid_days", 7}});
  ASSERT_TRUE(in) << in.error().message;
  auto c = store_->ExecuteFor<Coupon>([&](Tx& tx) { return promo_.CreateCoupon(tx, merchant_id_, *in); });
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->status, CouponStatus::kActive);
  EXPECT_EQ(ToJson(*c)["status"], "active");
  constexpr int64_t kBuyer = 4242, kOrder = 777;
  auto uc = store_->ExecuteFor<UserCoupon>([&](Tx& tx) { return promo_.ClaimCoupon(tx, kBuyer, c->id); });
  ASSERT_TRUE(uc) << uc.error().message;
  EXPECT_EQ(uc->status, UserCouponStatus::kUnused);
  EXPECT_EQ(ToJson(*uc, clock_.NowMs())["status"], "unused");

  auto context = [&] {
    trade::PricingContext ctx;
    ctx.buyer_id = kBuyer;
    ctx.merchant_id = merchant_id_;
    ctx.subtotal_fen = 10000;
    ctx.coupon_ids = {uc->id};
    return ctx;
  };
  trade::PricingContext ctx = context();
  ASSERT_TRUE(store_->Execute([&](Tx& tx) -> Status {
    RETURN_IF_ERROR(internal::PriceCoupons(tx, &tx, false, ctx));
    return internal::AttachCoupons(tx, false, ctx, kOrder);
  }));
  ASSERT_EQ(ctx.steps.size(), 1u);
  EXPECT_EQ(ctx.steps[0].amount_fen, -500);
  trade::PricingContext again = context();
  auto refused = store_->Execute([&](Tx& tx) { return internal::PriceCoupons(tx, &tx, false, again); });
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::INVALID_STATE);
  auto wallet = [&](const std::string& status) {
    auto list = store_->Read([&](Reader& r) { return promo_.UserCoupons(r, kBuyer, status, 10, 0); });
    EXPECT_TRUE(list) << list.error().message;
    return list ? list->size() : size_t{99};
  };
  EXPECT_EQ(wallet("used"), 1u);
  EXPECT_EQ(wallet("unused"), 0u);

  ASSERT_TRUE(store_->Execute([&](Tx& tx) { return internal::ReturnCoupons(tx, kOrder); }));
  EXPECT_EQ(wallet("unused"), 1u);
  EXPECT_EQ(wallet("used"), 0u);
  clock_.AdvanceMs(8 * internal::kDayMs);
  EXPECT_EQ(wallet("expired"), 1u);
  EXPECT_EQ(wallet("unused"), 0u);
  auto bad = store_->Read([&](Reader& r) { return promo_.UserCoupons(r, kBuyer, "spent", 10, 0); });
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::INVALID_FIELD);
}

}  // namespace
}  // namespace xd::promo
