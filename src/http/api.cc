#include "http/api.h"

#include <spdlog/spdlog.h>

#include <cctype>

#include "base/crypto.h"
#include "base/id.h"
#include "base/messages.h"

namespace xd::http {

std::optional<std::string> Call::ApiKeyText() const {
  std::string_view header = req_.Header("x-api-key");
  if (!header.empty()) return std::string(header);
  std::string_view auth = req_.Header("authorization");
  if (auth.rfind("Bearer ", 0) == 0 && open::LooksLikeApiKey(auth.substr(7))) return std::string(auth.substr(7));
  return std::nullopt;
}

namespace {

// A merchant's API key acting on a route of `scope` with `perm`, in `r`'s snapshot (the
// command's Tx inside writes). `merchant_header`: the X-Merchant-Id the request sent.
Result<std::pair<open::ApiKey, StaffCaller>> AuthorizeKey(Reader& r, const std::string& key_text, std::string_view scope,
                                                          std::string_view merchant_header, account::Perm perm) {
  // Authenticate first, so a revoked or unknown key is 401 everywhere.
  ASSIGN_OR_RETURN(open::ApiKey key, open::AuthenticateKey(r, key_text));
  if (scope.empty())
    return Fail(Msg::API_KEY_NOT_ACCEPTED);
  if (!open::HasScope(key, scope)) return Fail(Msg::API_KEY_SCOPE_MISSING, {{"scope", scope}});
  if (!merchant_header.empty() && ParseId(merchant_header) != std::optional<int64_t>(key.merchant_id))
    return Fail(Msg::API_KEY_OTHER_MERCHANT);
  // The key can do no more than its creator may (a creator removed from staff disables it).
  ASSIGN_OR_RETURN(account::Role role, account::RequireStaff(r, key.created_by, key.merchant_id, perm));
  StaffCaller caller{account::Principal{key.created_by, false}, key.merchant_id, role, perm, key.id, key.scopes};
  return std::make_pair(std::move(key), caller);
}

// A signed-in user acting as staff of `merchant_id` with `perm`, in `r`'s snapshot.
Result<StaffCaller> AuthorizeStaff(Reader& r, const account::Principal& p, int64_t merchant_id, account::Perm perm) {
  ASSIGN_OR_RETURN(account::Role role, account::RequireStaff(r, p.user_id, merchant_id, perm));
  return StaffCaller{p, merchant_id, role, perm, 0, {}};
}

Result<AdminCaller> AuthorizeAdmin(Reader& r, const account::Principal& p) {
  if (!p.is_admin) return Fail(Msg::ADMIN_ONLY);
  ASSIGN_OR_RETURN(account::User u, account::GetUser(r, p.user_id));
  if (!u.is_admin) return Fail(Msg::ADMIN_ONLY);
  return AdminCaller{p};
}

}  // namespace

Result<StaffCaller> Call::KeyStaff(const std::string& key_text, account::Perm perm) {
  if (!app_.open) return Fail(Msg::API_KEYS_DISABLED);
  std::string_view header = req_.Header("x-merchant-id");
  // One snapshot for the key and its creator's role.
  ASSIGN_OR_RETURN(auto authorized, app_.store.Read([&](Reader& r) { return AuthorizeKey(r, key_text, api_key_scope_, header, perm); }));
  auto& [key, caller] = authorized;
  if (app_.user_limiter && !app_.user_limiter->Allow("key:" + std::to_string(key.id)))
    return Fail(Msg::API_KEY_RATE_LIMITED);
  app_.open->TouchKey(key);
  privileged_ = true;
  return caller;
}

Result<account::Principal> Call::User() {
  if (principal_) return *principal_;
  if (auto key = ApiKeyText()) {
    // A bad or revoked key is 401 wherever it is sent; a good one is still not a user.
    RETURN_IF_ERROR(app_.store.Read([&](Reader& r) { return open::AuthenticateKey(r, *key); }));
    return Fail(Msg::API_KEY_NOT_USER);
  }
  std::string_view auth = req_.Header("authorization");
  if (auth.rfind("Bearer ", 0) != 0) return Fail(Msg::SIGN_IN_REQUIRED);
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
    return Fail(Msg::ACCOUNT_RATE_LIMITED);
  principal_ = p;
  return p;
}

std::optional<Response> UploadGate(AppContext& app, Request& req) {
  std::optional<Response> refused;
  Call c(app, req, [&refused](Response r) { refused = std::move(r); });
  Status s = [&]() -> Status {
    if (auto key = c.ApiKeyText())
      return app.store.Read([&](Reader& r) { return ToStatus(open::AuthenticateKey(r, *key)); });
    return ToStatus(c.User());
  }();
  if (!s) c.ReplyError(s.error());
  return refused;
}

Result<AdminCaller> Call::Admin() {
  ASSIGN_OR_RETURN(account::Principal p, User());
  if (!p.is_admin) return Fail(Msg::ADMIN_ONLY);
  privileged_ = true;
  return AdminCaller{p};
}

Result<StaffCaller> Call::Staff(account::Perm perm) {
  if (auto key = ApiKeyText()) return KeyStaff(*key, perm);
  ASSIGN_OR_RETURN(account::Principal p, User());
  std::string_view header = req_.Header("x-merchant-id");
  ASSIGN_OR_RETURN(StaffCaller caller, app_.store.Read([&](Reader& r) -> Result<StaffCaller> {
    int64_t merchant_id = 0;
    if (!header.empty()) {
      auto id = ParseId(header);
      if (!id) return Fail(Msg::MERCHANT_HEADER_INVALID);
      merchant_id = *id;
    } else {
      ASSIGN_OR_RETURN(auto mine, account::MerchantsOf(r, p.user_id));
      if (mine.empty()) return Fail(Msg::NOT_STAFF_ANY);
      if (mine.size() > 1) return Fail(Msg::MERCHANT_HEADER_REQUIRED);
      merchant_id = mine[0].merchant.id;
    }
    return AuthorizeStaff(r, p, merchant_id, perm);
  }));
  privileged_ = true;
  return caller;
}

// "application/json", any case, optionally followed by parameters ("; charset=utf-8").
static bool IsJsonContentType(std::string_view ct) {
  constexpr std::string_view kJson = "application/json";
  if (ct.size() < kJson.size()) return false;
  for (size_t i = 0; i < kJson.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(ct[i])) != kJson[i]) return false;
  std::string_view rest = ct.substr(kJson.size());
  while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
  return rest.empty() || rest.front() == ';';
}

Result<Json> Call::Body() {
  std::string_view ct = req_.Header("content-type");
  // A body must say it is JSON (docs/api.md); a missing type is refused like a wrong one.
  if ((!ct.empty() || !req_.body.empty()) && !IsJsonContentType(ct))
    return Fail(Msg::CONTENT_TYPE_JSON);
  if (req_.body.empty()) return Fail(Msg::BODY_REQUIRED);
  return ParseJson(req_.body);
}

Result<int64_t> Call::PathId(std::string_view name) {
  auto id = ParseId(req_.Param(name));
  if (!id) return Fail(Msg::PATH_ID_INVALID, {{"name", name}});
  return *id;
}

Result<std::pair<int64_t, int64_t>> Call::Page() {
  int64_t limit = limits::kDefaultPageSize, cursor = 0;
  if (auto l = req_.QueryParam("limit")) {
    auto v = ParseId(*l);
    if (!v || *v > limits::kMaxPageSize)
      return Fail(Msg::PAGE_LIMIT_RANGE, {{"max", limits::kMaxPageSize}});
    limit = *v;
  }
  if (auto c = req_.QueryParam("cursor"); c && !c->empty()) {
    auto v = ParseId(*c);
    if (!v) return Fail(Msg::CURSOR_INVALID);
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

void Call::ReplyStream(std::shared_ptr<BodyStream> body, std::string content_type,
                       const std::string& filename) {
  Response r;
  r.stream = std::move(body);
  r.content_type = std::move(content_type);
  r.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + filename + "\"");
  r.headers.emplace_back("Cache-Control", "no-store");
  respond_(std::move(r));
}

void Call::Redirect(std::string location) {
  Response r;
  r.status = 302;
  r.content_type = "text/plain; charset=utf-8";
  r.headers.emplace_back("Location", std::move(location));
  r.headers.emplace_back("Cache-Control", "no-store");
  respond_(std::move(r));
}

std::string ErrorBody(const Error& e, Lang lang) {
  // An internal error's text is for the operator (it may quote SQL or a driver's message), not
  // for whoever sent the request. Neither is any error's free text: users read the catalogue.
  if (e.code == ErrorCode::INTERNAL) {
    spdlog::error("event=internal_error error=\"{}\"", e.message);
    return DumpJson(ErrorJson(Error{ErrorCode::INTERNAL, "", std::nullopt, {}}, lang));
  }
  return DumpJson(ErrorJson(e, lang));
}

void Call::ReplyError(const Error& e, int64_t retry_after_s) {
  Response r;
  r.status = ErrorCodeHttpStatus(e.code);
  r.body = ErrorBody(e, lang());
  if (retry_after_s > 0) r.headers.emplace_back("Retry-After", std::to_string(retry_after_s));
  respond_(std::move(r));
}

Call::AnswerFn Call::TreeAnswer(std::function<Result<Json>(Tx&)> fn) {
  return [fn = std::move(fn)](Tx& tx) -> Result<Answer> {
    ASSIGN_OR_RETURN(Json j, fn(tx));
    return Answer{std::make_shared<const Json>(std::move(j)), {}};
  };
}

void Call::Submit(std::function<Result<Json>(Tx&)> fn, int status) { SubmitAnswer(TreeAnswer(std::move(fn)), status); }

void Call::SubmitAnswer(AnswerFn fn, int status) {
  auto out = std::make_shared<Answer>();
  app_.store.Submit(
      [fn = std::move(fn), out](Tx& tx) -> Status {
        ASSIGN_OR_RETURN(*out, fn(tx));
        return Ok();
      },
      [respond = respond_, out, status, lang = lang()](Status s) {
        Response r;
        if (s) {
          r.status = status;
          if (status != 204) {
            r.json = std::move(out->json);
            r.body = std::move(out->text);
          }
        } else {
          r.status = ErrorCodeHttpStatus(s.error().code);
          r.body = ErrorBody(s.error(), lang);
        }
        respond(std::move(r));
      });
}

std::function<Result<StaffCaller>(Tx&)> Call::Reauthorizer(const StaffCaller& caller) {
  std::optional<std::string> key_text;
  std::string merchant_header;
  if (caller.api_key_id) {
    key_text = ApiKeyText();
    merchant_header = std::string(req_.Header("x-merchant-id"));
  }
  return [caller, key_text = std::move(key_text), merchant_header = std::move(merchant_header),
          scope = std::string(api_key_scope_)](Tx& tx) -> Result<StaffCaller> {
    // The role (or key) as it is now, in this transaction: a revoke committed while this
    // command waited in the queue is honoured.
    StaffCaller now;
    if (key_text) {
      ASSIGN_OR_RETURN(auto authorized, AuthorizeKey(tx, *key_text, scope, merchant_header, caller.perm));
      now = authorized.second;
    } else {
      ASSIGN_OR_RETURN(now, AuthorizeStaff(tx, caller.principal, caller.merchant_id, caller.perm));
    }
    if (now.merchant_id != caller.merchant_id || now.api_key_id != caller.api_key_id)
      return Fail(Msg::CREDENTIALS_CHANGED);
    return now;
  };
}

std::function<Result<Json>(Tx&)> Call::Authorized(std::function<Result<StaffCaller>(Tx&)> reauthorize, StaffFn fn) {
  return [reauthorize = std::move(reauthorize), fn = std::move(fn)](Tx& tx) -> Result<Json> {
    ASSIGN_OR_RETURN(StaffCaller now, reauthorize(tx));
    // Events this command appends name who acted: the key itself, or the staff member.
    tx.SetActor(now.api_key_id ? Actor{Actor::Kind::kApiKey, now.api_key_id} : Actor{Actor::Kind::kUser, now.principal.user_id});
    return fn(tx, now);
  };
}

void Call::Write(const StaffCaller& caller, StaffFn fn, int status) { Submit(Authorized(Reauthorizer(caller), std::move(fn)), status); }

void Call::WriteIdempotent(const StaffCaller& caller, std::string scope, StaffFn fn, int status) {
  auto reauthorize = Reauthorizer(caller);
  // A replay of the first answer is authorized as a first run would be: a key or role
  // revoked while the retry waited in the queue gets the refusal, not the stored answer.
  auto before_replay = [reauthorize](Tx& tx) { return ToStatus(reauthorize(tx)); };
  WriteIdempotent(caller.principal.user_id, std::move(scope), Authorized(reauthorize, std::move(fn)), status, before_replay);
}

void Call::Write(const AdminCaller& caller, AdminFn fn, int status) {
  Submit([caller, fn = std::move(fn)](Tx& tx) -> Result<Json> {
    ASSIGN_OR_RETURN(AdminCaller now, AuthorizeAdmin(tx, caller.principal));
    tx.SetActor(Actor{Actor::Kind::kUser, now.principal.user_id});
    return fn(tx, now);
  }, status);
}

void Call::Write(const account::Principal& user, UserFn fn, int status) {
  Submit([user, fn = std::move(fn)](Tx& tx) {
    tx.SetActor(Actor{Actor::Kind::kUser, user.user_id});
    return fn(tx, user);
  }, status);
}

void Call::AnonymousWrite(std::function<Result<Json>(Tx&)> fn, int status) {
  if (principal_ || privileged_)
    return ReplyError(Error{ErrorCode::INTERNAL, "a signed-in request wrote without its principal"});
  Submit(std::move(fn), status);
}

void Call::WriteIdempotent(int64_t user_id, std::string scope, std::function<Result<Json>(Tx&)> fn, int status,
                           std::function<Status(Tx&)> before_replay) {
  SubmitIdempotent(user_id, std::move(scope), TreeAnswer(std::move(fn)), status, std::move(before_replay));
}

void Call::WriteIdempotentText(int64_t user_id, std::string scope, std::function<Result<std::string>(Tx&)> fn,
                               int status) {
  auto answer = [fn = std::move(fn)](Tx& tx) -> Result<Answer> {
    ASSIGN_OR_RETURN(std::string text, fn(tx));
    return Answer{nullptr, std::move(text)};
  };
  SubmitIdempotent(user_id, std::move(scope), std::move(answer), status, nullptr);
}

void Call::SubmitIdempotent(int64_t user_id, std::string scope, AnswerFn fn, int status,
                            std::function<Status(Tx&)> before_replay) {
  // Events the command appends name the user (a staff write's Authorized wrapper, inside
  // `fn`, names the key or staff member itself).
  fn = [user_id, fn = std::move(fn)](Tx& tx) {
    tx.SetActor(Actor{Actor::Kind::kUser, user_id});
    return fn(tx);
  };
  std::string key(IdempotencyKey());
  if (key.empty()) return SubmitAnswer(std::move(fn), status);
  if (key.size() > limits::kMaxIdempotencyKeyLen)
    return ReplyError(MakeError(Msg::IDEMPOTENCY_KEY_TOO_LONG, {{"max", limits::kMaxIdempotencyKeyLen}}));
  // The key is bound to its request, so a reused key cannot answer a different one. A JSON
  // body is hashed re-serialised (sorted keys, no spacing): the same object sent again matches.
  auto parsed = ParseJson(req_.body);
  std::string body = parsed ? DumpJson(*parsed) : req_.body;
  std::string request_hash = Sha256Hex(req_.method + '\n' + req_.path + '?' + req_.query + '\n' + body);
  auto replay_status = std::make_shared<int>(status);
  // The answer as text: stored with the key, and the body of the reply (first run or replay).
  auto out = std::make_shared<std::string>();
  app_.store.Submit(
      [fn = std::move(fn), before_replay = std::move(before_replay), out, replay_status, user_id, scope, key, request_hash](Tx& tx) -> Status {
        auto find_prior = [&] {
          return tx.QueryOne("SELECT status, body, request_hash FROM idempotency WHERE user_id=? AND scope=? AND key=?", {user_id, scope, key});
        };
        // Replays the answer stored with the key.
        auto replay = [&](const Row& prior) -> Status {
          if (!prior.Str(2).empty() && prior.Str(2) != request_hash) return Fail(Msg::IDEMPOTENCY_MISMATCH);
          if (before_replay) RETURN_IF_ERROR(before_replay(tx));
          *replay_status = static_cast<int>(prior.Int(0));
          *out = prior.Str(1);
          return Ok();
        };
        ASSIGN_OR_RETURN(auto prior, find_prior());
        if (prior) return replay(*prior);
        // Claim the key before running the command: the same key sent to another node at
        // this moment waits on this row's primary key until this command commits, inserts
        // nothing and replays the answer below (or, had this command failed, claims the key
        // itself). The row is never seen unfinished: it is completed in this transaction.
        ASSIGN_OR_RETURN(int64_t claimed, tx.Exec("INSERT INTO idempotency(user_id, scope, key, status, body, created_at_ms, request_hash) "
                                                  "VALUES(?,?,?,0,'null',?,?) ON CONFLICT DO NOTHING",
                                                  {user_id, scope, key, tx.NowMs(), request_hash}));
        if (claimed == 1) {
          ASSIGN_OR_RETURN(Answer answer, fn(tx));
          *out = answer.Text();
          return tx.Run("UPDATE idempotency SET status=?, body=? WHERE user_id=? AND scope=? AND key=?",
                        {int64_t{*replay_status}, *out, user_id, scope, key});
        }
        ASSIGN_OR_RETURN(auto claimed_by_other, find_prior());
        if (!claimed_by_other) return Fail(Msg::IDEMPOTENCY_RETRY);
        return replay(*claimed_by_other);
      },
      [respond = respond_, out, replay_status, lang = lang()](Status s) {
        Response r;
        if (s) {
          r.status = *replay_status;
          r.body = std::move(*out);
        } else {
          r.status = ErrorCodeHttpStatus(s.error().code);
          r.body = ErrorBody(s.error(), lang);
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

void Api::AddTable(std::vector<Route> table) {
  for (Route& r : table) Add(std::move(r.spec), std::move(r.handler));
}

Json ListJson(Json items, int64_t next) {
  return Json{{"items", std::move(items)}, {"next_cursor", next ? Json(IdString(next)) : Json(nullptr)}};
}

}  // namespace xd::http
