// TrainModel (train.h): two ridge-penalised logistic regressions fitted by Newton's method
// (iteratively reweighted least squares). With eleven features a Newton step is one pass over
// the examples plus an 11×11 solve, so training is deterministic, needs no learning rate and
// converges in a few steps.
#include "feed/train.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "feed/internal/math.h"

namespace xd::feed {
namespace {

constexpr int kN = kFeatureCount;

using internal::Dot;
using internal::Sigmoid;

// Solves a·d = b in place (Gaussian elimination with partial pivoting); false if singular.
bool Solve(std::array<std::array<double, kN>, kN>& a, std::array<double, kN>& b,
           std::array<double, kN>& d) {
  for (int c = 0; c < kN; ++c) {
    int p = c;
    for (int r = c + 1; r < kN; ++r) {
      if (std::abs(a[r][c]) > std::abs(a[p][c])) p = r;
    }
    if (std::abs(a[p][c]) < 1e-12) return false;
    std::swap(a[p], a[c]);
    std::swap(b[p], b[c]);
    for (int r = c + 1; r < kN; ++r) {
      const double f = a[r][c] / a[c][c];
      if (f == 0) continue;
      for (int k = c; k < kN; ++k) a[r][k] -= f * a[c][k];
      b[r] -= f * b[c];
    }
  }
  for (int c = kN - 1; c >= 0; --c) {
    double s = b[c];
    for (int k = c + 1; k < kN; ++k) s -= a[c][k] * d[k];
    d[c] = s / a[c][c];
  }
  return true;
}

// Fits weights for rows `idx` of `examples` with labels from `label`.
template <class Label>
FeatureVector Fit(const std::vector<Example>& examples, const std::vector<size_t>& idx, Label label,
                  const TrainOptions& o) {
  FeatureVector w{};
  if (idx.empty()) return w;
  double pos = 0;
  for (size_t i : idx) pos += label(examples[i]) ? 1 : 0;
  const double mean = (pos + 0.5) / (static_cast<double>(idx.size()) + 1);
  w[kBias] = std::log(mean / (1 - mean));
  for (int it = 0; it < o.iterations; ++it) {
    std::array<std::array<double, kN>, kN> h{};
    std::array<double, kN> g{};
    for (size_t i : idx) {
      const FeatureVector& x = examples[i].x;
      const double p = Sigmoid(Dot(w, x));
      const double y = label(examples[i]) ? 1 : 0;
      const double r = p - y;
      const double v = std::max(p * (1 - p), 1e-9);
      for (int a = 0; a < kN; ++a) {
        if (x[a] == 0) continue;
        g[a] += r * x[a];
        const double vx = v * x[a];
        for (int b = a; b < kN; ++b) h[a][b] += vx * x[b];
      }
    }
    for (int a = 0; a < kN; ++a) {
      for (int b = 0; b < a; ++b) h[a][b] = h[b][a];
      const double l2 = a == kBias ? 1e-6 : o.l2;
      g[a] += l2 * w[a];
      h[a][a] += l2;
    }
    std::array<double, kN> d{};
    if (!Solve(h, g, d)) break;
    double step = 0;
    for (int a = 0; a < kN; ++a) {
      w[a] -= d[a];
      step = std::max(step, std::abs(d[a]));
    }
    if (step < 1e-7) break;
  }
  return w;
}

}  // namespace

double Auc(const std::vector<double>& scores, const std::vector<bool>& labels) {
  const size_t n = std::min(scores.size(), labels.size());
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] < scores[b]; });
  // Mann–Whitney U with average ranks for ties.
  double rank_sum_pos = 0;
  double pos = 0;
  size_t i = 0;
  while (i < n) {
    size_t j = i;
    while (j + 1 < n && scores[order[j + 1]] == scores[order[i]]) ++j;
    const double avg_rank = (static_cast<double>(i) + static_cast<double>(j)) / 2 + 1;
    for (size_t k = i; k <= j; ++k) {
      if (labels[order[k]]) {
        rank_sum_pos += avg_rank;
        pos += 1;
      }
    }
    i = j + 1;
  }
  const double neg = static_cast<double>(n) - pos;
  if (pos == 0 || neg == 0) return 0;
  return (rank_sum_pos - pos * (pos + 1) / 2) / (pos * neg);
}

TrainReport TrainModel(const std::vector<Example>& examples, const TrainOptions& options,
                       int64_t now_ms, int64_t version) {
  TrainReport report;
  report.model = Model::Default();
  report.model.version = version;
  report.model.trained_at_ms = now_ms;
  const size_t first =
      examples.size() > options.max_examples ? examples.size() - options.max_examples : 0;
  std::vector<size_t> order(examples.size() - first);
  std::iota(order.begin(), order.end(), first);
  if (order.empty()) return report;
  // Fisher–Yates with a seeded mt19937_64 (std::shuffle's algorithm is unspecified, so it
  // could differ between standard libraries).
  std::mt19937_64 rng(options.seed);
  for (size_t i = order.size() - 1; i > 0; --i) std::swap(order[i], order[rng() % (i + 1)]);
  const size_t holdout =
      static_cast<size_t>(static_cast<double>(order.size()) *
                          std::clamp<int64_t>(options.holdout_bps, 0, 9000) / 10000);
  std::vector<size_t> test(order.begin(), order.begin() + static_cast<long>(holdout));
  std::vector<size_t> train(order.begin() + static_cast<long>(holdout), order.end());
  std::sort(test.begin(), test.end());
  std::sort(train.begin(), train.end());

  auto clicked = [](const Example& e) { return e.clicked || e.bought; };
  auto bought = [](const Example& e) { return e.bought; };
  std::vector<size_t> train_clicked;
  for (size_t i : train) {
    if (clicked(examples[i])) train_clicked.push_back(i);
  }
  report.model.click_weights = Fit(examples, train, clicked, options);
  if (!train_clicked.empty()) {
    report.model.buy_weights = Fit(examples, train_clicked, bought, options);
  }
  report.model.examples = static_cast<int64_t>(train.size());
  report.train_examples = static_cast<int64_t>(train.size());
  report.holdout_examples = static_cast<int64_t>(test.size());

  std::vector<double> click_scores, buy_scores;
  std::vector<bool> click_labels, buy_labels;
  for (size_t i : test) {
    const Example& e = examples[i];
    click_scores.push_back(report.model.PClick(e.x));
    click_labels.push_back(clicked(e));
    if (clicked(e)) {
      ++report.holdout_clicks;
      buy_scores.push_back(report.model.PBuy(e.x));
      buy_labels.push_back(e.bought);
      if (e.bought) ++report.holdout_purchases;
    }
  }
  report.model.click_auc = Auc(click_scores, click_labels);
  report.model.buy_auc = Auc(buy_scores, buy_labels);
  return report;
}

}  // namespace xd::feed
