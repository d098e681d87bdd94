#include "http/api.h"

#include "base/id.h"

namespace xd::http {

std::optional<std::string> Call::ApiKeyText() const {
  std::string_view header = req_.Header("x-api-key");
  if (!header.empty()) return std::string(header);
  std::string_view auth = req_.Header("authorization");
  if (auth.rfind("Bearer ", 0) == 0 && open::LooksLikeApiKey(auth.substr(7))) return std::string(auth.substr(7));
  return std::nullopt;
}

Result<StaffCaller> Call::KeyStaff(const std::string& key_text, account::Perm perm) {
  if (!app_.open) return Fail(ErrorCode::UNAUTHENTICATED, "API keys are not enabled on this server");
  // One snapshot for the key and its creator's role.
  ASSIGN_OR_RETURN(StaffCaller caller, app_.store.Read([&](Reader& r) -> Result<StaffCaller> {
    // Authenticate first, so a revoked or unknown key is 401 everywhere.
    ASSIGN_OR_RETURN(open::ApiKey key, open::AuthenticateKey(r, key_text));
    if (api_key_scope_.empty())
      return Fail(ErrorCode::FORBIDDEN, "this route does not accept API keys (sign in as staff); see docs/api.md \"Open platform\"");
    if (!open::HasScope(key, api_key_scope_))
      return Fail(ErrorCode::FORBIDDEN, "this API key lacks scope " + std::string(api_key_scope_));
    std::string_view header = req_.Header("x-merchant-id");
    if (!header.empty() && ParseId(header) != std::optional<int64_t>(key.merchant_id))
      return Fail(ErrorCode::FORBIDDEN, "an API key acts only for its own merchant");
    if (app_.user_limiter && !app_.user_limiter->Allow("key:" + std::to_string(key.id)))
      return Fail(ErrorCode::RATE_LIMITED, "too many requests for this API key; slow down");
    // The key can do no more than its creator may (a creator removed from staff disables it).
    ASSIGN_OR_RETURN(account::Role role, account::RequireStaff(r, key.created_by, key.merchant_id, perm));
    app_.open->TouchKey(key);
    return StaffCaller{account::Principal{key.created_by, false}, key.merchant_id, role, key.id};
  }));
  return caller;
}

Result<account::Principal> Call::User() {
  if (principal_) return *principal_;
  if (auto key = ApiKeyText()) {
    // A bad or revoked key is 401 wherever it is sent; a good one is still not a user.
    RETURN_IF_ERROR(app_.store.Read([&](Reader& r) { return open::AuthenticateKey(r, *key); }));
    return Fail(ErrorCode::FORBIDDEN, "API keys act only on merchant routes of their scopes, never as a user or admin");
  }
  std::string_view auth = req_.Header("authorization");
  if (auth.rfind("Bearer ", 0) != 0) return Fail(ErrorCode::UNAUTHENTICATED, "sign in first (Authorization: Bearer <token>)");
  std::string token(auth.substr(7));
  int64_t now_ms = app_.store.clock().NowMs();
  std::optional<account::Principal> cached = app_.sessions ? app_.sessions->Get(token, now_ms) : std::nullopt;
  account::Principal p;
  if (cached) {
    p = *cached;
  } else {
    uint64_t generation = app_.sessions ? app_.sessions->Generation() : 0;
    ASSIGN_OR_RETURN(p, app_.store.Read([&](Reader& r) { return account::Authenticate(r, token); }));
    if (app_.sessions) app_.sessions->Put(token, p, p.session_expires_at_ms, now_ms, generation);
  }
  if (app_.user_limiter && !app_.user_limiter->Allow(std::to_string(p.user_id)))
    return Fail(ErrorCode::RATE_LIMITED, "too many requests for this account; slow down");
  principal_ = p;
  return p;
}

Result<account::Principal> Call::Admin() {
  ASSIGN_OR_RETURN(account::Principal p, User());
  if (!p.is_admin) return Fail(ErrorCode::FORBIDDEN, "platform admins only");
  return p;
}

Result<StaffCaller> Call::Staff(account::Perm perm) {
  if (auto key = ApiKeyText()) return KeyStaff(*key, perm);
  ASSIGN_OR_RETURN(account::Principal p, User());
  std::string_view header = req_.Header("x-merchant-id");
  return app_.store.Read([&](Reader& r) -> Result<StaffCaller> {
    int64_t merchant_id = 0;
    if (!header.empty()) {
      auto id = ParseId(header);
      if (!id) return Fail(ErrorCode::INVALID_FIELD, "X-Merchant-Id must be an id");
      merchant_id = *id;
    } else {
      ASSIGN_OR_RETURN(auto mine, account::MerchantsOf(r, p.user_id));
      if (mine.empty()) return Fail(ErrorCode::FORBIDDEN, "you are not staff of any merchant");
      if (mine.size() > 1) return Fail(ErrorCode::MISSING_FIELD, "you staff several merchants: send X-Merchant-Id");
      merchant_id = mine[0].merchant.id;
    }
    ASSIGN_OR_RETURN(account::Role role, account::RequireStaff(r, p.user_id, merchant_id, perm));
    return StaffCaller{p, merchant_id, role};
  });
}

Result<Json> Call::Body() {
  std::string_view ct = req_.Header("content-type");
  if (!ct.empty() && ct.find("json") == std::string_view::npos)
    return Fail(ErrorCode::BAD_REQUEST, "Content-Type must be application/json");
  if (req_.body.empty()) return Fail(ErrorCode::INVALID_JSON, "a JSON body is required");
  return ParseJson(req_.body);
}

Result<int64_t> Call::PathId(std::string_view name) {
  auto id = ParseId(req_.Param(name));
  if (!id) return Fail(ErrorCode::NOT_FOUND, std::string(name) + " is not a valid id");
  return *id;
}

Result<std::pair<int64_t, int64_t>> Call::Page() {
  int64_t limit = 20, cursor = 0;
  if (auto l = req_.QueryParam("limit")) {
    auto v = ParseId(*l);
    if (!v || *v > 100) return Fail(ErrorCode::INVALID_FIELD, "limit must be 1..100");
    limit = *v;
  }
  if (auto c = req_.QueryParam("cursor"); c && !c->empty()) {
    auto v = ParseId(*c);
    if (!v) return Fail(ErrorCode::INVALID_FIELD, "cursor is malformed");
    cursor = *v;
  }
  return std::make_pair(limit, cursor);
}

std::string_view Call::IdempotencyKey() { return req_.Header("idempotency-key"); }

void Call::Reply(const Json& body, int status) { ReplyText(DumpJson(body), "application/json", status); }

void Call::ReplyText(std::string body, std::string content_type, int status) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  r.content_type = std::move(content_type);
  respond_(std::move(r));
}

std::string ErrorBody(const Error& e) {
  return DumpJson(Json{{"error", {{"code", ErrorCodeName(e.code)}, {"message", e.message}}}});
}

void Call::ReplyError(const Error& e) { ReplyText(ErrorBody(e), "application/json", ErrorCodeHttpStatus(e.code)); }

void Call::Write(std::function<Result<Json>(Tx&)> fn, int status) {
  auto out = std::make_shared<Json>();
  app_.store.Submit(
      [fn = std::move(fn), out](Tx& tx) -> Status {
        ASSIGN_OR_RETURN(*out, fn(tx));
        return Ok();
      },
      [respond = respond_, out, status](Status s) {
        Response r;
        if (s) {
          r.status = status;
          if (status != 204) r.json = out;
        } else {
          r.status = ErrorCodeHttpStatus(s.error().code);
          r.body = ErrorBody(s.error());
        }
        respond(std::move(r));
      });
}

void Call::WriteIdempotent(int64_t user_id, std::string scope, std::function<Result<Json>(Tx&)> fn, int status) {
  std::string key(IdempotencyKey());
  if (key.empty()) return Write(std::move(fn), status);
  if (key.size() > 64) return ReplyError(Error{ErrorCode::INVALID_FIELD, "Idempotency-Key is at most 64 characters"});
  auto replay_status = std::make_shared<int>(status);
  auto out = std::make_shared<Json>();
  app_.store.Submit(
      [fn = std::move(fn), out, replay_status, user_id, scope, key](Tx& tx) -> Status {
        ASSIGN_OR_RETURN(auto prior, tx.QueryOne("SELECT status, body FROM idempotency WHERE user_id=? AND scope=? AND key=?",
                                                 {user_id, scope, key}));
        if (prior) {
          *replay_status = static_cast<int>(prior->Int(0));
          *out = prior->JsonAt(1);
          return Ok();
        }
        ASSIGN_OR_RETURN(*out, fn(tx));
        return tx.Run("INSERT INTO idempotency(user_id, scope, key, status, body, created_at_ms) VALUES(?,?,?,?,?,?)",
                      {user_id, scope, key, int64_t{*replay_status}, DumpJson(*out), tx.NowMs()});
      },
      [respond = respond_, out, replay_status](Status s) {
        Response r;
        if (s) {
          r.status = *replay_status;
          r.json = out;
        } else {
          r.status = ErrorCodeHttpStatus(s.error().code);
          r.body = ErrorBody(s.error());
        }
        respond(std::move(r));
      });
}

void Api::Add(RouteSpec spec, CallHandler handler) {
  AppContext& app = app_;
  if (spec.api_key_scope.empty()) spec.api_key_scope = std::string(ApiKeyScopeFor(spec.method, spec.pattern));
  // The scope lives as long as the handler (the router keeps both for the server's life).
  auto scope = std::make_shared<const std::string>(spec.api_key_scope);
  router_.Add(std::move(spec), [&app, scope, handler = std::move(handler)](Request& req, Respond respond) {
    Call call(app, req, std::move(respond), *scope);
    Status s = handler(call);
    if (!s) call.ReplyError(s.error());
  });
}

Json ListJson(Json items, int64_t next) {
  return Json{{"items", std::move(items)}, {"next_cursor", next ? Json(IdString(next)) : Json(nullptr)}};
}

}  // namespace xd::http
