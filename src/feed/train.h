// Training the ranking model (rank.h's Model) from logged impressions: pure and deterministic.
// The caller turns its event log into Examples (insight's trainer does it from the analytics
// store; bench/market_sim from its simulated log); TrainModel fits the two logistic regressions
// by Newton's method with an L2 penalty and measures AUC on a held-out split chosen by a seeded
// shuffle, so the same examples and seed always give the same model, bit for bit.
//
//   std::vector<feed::Example> ex = ...;          // one per impression, with its position
//   feed::TrainReport r = feed::TrainModel(ex, {.seed = 7}, now_ms, previous.version + 1);
//   if (r.model.click_auc > 0.5) publish(r.model);
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <vector>

#include "feed/rank.h"

namespace xd::feed {

// One impression: the features as they were when it was shown (position included), whether it
// was clicked, and whether the click led to a purchase of the product.
struct Example {
  FeatureVector x{};
  bool clicked = false;
  bool bought = false;  // implies clicked (a purchase without a logged click counts as both)
};

struct TrainOptions {
  uint64_t seed = 1;
  int64_t holdout_bps = 2000;       // share of examples kept out of training to measure AUC
  int iterations = 12;              // Newton steps (the loss is convex; ~8 are enough)
  double l2 = 1.0;                  // ridge penalty on every weight but the bias
  size_t max_examples = 2'000'000;  // the newest are kept (the caller passes them in time order)
};

struct TrainReport {
  Model model;
  int64_t train_examples = 0;
  int64_t holdout_examples = 0;
  int64_t holdout_clicks = 0;
  int64_t holdout_purchases = 0;
};

// Fits p(click) on every training example and p(buy | click) on the clicked ones. AUCs are 0
// when the held-out split lacks a positive or a negative. With no examples at all the model is
// Model::Default() with the given version.
TrainReport TrainModel(const std::vector<Example>& examples, const TrainOptions& options,
                       int64_t now_ms, int64_t version);

// Area under the ROC curve of `scores` against `labels` (ties count half); 0 when one class is
// missing.
double Auc(const std::vector<double>& scores, const std::vector<bool>& labels);

}  // namespace xd::feed
