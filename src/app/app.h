// The application: wires the store, timers, the sandbox provider, the trade service, the
// router and the HTTP server. Used by main (serve) and by the API tests (port 0, fake clock).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "account/password.h"
#include "base/clock.h"
#include "http/api.h"
#include "http/live_hub.h"
#include "http/server.h"
#include "community/community.h"
#include "feed/feed.h"
#include "insight/insight.h"
#include "live/live.h"
#include "member/member.h"
#include "open/open.h"
#include "pay/pay.h"
#include "promo/promo.h"
#include "store/retention.h"
#include "store/store.h"
#include "store/timers.h"
#include "trade/trade.h"

namespace xd {

struct AppOptions {
  std::string db_path;
  std::string host = "127.0.0.1";
  uint16_t port = 8080;
  int http_threads = 2;
  std::string web_root;
  // The sandbox provider's notification secret; empty: the store's own (pay::StoredSandboxSecret).
  std::string sandbox_secret;
  // The key member codes are signed with; empty: the store's own (member::StoredMemberCodeSecret).
  std::string member_code_secret;
  bool background = true;   // poll timers and run the notification sender
  int timer_poll_ms = 200;
  double ip_rate_per_s = 0;
  double user_rate_per_s = 0;  // per signed-in user; 0 = unlimited
  // Sign-in and registration per client source, exact across nodes (http/route_limiter.h);
  // max 0 = unlimited.
  http::RouteLimits route_limits;
  int readers = 4;
  // PostgreSQL's writer connections (StoreOptions::writers; SQLite has one). One by default: on
  // the demo's few hot merchants four writers' batches wait on each other's row locks and
  // deadlock (docs/scale-out.md, "A pool of writers: measured").
  int writers = 1;
  int max_batch = 1000;
  bool access_log = false;
  trade::TradeConfig trade;
  open::OpenConfig open;        // webhook senders, SSRF policy, key last-use interval
  bool webhooks_background = true;  // with `background`: run the webhook consumer and senders
  int webhook_timeout_ms = 10'000;  // per delivery POST
  account::PasswordHasher::Options hasher;  // Argon2 threads, queue bound, cost of new hashes
  std::string metrics_token;        // GET /metrics needs it as a Bearer token; empty = loopback only
  std::function<void()> store_before_sync;  // tests: StoreOptions::before_sync
  RetentionPolicy retention;                 // how long events, idempotency keys, notification ids stay
  // The data platform's store (insight/insight.h, decision 025): a SQLite file; empty = beside
  // the trading store (insight::DefaultAnalyticsPath).
  std::string analytics_path;
  bool analytics_background = true;  // with `background`: ingest and project events (xd-insight)
  int analytics_poll_ms = 200;       // the data platform's wait when caught up
  double events_rate_per_s = 10;     // POST /events batches per second per user or IP, burst 2× (0 = unlimited)
  http::LiveHubOptions live;                 // the live room stream's limits and cadence
  // Where uploaded photos' bytes live (decision 020): "disk" (files under media_dir, by default
  // "<db_path>.media" beside the SQLite database) or "database" (the store's media_blobs
  // table: every node on one PostgreSQL database serves every photo). Empty: disk on SQLite,
  // database on PostgreSQL.
  std::string media_store;
  std::string media_dir;
  int media_threads = 1;  // image decoding threads (uploads waiting beyond the server's slots: 503)
};

class App {
 public:
  static Result<std::unique_ptr<App>> Create(const AppOptions& options, const Clock& clock);
  ~App();
  // Starts HTTP (and the background workers); returns the bound port.
  uint16_t Start();
  // Drains HTTP, stops background workers, then closes the store (every queued write commits).
  void Stop();
  void RunUntilSignal();

  Store& store() { return *store_; }
  TimerService& timers() { return *timers_; }
  pay::SandboxProvider& sandbox() { return *sandbox_; }
  trade::TradeService& trade() { return *trade_; }
  promo::PromoService& promo() { return *promo_; }
  member::MemberService& member() { return *member_; }
  community::CommunityService& community() { return *community_; }
  live::LiveService& live() { return *live_; }
  http::LiveHub& live_hub() { return *live_hub_; }
  open::OpenService& open() { return *open_; }
  insight::Insight& insight() { return *insight_; }
  feed::FeedService& feed() { return *feed_; }
  Store& analytics_store() { return *analytics_store_; }
  http::AppContext& context() { return *context_; }
  uint16_t port() const { return port_; }

  // Creates the platform admin on first start (phone/password) unless one exists.
  Status EnsureAdmin(const std::string& phone, const std::string& password);

 private:
  App() = default;
  AppOptions options_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Store> analytics_store_;
  std::unique_ptr<insight::Insight> insight_;
  std::unique_ptr<feed::FeedService> feed_;
  std::unique_ptr<http::RateLimiter> events_limiter_;
  std::unique_ptr<TimerService> timers_;
  std::unique_ptr<pay::SandboxProvider> sandbox_;
  std::unique_ptr<trade::TradeService> trade_;
  std::unique_ptr<promo::PromoService> promo_;
  std::unique_ptr<member::MemberService> member_;
  std::unique_ptr<community::CommunityService> community_;
  std::unique_ptr<live::LiveService> live_;
  std::unique_ptr<http::LiveHub> live_hub_;  // before server_: streams end with the server
  std::unique_ptr<open::OpenService> open_;
  std::unique_ptr<account::PasswordHasher> hasher_;
  std::unique_ptr<media::MediaStore> media_;
  std::unique_ptr<http::WorkPool> media_pool_;
  std::unique_ptr<http::AppContext> context_;
  std::unique_ptr<http::RateLimiter> user_limiter_;
  std::unique_ptr<http::RouteLimiter> route_limiter_;
  std::unique_ptr<http::OrderWatch> order_watch_;
  std::unique_ptr<http::SessionCache> sessions_;
  std::unique_ptr<http::ProductCache> products_;
  std::unique_ptr<http::Router> router_;
  std::unique_ptr<http::Server> server_;
  uint16_t port_ = 0;
  bool stopped_ = false;
};

// Seeds a realistic shop world (docs/demo.md): merchants of every kind, 200+ products with
// Chinese titles, buyers with friends, past orders through the real flows.
Status SeedDemoData(App& app);

}  // namespace xd
