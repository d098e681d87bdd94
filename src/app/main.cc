// xiaodian: serve | demo-data | check | backup (docs/api.md, README).
#include <signal.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "account/account.h"
#include "app/app.h"
#include "app/demo.h"
#include "base/log.h"

namespace {

bool ParseListen(const std::string& listen, std::string* host, uint16_t* port) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos) return false;
  *host = listen.substr(0, colon);
  int p = std::atoi(listen.substr(colon + 1).c_str());
  if (p < 0 || p > 65535) return false;
  *port = static_cast<uint16_t>(p);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  // Signals are taken synchronously by the serving thread (sigwait); block them in every
  // thread before any thread starts.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);

  CLI::App cli{"xiaodian (小店): a social-commerce engine"};
  cli.require_subcommand(1);
  std::string db = "xiaodian.db", listen = "127.0.0.1:8080", web_root, log_level = "info", backup_to, sandbox_secret, member_code_secret;
  std::string admin_phone = "13800000000", admin_password = "admin123", metrics_token, media_store, media_dir;
  std::string analytics_db;
  bool no_analytics = false;
  double events_rate = 10;
  bool demo = false, access_log = false, fast_hash = false, webhook_allow_private = false;
  int threads = 2, pg_writers = 1;
  double rate = 0, user_rate = 0;
  int64_t login_rate = 0, register_rate = 0;
  int64_t unpaid_timeout_s = 15 * 60, auto_confirm_days = 10, webhook_claim_lease_s = 60;

  auto* serve = cli.add_subcommand("serve", "Run the HTTP server");
  serve->add_option("--db", db, "SQLite database file, or postgresql://user@host:port/db");
  serve->add_option("--listen", listen, "host:port (loopback by default)");
  serve->add_option("--web-root", web_root, "directory holding shop/dist and console/dist");
  serve->add_option("--threads", threads, "HTTP I/O threads");
  serve->add_option("--pg-writers", pg_writers,
                    "PostgreSQL: writer connections, each group-committing its own batches (more help only when batches rarely touch the same rows)")
      ->check(CLI::Range(1, 32));
  serve->add_option("--ip-rate", rate, "requests per second per client IP (0 = unlimited)");
  serve->add_option("--user-rate", user_rate, "requests per second per signed-in user (0 = unlimited)");
  serve->add_option("--login-rate", login_rate,
                    "sign-ins per minute per client address, across all nodes (0 = unlimited)");
  serve->add_option("--register-rate", register_rate,
                    "registrations per hour per client address, across all nodes (0 = unlimited)");
  serve->add_option("--unpaid-timeout-s", unpaid_timeout_s, "unpaid orders are cancelled after this long");
  serve->add_option("--auto-confirm-days", auto_confirm_days, "shipped orders complete after this long");
  serve->add_option("--admin-phone", admin_phone, "platform admin created on first start");
  serve->add_option("--admin-password", admin_password, "password of that admin");
  serve->add_option("--sandbox-secret", sandbox_secret,
                    "secret the sandbox provider signs notifications with (default: generated once per store and kept in it)")
      ->envname("XD_SANDBOX_SECRET");
  serve->add_option("--member-code-secret", member_code_secret,
                    "secret member codes are signed with (default: generated once per store and kept in it; every node must share it)")
      ->envname("XD_MEMBER_CODE_SECRET");
  serve->add_flag("--demo", demo, "seed demo data into an empty store");
  serve->add_flag("--access-log", access_log, "log every request");
  serve->add_flag("--fast-hash", fast_hash, "cheap Argon2 parameters (load tests only)");
  serve->add_flag("--webhook-allow-private", webhook_allow_private,
                  "let webhook urls name loopback/private addresses (development only: SSRF)");
  serve->add_option("--webhook-claim-lease-s", webhook_claim_lease_s,
                    "how long a node's claim on a webhook delivery lasts; a dead node's are sent again after it (> 10, the POST timeout)")
      ->check(CLI::Range(int64_t{11}, int64_t{3600}));
  serve->add_option("--metrics-token", metrics_token,
                    "GET /metrics requires 'Authorization: Bearer <token>' (default: loopback peers only)");
  serve->add_option("--analytics-db", analytics_db,
                    "the data platform's SQLite file (default: <db>.analytics beside a SQLite store; xiaodian-analytics.db for PostgreSQL)");
  serve->add_option("--events-rate", events_rate, "POST /events batches per second per user or client IP (0 = unlimited)");
  serve->add_flag("--no-analytics", no_analytics, "do not ingest or project events on this node: the data platform, bought-together pairs (its events routes still answer)");
  serve->add_option("--media-store", media_store,
                    "where uploaded photos live: disk or database (default: disk beside a SQLite database, database on PostgreSQL)")
      ->check(CLI::IsMember({"disk", "database"}));
  serve->add_option("--media-dir", media_dir, "the disk media store's directory (default: <db>.media)");
  serve->add_option("--log-level", log_level);

  auto* demo_cmd = cli.add_subcommand("demo-data", "Seed the demo shop world into a store");
  demo_cmd->add_option("--db", db)->required();
  xd::ScaleOptions scale;
  scale.merchants = 0;
  demo_cmd->add_option("--scale", scale.merchants,
                       "then add seeded merchants (Zipf products), buyers with follows, friends, recommendations and paid orders up to this many merchants (bench/feed.sh)")
      ->check(CLI::Range(int64_t{0}, int64_t{100'000}));
  demo_cmd->add_option("--scale-buyers", scale.buyers, "buyers --scale adds (13600000001…, demo123)")
      ->check(CLI::Range(int64_t{0}, int64_t{100'000}));
  demo_cmd->add_option("--history-orders", scale.history_orders,
                       "then a seeded past of this many orders written in batches, with the data platform's log (bench/bi.sh)")
      ->check(CLI::Range(int64_t{0}, int64_t{20'000'000}));
  demo_cmd->add_option("--history-events", scale.history_events, "log rows of that history in all (views, impressions, carts, the orders')")
      ->check(CLI::Range(int64_t{0}, int64_t{200'000'000}));
  demo_cmd->add_option("--history-buyers", scale.history_buyers, "buyers of that history (default: a tenth of the orders)")
      ->check(CLI::Range(int64_t{0}, int64_t{10'000'000}));
  demo_cmd->add_option("--history-days", scale.history_days, "days the history spans, up to an hour ago")
      ->check(CLI::Range(int64_t{1}, int64_t{366}));
  demo_cmd->add_option("--head-share", scale.head_share, "the head merchant's share of the history (the demo's first shop, owner 13900000001)")
      ->check(CLI::Range(0.0, 1.0));
  auto* check = cli.add_subcommand("check", "Verify store invariants offline; exit 1 on violation");
  check->add_option("--db", db)->required();
  check->add_option("--analytics-db", analytics_db, "the data platform's SQLite file (default: as serve)");
  auto* backup = cli.add_subcommand("backup", "Online backup of a store (safe while serving)");
  backup->add_option("--db", db)->required();
  backup->add_option("--to", backup_to)->required();

  CLI11_PARSE(cli, argc, argv);
  xd::SetLogLevel(log_level);
  xd::RealClock clock;
  xd::AppOptions opts;
  opts.db_path = db;
  opts.media_store = media_store;
  opts.media_dir = media_dir;
  if (!ParseListen(listen, &opts.host, &opts.port)) {
    std::fprintf(stderr, "bad --listen %s (want host:port)\n", listen.c_str());
    return 2;
  }
  opts.http_threads = threads;
  opts.analytics_path = analytics_db;
  opts.analytics_background = !no_analytics;
  opts.events_rate_per_s = events_rate;
  opts.writers = pg_writers;
  opts.web_root = web_root;
  opts.sandbox_secret = sandbox_secret;
  opts.member_code_secret = member_code_secret;
  opts.ip_rate_per_s = rate;
  opts.user_rate_per_s = user_rate;
  opts.route_limits.login = {.max = login_rate, .window_ms = 60'000};
  opts.route_limits.registration = {.max = register_rate, .window_ms = 3'600'000};
  opts.trade.unpaid_timeout_ms = unpaid_timeout_s * 1000;
  opts.trade.auto_confirm_ms = auto_confirm_days * 24 * 3600 * 1000;
  opts.access_log = access_log;
  opts.open.allow_private_hosts = webhook_allow_private;
  opts.open.claim_lease_ms = webhook_claim_lease_s * 1000;
  opts.metrics_token = metrics_token;
  opts.background = static_cast<bool>(*serve);
  if (fast_hash) opts.hasher.cost = xd::account::HashCost::kFast;

  // Exit 2: the store cannot be used (as for bad flags); 1 is kept for what went wrong later
  // (an invariant violated, a failed backup).
  const bool db_is_url = db.find("://") != std::string::npos;  // postgresql://… (Store::Open)
  if ((*check || *backup) && !db_is_url && !std::filesystem::exists(db)) {
    std::fprintf(stderr, "error: no store at %s\n", db.c_str());
    return 2;
  }
  auto app = xd::App::Create(opts, clock);
  if (!app) {
    std::fprintf(stderr, "error: %s\n", app.error().message.c_str());
    return 2;
  }
  if (*check) {
    auto report = xd::http::RunInvariantChecks((*app)->context());
    if (!report) {
      std::fprintf(stderr, "error: %s\n", report.error().message.c_str());
      return 1;
    }
    std::cout << report->dump(2) << std::endl;
    return (*report)["ok"].get<bool>() ? 0 : 1;
  }
  if (*backup) {
    auto s = (*app)->store().Backup(backup_to);
    if (!s) {
      std::fprintf(stderr, "error: %s\n", s.error().message.c_str());
      return 1;
    }
    std::printf("backup written to %s\n", backup_to.c_str());
    return 0;
  }
  if (auto s = (*app)->EnsureAdmin(admin_phone, admin_password); !s) {
    std::fprintf(stderr, "error: %s\n", s.error().message.c_str());
    return 1;
  }
  if (*demo_cmd || demo) {
    auto products = (*app)->store().Read([](xd::Reader& r) { return r.QueryInt("SELECT count(*) FROM products"); });
    if (products && *products == 0) {
      if (auto s = xd::SeedDemoData(**app); !s) {
        std::fprintf(stderr, "demo data failed: %s\n", s.error().message.c_str());
        return 1;
      }
      std::printf("demo data written to %s\n", db.c_str());
    }
  }
  if (*demo_cmd && scale.merchants > 0) {
    if (auto s = xd::SeedScaledWorld(**app, scale); !s) {
      std::fprintf(stderr, "scaled demo data failed: %s\n", s.error().message.c_str());
      return 1;
    }
    std::printf("scaled to %lld merchants in %s\n", static_cast<long long>(scale.merchants), db.c_str());
  }
  if (*demo_cmd && scale.history_orders > 0) {
    if (auto s = xd::SeedHistory(**app, scale); !s) {
      std::fprintf(stderr, "history failed: %s\n", s.error().message.c_str());
      return 1;
    }
    std::printf("history of %lld orders in %s\n", static_cast<long long>(scale.history_orders), db.c_str());
  }
  if (*demo_cmd) return 0;
  uint16_t port = (*app)->Start();
  std::printf("xiaodian is serving on http://%s:%u/  (console: http://%s:%u/console/, API: /api/v1/openapi.json)\n", opts.host.c_str(), port,
              opts.host.c_str(), port);
  std::fflush(stdout);
  (*app)->RunUntilSignal();
  return 0;
}
