// What route handlers share: the application context (store, clock, services, settings)
// and Call, one request's helper for authentication, body decoding, replies and writes
// through the pipeline. Route files (routes_<module>.cc) are thin adapters: decode, call
// the module's public functions, encode.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "account/account.h"
#include "base/json.h"
#include "base/result.h"
#include "http/order_watch.h"
#include "http/rate_limiter.h"
#include "http/session_cache.h"
#include "http/router.h"
#include "promo/promo.h"
#include "store/store.h"
#include "store/timers.h"
#include "trade/trade.h"

namespace xd::http {

struct AppContext {
  Store& store;
  TimerService& timers;
  pay::SandboxProvider& sandbox;
  trade::TradeService& trade;
  std::function<std::string()> metrics_text;  // HTTP server metrics, set once the server exists
  promo::PromoService& promo;
  RateLimiter* user_limiter = nullptr;  // per signed-in user (429); null = unlimited
  OrderWatch* order_watch = nullptr;    // long-polling of order status; null = no waiting
  SessionCache* sessions = nullptr;     // signed-in sessions; null = the store on every request
};

struct StaffCaller {
  account::Principal principal;
  int64_t merchant_id = 0;
  account::Role role = account::Role::kSupport;
};

class Call {
 public:
  Call(AppContext& app, Request& req, Respond respond) : app_(app), req_(req), respond_(std::move(respond)) {}

  Request& req() { return req_; }
  AppContext& app() { return app_; }

  // The signed-in user (Bearer token); UNAUTHENTICATED otherwise.
  Result<account::Principal> User();
  // Staff of the merchant named by X-Merchant-Id (or the caller's only merchant) with `perm`.
  Result<StaffCaller> Staff(account::Perm perm);
  // A platform admin.
  Result<account::Principal> Admin();
  // The JSON body (parsed with the codec's limits).
  Result<Json> Body();
  // A path parameter that must be an id.
  Result<int64_t> PathId(std::string_view name);
  // ?limit= (1..100, default 20) and ?cursor= (an id, default none).
  Result<std::pair<int64_t, int64_t>> Page();
  std::string_view IdempotencyKey();

  void Reply(const Json& body, int status = 200);
  void ReplyText(std::string body, std::string content_type, int status = 200);
  void ReplyError(const Error& e);
  // The reply callback, for handlers that answer later from another thread (call it once).
  const Respond& responder() const { return respond_; }

  // Runs `fn` in the write pipeline; replies with its JSON (status) when durable, or its error.
  void Write(std::function<Result<Json>(Tx&)> fn, int status = 200);
  // Write with Idempotency-Key support (when the header is present): a retry with the same
  // key by the same user returns the first success, without running `fn` again.
  void WriteIdempotent(int64_t user_id, std::string scope, std::function<Result<Json>(Tx&)> fn, int status);

 private:
  AppContext& app_;
  Request& req_;
  Respond respond_;
  std::optional<account::Principal> principal_;
};

using CallHandler = std::function<Status(Call&)>;

// Registers routes whose handlers are CallHandlers (an error return becomes the reply).
class Api {
 public:
  Api(AppContext& app, Router& router) : app_(app), router_(router) {}
  void Add(RouteSpec spec, CallHandler handler);
  AppContext& app() { return app_; }

 private:
  AppContext& app_;
  Router& router_;
};

// The longest a client may hold GET /orders/{id}?wait_ms= open.
inline constexpr int64_t kMaxOrderWait_ms = 10000;

// `{"error":{"code","message"}}` for `e`, serialised.
std::string ErrorBody(const Error& e);

// JSON list envelope: {"items":[...],"next_cursor":"..."|null}; `next` 0 means no more.
Json ListJson(Json items, int64_t next);

// Ledger, order and inventory invariants, as one report ({"ok":bool,"problems":[...],...}).
Result<Json> RunInvariantChecks(AppContext& app);

void AddOpsRoutes(Api& api, const Router& router);
void AddAccountRoutes(Api& api);
void AddCatalogRoutes(Api& api);
void AddTradeRoutes(Api& api);
void AddPayRoutes(Api& api);
void AddPromoRoutes(Api& api);

}  // namespace xd::http
