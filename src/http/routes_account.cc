// Routes of accounts: registration, sign-in and sessions, the signed-in user, addresses
// (docs/api.md). Merchants and staff: routes_merchant.cc; friends: routes_friends.cc.
#include "account/account.h"
#include "base/id.h"
#include "base/messages.h"
#include "http/api.h"
#include "promo/promo.h"

namespace xd::http {

using account::Principal;

namespace {

Json UserWithToken(const account::User& u, const std::string& token) {
  return Json{{"user", account::ToJson(u)}, {"token", token}};
}

// Runs `work` on the password hasher's pool, never on the I/O thread, with a Call for the
// same request (it lives until answered); an error `work` returns is the answer. A full
// queue is answered at once: 503 UNAVAILABLE with Retry-After.
Status OnHasher(Call& c, std::function<Status(Call&, const account::PasswordHasher&)> work) {
  AppContext& app = c.app();
  Request& req = c.req();
  bool queued =
      app.hasher->TrySubmit([&app, &req, respond = c.responder(), work = std::move(work)] {
        Call call(app, req, respond);
        if (Status s = work(call, *app.hasher); !s) call.ReplyError(s.error());
      });
  if (!queued)
    c.ReplyError(MakeError(Msg::SERVER_BUSY), 1);
  return Ok();
}

// Counts the request against its route's limit per source (route_limiter.h: shared by every
// node); false when it has been answered instead (429 with Retry-After, or the error). On the
// hasher's pool: the count may wait on the store's write pipeline.
bool Admitted(Call& c, LimitedRoute route, const std::string& source) {
  if (!c.app().route_limiter) return true;
  Result<int64_t> wait_ms = c.app().route_limiter->Admit(route, source);
  if (!wait_ms) {
    c.ReplyError(wait_ms.error());
    return false;
  }
  if (*wait_ms == 0) return true;
  c.ReplyError(MakeError(Msg::TOO_MANY_REQUESTS_HERE), (*wait_ms + 999) / 1000);
  return false;
}

Status Register(Call& c) {
  Store& store = c.app().store;
  ASSIGN_OR_RETURN(Json body, c.Body());
  ObjectReader r(body);
  std::string phone = r.String("phone", {.max_len = limits::kMaxPhoneLen});
  std::string password = r.String("password", {.max_len = limits::kMaxPasswordLen});
  std::string nickname = r.String("nickname", {.min_len = 1, .max_len = limits::kMaxNicknameLen});
  // The share link the visitor came through (the shop keeps its code from /s/{code} until now):
  // the new account's first touch. A code that does not exist is ignored, as if none was sent.
  std::optional<std::string> share_code = r.OptString("share_code", {.min_len = 1, .max_len = 32});
  RETURN_IF_ERROR(r.Finish());
  RETURN_IF_ERROR(account::ValidateRegistration(phone, password, nickname));
  // Refused before hashing: a taken phone costs a read, not 30 ms of Argon2.
  ASSIGN_OR_RETURN(bool taken,
                   store.Read([&](Reader& rd) { return account::PhoneTaken(rd, phone); }));
  if (taken)
    return Fail(Msg::PHONE_TAKEN);
  std::string source = account::LoginSource(c.req().remote_ip);
  return OnHasher(
      c, [phone, password, nickname, source, share_code](Call& c, const account::PasswordHasher& hasher) -> Status {
        if (!Admitted(c, LimitedRoute::kRegister, source)) return Ok();
        ASSIGN_OR_RETURN(std::string hash, hasher.Hash(password));
        promo::PromoService& promo = c.app().promo;
        c.AnonymousWrite(
            [=, &promo](Tx& tx) -> Result<Json> {
              ASSIGN_OR_RETURN(account::User u,
                               account::CreateUser(tx, phone, hash, nickname, false));
              if (share_code) {
                Result<promo::Share> share = promo.ShareByCode(tx, *share_code);
                if (share) {
                  RETURN_IF_ERROR(promo.OpenShare(tx, u.id, share->id, /*via_signup=*/true));
                } else if (share.error().code != ErrorCode::NOT_FOUND) {
                  return std::unexpected(share.error());
                }
              }
              ASSIGN_OR_RETURN(std::string token, account::CreateSession(tx, u.id));
              return UserWithToken(u, token);
            },
            201);
        return Ok();
      });
}

Status Login(Call& c) {
  Store& store = c.app().store;
  ASSIGN_OR_RETURN(Json body, c.Body());
  ObjectReader r(body);
  std::string phone = r.String("phone", {.max_len = limits::kMaxPhoneLen});
  std::string password = r.String("password", {.max_len = limits::kMaxPasswordLen});
  RETURN_IF_ERROR(r.Finish());
  std::string source = account::LoginSource(c.req().remote_ip);
  return OnHasher(
      c,
      [&store, phone, password, source](Call& c, const account::PasswordHasher& hasher) -> Status {
        if (!Admitted(c, LimitedRoute::kLogin, source)) return Ok();
        // The attempt is counted in the write before the password is looked at.
        ASSIGN_OR_RETURN(account::LoginAdmission admission,
                         store.ExecuteFor<account::LoginAdmission>(
                             [&](Tx& tx) { return account::AdmitLogin(tx, phone, source); }));
        if (!admission.admitted) {
          c.ReplyError(MakeError(Msg::LOGIN_LOCKED), (admission.retry_after_ms + 999) / 1000);
          return Ok();
        }
        // An unknown phone costs the same hashing as a wrong password.
        if (!admission.record) hasher.VerifyUnknown(password);
        if (!admission.record || !hasher.Verify(admission.record->password_hash, password))
          return Fail(Msg::WRONG_PASSWORD);
        account::User user = admission.record->user;
        c.AnonymousWrite([user, phone, source](Tx& tx) -> Result<Json> {
          ASSIGN_OR_RETURN(std::string token, account::CompleteLogin(tx, user.id, phone, source));
          return UserWithToken(user, token);
        });
        return Ok();
      });
}

Status Logout(Call& c) {
  ASSIGN_OR_RETURN(Principal p, c.User());
  std::string token(c.req().Header("authorization").substr(7));
  // Every node's session cache forgets the token when the deletion commits (Store::WatchRows
  // on `sessions`, app.cc): this node's before the reply.
  c.Write(
      p,
      [token](Tx& tx, const Principal&) -> Result<Json> {
        RETURN_IF_ERROR(account::DeleteSession(tx, token));
        return Json();
      },
      204);
  return Ok();
}

Status GetMe(Call& c) {
  Store& store = c.app().store;
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(Json out, store.Read([&](Reader& r) -> Result<Json> {
    ASSIGN_OR_RETURN(account::User u, account::GetUser(r, p.user_id));
    ASSIGN_OR_RETURN(auto mine, account::MerchantsOf(r, p.user_id));
    Json ms = Json::array();
    for (auto& m : mine) {
      Json j = account::ToJson(m.merchant, false);
      j["role"] = account::RoleName(m.role);
      ms.push_back(j);
    }
    return Json{{"user", account::ToJson(u)}, {"merchants", ms}};
  }));
  c.Reply(out);
  return Ok();
}

Status ListAddresses(Call& c) {
  Store& store = c.app().store;
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(auto list,
                   store.Read([&](Reader& r) { return account::ListAddresses(r, p.user_id); }));
  Json items = Json::array();
  for (auto& a : list) items.push_back(account::ToJson(a));
  c.Reply(ListJson(items, 0));
  return Ok();
}

Status AddAddress(Call& c) {
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(Json body, c.Body());
  ASSIGN_OR_RETURN(account::Address a, account::AddressFromJson(body));
  c.Write(
      p,
      [a](Tx& tx, const Principal& p) -> Result<Json> {
        ASSIGN_OR_RETURN(account::Address saved, account::AddAddress(tx, p.user_id, a));
        return account::ToJson(saved);
      },
      201);
  return Ok();
}

Status DeleteAddress(Call& c) {
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  c.Write(
      p,
      [id](Tx& tx, const Principal& p) -> Result<Json> {
        RETURN_IF_ERROR(account::DeleteAddress(tx, p.user_id, id));
        return Json();
      },
      204);
  return Ok();
}

}  // namespace

void AddAccountRoutes(Api& api) {
  // One entry per route, laid out by hand as an index of the module's API.
  // clang-format off
  api.AddTable({
      {{"POST", "/api/v1/auth/register", "Register a buyer account", "account", AuthKind::kNone,
        201, Json{{"phone", "13800001234"}, {"password", "secret123"}, {"nickname", "小王"}}},
       Register},
      {{"POST", "/api/v1/auth/login", "Log in with phone and password", "account", AuthKind::kNone,
        200, Json{{"phone", "13800001234"}, {"password", "secret123"}}}, Login},
      {{"POST", "/api/v1/auth/logout", "Revoke the current session token", "account",
        AuthKind::kUser, 204}, Logout},
      {{"GET", "/api/v1/me", "The signed-in user and the merchants they staff", "account",
        AuthKind::kUser}, GetMe},
      // ---- addresses ----
      {{"GET", "/api/v1/me/addresses", "The buyer's address book", "account", AuthKind::kUser},
       ListAddresses},
      {{"POST", "/api/v1/me/addresses", "Add an address", "account", AuthKind::kUser, 201,
        Json{{"name", "张三"}, {"phone", "13800000000"}, {"region", "上海市 浦东新区"},
             {"detail", "世纪大道 100 号"}}}, AddAddress},
      {{"DELETE", "/api/v1/me/addresses/{id}", "Delete an address", "account", AuthKind::kUser,
        204}, DeleteAddress},
  });
  // clang-format on
}

}  // namespace xd::http
