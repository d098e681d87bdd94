// The ranking model's trainer (ranking_model.h): examples and labels from the log rows, point-in-
// time features, training over the analytics store (AUC above chance on data where clicks
// follow a hidden product quality), the stored model reloaded after a restart, deterministic
// for the same log, and the retraining period on the injected clock.
#include "insight/ranking_model.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <random>

#include "base/clock.h"

namespace xd::insight {
namespace {

constexpr int64_t kHour = 3600LL * 1000;

LogEvent Ev(int64_t id, std::string type, int64_t user, int64_t product, int64_t at,
            int64_t position = 0) {
  LogEvent e;
  e.id = id;
  e.type = std::move(type);
  e.user_id = user;
  e.merchant_id = 1;
  e.product_id = product;
  e.category = "c";
  e.occurred_at_ms = at;
  e.position = position;
  return e;
}

TEST(RankingModelTest, ExamplesLabelClicksAndPurchasesInTheirWindows) {
  std::vector<LogEvent> log = {
      Ev(1, "impression", 7, 100, 0, 3),       // clicked 10 min later, then bought
      Ev(2, "impression", 7, 200, 0, 4),       // clicked only after 2 h: not a click
      Ev(3, "view", 7, 100, 10 * 60 * 1000),   //
      Ev(4, "click", 7, 200, 2 * kHour + 1),   //
      Ev(5, "impression", 8, 100, kHour),      // another visitor: this one's click is not theirs
  };
  LogEvent paid = Ev(6, "order.paid", 7, 0, 3 * kHour);
  paid.paid_products = {100};
  paid.paid_categories = {"c"};
  paid.paid_quantities = {1};
  log.push_back(paid);
  LogEvent self = paid;  // the shop's own staff buying: no conversion of the product's
  self.id = 61, self.user_id = 70, self.self_purchase = true, self.paid_quantities = {5};
  log.push_back(self);
  log.push_back(Ev(7, "impression", 9, 100, 4 * kHour, 0));  // after one view, one purchase
  LogEvent anonymous = Ev(8, "impression", 0, 100, 4 * kHour);
  log.push_back(anonymous);  // no user, no device: skipped

  const auto ex = BuildExamples(log, {{100, 5000}});
  ASSERT_EQ(ex.size(), 4u);
  EXPECT_TRUE(ex[0].clicked);
  EXPECT_TRUE(ex[0].bought);
  EXPECT_FALSE(ex[1].clicked);
  EXPECT_FALSE(ex[2].clicked);
  EXPECT_FALSE(ex[3].clicked);
  EXPECT_DOUBLE_EQ(ex[0].x[feed::kLogPosition], std::log1p(3.0));
  EXPECT_DOUBLE_EQ(ex[0].x[feed::kLogPrice], std::log1p(50.0) / 5);
  EXPECT_EQ(ex[1].x[feed::kLogPrice], 0);  // no price known
  // Point in time: the first impression of product 100 saw no history; the last one saw two
  // impressions, one view and one unit bought (the staff's five do not count), rates above the
  // prior.
  feed::Candidate fresh;
  EXPECT_DOUBLE_EQ(ex[0].x[feed::kCtrLogit], feed::Features(fresh, 0)[feed::kCtrLogit]);
  EXPECT_GT(ex[3].x[feed::kCtrLogit], ex[0].x[feed::kCtrLogit]);
  EXPECT_GT(ex[3].x[feed::kCvrLogit], ex[0].x[feed::kCvrLogit]);
  EXPECT_DOUBLE_EQ(ex[3].x[feed::kLogImpressions], std::log1p(2.0) / 10);
  feed::Candidate seen;
  seen.signals.impressions = 2, seen.signals.clicks = 1, seen.signals.purchases = 1;
  EXPECT_DOUBLE_EQ(ex[3].x[feed::kCvrLogit], feed::Features(seen, 0)[feed::kCvrLogit]);
}

class RankingTrainerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("xd_ranking_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    Open();
  }
  void Open() {
    analytics_.reset();
    trading_.reset();
    auto trading = Store::Open({.path = (dir_ / "db").string(), .readers = 1}, clock_);
    ASSERT_TRUE(trading) << trading.error().message;
    trading_ = std::move(*trading);
    auto analytics = Store::Open(
        {.path = (dir_ / "analytics").string(), .schema = StoreSchema::kAnalytics, .readers = 1},
        clock_);
    ASSERT_TRUE(analytics) << analytics.error().message;
    analytics_ = std::move(*analytics);
  }
  void TearDown() override {
    analytics_.reset();
    trading_.reset();
    std::filesystem::remove_all(dir_);
  }
  // A week of feed traffic: 300 users, 40 products whose hidden quality drives clicks, shown
  // at positions 0..9; good products are also bought.
  void WriteTraffic() {
    std::mt19937_64 rng(11);
    std::uniform_real_distribution<double> u(0, 1);
    std::vector<double> quality(40);
    for (double& q : quality) q = u(rng) * 4 - 2;
    ASSERT_TRUE(trading_->Execute([&](Tx& tx) -> Status {
      for (int p = 0; p < 40; ++p) {
        RETURN_IF_ERROR(
            tx.Run("INSERT INTO products(id, merchant_id, title, category, status, created_at_ms, "
                   "updated_at_ms, min_price_fen) VALUES(?,1,'商品','c','on_sale',0,0,?)",
                   {int64_t{1000 + p}, int64_t{1000 + 100 * p}}));
        RETURN_IF_ERROR(
            tx.Run("INSERT INTO skus(id, product_id, merchant_id, price_fen, stock, stock_in) "
                   "VALUES(?,?,1,?,10,10)",
                   {int64_t{5000 + p}, int64_t{1000 + p}, int64_t{1000 + 100 * p}}));
      }
      return Ok();
    }));
    const int64_t start = clock_.NowMs() - 7 * 24 * kHour;
    int64_t key = 0;
    ASSERT_TRUE(analytics_->Execute([&](Tx& tx) -> Status {
      for (int i = 0; i < 6000; ++i) {
        const int64_t user = 1 + static_cast<int64_t>(rng() % 300);
        const int p = static_cast<int>(rng() % 40);
        const int64_t position = static_cast<int64_t>(rng() % 10);
        const int64_t at = start + i * 60 * 1000;
        auto row = [&](const std::string& type, int64_t product, int64_t when, const Json& data) {
          return tx.Run(
              "INSERT INTO log(source_key, type, user_id, merchant_id, product_id, category, "
              "occurred_at_ms, received_at_ms, data) VALUES(?,?,?,1,?,'c',?,?,?)",
              {"t:" + std::to_string(++key), type, user, product, when, when, DumpJson(data)});
        };
        RETURN_IF_ERROR(row("impression", 1000 + p, at, {{"position", position}}));
        const double z = -1.5 + 1.5 * quality[p] - 0.3 * static_cast<double>(position);
        if (u(rng) < 1 / (1 + std::exp(-z))) {
          RETURN_IF_ERROR(row("view", 1000 + p, at + 1000, Json::object()));
          if (u(rng) < (quality[p] > 0.5 ? 0.5 : 0.05)) {
            RETURN_IF_ERROR(
                row("order.paid", 0, at + 2000,
                    {{"items", Json::array({{{"product_id", 1000 + p}, {"category", "c"}, {"quantity", 1}}})}}));
          }
        }
      }
      return Ok();
    }));
  }

  FakeClock clock_{1'767'225'600'000 + 30 * 24 * kHour};
  std::filesystem::path dir_;
  std::unique_ptr<Store> trading_, analytics_;
};

TEST_F(RankingTrainerTest, TrainsFromTheLogStoresAndReloads) {
  WriteTraffic();
  RankingTrainer trainer(*trading_, *analytics_);
  EXPECT_EQ(trainer.Current()->version, 0);  // the default prior until trained
  auto report = trainer.TrainOnce();
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->model.version, 1);
  EXPECT_EQ(report->train_examples + report->holdout_examples, 6000);
  EXPECT_GT(report->model.click_auc, 0.6);
  EXPECT_GT(report->model.buy_auc, 0.5);
  EXPECT_LT(report->model.click_weights[feed::kLogPosition], 0);  // position bias learned
  EXPECT_EQ(trainer.Current()->version, 1);
  EXPECT_EQ(trainer.Current()->click_weights, report->model.click_weights);

  // Another node (or a restart) loads the stored model, weights intact.
  RankingTrainer again(*trading_, *analytics_);
  ASSERT_TRUE(again.Load());
  EXPECT_EQ(again.Current()->version, 1);
  EXPECT_EQ(again.Current()->click_weights, report->model.click_weights);
  EXPECT_EQ(again.Current()->buy_weights, report->model.buy_weights);
  EXPECT_DOUBLE_EQ(again.Current()->click_auc, report->model.click_auc);

  // The same log, a fresh trainer, the same seed: the same model.
  auto second = again.TrainOnce();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->model.version, 2);
  EXPECT_EQ(second->model.click_weights, report->model.click_weights);
  EXPECT_EQ(
      analytics_->Read([](Reader& r) { return r.QueryInt("SELECT count(*) FROM ranking_models"); })
          .value_or(-1),
      2);

  // `xiaodian check`: clean, then a damaged row is reported.
  auto clean = analytics_->Read([](Reader& r) { return CheckRankingModels(r); });
  ASSERT_TRUE(clean);
  EXPECT_TRUE(clean->empty());
  ASSERT_TRUE(analytics_->Execute([](Tx& tx) {
    return tx.Run(
        "UPDATE ranking_models SET weights='{\"click\":[1]}', buy_auc_ppm=2000000 "
        "WHERE version=1");
  }));
  auto damaged = analytics_->Read([](Reader& r) { return CheckRankingModels(r); });
  ASSERT_TRUE(damaged);
  EXPECT_EQ(damaged->size(), 1u);  // malformed weights (the row's other checks are skipped)
  RankingTrainer broken(*trading_, *analytics_);
  ASSERT_TRUE(analytics_->Execute(
      [](Tx& tx) { return tx.Run("DELETE FROM ranking_models WHERE version=2"); }));
  EXPECT_FALSE(broken.Load());  // a damaged newest model is an error, not a silent default
}

TEST_F(RankingTrainerTest, TooFewImpressionsKeepTheCurrentModel) {
  RankingTrainer trainer(*trading_, *analytics_);
  auto report = trainer.TrainOnce();
  ASSERT_TRUE(report);
  EXPECT_EQ(report->model.version, 0);
  EXPECT_EQ(trainer.Current()->version, 0);
}

TEST_F(RankingTrainerTest, RetrainsEveryPeriodOnTheInjectedClock) {
  WriteTraffic();
  RankingTrainer trainer(*trading_, *analytics_);
  EXPECT_EQ(trainer.MaybeTrain().value_or(false), true);  // first call: due
  EXPECT_EQ(trainer.MaybeTrain().value_or(true), false);
  clock_.AdvanceMs(ranking_config::kRetrainEveryMs - 1);
  EXPECT_EQ(trainer.MaybeTrain().value_or(true), false);
  clock_.AdvanceMs(1);
  EXPECT_EQ(trainer.MaybeTrain().value_or(false), true);
  EXPECT_EQ(trainer.Current()->version, 2);
}

}  // namespace
}  // namespace xd::insight
