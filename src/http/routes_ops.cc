// Operational routes: health, Prometheus metrics, the OpenAPI document.
#include <fmt/format.h>

#include "base/crypto.h"
#include "base/id.h"
#include "base/messages.h"
#include "http/api.h"
#include "store/consumer.h"
#include "store/timers.h"

namespace xd::http {

namespace {

bool IsLoopback(std::string_view ip) {
  return ip.rfind("127.", 0) == 0 || ip == "::1" || ip.rfind("::ffff:127.", 0) == 0;
}

Status Healthz(Call& c) {
  Store& store = c.app().store;
  if (!store.writable()) return Fail(ErrorCode::UNAVAILABLE, "store is not writable");
  c.Reply(Json{{"status", "ok"}});
  return Ok();
}

Status Metrics(Call& c) {
  Store& store = c.app().store;
  AppContext& app = c.app();
  if (!MetricsAllowed(c.req().remote_ip, c.req().Header("authorization"), app.metrics_token))
    return Fail(Msg::METRICS_FORBIDDEN);
  StoreStats s = store.stats();
  std::string out = app.metrics_text ? app.metrics_text() : "";
  out += fmt::format(
      "# TYPE xd_pipeline_commands_total counter\nxd_pipeline_commands_total {}\n"
      "# TYPE xd_pipeline_failed_commands_total counter\nxd_pipeline_failed_commands_total {}\n"
      "# TYPE xd_pipeline_batches_total counter\nxd_pipeline_batches_total {}\n"
      "# TYPE xd_pipeline_failed_commits_total counter\nxd_pipeline_failed_commits_total {}\n"
      "# TYPE xd_pipeline_batch_size_max gauge\nxd_pipeline_batch_size_max {}\n"
      "# TYPE xd_pipeline_queue_depth gauge\nxd_pipeline_queue_depth {}\n"
      "# TYPE xd_pipeline_batch_us_total counter\nxd_pipeline_batch_us_total {}\n"
      "# TYPE xd_store_checkpoints_total counter\nxd_store_checkpoints_total {}\n"
      "# TYPE xd_store_wal_frames_total counter\nxd_store_wal_frames_total {}\n"
      "# TYPE xd_store_wal_syncs_total counter\nxd_store_wal_syncs_total {}\n"
      "# TYPE xd_store_statements_cached gauge\nxd_store_statements_cached {}\n"
      "# TYPE xd_store_queries_total counter\nxd_store_queries_total {}\n",
      s.commands, s.failed_commands, s.batches, s.failed_commits, s.max_batch_seen, s.queue_depth,
      s.commit_us_total, s.checkpoints, s.wal_frames, s.wal_syncs, s.cached_statements, s.queries);
  if (app.hasher)
    out += fmt::format(
        "# TYPE xd_password_hashes_total counter\nxd_password_hashes_total {}\n"
        "# TYPE xd_password_hash_refused_total counter\nxd_password_hash_refused_total {}\n",
        app.hasher->computed_total(), app.hasher->refused_total());
  if (app.products)
    out +=
        fmt::format("# TYPE xd_product_cache_hits_total counter\nxd_product_cache_hits_total {}\n",
                    app.products->hits());
  // Dead timers are work the system gave up on (stock left reserved, money held): alert on > 0.
  ASSIGN_OR_RETURN(int64_t dead, store.Read([](Reader& r) { return CountDeadTimers(r); }));
  out += fmt::format(
      "# TYPE xd_timers_dead gauge\nxd_timers_dead {}\n"
      "# TYPE xd_timer_failures_total counter\nxd_timer_failures_total {}\n",
      dead, app.timers.failures());
  // Outbox consumers' lag: durable events each has not read yet (alert when it grows).
  ASSIGN_OR_RETURN(
      auto lags, store.Read([&](Reader& r) { return ConsumerLags(r, store.durable_event_seq()); }));
  out += "# TYPE xd_consumer_lag gauge\n";
  for (auto& l : lags) out += fmt::format("xd_consumer_lag{{consumer=\"{}\"}} {}\n", l.name, l.lag);
  c.ReplyText(std::move(out), "text/plain; version=0.0.4");
  return Ok();
}

Status ListDeadTimers(Call& c) {
  Store& store = c.app().store;
  RETURN_IF_ERROR(c.Admin());
  ASSIGN_OR_RETURN(auto page, c.Page());
  ASSIGN_OR_RETURN(auto list, store.Read([&](Reader& r) { return DeadTimers(r, page.first); }));
  Json items = Json::array();
  for (auto& t : list) items.push_back(ToJson(t));
  c.Reply(ListJson(items, 0));
  return Ok();
}

Status RetryDeadTimer(Call& c) {
  ASSIGN_OR_RETURN(AdminCaller admin, c.Admin());
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  c.Write(admin, [id](Tx& tx, const AdminCaller&) -> Result<Json> {
    RETURN_IF_ERROR(RetryTimer(tx, id));
    return Json{{"id", IdString(id)}, {"status", "scheduled"}};
  });
  return Ok();
}

Status PlaceholderImage(Call& c) {
  std::string name(c.req().Param("name"));
  size_t h = std::hash<std::string>{}(name);
  int hue = static_cast<int>(h % 360);
  std::string svg = fmt::format(
      "<svg xmlns='http://www.w3.org/2000/svg' width='400' height='400' viewBox='0 0 400 400'>"
      "<defs><linearGradient id='g' x1='0' y1='0' x2='1' y2='1'><stop offset='0' "
      "stop-color='hsl({},70%,72%)'/>"
      "<stop offset='1' stop-color='hsl({},70%,52%)'/></linearGradient></defs>"
      "<rect width='400' height='400' fill='url(#g)'/><circle cx='200' cy='180' r='90' "
      "fill='rgba(255,255,255,0.35)'/>"
      "<text x='200' y='340' font-size='36' text-anchor='middle' fill='white' "
      "font-family='sans-serif'>xiaodian</text></svg>",
      hue, (hue + 40) % 360);
  c.ReplyText(std::move(svg), "image/svg+xml");
  return Ok();
}

// The router is the one the server serves: the document lists exactly the routes it has.
Status OpenApi(const Router& router, Call& c) {
  c.Reply(OpenApiDocument(router));
  return Ok();
}

}  // namespace

bool MetricsAllowed(std::string_view remote_ip, std::string_view authorization,
                    std::string_view token) {
  // With a token, everyone shows it: a reverse proxy on the same host would otherwise make
  // every outside request look like loopback.
  if (!token.empty())
    return authorization.rfind("Bearer ", 0) == 0 &&
           ConstantTimeEqual(authorization.substr(7), token);
  return IsLoopback(remote_ip);
}

void AddOpsRoutes(Api& api, const Router& router) {
  // One entry per route, laid out by hand as an index of the module's API.
  // clang-format off
  api.AddTable({
      {{"GET", "/healthz", "Liveness: ok when the store is writable", "ops"}, Healthz},
      {{"GET", "/metrics",
        "Prometheus metrics (loopback peers, or Bearer --metrics-token when set): requests, latencies, pipeline batches, queue depth",
        "ops"}, Metrics},
      {{"GET", "/api/v1/admin/timers/dead",
        "Timers given up on (failed every attempt, or of an unknown kind) (admin)", "admin",
        AuthKind::kAdmin, 200, nullptr, {"limit"}}, ListDeadTimers},
      {{"POST", "/api/v1/admin/timers/{id}/retry",
        "Revive a dead timer: due now, attempts from zero (admin)", "admin", AuthKind::kAdmin},
       RetryDeadTimer},
      // Placeholder product images (demo data has no image host; the machine is offline).
      {{"GET", "/img/{name}", "A generated placeholder image (SVG)", "ops"}, PlaceholderImage},
      {{"GET", "/api/v1/openapi.json", "This API description", "ops"},
       [&router](Call& c) { return OpenApi(router, c); }},
  });
  // clang-format on
}

}  // namespace xd::http
