// The data platform (issue 19, SPEC §10, decision 025): every interaction as one row of an
// event log, projections of the log (merchant BI, user tags) maintained incrementally, and the
// reads over them. Its own store — a SQLite file beside the trading database, opened with
// StoreSchema::kAnalytics — so that nothing here waits in the trading write path; the trading
// store may be SQLite or PostgreSQL.
//
// Two stages, each with a durable cursor:
//  1. Ingestion. Server events: an OutboxConsumer (store/consumer.h, cursor "insight.log" in
//     the trading store) maps the outbox's durable events to log rows and writes them to the
//     analytics store before the runner advances its cursor; a row's source_key ('o:<seq>')
//     makes the write idempotent, so a crash between the two writes adds nothing twice.
//     Client events (POST /api/v1/events) are written by IngestClientEvents, keyed by the
//     client's event id per device (a retried batch adds nothing).
//  2. Projection. ProjectOnce applies log rows after the cursor "projections" (kept in the
//     analytics store) to the projection tables in the transaction that moves the cursor:
//     merchant BI rollups (days, visitors and their sketches, products, channels, live rooms,
//     customers with their paid days and each day's order gaps, decision 042), user tags'
//     facts, and bought-together pairs (decision 040).
//     Rebuild empties them and replays the log in id order; the result is the same tables
//     (InsightTest.RebuildEqualsIncremental). Nothing a projection stores depends on the
//     time it runs: tags that depend on "now" (recency, dormant) are computed when read.
//
//   insight::Insight in(trading_store, analytics_store);
//   in.Start(200);                      // background: ingest + project every 200 ms when idle
//   auto tags = in.UserTags(user_id);   // GET /api/v1/admin/users/{id}/tags
//
// Thread-safety: every public method may be called from any thread; one background thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "base/json.h"
#include "base/result.h"
#include "store/consumer.h"
#include "insight/ranking_model.h"
#include "store/store.h"

namespace xd::insight {

// The platform's limits on client events (every queue and batch bounded).
namespace config {
inline constexpr int kMaxClientEvents = 100;                     // per POST /events (413 beyond)
inline constexpr size_t kMaxClientBodyBytes = 64 * 1024;         // per POST /events (413 beyond)
inline constexpr int64_t kMaxClientPastMs = 24LL * 3600 * 1000;  // older timestamps become this old
inline constexpr size_t kMaxClientIdLen = 64;                    // client event id, device id
inline constexpr size_t kMaxQueryLen = 100;                      // a search's text
inline constexpr int kIngestBatch = 2000;   // outbox events per ingestion round
inline constexpr int kProjectBatch = 2000;  // log rows per projection round
inline constexpr int64_t kInterestHalfLifeMs = 14LL * 24 * 3600 * 1000;
inline constexpr int kMaxReportDays = 366;      // a BI range or an export
inline constexpr int kMaxExportRows = 100'000;  // one CSV export
inline constexpr int kTopProducts = 10;
inline constexpr size_t kMaxTagAudience = 20'000;  // users one UsersWithTags call looks at
inline constexpr size_t kMaxTagLen = 80;           // a tag name ("interest:<category>")
// Bought together (co_purchases, decision 040; the meaning of decision 037):
inline constexpr int kCoPurchaseRecent = 20;     // the buyer's earlier products paired with an order
inline constexpr int kCoPurchasePartners = 50;   // new partners a product gains at most
inline constexpr int kCoPurchaseLines = 20;      // an order's products paired (its first, by line)
inline constexpr int kCoPurchaseUserBasis = 10;  // BoughtWithYours: the user's last products asked about
inline constexpr int kCoPurchaseCandidates = 30;  // the feed's co-purchase candidates per request
}  // namespace config

// The tags other modules may select users by (a merchant's pushes to its members, issue 16),
// as "<dimension>:<value>": rfm:{champion,new_customer,promising,at_risk,hibernating,prospect},
// price_band:{low,mid,high}, lifecycle:{new,active,dormant},
// channel_mix:{online,offline,omnichannel}, sharer:{influencer,sharer}, and
// interest:<category> (one of the user's top five categories). The fixed ones in that order:
const std::vector<std::string>& TargetableTags();
// True for a fixed tag above or any "interest:<category>" (≤ config::kMaxTagLen).
bool IsTargetableTag(std::string_view tag);

// The China-time (UTC+8) calendar day of an instant as yyyymmdd.
int64_t DayOf(int64_t ms);
// The first instant (ms) of a yyyymmdd China-time day; nullopt for a day that is not a date.
std::optional<int64_t> DayStartMs(int64_t day);

// Where a request's client events came from (set by the HTTP layer, never by the client).
struct ClientSource {
  int64_t user_id = 0;    // the signed-in user, 0 for anonymous
  std::string device_id;  // the shop's anonymous device id (body), may be empty when signed in
};

// The answer to a batch: how many were kept, how many were already there, and which were
// refused ({"index", "code", "message"}; the rest are kept).
struct IngestReport {
  int accepted = 0;
  int duplicates = 0;
  Json rejected = Json::array();
};

// One row of the event log as an export shows it (`data`: the event's JSON object as text).
struct LoggedEvent {
  int64_t id = 0;
  std::string type;
  int64_t user_id = 0;
  std::string device_id;
  int64_t product_id = 0, order_id = 0, amount_fen = 0;
  std::string category, channel;
  int64_t occurred_at_ms = 0;
  std::string data;
};

// Where a page of a merchant's events ends: the next page starts after it.
struct EventKey {
  int64_t occurred_at_ms = 0;
  int64_t id = 0;
};

class Insight {
 public:
  Insight(Store& trading, Store& analytics);
  ~Insight();
  Insight(const Insight&) = delete;
  Insight& operator=(const Insight&) = delete;

  Store& analytics() { return analytics_; }

  // The background thread (xd-insight): ingestion and projection rounds, waiting poll_ms when
  // both are caught up. Stop is idempotent.
  void Start(int poll_ms);
  void Stop();

  // One ingestion round of server events (≤ kIngestBatch); how many outbox events it read.
  // CONFLICT when another runner moved the cursor.
  Result<int> IngestOutboxOnce();
  // One projection round (≤ kProjectBatch log rows); how many it applied.
  Result<int> ProjectOnce();
  // Both stages until nothing is left (tests, `xiaodian check`, the bench).
  Status CatchUp();
  // Empties the projections and replays the whole log.
  Status Rebuild();

  // Validates a POST /events body ({"device_id"?, "events":[…]}) as far as the batch goes:
  // PAYLOAD_TOO_LARGE over kMaxClientEvents, INVALID_FIELD for a bad device id. Single events
  // are checked by IngestClientEvents, each on its own.
  Status CheckClientBatch(const Json& body) const;
  // Keeps the batch's valid events (products resolved to their merchant in the trading store;
  // timestamps clamped to [now - kMaxClientPastMs, now]) and links a signed-in device to its
  // user. `done` runs once the analytics store committed them (on its sync thread).
  void IngestClientEvents(const ClientSource& source, const Json& body,
                          std::function<void(Result<IngestReport>)> done);

  // ---- reads over the projections ----
  // Of `user_ids` (the caller's own audience: a merchant's members; at most
  // config::kMaxTagAudience, LIMIT_EXCEEDED beyond), those who carry every one of `tags` now
  // (names as IsTargetableTag), in the order given. Says nothing about anyone else.
  Result<std::vector<int64_t>> UsersWithTags(const std::vector<int64_t>& user_ids,
                                             const std::vector<std::string>& tags);
  // The user's tags (admin only; UserTags answers for any user id, the route checks).
  Result<Json> UserTags(int64_t user_id);
  // A merchant's BI over China-time days [from_day, to_day]: per-day series, the funnel,
  // top products, customer segments, the channel mix. Only rows of `merchant_id`.
  Result<Json> MerchantOverview(int64_t merchant_id, int64_t from_day, int64_t to_day);
  // The per-day series as CSV (UTF-8 with a header), ≤ kMaxReportDays rows.
  Result<std::string> MerchantDaysCsv(int64_t merchant_id, int64_t from_day, int64_t to_day);

  // ---- reads for the feed (issue 20, decision 028) ----
  // How many items of each merchant the feed showed `visitor` ('u<user>', or 'd' + the shop's
  // device id) on the China-time day `day` (yyyymmdd), from the feed impressions logged (source
  // 'feed'; a shop's page or a search result does not count), leaving out those of the feed
  // `except_feed_id` (its own pages are replayed instead): the feed's per-user-per-day cap. At
  // most 1,000 merchants (the most shown).
  Result<std::unordered_map<int64_t, int>> ShownOnDay(const std::string& visitor, int64_t day,
                                                      const std::string& except_feed_id);
  // What the feed's features know of a signed-in user (feed/features.h): every category interest
  // as stored (user_categories, at most 1,000, the strongest) and what the user paid for how many
  // units (user_facts). Empty for a user never seen.
  Result<feed::VisitorHistory> VisitorHistoryOf(int64_t user_id);
  struct ProductCounts {
    int64_t impressions = 0, views = 0;
    int64_t paid_units = 0;  // self-purchases (the shop's owner or staff buying) left out
  };
  // Impressions, views and paid units of each product since the China-time day `from_day`
  // (merchant_product_days; paid units without self-purchases, decision 045).
  Result<std::unordered_map<int64_t, ProductCounts>> ProductCountsSince(
      const std::vector<int64_t>& product_ids, int64_t from_day);
  // Best sellers by paid units without self-purchases since the log began (product_sales,
  // decision 045), most units first (product id on ties), at most `limit`: of every product, or
  // of `category` when it is not empty, or of `merchant_ids` when that is not empty. On sale or
  // not (the caller filters). Each list is its index's first rows.
  Result<std::vector<int64_t>> BestSellers(const std::string& category,
                                           const std::vector<int64_t>& merchant_ids, int limit);
  struct MerchantExposure {
    int64_t merchant_id = 0, impressions = 0, views = 0, paid_orders = 0, gmv_fen = 0;
  };
  // Per merchant over China-time days [from_day, to_day]: impressions, views, paid orders and
  // GMV (at most 200,000 merchants, most impressions first).
  Result<std::vector<MerchantExposure>> MerchantExposures(int64_t from_day, int64_t to_day);
  // Merchants by GMV over [from_day, to_day], largest first, at most `limit`.
  Result<std::vector<int64_t>> TopMerchantsByGmv(int64_t from_day, int64_t to_day, int limit);
  // Products other buyers bought with what `user_id` bought lately (the user's
  // config::kCoPurchaseUserBasis most recently paid products), most paired first, without
  // those products themselves; at most `limit`, on sale or not (the caller filters). From
  // co_purchases, which the projection keeps from the log's paid orders (decision 040): as fresh
  // as ingestion and projection.
  Result<std::vector<int64_t>> BoughtWithYours(int64_t user_id, int limit);

  // The feed's ranking model (ranking_model.h): trained from this log by the background thread
  // every ranking_config::kRetrainEveryMs (on the store's clock), read by the feed service as a
  // feed::ModelSource.
  RankingTrainer& ranking() { return *ranking_; }

  // A merchant's logged events that happened in [from_ms, to_ms), oldest first, after `after`
  // (a page's last key; nullopt: from the start), at most `limit` — one page of an export.
  Result<std::vector<LoggedEvent>> MerchantEventsPage(int64_t merchant_id, int64_t from_ms,
                                                      int64_t to_ms, std::optional<EventKey> after,
                                                      int limit);

  // For `xiaodian check` (analytics_ok): the projections' totals equal a recount from the log
  // (catches a row applied twice or lost), and the projection cursor is not past the log.
  Result<std::vector<std::string>> Check();
  // For `xiaodian check` (feed_ok): every first purchase in buyer_products is a paid order's
  // product in the log, and no pair counts more buyers than bought either of its products
  // (co_purchases, decision 040). Each problem is one line (at most a few of each kind).
  Result<std::vector<std::string>> CheckCoPurchases();

 private:
  class Feed;
  Store& trading_;
  Store& analytics_;
  std::unique_ptr<Feed> feed_;
  std::unique_ptr<ConsumerRunner> runner_;
  std::unique_ptr<RankingTrainer> ranking_;
  std::mutex mu_;
  std::mutex project_mu_;  // one projection round at a time (Rebuild too)
  std::condition_variable cv_;
  bool running_ = false;
  std::thread thread_;
};

// The analytics store's path for a trading store at `db_path`: "<db>.analytics" beside a SQLite
// file; "xiaodian-analytics.db" for a PostgreSQL URL (the working directory).
std::string DefaultAnalyticsPath(const std::string& db_path);

}  // namespace xd::insight
