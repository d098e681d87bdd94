// TrainModel (train.h): learns separable synthetic data (AUC well above 0.5), is deterministic
// for a seed, and learns position bias from positions.
#include "feed/train.h"

#include <gtest/gtest.h>

#include <random>

namespace xd::feed {
namespace {

std::vector<Example> Synthetic(uint64_t seed, int n) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<Example> out;
  for (int i = 0; i < n; ++i) {
    Candidate c;
    c.price_fen = 1000 + static_cast<int64_t>(u(rng) * 10000);
    c.signals.category_affinity = u(rng);
    const int64_t position = static_cast<int64_t>(u(rng) * 20);
    Example e;
    e.x = Features(c, position);
    // Clicks depend on affinity and position; purchases on price.
    const double z = -3 + 5 * c.signals.category_affinity - 0.5 * std::log1p(position);
    e.clicked = u(rng) < 1 / (1 + std::exp(-z));
    e.bought = e.clicked && u(rng) < (c.price_fen < 5000 ? 0.6 : 0.1);
    out.push_back(e);
  }
  return out;
}

TEST(TrainTest, LearnsSeparableDataAndReportsHeldOutAuc) {
  const auto ex = Synthetic(3, 20000);
  const TrainReport r = TrainModel(ex, {.seed = 9}, 1000, 4);
  EXPECT_EQ(r.model.version, 4);
  EXPECT_EQ(r.model.trained_at_ms, 1000);
  EXPECT_EQ(r.holdout_examples, 4000);
  EXPECT_EQ(r.train_examples, 16000);
  EXPECT_GT(r.model.click_auc, 0.75);
  EXPECT_GT(r.model.buy_auc, 0.65);
  EXPECT_GT(r.model.click_weights[kCategoryAffinity], 2.0);
  EXPECT_LT(r.model.click_weights[kLogPosition], 0.0);
  EXPECT_LT(r.model.buy_weights[kLogPrice], 0.0);
}

TEST(TrainTest, SameExamplesAndSeedGiveTheSameModel) {
  const auto ex = Synthetic(5, 5000);
  const TrainReport a = TrainModel(ex, {.seed = 1}, 0, 1);
  const TrainReport b = TrainModel(ex, {.seed = 1}, 0, 1);
  EXPECT_EQ(a.model.click_weights, b.model.click_weights);
  EXPECT_EQ(a.model.buy_weights, b.model.buy_weights);
  EXPECT_EQ(a.model.click_auc, b.model.click_auc);
  const TrainReport c = TrainModel(ex, {.seed = 2}, 0, 1);
  EXPECT_NE(a.model.click_weights, c.model.click_weights);  // another held-out split
}

TEST(TrainTest, AucOfKnownOrders) {
  EXPECT_DOUBLE_EQ(Auc({0.1, 0.2, 0.8, 0.9}, {false, false, true, true}), 1.0);
  EXPECT_DOUBLE_EQ(Auc({0.9, 0.8, 0.2, 0.1}, {false, false, true, true}), 0.0);
  EXPECT_DOUBLE_EQ(Auc({0.5, 0.5}, {false, true}), 0.5);
  EXPECT_EQ(Auc({0.5, 0.6}, {true, true}), 0);
}

TEST(TrainTest, NoExamplesGiveTheDefaultModel) {
  const TrainReport r = TrainModel({}, {}, 5, 2);
  EXPECT_EQ(r.model.click_weights, Model::Default().click_weights);
  EXPECT_EQ(r.model.version, 2);
  EXPECT_EQ(r.model.click_auc, 0);
}

}  // namespace
}  // namespace xd::feed
