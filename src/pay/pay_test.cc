// Pay's domain logic without the HTTP server: a temp store, the real functions, a fake clock.
// Covers the status tables (names, moves, the SQL lists the ledger check derives from them)
// and the payment, refund and settlement lifecycles going through them: each legal move is
// made, every other one is refused and leaves the books balanced.
#include "pay/pay.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "base/messages.h"
#include "pay/states.h"
#include "tests/pg_cluster.h"

namespace xd::pay {
namespace {

class PayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("xd_pay_test_" + std::to_string(::getpid()) + "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    // The same tests on PostgreSQL when asked (ctest's pay_test_pg): a fresh schema each.
    std::string path = (dir_ / "db").string();
    const char* backend = std::getenv("XD_TEST_BACKEND");
    if (backend && std::string_view(backend) == "postgres") {
      auto* pg = testing::SharedPgCluster();
      ASSERT_TRUE(pg) << testing::PgUnavailableReason();
      static int schemas = 0;
      auto url = pg->CreateSchema("pay_" + std::to_string(++schemas));
      ASSERT_TRUE(url) << url.error().message;
      path = *url;
    }
    auto s = Store::Open({.path = path, .readers = 2, .sync_full = false}, clock_);
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
    sandbox_ = std::make_unique<SandboxProvider>("pay-test-secret", clock_);
  }
  void TearDown() override {
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
  Status Do(std::function<Status(Tx&)> f) { return store_->Execute(std::move(f)); }
  Payment Get(int64_t id) {
    return Write<Payment>([&](Tx& tx) { return GetPayment(tx, id); });
  }
  // A payment of `total_fen` for a new order of `merchant`, `card_fen` of it from `buyer`'s
  // store credit (issued for it).
  Payment Start(int64_t total_fen, int64_t card_fen, int64_t merchant = kMerchant, int64_t buyer = kBuyer) {
    return Write<Payment>([&](Tx& tx) -> Result<Payment> {
      if (card_fen > 0) RETURN_IF_ERROR(IssueCard(tx, buyer, card_fen, "test", 1));
      return StartPayment(tx, *sandbox_, tx.NewId(), merchant, buyer, total_fen, card_fen);
    });
  }
  // Completes `p` at the sandbox provider (when it has a provider part) and posts its success.
  void Succeed(const Payment& p) {
    ASSERT_TRUE(Do([&](Tx& tx) -> Status {
      std::string transaction_id = "card";
      if (!p.prepay_id.empty()) {
        RETURN_IF_ERROR(sandbox_->Complete(tx, p.prepay_id, true));
        ASSIGN_OR_RETURN(ProviderTxn t, sandbox_->Query(tx, p.prepay_id));
        transaction_id = t.transaction_id;
      }
      return ToStatus(SettlePaymentSuccess(tx, p, transaction_id));
    }));
  }
  int64_t BalanceOf(const std::string& account) {
    auto b = store_->Read([&](Reader& r) { return Balance(r, account); });
    EXPECT_TRUE(b) << b.error().message;
    return b ? *b : -1;
  }
  LedgerReport Check() {
    auto rep = store_->Read([](Reader& r) { return CheckLedger(r); });
    EXPECT_TRUE(rep) << rep.error().message;
    return rep ? *rep : LedgerReport{};
  }
  void ExpectBalanced() {
    auto rep = store_->Read([](Reader& r) { return CheckLedger(r); });
    ASSERT_TRUE(rep) << rep.error().message;
    EXPECT_TRUE(rep->balanced) << rep->ToJson().dump();
  }

  static constexpr int64_t kBuyer = 42;
  static constexpr int64_t kMerchant = 9;
  FakeClock clock_;
  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<SandboxProvider> sandbox_;
};

// Each stored name round-trips, and no other text is a status.
TEST(PayStates, NamesRoundTrip) {
  for (PaymentStatus s : AllPaymentStatuses()) EXPECT_EQ(PaymentStatusFromString(Name(s)), s);
  for (RefundStatus s : AllRefundStatuses()) EXPECT_EQ(RefundStatusFromString(Name(s)), s);
  for (SettlementStatus s : AllSettlementStatuses()) EXPECT_EQ(SettlementStatusFromString(Name(s)), s);
  EXPECT_EQ(WithdrawalStatusFromString("paid"), WithdrawalStatus::kPaid);
  // Today's spellings, exactly: they are stored and shown in the API.
  EXPECT_EQ(Name(PaymentStatus::kPending), "pending");
  EXPECT_EQ(Name(PaymentStatus::kSucceeded), "succeeded");
  EXPECT_EQ(Name(PaymentStatus::kFailed), "failed");
  EXPECT_EQ(Name(PaymentStatus::kClosed), "closed");
  EXPECT_EQ(Name(RefundStatus::kSucceeded), "succeeded");
  EXPECT_EQ(Name(SettlementStatus::kHeld), "held");
  EXPECT_EQ(Name(SettlementStatus::kSettled), "settled");
  EXPECT_EQ(PaymentStatusFromString("paid"), std::nullopt);
  EXPECT_EQ(PaymentStatusFromString("SUCCESS"), std::nullopt);  // the provider's word, not ours
  EXPECT_EQ(RefundStatusFromString(""), std::nullopt);
}

// The tables allow the lifecycles and refuse the rest.
TEST(PayStates, TransitionTables) {
  using P = PaymentStatus;
  EXPECT_TRUE(CanMove(P::kPending, P::kSucceeded));
  EXPECT_TRUE(CanMove(P::kPending, P::kFailed));
  EXPECT_TRUE(CanMove(P::kPending, P::kClosed));
  EXPECT_TRUE(CanMove(P::kClosed, P::kSucceeded));  // paid on an old page after the cancel
  EXPECT_FALSE(CanMove(P::kSucceeded, P::kFailed));
  EXPECT_FALSE(CanMove(P::kSucceeded, P::kPending));
  EXPECT_FALSE(CanMove(P::kFailed, P::kSucceeded));
  EXPECT_FALSE(CanMove(P::kClosed, P::kPending));
  EXPECT_FALSE(CanMove(P::kSucceeded, P::kSucceeded));
  EXPECT_TRUE(CanMove(RefundStatus::kPending, RefundStatus::kSucceeded));
  EXPECT_FALSE(CanMove(RefundStatus::kSucceeded, RefundStatus::kPending));
  EXPECT_TRUE(CanMove(SettlementStatus::kHeld, SettlementStatus::kSettled));
  EXPECT_FALSE(CanMove(SettlementStatus::kSettled, SettlementStatus::kHeld));
  EXPECT_FALSE(CanMove(WithdrawalStatus::kPaid, WithdrawalStatus::kPaid));

  auto refused = Move(P::kSucceeded, P::kFailed);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::INVALID_STATE);
  EXPECT_EQ(refused.error().message, "The payment status succeeded cannot become failed");
  EXPECT_EQ(Render(refused.error(), Lang::kZh), "支付状态不能从“已成功”变为“已失败”");
  EXPECT_EQ(*Move(P::kPending, P::kClosed), "closed");
}

// The ledger check's lists come from the tables' properties.
TEST(PayStates, CheckListsDeriveFromTheTables) {
  EXPECT_EQ(PaymentStatusSql(HoldsCard), "'pending'");
  EXPECT_EQ(PaymentStatusSql(AwaitsProvider), "'pending'");
  EXPECT_EQ(PaymentStatusSql(Charged), "'succeeded'");
  EXPECT_EQ(RefundStatusSql(ProviderRefunded), "'succeeded'");
  EXPECT_EQ(SettlementStatusSql(Held), "'held'");
  EXPECT_EQ(PaymentStatusSql([](PaymentStatus s) { return s != PaymentStatus::kPending; }), "'succeeded','failed','closed'");
  EXPECT_EQ(PaymentStatusSql([](PaymentStatus) { return false; }), "NULL");
  EXPECT_EQ(Sql(SettlementStatus::kSettled), "'settled'");
}

// The schema admits exactly the table's names (its CHECK is the same list, written in the
// migration): each table name can be stored, another cannot.
TEST_F(PayTest, SchemaAdmitsTheTablesNames) {
  for (PaymentStatus s : AllPaymentStatuses())
    EXPECT_TRUE(Do([&](Tx& tx) {
      return tx.Run("INSERT INTO payments(id, order_id, buyer_id, amount_fen, status, provider, created_at_ms) VALUES(?,1,1,0,?,'card',0)",
                    {tx.NewId(), Name(s)});
    }));
  EXPECT_FALSE(Do([&](Tx& tx) {
    return tx.Run("INSERT INTO payments(id, order_id, buyer_id, amount_fen, status, provider, created_at_ms) VALUES(?,1,1,0,'paid','card',0)",
                  {tx.NewId()});
  }));
}

// A store-credit payment succeeds at once; then it cannot fail, and a stale copy of it (still
// pending) cannot post it a second time.
TEST_F(PayTest, SucceededPaymentCannotFailNorSucceedTwice) {
  Payment p = Start(1000, 1000);
  EXPECT_EQ(p.status, PaymentStatus::kPending);
  ASSERT_TRUE(Do([&](Tx& tx) { return ToStatus(SettlePaymentSuccess(tx, p, "card")); }));
  EXPECT_EQ(Get(p.id).status, PaymentStatus::kSucceeded);
  // Ending it as failed is a no-op (only a pending payment ends).
  ASSERT_TRUE(Do([&](Tx& tx) { return EndPendingPayment(tx, p.id, true); }));
  EXPECT_EQ(Get(p.id).status, PaymentStatus::kSucceeded);
  // The stale copy still says pending: the guarded UPDATE refuses, nothing is posted.
  auto again = Do([&](Tx& tx) { return ToStatus(SettlePaymentSuccess(tx, p, "card")); });
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::INVALID_STATE);
  // Read fresh, it reports "already succeeded".
  auto fresh = store_->ExecuteFor<bool>([&](Tx& tx) -> Result<bool> {
    ASSIGN_OR_RETURN(Payment now, GetPayment(tx, p.id));
    return SettlePaymentSuccess(tx, now, "card");
  });
  ASSERT_TRUE(fresh);
  EXPECT_FALSE(*fresh);
  EXPECT_EQ(BalanceOf(EscrowAccount(kMerchant)), 1000);
  ExpectBalanced();
}

// failed is final; closed (the order was cancelled) may still succeed when the money arrives.
TEST_F(PayTest, FailedIsFinalClosedMaySucceed) {
  Payment failed = Start(500, 0);
  ASSERT_TRUE(Do([&](Tx& tx) { return EndPendingPayment(tx, failed.id, true); }));
  failed = Get(failed.id);
  EXPECT_EQ(failed.status, PaymentStatus::kFailed);
  auto refused = Do([&](Tx& tx) { return ToStatus(SettlePaymentSuccess(tx, failed, "4200x")); });
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::INVALID_STATE);

  Payment closed = Start(700, 200);
  ASSERT_TRUE(Do([&](Tx& tx) { return EndPendingPayment(tx, closed.id, false); }));
  closed = Get(closed.id);
  EXPECT_EQ(closed.status, PaymentStatus::kClosed);
  EXPECT_EQ(closed.card_fen, 0);  // its store credit went back when it closed
  ASSERT_TRUE(Do([&](Tx& tx) -> Status {
    RETURN_IF_ERROR(sandbox_->Complete(tx, closed.prepay_id, true));
    ASSIGN_OR_RETURN(ProviderTxn t, sandbox_->Query(tx, closed.prepay_id));
    return ToStatus(SettlePaymentSuccess(tx, closed, t.transaction_id));
  }));
  EXPECT_EQ(Get(closed.id).status, PaymentStatus::kSucceeded);
  EXPECT_EQ(*store_->Read([&](Reader& r) { return Balance(r, CardAccount(kBuyer)); }), 200);
  ExpectBalanced();
}

// A refund's provider part completes once; a settlement is released once.
TEST_F(PayTest, RefundAndSettlementMoveOnce) {
  Payment p = Start(1000, 300);
  ASSERT_TRUE(Do([&](Tx& tx) -> Status {
    RETURN_IF_ERROR(sandbox_->Complete(tx, p.prepay_id, true));
    ASSIGN_OR_RETURN(ProviderTxn t, sandbox_->Query(tx, p.prepay_id));
    return ToStatus(SettlePaymentSuccess(tx, p, t.transaction_id));
  }));
  // 400 back: 400 from the provider part (the card part comes last), pending at the provider.
  Refund rf = Write<Refund>([&](Tx& tx) { return StartRefund(tx, *sandbox_, p.order_id, 400, 0, "test"); });
  EXPECT_EQ(rf.status, RefundStatus::kPending);
  EXPECT_EQ(rf.provider_fen, 400);
  ExpectBalanced();
  EXPECT_TRUE(Write<bool>([&](Tx& tx) { return CompleteRefund(tx, rf.id); }));
  EXPECT_FALSE(Write<bool>([&](Tx& tx) { return CompleteRefund(tx, rf.id); }));
  EXPECT_EQ(Write<Refund>([&](Tx& tx) { return GetRefund(tx, rf.id); }).status, RefundStatus::kSucceeded);
  ExpectBalanced();

  ASSERT_TRUE(Do([&](Tx& tx) { return SettleOrderCompletion(tx, p.order_id, kMerchant, 500, 100, 7); }));
  auto finance = store_->Read([&](Reader& r) { return FinanceOf(r, kMerchant); });
  ASSERT_TRUE(finance);
  EXPECT_EQ(finance->pending.size(), 1u);
  ExpectBalanced();
  ASSERT_TRUE(Do([&](Tx& tx) { return ReleaseSettlement(tx, p.order_id); }));
  ASSERT_TRUE(Do([&](Tx& tx) { return ReleaseSettlement(tx, p.order_id); }));  // settled: nothing to do
  finance = store_->Read([&](Reader& r) { return FinanceOf(r, kMerchant); });
  ASSERT_TRUE(finance);
  EXPECT_EQ(finance->pending.size(), 0u);
  EXPECT_EQ(finance->payable_fen, 0);
  EXPECT_EQ(finance->withdrawable_fen, 500);
  ExpectBalanced();
}

// No global hot rows: a payment posts to its merchant's escrow and provider accounts and its
// buyer's card hold, a completion to the merchant's commission account; no platform-wide row
// is written, and the platform totals are the sums over each family.
TEST_F(PayTest, PaymentsPostToTheirMerchantsAndBuyersAccounts) {
  constexpr int64_t kShopA = 101, kShopB = 202, kBuyerX = 42, kBuyerY = 43;
  Payment a = Start(1000, 300, kShopA, kBuyerX);
  Payment b = Start(2000, 0, kShopB, kBuyerY);
  Payment b_card = Start(500, 500, kShopB, kBuyerY);  // store credit only
  EXPECT_EQ(a.merchant_id, kShopA);
  EXPECT_EQ(Get(b.id).merchant_id, kShopB);
  EXPECT_EQ(BalanceOf(CardHoldAccount(kBuyerX)), 300);
  EXPECT_EQ(BalanceOf(CardHoldAccount(kBuyerY)), 500);
  ExpectBalanced();
  Succeed(a);
  Succeed(b);
  Succeed(b_card);
  EXPECT_EQ(BalanceOf(EscrowAccount(kShopA)), 1000);
  EXPECT_EQ(BalanceOf(EscrowAccount(kShopB)), 2500);
  EXPECT_EQ(BalanceOf(ProviderAccount(kShopA)), -700);
  EXPECT_EQ(BalanceOf(ProviderAccount(kShopB)), -2000);
  EXPECT_EQ(BalanceOf(CardHoldAccount(kBuyerX)), 0);
  EXPECT_EQ(BalanceOf(CardHoldAccount(kBuyerY)), 0);
  ASSERT_TRUE(Do([&](Tx& tx) { return SettleOrderCompletion(tx, a.order_id, kShopA, 950, 50, 7); }));
  EXPECT_EQ(BalanceOf(EscrowAccount(kShopA)), 0);
  EXPECT_EQ(BalanceOf(CommissionAccount(kShopA)), 50);
  auto total = [&](std::string_view prefix) { return *store_->Read([&](Reader& r) { return PlatformBalance(r, prefix); }); };
  EXPECT_EQ(total(kEscrowPrefix), 2500);
  EXPECT_EQ(total(kProviderPrefix), -2700);
  EXPECT_EQ(total(kCommissionPrefix), 50);
  EXPECT_EQ(total(kCardHoldPrefix), 0);
  // Nothing was written to a platform-wide account.
  for (const char* table : {"balances", "postings"}) {
    auto legacy = store_->Read([&](Reader& r) {
      return r.QueryInt(std::string("SELECT count(*) FROM ") + table +
                        " WHERE account IN ('escrow', 'provider:sandbox', 'commission_revenue', 'card_hold')");
    });
    ASSERT_TRUE(legacy) << legacy.error().message;
    EXPECT_EQ(*legacy, 0) << table;
  }
  ExpectBalanced();
}

// The check holds each merchant's provider account to that merchant's payments and refunds, and
// each buyer's card hold to that buyer's pending payments: money moved between two merchants'
// (or two buyers') accounts by a balanced entry leaves every total right, and is still found.
TEST_F(PayTest, CheckCatchesMoneyInAnotherMerchantsOrBuyersAccount) {
  constexpr int64_t kShopA = 101, kShopB = 202, kBuyerX = 42, kBuyerY = 43;
  Payment a = Start(1000, 0, kShopA, kBuyerX);
  Payment b = Start(2000, 0, kShopB, kBuyerY);
  Succeed(a);
  Succeed(b);
  Start(800, 300, kShopA, kBuyerX);  // pending: holds X's store credit
  Start(900, 400, kShopB, kBuyerY);
  ExpectBalanced();
  auto problems_after = [&](const std::string& from, const std::string& to) {
    EXPECT_TRUE(Do([&](Tx& tx) { return ToStatus(Post(tx, "test.corrupt", 1, {{from, -100}, {to, 100}})); }));
    LedgerReport rep = Check();
    EXPECT_FALSE(rep.balanced) << rep.ToJson().dump();
    EXPECT_EQ(rep.sum_fen, 0);
    std::string all = rep.ToJson().dump();
    EXPECT_NE(all.find(from), std::string::npos) << all;
    EXPECT_NE(all.find(to), std::string::npos) << all;
    // Put it back: balanced again.
    EXPECT_TRUE(Do([&](Tx& tx) { return ToStatus(Post(tx, "test.repair", 1, {{to, -100}, {from, 100}})); }));
    ExpectBalanced();
  };
  problems_after(ProviderAccount(kShopA), ProviderAccount(kShopB));
  problems_after(CardHoldAccount(kBuyerY), CardHoldAccount(kBuyerX));
  // A negative hold or escrow is found too (here: more taken from Y's hold than it holds).
  ASSERT_TRUE(Do([&](Tx& tx) { return ToStatus(Post(tx, "test.corrupt", 2, {{CardHoldAccount(kBuyerY), -500}, {"test:sink", 500}})); }));
  std::string all = Check().ToJson().dump();
  EXPECT_NE(all.find("account " + CardHoldAccount(kBuyerY) + " is negative"), std::string::npos) << all;
}

// Many nodes (PostgreSQL, where writers are concurrent): two stores on one database withdraw a
// merchant's whole balance at the same moment, round after round. The balance is read with its
// row locked (BalanceForDebit), so one withdrawal waits for the other's commit and then finds
// nothing left: each round exactly one succeeds and the balance never goes below zero. Without
// the lock both read the full balance under READ COMMITTED and both succeed.
TEST(PayAcrossNodes, TwoNodesCannotWithdrawTheSameMoneyTwice) {
  auto* pg = testing::SharedPgCluster();
  if (!pg) {
    if (testing::PgCluster::BinDir().empty()) GTEST_SKIP() << testing::PgUnavailableReason();
    FAIL() << testing::PgUnavailableReason();
  }
  auto url = pg->CreateSchema("pay_nodes");
  ASSERT_TRUE(url) << url.error().message;
  FakeClock clock;
  auto a = Store::Open({.path = *url, .readers = 1}, clock);
  ASSERT_TRUE(a) << a.error().message;
  auto b = Store::Open({.path = *url, .readers = 1}, clock);
  ASSERT_TRUE(b) << b.error().message;
  constexpr int64_t kMerchant = 7, kFen = 10'000;
  constexpr int kRounds = 30;
  int succeeded = 0;
  for (int round = 0; round < kRounds; ++round) {
    ASSERT_TRUE((*a)->Execute([&](Tx& tx) {
      return ToStatus(Post(tx, "test_fund", round + 1, {{MerchantWithdrawable(kMerchant), kFen}, {"test:source", -kFen}}));
    }));
    Status sa = Ok(), sb = Ok();
    std::thread other([&] { sb = (*b)->Execute([&](Tx& tx) { return ToStatus(Withdraw(tx, kMerchant, kFen)); }); });
    sa = (*a)->Execute([&](Tx& tx) { return ToStatus(Withdraw(tx, kMerchant, kFen)); });
    other.join();
    EXPECT_NE(bool(sa), bool(sb)) << "round " << round;
    for (const Status& s : {sa, sb}) {
      if (s) ++succeeded;
      else EXPECT_EQ(s.error().code, ErrorCode::INSUFFICIENT_FUNDS) << s.error().message;
    }
    ASSERT_EQ(*(*a)->Read([](Reader& r) { return Balance(r, MerchantWithdrawable(kMerchant)); }), 0) << "round " << round;
  }
  EXPECT_EQ(succeeded, kRounds);
}

}  // namespace
}  // namespace xd::pay
