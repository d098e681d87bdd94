// The feed's ranking model, trained from the event log (issue 20, decision 027). The analytics
// node retrains it periodically (Insight's background thread calls MaybeTrain; the period is
// measured on the store's injected Clock) and keeps every model in the analytics store
// (`ranking_models`, the newest kKeepModels); the feed service ranks with Current().
//
// Examples (BuildExamples, pure): one per `impression` row of the log in the training window,
// with the position the shop reported (data.position) and the feed source it named
// (data.feed_source). Labels: clicked when the same visitor (the signed-in user, else the device)
// sent a `click` or `view` of the product within kClickWindowMs after it; bought when that user's
// `order.paid` within kBuyWindowMs after it contains the product (a purchase implies a click).
// Features are rebuilt point-in-time from the rows BEFORE the impression by the serving path's
// definitions (feed/features.h, decision 045): the product's impressions, views and paid units
// without self-purchases over the feed::kHistoryDays China-time days before the impression's day
// and that day, and the signed-in visitor's category interests and paid price per unit, applied
// by the projection's own rules (insight/internal/common.h AddInterest; devices linked to users by
// `identify` rows). The log is read from its start (up to kMaxScanRows rows) so that the state
// is the projections'; only impressions in the window become examples. The product's price is its
// current one from the trading store, as the feed's card has it.
//   auto& trainer = insight.ranking();
//   ASSIGN_OR_RETURN(auto report, trainer.TrainOnce());  // tests, `xiaodian check`-style tools
//   std::shared_ptr<const feed::Model> m = trainer.Current();
//
// Thread-safety: Current() from any thread (a shared_ptr swapped under a mutex); TrainOnce and
// MaybeTrain from one thread at a time (the insight thread; tests).
#pragma once

#include <cstdint>
#include <climits>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "feed/features.h"
#include "feed/rank.h"
#include "feed/train.h"
#include "store/store.h"

namespace xd::insight {

namespace ranking_config {
inline constexpr int64_t kRetrainEveryMs = 6LL * 3600 * 1000;
inline constexpr int64_t kTrainWindowMs = 14LL * 24 * 3600 * 1000;
inline constexpr int64_t kMaxScanRows = 2'000'000;  // newest log rows read per training
inline constexpr int64_t kClickWindowMs = 3600LL * 1000;
inline constexpr int64_t kBuyWindowMs = 24LL * 3600 * 1000;
inline constexpr int64_t kMinImpressions = 200;  // fewer: keep the current model
inline constexpr int kKeepModels = 20;
}  // namespace ranking_config

// One row of the log as the trainer reads it.
struct LogEvent {
  int64_t id = 0;
  // impression, click, view, cart.added, order.paid, identify (others are ignored)
  std::string type;
  int64_t user_id = 0;
  std::string device_id;
  int64_t merchant_id = 0;
  int64_t product_id = 0;
  int64_t amount_fen = 0;  // order.paid: the order's total
  std::string category;
  int64_t occurred_at_ms = 0;
  int64_t position = 0;                             // impressions
  feed::Source source = feed::Source::kColdStart;   // impressions: data.feed_source
  std::vector<int64_t> paid_products;               // order.paid: the order's lines' products
  std::vector<std::string> paid_categories;         // their categories
  std::vector<int64_t> paid_quantities;             // their quantities
  bool self_purchase = false;  // order.paid: the buyer is the shop's owner or staff (data.self)
};

// The first China-time day of the product history the features read at `now_ms`
// (feed::kHistoryDays before its day): the trainer's and the feed service's one window.
int64_t HistoryFromDay(int64_t now_ms);

// Examples from events in id order (see the file comment) for the impressions at or after
// `from_ms`; `price_fen` maps a product to its price (a product missing there gets price 0).
// Impressions of anonymous rows without a device are not examples (no visitor to label them by).
std::vector<feed::Example> BuildExamples(const std::vector<LogEvent>& events,
                                         const std::unordered_map<int64_t, int64_t>& price_fen,
                                         int64_t from_ms = INT64_MIN);

// For `xiaodian check` (analytics_ok, through Insight::Check): every stored model has
// kFeatureCount finite weights per regression, AUCs within [0, 1], and at most kKeepModels
// rows are kept. One line per problem.
Result<std::vector<std::string>> CheckRankingModels(Reader& r);

class RankingTrainer final : public feed::ModelSource {
 public:
  RankingTrainer(Store& trading, Store& analytics, uint64_t seed = 20);

  // The model to rank with: the newest trained one, else feed::Model::Default().
  std::shared_ptr<const feed::Model> Current() const override;

  // Loads the newest stored model (at start; a restart keeps ranking with what was trained).
  Status Load();
  // The examples TrainOnce would train on now: the log read as it reads it, BuildExamples over
  // the training window (tests compare them with the serving path's features).
  Result<std::vector<feed::Example>> Examples();
  // Reads the window, trains, stores the model and publishes it. With fewer than
  // kMinImpressions examples it trains nothing and returns the report with the current model
  // (version unchanged).
  Result<feed::TrainReport> TrainOnce();
  // TrainOnce when kRetrainEveryMs passed (on the analytics store's clock) since the last
  // training or the first call; whether it trained.
  Result<bool> MaybeTrain();

 private:
  Store& trading_;
  Store& analytics_;
  uint64_t seed_;
  mutable std::mutex mu_;
  std::shared_ptr<const feed::Model> current_;
  int64_t next_due_ms_ = 0;
};

}  // namespace xd::insight
