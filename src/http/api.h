// What route handlers share: the application context (store, clock, services, settings)
// and Call, one request's helper for authentication, body decoding, replies and writes
// through the pipeline. Route files (routes_<module>.cc) are thin adapters: decode, call
// the module's public functions, encode.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "account/account.h"
#include "base/json.h"
#include "base/limits.h"
#include "base/messages.h"
#include "base/result.h"
#include "community/community.h"
#include "http/order_watch.h"
#include "insight/insight.h"
#include "live/live.h"
#include "http/rate_limiter.h"
#include "http/route_limiter.h"
#include "http/product_cache.h"
#include "http/session_cache.h"
#include "http/work_pool.h"
#include "media/media.h"
#include "member/member.h"
#include "http/router.h"
#include "open/open.h"
#include "promo/promo.h"
#include "store/store.h"
#include "store/timers.h"
#include "trade/trade.h"

namespace xd::feed {
class FeedService;
}

namespace xd::http {

class LiveHub;

struct AppContext {
  Store& store;
  TimerService& timers;
  pay::SandboxProvider& sandbox;
  trade::TradeService& trade;
  std::function<std::string()> metrics_text;  // HTTP server metrics, set once the server exists
  promo::PromoService& promo;
  RateLimiter* user_limiter = nullptr;  // per signed-in user (429); null = unlimited
  RouteLimiter* route_limiter = nullptr;  // sign-in and registration per source (429); null = unlimited
  OrderWatch* order_watch = nullptr;    // long-polling of order status; null = no waiting
  SessionCache* sessions = nullptr;     // signed-in sessions; null = the store on every request
  ProductCache* products = nullptr;     // public product pages; null = the store on every request
  open::OpenService* open = nullptr;    // API keys' last use, webhooks; null = keys refused
  member::MemberService* member = nullptr;  // membership cards; set by App (routes_member.cc needs it)
  // Community group buying; set by App (routes_community.cc needs it).
  community::CommunityService* community = nullptr;
  account::PasswordHasher* hasher = nullptr;  // Argon2 off the I/O threads; required by auth routes
  insight::Insight* insight = nullptr;  // the data platform; null = its routes answer 503
  live::LiveService* live = nullptr;   // live rooms; set by App (routes_live.cc needs it)
  LiveHub* live_hub = nullptr;         // this node's room streams; set by App with `live`
  feed::FeedService* feed = nullptr;    // the home feed, hot shops, search exposure; set by App
  RateLimiter* events_limiter = nullptr;  // POST /events per user or IP (429); null = unlimited
  std::string metrics_token;            // GET /metrics: empty = loopback peers only, else this Bearer token
  media::MediaStore* media = nullptr;   // uploaded photos' bytes (routes_media.cc); null = uploads refused
  WorkPool* media_pool = nullptr;       // decodes uploads off the I/O threads; required with `media`
};

// A merchant's staff member (or a merchant's API key) acting for the merchant.
struct StaffCaller {
  account::Principal principal;
  int64_t merchant_id = 0;
  account::Role role = account::Role::kSupport;
  account::Perm perm = account::Perm::kRead;  // what the caller was authorized for
  // Set when a merchant's API key (not a session) is calling; principal is then the key's
  // creator, whose role bounds what the key may do.
  int64_t api_key_id = 0;
  std::vector<std::string> api_key_scopes;  // the key's scopes (empty for a session)
};

// A platform admin.
struct AdminCaller {
  account::Principal principal;
};

// One request. Authentication happens on the I/O thread (User, Staff, Admin: one read
// snapshot, a fast refusal). Authorization of a write happens again inside the transaction
// that acts: the principal is part of the command. Write(StaffCaller, fn) re-checks the
// staff role (or the API key: not revoked, its scope, its creator's role) in the command's
// transaction before `fn` runs, and hands `fn` the caller as re-checked there; likewise
// Write(AdminCaller, fn) for admins. So a role revoked, a key revoked or an admin demoted
// while a write is queued is honoured, and a route cannot forget to check. A write with no
// principal (AnonymousWrite) is refused once the request authenticated anyone.
class Call {
 public:
  // `api_key_scope`: the scope an API key needs on this route (empty: keys are refused).
  Call(AppContext& app, Request& req, Respond respond, std::string_view api_key_scope = {})
      : app_(app), req_(req), respond_(std::move(respond)), api_key_scope_(api_key_scope) {}

  Request& req() { return req_; }
  // The language of this request's error messages (its Accept-Language; zh by default).
  Lang lang() const { return ParseAcceptLanguage(req_.Header("accept-language")); }
  AppContext& app() { return app_; }

  // The signed-in user (Bearer token); UNAUTHENTICATED otherwise. FORBIDDEN for an API key:
  // keys never act as a user (buyer routes, admin routes, anything without a key scope).
  Result<account::Principal> User();
  // Staff of the merchant named by X-Merchant-Id (or the caller's only merchant) with `perm`.
  // An API key (Authorization: Bearer xdk_... or X-Api-Key) passes only on a route with a key
  // scope that the key holds, for its own merchant, within its creator's role.
  Result<StaffCaller> Staff(account::Perm perm);
  // The API key text the request carries, if any.
  std::optional<std::string> ApiKeyText() const;
  // A platform admin.
  Result<AdminCaller> Admin();
  // The JSON body (parsed with the codec's limits).
  Result<Json> Body();
  // A path parameter that must be an id.
  Result<int64_t> PathId(std::string_view name);
  // ?limit= (1..limits::kMaxPageSize, default limits::kDefaultPageSize) and ?cursor= (an id,
  // default none).
  Result<std::pair<int64_t, int64_t>> Page();
  std::string_view IdempotencyKey();

  void Reply(const Json& body, int status = 200);
  void ReplyText(std::string body, std::string content_type, int status = 200);
  // A 200 whose body is `body`'s pieces, chunked (exports); `filename` names the download.
  void ReplyStream(std::shared_ptr<BodyStream> body, std::string content_type,
                   const std::string& filename);
  // 302 to `location` (a path of this server), with an empty body.
  void Redirect(std::string location);
  // The error as {"error":{code,reason,params,message}} (message in lang()) with its status;
  // with `retry_after_s` > 0 also a Retry-After header (503 and 429 answers that know when to come back).
  void ReplyError(const Error& e, int64_t retry_after_s = 0);
  // The reply callback, for handlers that answer later from another thread (call it once).
  const Respond& responder() const { return respond_; }

  // ---- writes: each runs `fn` in the write pipeline and replies with its JSON (status)
  // when durable, or with its error ----
  using StaffFn = std::function<Result<Json>(Tx&, const StaffCaller&)>;
  using AdminFn = std::function<Result<Json>(Tx&, const AdminCaller&)>;
  using UserFn = std::function<Result<Json>(Tx&, const account::Principal&)>;
  // As `caller` (from Staff()): first re-authorizes it in the transaction (FORBIDDEN /
  // UNAUTHENTICATED as Staff() would answer, nothing written), then `fn`.
  void Write(const StaffCaller& caller, StaffFn fn, int status = 200);
  // As an admin (from Admin()): re-checks in the transaction that the user is still an admin.
  void Write(const AdminCaller& caller, AdminFn fn, int status = 200);
  // As a signed-in buyer (from User()). A user always holds authority over their own
  // account, so nothing is re-checked; the principal travels with the command so that every
  // authenticated write has one shape.
  void Write(const account::Principal& user, UserFn fn, int status = 200);
  // No principal: sign-up, sign-in, provider callbacks. INTERNAL (a route bug) when the
  // request authenticated someone: such a write must carry its principal.
  void AnonymousWrite(std::function<Result<Json>(Tx&)> fn, int status = 200);
  // Write with Idempotency-Key support (when the header is present): a retry with the same
  // key by the same user returns the first success, without running `fn` again.
  // `before_replay` (if any) runs before a stored answer is replayed, in the same transaction.
  void WriteIdempotent(int64_t user_id, std::string scope, std::function<Result<Json>(Tx&)> fn, int status,
                       std::function<Status(Tx&)> before_replay = nullptr);
  // The same for a hot reply the command writes as JSON text itself (JsonWriter): the single
  // writer builds no tree, and the text is the body, stored for replays as it is.
  void WriteIdempotentText(int64_t user_id, std::string scope, std::function<Result<std::string>(Tx&)> fn, int status);
  // The same for a staff write: keyed by the caller (a key's creator), authorized as
  // Write(StaffCaller, fn) is — a replay of the first answer too.
  void WriteIdempotent(const StaffCaller& caller, std::string scope, StaffFn fn, int status);

 private:
  // A command's answer: a tree the connection's I/O thread serialises, or JSON text.
  struct Answer {
    std::shared_ptr<const Json> json;
    std::string text;
    std::string Text() const { return json ? DumpJson(*json) : text; }
  };
  using AnswerFn = std::function<Result<Answer>(Tx&)>;
  static AnswerFn TreeAnswer(std::function<Result<Json>(Tx&)> fn);
  void Submit(std::function<Result<Json>(Tx&)> fn, int status);
  void SubmitAnswer(AnswerFn fn, int status);
  void SubmitIdempotent(int64_t user_id, std::string scope, AnswerFn fn, int status,
                        std::function<Status(Tx&)> before_replay);
  // Re-checks `caller` in a transaction as Staff() would answer now (the caller as it is).
  std::function<Result<StaffCaller>(Tx&)> Reauthorizer(const StaffCaller& caller);
  // `fn` behind `reauthorize` (from Reauthorizer), naming the caller as the actor.
  std::function<Result<Json>(Tx&)> Authorized(std::function<Result<StaffCaller>(Tx&)> reauthorize, StaffFn fn);
  Result<StaffCaller> KeyStaff(const std::string& key_text, account::Perm perm);

  AppContext& app_;
  Request& req_;
  Respond respond_;
  std::string_view api_key_scope_;
  std::optional<account::Principal> principal_;
  bool privileged_ = false;  // Staff() or Admin() succeeded: writes must carry the caller
};

using CallHandler = std::function<Status(Call&)>;

// One row of a module's route table: what the route is (its OpenAPI description) and the
// handler that serves it. A handler takes what it needs from c.app().
struct Route {
  RouteSpec spec;
  CallHandler handler;
};

// Registers routes whose handlers are CallHandlers (an error return becomes the reply).
class Api {
 public:
  Api(AppContext& app, Router& router) : app_(app), router_(router) {}
  void Add(RouteSpec spec, CallHandler handler);
  // Every route of a module's table, in the table's order (the router matches in order).
  void AddTable(std::vector<Route> table);
  AppContext& app() { return app_; }

 private:
  AppContext& app_;
  Router& router_;
};

// `{"error":{"code","reason","params","message"}}` for `e` with the message in `lang`,
// serialised (base/messages.h ErrorJson; an INTERNAL error's details are logged, not sent).
std::string ErrorBody(const Error& e, Lang lang);

// JSON list envelope: {"items":[...],"next_cursor":"..."|null}; `next` 0 means no more.
Json ListJson(Json items, int64_t next);

// The cursor after a page of `items` read with `limit`: the last item's id when the page is
// full (there may be more), 0 (no more) otherwise.
template <class T>
int64_t NextCursor(const std::vector<T>& items, int64_t limit) {
  return !items.empty() && static_cast<int64_t>(items.size()) == limit ? items.back().id : 0;
}

// A page of `items` as ListJson, each as its module's ToJson(item) gives it.
template <class T>
Json PageJson(const std::vector<T>& items, int64_t limit) {
  Json list = Json::array();
  for (const T& item : items) list.push_back(ToJson(item));
  return ListJson(std::move(list), NextCursor(items, limit));
}

// Ledger, order and inventory invariants, as one report ({"ok":bool,"problems":[...],...}).
Result<Json> RunInvariantChecks(AppContext& app);

// The server's upload gate (ServerOptions::upload_gate): refuses, before an upload takes one of
// the server's slots, a request that carries neither a live session nor a valid API key (401
// with the catalogue's reason, in the request's language). Whether the caller may upload
// there (staff, permission) is the route's to check once the body is read.
std::optional<Response> UploadGate(AppContext& app, Request& req);

// Who may read GET /metrics: with a token, a request bearing it (`Authorization: Bearer
// <token>`); without one, loopback peers only.
bool MetricsAllowed(std::string_view remote_ip, std::string_view authorization, std::string_view token);

// The route tables, one per routes_<concern>.cc, registered in this order.
void AddOpsRoutes(Api& api, const Router& router);
void AddAccountRoutes(Api& api);
void AddMerchantRoutes(Api& api);
void AddFriendRoutes(Api& api);
void AddCatalogRoutes(Api& api);
void AddTradeRoutes(Api& api);
void AddAftersaleRoutes(Api& api);
void AddPayRoutes(Api& api);
void AddPromoRoutes(Api& api);
void AddSharingRoutes(Api& api);
void AddCouponRoutes(Api& api);
void AddOpenRoutes(Api& api);
void AddMemberRoutes(Api& api);
void AddCommunityRoutes(Api& api);
void AddInsightRoutes(Api& api);
void AddMediaRoutes(Api& api);
void AddFreightRoutes(Api& api);
// The API-key scope of a route (routes_open.cc holds the one table); empty for none.
std::string_view ApiKeyScopeFor(std::string_view method, std::string_view pattern);

}  // namespace xd::http
