#include "app/app.h"

#include <map>
#include <thread>

#include "account/account.h"
#include "base/crypto.h"
#include "base/log.h"
#include "http/async_client.h"
#include "http/client.h"
#include "http/public_reads.h"
#include "http/routes_feed.h"
#include "http/routes_live.h"
#include "insight/owner.h"
#include "logistics/logistics.h"

namespace xd {

namespace {

// The retention timer: one pass over every table that only grows (bounded per run), then the
// next pass an interval later. Exactly one such timer is pending; Create schedules it when
// none is (a fresh store, or one from before retention existed).
Status InstallRetention(Store& store, TimerService& timers, const RetentionPolicy& policy) {
  timers.Register(kTimerRetention, [policy](Tx& tx, const Json&) -> Status {
    ASSIGN_OR_RETURN(int64_t events, PruneEvents(tx, policy.events_ms, policy.batch));
    ASSIGN_OR_RETURN(int64_t keys, PruneIdempotency(tx, policy.idempotency_ms, policy.batch));
    ASSIGN_OR_RETURN(int64_t notifications, pay::PruneNotificationIds(tx, policy.notifications_ms, policy.batch));
    if (events + keys + notifications > 0)
      spdlog::info("event=retention events={} idempotency_keys={} notification_ids={}", events, keys, notifications);
    const int64_t next = NextRetentionDelayMs(policy, {events, keys, notifications});
    return ToStatus(tx.AddTimer(kTimerRetention, tx.NowMs() + next, Json::object()));
  });
  return store.Execute([&](Tx& tx) -> Status {
    ASSIGN_OR_RETURN(int64_t pending, tx.QueryInt("SELECT count(*) FROM timers WHERE kind=? AND dead_at_ms IS NULL", {kTimerRetention}));
    if (pending > 0) return Ok();
    return ToStatus(tx.AddTimer(kTimerRetention, tx.NowMs() + policy.interval_ms, Json::object()));
  });
}

}  // namespace

Result<std::unique_ptr<App>> App::Create(const AppOptions& options, const Clock& clock) {
  auto app = std::unique_ptr<App>(new App());
  app->options_ = options;
  ASSIGN_OR_RETURN(app->store_, Store::Open({.path = options.db_path, .readers = options.readers, .writers = options.writers, .max_batch = options.max_batch,
                                             .before_sync = options.store_before_sync},
                                            clock));
  {  // the data platform's own file: nothing it writes waits in the trading write path
    StoreOptions analytics{.path = options.analytics_path.empty() ? insight::DefaultAnalyticsPath(options.db_path) : options.analytics_path,
                           .schema = StoreSchema::kAnalytics,
                           .readers = 2};
    ASSIGN_OR_RETURN(app->analytics_store_, Store::Open(analytics, clock));
    app->insight_ = std::make_unique<insight::Insight>(*app->store_, *app->analytics_store_);
  }
  app->timers_ = std::make_unique<TimerService>(*app->store_);
  std::string sandbox_secret = options.sandbox_secret;
  if (sandbox_secret.empty()) {
    ASSIGN_OR_RETURN(sandbox_secret, app->store_->ExecuteFor<std::string>([](Tx& tx) { return pay::StoredSandboxSecret(tx); }));
  }
  app->sandbox_ = std::make_unique<pay::SandboxProvider>(sandbox_secret, clock);
  {  // the analytics file names the trading store it describes (the store's own random secret, digested)
    ASSIGN_OR_RETURN(std::string stored, app->store_->ExecuteFor<std::string>([](Tx& tx) { return pay::StoredSandboxSecret(tx); }));
    ASSIGN_OR_RETURN(bool reset, insight::BindToTradingStore(*app->analytics_store_, Sha256Hex("xiaodian analytics owner:" + stored),
                                                                         app->store_.get()));
    if (reset) spdlog::warn("event=analytics_reset reason=\"the analytics file described another trading store\"");
  }
  app->trade_ = std::make_unique<trade::TradeService>(*app->sandbox_, options.trade);
  app->trade_->RegisterTimers(*app->timers_);
  app->promo_ = std::make_unique<promo::PromoService>(*app->trade_, promo::PromoConfig{});
  app->promo_->Install(*app->timers_);
  std::string member_secret = options.member_code_secret;
  if (member_secret.empty()) {
    ASSIGN_OR_RETURN(member_secret, app->store_->ExecuteFor<std::string>([](Tx& tx) { return member::StoredMemberCodeSecret(tx); }));
  }
  app->member_ = std::make_unique<member::MemberService>(*app->trade_, member_secret);
  app->member_->Install();
  app->community_ = std::make_unique<community::CommunityService>(*app->trade_);
  app->community_->Install(*app->timers_);
  app->live_ = std::make_unique<live::LiveService>(*app->trade_);
  app->live_->Install();
  RETURN_IF_ERROR(app->member_->InstallTimers(*app->store_, *app->timers_));
  RETURN_IF_ERROR(InstallRetention(*app->store_, *app->timers_, options.retention));
  app->context_ = std::unique_ptr<http::AppContext>(new http::AppContext{*app->store_, *app->timers_, *app->sandbox_, *app->trade_, nullptr, *app->promo_});
  app->open_ = std::make_unique<open::OpenService>(*app->store_, options.open);
  app->context_->open = app->open_.get();
  app->context_->member = app->member_.get();
  app->context_->community = app->community_.get();
  app->context_->insight = app->insight_.get();
  app->feed_ = std::make_unique<feed::FeedService>(*app->store_, app->insight_.get(), &app->insight_->ranking());
  app->context_->feed = app->feed_.get();
  if (options.events_rate_per_s > 0) {
    app->events_limiter_ = std::make_unique<http::RateLimiter>(options.events_rate_per_s, options.events_rate_per_s * 2);
    app->context_->events_limiter = app->events_limiter_.get();
  }
  app->hasher_ = std::make_unique<account::PasswordHasher>(options.hasher);
  app->context_->hasher = app->hasher_.get();
  app->context_->metrics_token = options.metrics_token;
  {
    bool on_pg = options.db_path.rfind("postgresql://", 0) == 0 || options.db_path.rfind("postgres://", 0) == 0;
    std::string kind = options.media_store.empty() ? (on_pg ? "database" : "disk") : options.media_store;
    if (kind == "database") {
      app->media_ = media::NewDatabaseMediaStore(*app->store_);
    } else if (kind == "disk") {
      std::string dir = options.media_dir.empty() ? options.db_path + ".media" : options.media_dir;
      app->media_ = media::NewDiskMediaStore(dir);
    } else {
      return Fail(ErrorCode::INTERNAL, "--media-store must be disk or database, not " + kind);
    }
    media::InitImaging();
    app->media_pool_ = std::make_unique<http::WorkPool>("xd-media", std::max(1, options.media_threads),
                                                        limits::kMaxUploadsInFlight);
    app->context_->media = app->media_.get();
    app->context_->media_pool = app->media_pool_.get();
  }
  if (options.user_rate_per_s > 0) {
    app->user_limiter_ = std::make_unique<http::RateLimiter>(options.user_rate_per_s, options.user_rate_per_s * 2);
    app->context_->user_limiter = app->user_limiter_.get();
  }
  {  // One process counts in memory; nodes sharing a PostgreSQL store count in its table.
    ASSIGN_OR_RETURN(bool shared, app->store_->Read([](Reader& r) -> Result<bool> { return r.dialect().kind() == SqlDialect::kPostgres; }));
    app->route_limiter_ = std::make_unique<http::RouteLimiter>(
        shared ? http::NewTableCounter(*app->store_) : http::NewMemoryCounter(), clock, options.route_limits);
    app->context_->route_limiter = app->route_limiter_.get();
  }
  app->order_watch_ = std::make_unique<http::OrderWatch>();
  app->trade_->AddObserver(logistics::NewShipmentDescriber());
  app->context_->order_watch = app->order_watch_.get();
  app->sessions_ = std::make_unique<http::SessionCache>();
  app->context_->sessions = app->sessions_.get();
  app->products_ = std::make_unique<http::ProductCache>();
  // The rows the store reports after each commit (this node's, and on PostgreSQL other
  // nodes'): the product cache's tables, then orders, whose long polls wake on any change,
  // then sessions, whose deletion (a logout anywhere) drops them from the session cache, then
  // the live tables, whose changes the room streams show (the hub exists before the listener).
  app->live_hub_ = std::make_unique<http::LiveHub>(*app->store_, *app->live_, options.live);
  std::vector<std::string> watched = http::ProductCache::WatchedTables();
  const int orders_table = static_cast<int>(watched.size());
  watched.push_back("orders");
  const int sessions_table = static_cast<int>(watched.size());
  watched.push_back("sessions");
  const int live_first = static_cast<int>(watched.size());
  for (const std::string& t : http::LiveHub::WatchedTables()) watched.push_back(t);
  const int live_end = static_cast<int>(watched.size());
  RETURN_IF_ERROR(app->store_->WatchRows(
      std::move(watched), [cache = app->products_.get(), watch = app->order_watch_.get(), sessions = app->sessions_.get(),
                           hub = app->live_hub_.get(), orders_table, sessions_table, live_first,
                           live_end](const std::vector<RowChange>& rows, RowPhase phase) {
        std::vector<RowChange> product_rows, session_rows, order_rows, live_rows;
        for (const RowChange& row : rows) {
          if (row.table == orders_table) {
            order_rows.push_back(row);
          } else if (row.table == sessions_table) {
            session_rows.push_back(row);
          } else if (row.table >= live_first && row.table < live_end) {
            live_rows.push_back(RowChange{row.table - live_first, row.id, row.inserted});
          } else {
            product_rows.push_back(row);  // kAnyTable too: a lost long-poll wake-up waits out its deadline
            if (row.table == RowChange::kAnyTable) session_rows.push_back(row), live_rows.push_back(row);
          }
        }
        switch (phase) {
          case RowPhase::kCommitting:  // the same rows come as kVisible next, on this thread
            if (!product_rows.empty()) cache->Hold();
            break;
          case RowPhase::kVisible:
            if (!product_rows.empty()) {
              cache->Invalidate(product_rows);
              cache->Release();
            }
            if (!session_rows.empty()) sessions->Invalidate(session_rows);
            break;
          case RowPhase::kDurable:  // a long-poll's answer leaves the process: only what is on disk
            for (const RowChange& row : order_rows) watch->Notify(row.id);
            if (!live_rows.empty()) hub->OnRows(live_rows);  // streams say only what is on disk
            break;
        }
      }));
  app->context_->products = app->products_.get();
  app->router_ = std::make_unique<http::Router>();
  http::Api api(*app->context_, *app->router_);
  http::AddOpsRoutes(api, *app->router_);
  http::AddAccountRoutes(api);
  http::AddMerchantRoutes(api);
  http::AddFriendRoutes(api);
  http::AddCatalogRoutes(api);
  http::AddTradeRoutes(api);
  http::AddAftersaleRoutes(api);
  http::AddPayRoutes(api);
  http::AddPromoRoutes(api);
  http::AddSharingRoutes(api);
  http::AddCouponRoutes(api);
  http::AddMemberRoutes(api);
  http::AddBuyerRoutes(api);
  http::AddCommunityRoutes(api);
  app->context_->live = app->live_.get();
  app->context_->live_hub = app->live_hub_.get();
  http::AddLiveRoutes(api);
  http::AddMediaRoutes(api);
  http::AddFreightRoutes(api);
  http::AddOpenRoutes(api);
  http::AddInsightRoutes(api);
  http::AddFeedRoutes(api);
  http::ServerOptions so;
  so.host = options.host;
  so.port = options.port;
  so.threads = options.http_threads;
  so.web_root = options.web_root;
  so.ip_rate_per_s = options.ip_rate_per_s;
  so.access_log = options.access_log;
  so.streams = app->live_hub_->acceptor();
  so.upload_paths = {"/api/v1/merchant/media", "/api/v1/media"};
  http::AppContext* context = app->context_.get();
  so.upload_gate = [context](http::Request& req) { return http::UploadGate(*context, req); };
  app->server_ = std::make_unique<http::Server>(so, *app->router_);
  http::Server* server = app->server_.get();
  app->context_->metrics_text = [server, hub = app->live_hub_.get()] { return server->MetricsText() + hub->MetricsText(); };
  return app;
}

App::~App() { Stop(); }

uint16_t App::Start() {
  port_ = server_->Start();
  live_hub_->Start();
  // The provider delivers notifications over HTTP to this server, like a real PSP would:
  // one I/O thread with up to 64 keep-alive connections (the sender's limit in flight).
  auto notify_client = std::make_shared<http::AsyncClient>(options_.host, port_, 64, "xd-paynotify-io");
  sandbox_->SetTransport([notify_client](const std::string& body, const std::string& sig, std::function<void(bool)> done) {
    notify_client->Post("/api/v1/pay/notify/sandbox", body, {{"X-Sandbox-Signature", sig}},
                        [done = std::move(done)](int status) { done(status == 200); });
  });
  // Webhook deliveries go out through the same client, one connection per host per sender.
  // Unless private hosts are allowed, the client refuses private addresses a name resolves to.
  int timeout_ms = options_.webhook_timeout_ms;
  bool deny_private = !options_.open.allow_private_hosts;
  open_->SetTransportFactory([timeout_ms, deny_private]() -> open::WebhookTransport {
    auto clients = std::make_shared<std::map<std::string, std::unique_ptr<http::Client>>>();
    return [clients, timeout_ms, deny_private](const open::WebhookRequest& req) {
      std::string key = req.host + ":" + std::to_string(req.port);
      if (clients->size() >= 64 && !clients->count(key)) clients->clear();  // bounded
      auto& client = (*clients)[key];
      if (!client) {
        client = std::make_unique<http::Client>(req.host, req.port, timeout_ms);
        client->DenyPrivateAddresses(deny_private);
      }
      http::Response r = client->Send("POST", req.target, req.body, req.headers);
      return open::WebhookResponse{r.status, r.status == 0 ? r.body : ""};
    };
  });
  if (options_.background) {
    sandbox_->StartSender();
    timers_->Start(options_.timer_poll_ms);
    if (options_.webhooks_background) open_->Start();
    if (options_.analytics_background) {  // ingests the outbox: one node of several may do it
      insight_->Start(options_.analytics_poll_ms);
    }
  }
  return port_;
}

void App::Stop() {
  if (stopped_) return;
  stopped_ = true;
  // Create may have failed midway (a store that cannot be opened): stop only what exists.
  if (sandbox_) sandbox_->StopSender();
  if (timers_) timers_->Stop();
  if (order_watch_) order_watch_->Stop();  // long polls answer now, with the order as it is
  if (open_) open_->Stop();
  if (insight_) insight_->Stop();
  if (live_hub_) live_hub_->Stop();  // streams close before the server stops
  if (server_) server_->Shutdown();
  if (hasher_) hasher_->Stop();  // after HTTP drained, before the store closes: queued logins still write
  if (media_pool_) media_pool_->Stop();  // likewise queued uploads
  if (store_) store_->Close();
  if (analytics_store_) analytics_store_->Close();
}

void App::RunUntilSignal() {
  server_->RunUntilSignal();
  Stop();
}

Status App::EnsureAdmin(const std::string& phone, const std::string& password) {
  ASSIGN_OR_RETURN(int64_t admins, store_->Read([](Reader& r) { return r.QueryInt("SELECT count(*) FROM users WHERE is_admin=1"); }));
  if (admins > 0) return Ok();
  ASSIGN_OR_RETURN(std::string hash, account::HashPassword(password, options_.hasher.cost));
  return store_->Execute([&](Tx& tx) { return ToStatus(account::CreateUser(tx, phone, hash, "平台管理员", true)); });
}

}  // namespace xd
