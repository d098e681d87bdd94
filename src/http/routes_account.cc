// Routes of accounts, merchants, staff, friends and addresses (docs/api.md).
#include "account/account.h"
#include "base/id.h"
#include "http/api.h"

namespace xd::http {

using account::Perm;
using account::Principal;

namespace {

Json UserWithToken(const account::User& u, const std::string& token) {
  return Json{{"user", account::ToJson(u)}, {"token", token}};
}

Result<account::MerchantSettings> SettingsFromJson(const Json& body) {
  ObjectReader r(body);
  account::MerchantSettings s;
  s.commission_bps = r.Int("commission_bps", {.min = 0, .max = limits::kMaxCommissionBps});
  s.hold_days = r.Int("hold_days", {.min = 0, .max = limits::kMaxHoldDays});
  s.max_products = r.Int("max_products", {.min = 0, .max = limits::kMaxMerchantProducts});
  s.max_order_fen = r.Int("max_order_fen", {.min = 0});
  RETURN_IF_ERROR(r.Finish());
  return s;
}

// Every field of a merchant patch; which of them the caller may set is PatchMerchant's call.
Result<account::MerchantPatch> MerchantPatchFromJson(const Json& body) {
  ObjectReader r(body);
  account::MerchantPatch patch;
  patch.name = r.OptString("name", {.min_len = 1, .max_len = limits::kMaxMerchantNameLen});
  patch.description = r.OptString("description", {.max_len = limits::kMaxMerchantDescriptionLen});
  patch.status = r.OptString("status", {.max_len = 16});
  patch.commission_bps = r.OptInt("commission_bps", {.min = 0, .max = limits::kMaxCommissionBps});
  patch.hold_days = r.OptInt("hold_days", {.min = 0, .max = limits::kMaxHoldDays});
  patch.max_products = r.OptInt("max_products", {.min = 0, .max = limits::kMaxMerchantProducts});
  patch.max_order_fen = r.OptInt("max_order_fen", {.min = 0});
  RETURN_IF_ERROR(r.Finish());
  return patch;
}

// Runs `work` on the password hasher's pool, never on the I/O thread, with a Call for the
// same request (it lives until answered); an error `work` returns is the answer. A full
// queue is answered at once: 503 UNAVAILABLE with Retry-After.
Status OnHasher(Call& c, std::function<Status(Call&, const account::PasswordHasher&)> work) {
  AppContext& app = c.app();
  Request& req = c.req();
  bool queued = app.hasher->TrySubmit([&app, &req, respond = c.responder(), work = std::move(work)] {
    Call call(app, req, respond);
    if (Status s = work(call, *app.hasher); !s) call.ReplyError(s.error());
  });
  if (!queued) c.ReplyError(Error{ErrorCode::UNAVAILABLE, "服务繁忙，请稍后再试 (the server is busy; try again shortly)"}, 1);
  return Ok();
}

}  // namespace

void AddAccountRoutes(Api& api) {
  Store& store = api.app().store;

  api.Add({"POST", "/api/v1/auth/register", "Register a buyer account", "account", AuthKind::kNone, 201,
           Json{{"phone", "13800001234"}, {"password", "secret123"}, {"nickname", "小王"}}},
          [&store](Call& c) -> Status {
            ASSIGN_OR_RETURN(Json body, c.Body());
            ObjectReader r(body);
            std::string phone = r.String("phone", {.max_len = limits::kMaxPhoneLen});
            std::string password = r.String("password", {.max_len = limits::kMaxPasswordLen});
            std::string nickname = r.String("nickname", {.min_len = 1, .max_len = limits::kMaxNicknameLen});
            RETURN_IF_ERROR(r.Finish());
            RETURN_IF_ERROR(account::ValidateRegistration(phone, password, nickname));
            // Refused before hashing: a taken phone costs a read, not 30 ms of Argon2.
            ASSIGN_OR_RETURN(bool taken, store.Read([&](Reader& rd) { return account::PhoneTaken(rd, phone); }));
            if (taken) return Fail(ErrorCode::ALREADY_EXISTS, "该手机号已注册 (this phone number is already registered)");
            return OnHasher(c, [phone, password, nickname](Call& c, const account::PasswordHasher& hasher) -> Status {
              ASSIGN_OR_RETURN(std::string hash, hasher.Hash(password));
              c.AnonymousWrite([=](Tx& tx) -> Result<Json> {
                ASSIGN_OR_RETURN(account::User u, account::CreateUser(tx, phone, hash, nickname, false));
                ASSIGN_OR_RETURN(std::string token, account::CreateSession(tx, u.id));
                return UserWithToken(u, token);
              }, 201);
              return Ok();
            });
          });

  api.Add({"POST", "/api/v1/auth/login", "Log in with phone and password", "account", AuthKind::kNone, 200,
           Json{{"phone", "13800001234"}, {"password", "secret123"}}},
          [&store](Call& c) -> Status {
            ASSIGN_OR_RETURN(Json body, c.Body());
            ObjectReader r(body);
            std::string phone = r.String("phone", {.max_len = limits::kMaxPhoneLen});
            std::string password = r.String("password", {.max_len = limits::kMaxPasswordLen});
            RETURN_IF_ERROR(r.Finish());
            std::string source = account::LoginSource(c.req().remote_ip);
            return OnHasher(c, [&store, phone, password, source](Call& c, const account::PasswordHasher& hasher) -> Status {
              // The attempt is counted in the write before the password is looked at.
              ASSIGN_OR_RETURN(account::LoginAdmission admission, store.ExecuteFor<account::LoginAdmission>([&](Tx& tx) {
                return account::AdmitLogin(tx, phone, source);
              }));
              if (!admission.admitted) {
                c.ReplyError(Error{ErrorCode::LOCKED, "登录失败次数过多，请稍后再试 (too many failed logins from here; try again later)"},
                             (admission.retry_after_ms + 999) / 1000);
                return Ok();
              }
              // An unknown phone costs the same hashing as a wrong password.
              if (!admission.record) hasher.VerifyUnknown(password);
              if (!admission.record || !hasher.Verify(admission.record->password_hash, password))
                return Fail(ErrorCode::INVALID_CREDENTIALS, "手机号或密码错误 (wrong phone number or password)");
              account::User user = admission.record->user;
              c.AnonymousWrite([user, phone, source](Tx& tx) -> Result<Json> {
                ASSIGN_OR_RETURN(std::string token, account::CompleteLogin(tx, user.id, phone, source));
                return UserWithToken(user, token);
              });
              return Ok();
            });
          });

  api.Add({"POST", "/api/v1/auth/logout", "Revoke the current session token", "account", AuthKind::kUser, 204},
          [](Call& c) -> Status {
            ASSIGN_OR_RETURN(Principal p, c.User());
            std::string token(c.req().Header("authorization").substr(7));
            c.Write(p, [token, sessions = c.app().sessions](Tx& tx, const Principal&) -> Result<Json> {
              RETURN_IF_ERROR(account::DeleteSession(tx, token));
              if (sessions) tx.OnCommit([sessions, token] { sessions->Erase(token); });
              return Json();
            }, 204);
            return Ok();
          });

  api.Add({"GET", "/api/v1/me", "The signed-in user and the merchants they staff", "account", AuthKind::kUser},
          [&store](Call& c) -> Status {
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
          });

  // ---- addresses ----
  api.Add({"GET", "/api/v1/me/addresses", "The buyer's address book", "account", AuthKind::kUser},
          [&store](Call& c) -> Status {
            ASSIGN_OR_RETURN(Principal p, c.User());
            ASSIGN_OR_RETURN(auto list, store.Read([&](Reader& r) { return account::ListAddresses(r, p.user_id); }));
            Json items = Json::array();
            for (auto& a : list) items.push_back(account::ToJson(a));
            c.Reply(ListJson(items, 0));
            return Ok();
          });
  api.Add({"POST", "/api/v1/me/addresses", "Add an address", "account", AuthKind::kUser, 201,
           Json{{"name", "张三"}, {"phone", "13800000000"}, {"region", "上海市 浦东新区"}, {"detail", "世纪大道 100 号"}}},
          [](Call& c) -> Status {
            ASSIGN_OR_RETURN(Principal p, c.User());
            ASSIGN_OR_RETURN(Json body, c.Body());
            ASSIGN_OR_RETURN(account::Address a, account::AddressFromJson(body));
            c.Write(p, [a](Tx& tx, const Principal& p) -> Result<Json> {
              ASSIGN_OR_RETURN(account::Address saved, account::AddAddress(tx, p.user_id, a));
              return account::ToJson(saved);
            }, 201);
            return Ok();
          });
  api.Add({"DELETE", "/api/v1/me/addresses/{id}", "Delete an address", "account", AuthKind::kUser, 204},
          [](Call& c) -> Status {
            ASSIGN_OR_RETURN(Principal p, c.User());
            ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
            c.Write(p, [id](Tx& tx, const Principal& p) -> Result<Json> {
              RETURN_IF_ERROR(account::DeleteAddress(tx, p.user_id, id));
              return Json();
            }, 204);
            return Ok();
          });

  // ---- merchants ----
  api.Add({"POST", "/api/v1/merchants", "Open a shop (c2c at once; b2c/ka need an admin)", "merchant", AuthKind::kUser, 201,
           Json{{"kind", "c2c"}, {"name", "小王的咖啡铺"}}},
          [&store](Call& c) -> Status {
            ASSIGN_OR_RETURN(Principal p, c.User());
            ASSIGN_OR_RETURN(Json body, c.Body());
            ObjectReader r(body);
            std::string kind = r.String("kind", {.max_len = 8});
            std::string name = r.String("name", {.min_len = 1, .max_len = limits::kMaxMerchantNameLen});
            auto owner_phone = r.OptString("owner_phone", {.max_len = limits::kMaxPhoneLen});
            RETURN_IF_ERROR(r.Finish());
            if (!account::ValidKind(kind)) return Fail(ErrorCode::INVALID_FIELD, "kind must be c2c, b2c or ka");
            std::optional<int64_t> owner;
            if (owner_phone) {
              ASSIGN_OR_RETURN(account::User u, store.Read([&](Reader& rd) { return account::GetUserByPhone(rd, *owner_phone); }));
              owner = u.id;
            }
            c.Write(p, [=](Tx& tx, const Principal& p) -> Result<Json> {
              ASSIGN_OR_RETURN(account::Merchant m, account::OpenMerchant(tx, p, kind, name, owner));
              return account::ToJson(m, true);
            }, 201);
            return Ok();
          });
  api.Add({"GET", "/api/v1/merchants/{id}", "Public shop information", "merchant", AuthKind::kNone},
          [&store](Call& c) -> Status {
            ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
            ASSIGN_OR_RETURN(account::Merchant m, store.Read([&](Reader& r) { return account::GetMerchant(r, id); }));
            if (m.status != "active") return Fail(ErrorCode::NOT_FOUND, "merchant not found");
            c.Reply(account::ToJson(m, false));
            return Ok();
          });
  api.Add({"GET", "/api/v1/merchant", "The current merchant with its settings", "merchant", AuthKind::kStaff},
          [&store](Call& c) -> Status {
            ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kRead));
            ASSIGN_OR_RETURN(account::Merchant m, store.Read([&](Reader& r) { return account::GetMerchant(r, s.merchant_id); }));
            Json j = account::ToJson(m, true);
            j["role"] = account::RoleName(s.role);
            c.Reply(j);
            return Ok();
          });
  api.Add({"PATCH", "/api/v1/merchant", "Update shop name/description (owner; status, rates and limits: admins only)", "merchant", AuthKind::kStaff, 200,
           Json{{"name", "新店名"}, {"description", "手冲咖啡与器具"}}},
          [](Call& c) -> Status {
            ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kSettings));
            ASSIGN_OR_RETURN(Json body, c.Body());
            ASSIGN_OR_RETURN(account::MerchantPatch patch, MerchantPatchFromJson(body));
            c.Write(s, [patch](Tx& tx, const StaffCaller& s) -> Result<Json> {
              ASSIGN_OR_RETURN(account::Merchant m, account::PatchMerchant(tx, s.principal, s.merchant_id, patch));
              return account::ToJson(m, true);
            });
            return Ok();
          });
  api.Add({"GET", "/api/v1/merchant/staff", "Staff of the current merchant", "merchant", AuthKind::kStaff},
          [&store](Call& c) -> Status {
            ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kRead));
            ASSIGN_OR_RETURN(auto staff, store.Read([&](Reader& r) { return account::ListStaff(r, s.merchant_id); }));
            Json items = Json::array();
            for (auto& m : staff) items.push_back(Json{{"user", account::ToJson(m.user)}, {"role", account::RoleName(m.role)}});
            c.Reply(ListJson(items, 0));
            return Ok();
          });
  api.Add({"POST", "/api/v1/merchant/staff-invitations", "Invite a user by phone to the staff; they join when they accept (owner)",
           "merchant", AuthKind::kStaff, 201, Json{{"phone", "13800001234"}, {"role", "operator"}}},
          [](Call& c) -> Status {
            ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kStaff));
            ASSIGN_OR_RETURN(Json body, c.Body());
            ObjectReader r(body);
            std::string phone = r.String("phone", {.max_len = limits::kMaxPhoneLen});
            std::string role_s = r.String("role", {.max_len = 16});
            RETURN_IF_ERROR(r.Finish());
            auto role = account::ParseRole(role_s);
            if (!role || *role == account::Role::kOwner) return Fail(ErrorCode::INVALID_FIELD, "role must be operator or support");
            c.Write(s, [phone, role](Tx& tx, const StaffCaller& s) -> Result<Json> {
              ASSIGN_OR_RETURN(account::StaffInvitation inv, account::InviteStaff(tx, s.merchant_id, s.principal.user_id, phone, *role));
              return account::ToJson(inv, true);
            }, 201);
            return Ok();
          });
  api.Add({"GET", "/api/v1/merchant/staff-invitations", "Pending staff invitations of the current merchant", "merchant", AuthKind::kStaff},
          [&store](Call& c) -> Status {
            ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kRead));
            ASSIGN_OR_RETURN(auto list, store.Read([&](Reader& r) { return account::ListMerchantInvitations(r, s.merchant_id); }));
            Json items = Json::array();
            for (auto& inv : list) items.push_back(account::ToJson(inv, true));
            c.Reply(ListJson(items, 0));
            return Ok();
          });
  api.Add({"DELETE", "/api/v1/merchant/staff-invitations/{id}", "Withdraw a pending staff invitation (owner)", "merchant", AuthKind::kStaff, 204},
          [](Call& c) -> Status {
            ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kStaff));
            ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
            c.Write(s, [id](Tx& tx, const StaffCaller& s) -> Result<Json> {
              RETURN_IF_ERROR(account::RevokeInvitation(tx, s.merchant_id, id));
              return Json();
            }, 204);
            return Ok();
          });
  api.Add({"GET", "/api/v1/me/staff-invitations", "Staff invitations waiting for the signed-in user's answer", "account", AuthKind::kUser},
          [&store](Call& c) -> Status {
            ASSIGN_OR_RETURN(Principal p, c.User());
            ASSIGN_OR_RETURN(auto list, store.Read([&](Reader& r) { return account::ListMyInvitations(r, p.user_id); }));
            Json items = Json::array();
            for (auto& inv : list) items.push_back(account::ToJson(inv, false));
            c.Reply(ListJson(items, 0));
            return Ok();
          });
  for (bool accept : {true, false}) {
    api.Add({"POST", std::string("/api/v1/me/staff-invitations/{id}/") + (accept ? "accept" : "decline"),
             accept ? "Accept a staff invitation: join the merchant's staff" : "Decline a staff invitation", "account", AuthKind::kUser},
            [accept](Call& c) -> Status {
              ASSIGN_OR_RETURN(Principal p, c.User());
              ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
              c.Write(p, [id, accept](Tx& tx, const Principal& p) -> Result<Json> {
                ASSIGN_OR_RETURN(account::StaffInvitation inv, account::AnswerInvitation(tx, p.user_id, id, accept));
                return account::ToJson(inv, false);
              });
              return Ok();
            });
  }
  api.Add({"DELETE", "/api/v1/merchant/staff/{user_id}", "Remove a staff member (owner)", "merchant", AuthKind::kStaff, 204},
          [](Call& c) -> Status {
            ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kStaff));
            ASSIGN_OR_RETURN(int64_t uid, c.PathId("user_id"));
            c.Write(s, [uid](Tx& tx, const StaffCaller& s) -> Result<Json> {
              RETURN_IF_ERROR(account::RemoveStaff(tx, s.merchant_id, uid));
              return Json();
            }, 204);
            return Ok();
          });

  // ---- admin ----
  api.Add({"GET", "/api/v1/admin/merchants", "Merchants, optionally by status (admin)", "admin", AuthKind::kAdmin, 200, nullptr, {"status"}},
          [&store](Call& c) -> Status {
            RETURN_IF_ERROR(c.Admin());
            std::string status = c.req().QueryParam("status").value_or("");
            ASSIGN_OR_RETURN(auto list, store.Read([&](Reader& r) { return account::ListMerchants(r, status); }));
            Json items = Json::array();
            for (auto& m : list) items.push_back(account::ToJson(m, true));
            c.Reply(ListJson(items, 0));
            return Ok();
          });
  api.Add({"POST", "/api/v1/admin/merchants/{id}/approve", "Approve a pending b2c/ka merchant (admin)", "admin", AuthKind::kAdmin},
          [](Call& c) -> Status {
            ASSIGN_OR_RETURN(AdminCaller admin, c.Admin());
            ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
            c.Write(admin, [id](Tx& tx, const AdminCaller&) -> Result<Json> {
              ASSIGN_OR_RETURN(account::Merchant m, account::ApproveMerchant(tx, id));
              return account::ToJson(m, true);
            });
            return Ok();
          });
  api.Add({"PATCH", "/api/v1/admin/merchants/{id}", "Override a merchant's rates, limits or status (admin)", "admin", AuthKind::kAdmin, 200,
           Json{{"commission_bps", 250}, {"hold_days", 3}}},
          [](Call& c) -> Status {
            ASSIGN_OR_RETURN(AdminCaller admin, c.Admin());
            ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
            ASSIGN_OR_RETURN(Json body, c.Body());
            ASSIGN_OR_RETURN(account::MerchantPatch patch, MerchantPatchFromJson(body));
            c.Write(admin, [id, patch](Tx& tx, const AdminCaller& admin) -> Result<Json> {
              ASSIGN_OR_RETURN(account::Merchant m, account::PatchMerchant(tx, admin.principal, id, patch));
              return account::ToJson(m, true);
            });
            return Ok();
          });
  api.Add({"GET", "/api/v1/admin/kind-defaults", "Per-kind default rates and limits (admin)", "admin", AuthKind::kAdmin},
          [&store](Call& c) -> Status {
            RETURN_IF_ERROR(c.Admin());
            ASSIGN_OR_RETURN(auto list, store.Read([](Reader& r) { return account::ListKindDefaults(r); }));
            Json items = Json::array();
            for (auto& [kind, s] : list) {
              Json j = account::ToJson(s);
              j["kind"] = kind;
              items.push_back(j);
            }
            c.Reply(ListJson(items, 0));
            return Ok();
          });
  api.Add({"PUT", "/api/v1/admin/kind-defaults/{kind}", "Set a kind's default rates and limits (admin)", "admin", AuthKind::kAdmin, 200,
           Json{{"commission_bps", 500}, {"hold_days", 7}, {"max_products", 200}, {"max_order_fen", 5000000}}},
          [](Call& c) -> Status {
            ASSIGN_OR_RETURN(AdminCaller admin, c.Admin());
            std::string kind(c.req().Param("kind"));
            ASSIGN_OR_RETURN(Json body, c.Body());
            ASSIGN_OR_RETURN(account::MerchantSettings s, SettingsFromJson(body));
            c.Write(admin, [kind, s](Tx& tx, const AdminCaller&) -> Result<Json> {
              RETURN_IF_ERROR(account::SetKindDefaults(tx, kind, s));
              Json j = account::ToJson(s);
              j["kind"] = kind;
              return j;
            });
            return Ok();
          });

  // ---- friends ----
  api.Add({"GET", "/api/v1/friends", "The signed-in user's friends", "social", AuthKind::kUser},
          [&store](Call& c) -> Status {
            ASSIGN_OR_RETURN(Principal p, c.User());
            ASSIGN_OR_RETURN(auto list, store.Read([&](Reader& r) { return account::ListFriends(r, p.user_id); }));
            Json items = Json::array();
            for (auto& u : list) items.push_back(Json{{"id", IdString(u.id)}, {"nickname", u.nickname}});
            c.Reply(ListJson(items, 0));
            return Ok();
          });
  api.Add({"POST", "/api/v1/friends/requests", "Ask someone (by phone) to be friends", "social", AuthKind::kUser, 201,
           Json{{"phone", "13700000002"}}},
          [](Call& c) -> Status {
            ASSIGN_OR_RETURN(Principal p, c.User());
            ASSIGN_OR_RETURN(Json body, c.Body());
            ObjectReader r(body);
            std::string phone = r.String("phone", {.max_len = limits::kMaxPhoneLen});
            RETURN_IF_ERROR(r.Finish());
            c.Write(p, [phone](Tx& tx, const Principal& p) -> Result<Json> {
              ASSIGN_OR_RETURN(int64_t id, account::RequestFriend(tx, p.user_id, phone));
              return Json{{"id", IdString(id)}};
            }, 201);
            return Ok();
          });
  api.Add({"GET", "/api/v1/friends/requests", "Incoming friend requests", "social", AuthKind::kUser},
          [&store](Call& c) -> Status {
            ASSIGN_OR_RETURN(Principal p, c.User());
            ASSIGN_OR_RETURN(auto list, store.Read([&](Reader& r) { return account::IncomingRequests(r, p.user_id); }));
            Json items = Json::array();
            for (auto& fr : list)
              items.push_back(Json{{"id", IdString(fr.id)},
                                   {"from", {{"id", IdString(fr.from.id)}, {"nickname", fr.from.nickname}}},
                                   {"created_at", FormatRfc3339(fr.created_at_ms)}});
            c.Reply(ListJson(items, 0));
            return Ok();
          });
  api.Add({"POST", "/api/v1/friends/requests/{id}/accept", "Accept a friend request", "social", AuthKind::kUser},
          [](Call& c) -> Status {
            ASSIGN_OR_RETURN(Principal p, c.User());
            ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
            c.Write(p, [id](Tx& tx, const Principal& p) -> Result<Json> {
              RETURN_IF_ERROR(account::AcceptFriend(tx, p.user_id, id));
              return Json{{"id", IdString(id)}, {"status", "accepted"}};
            });
            return Ok();
          });
  api.Add({"DELETE", "/api/v1/friends/{user_id}", "Remove a friend", "social", AuthKind::kUser, 204},
          [](Call& c) -> Status {
            ASSIGN_OR_RETURN(Principal p, c.User());
            ASSIGN_OR_RETURN(int64_t fid, c.PathId("user_id"));
            c.Write(p, [fid](Tx& tx, const Principal& p) -> Result<Json> {
              RETURN_IF_ERROR(account::RemoveFriend(tx, p.user_id, fid));
              return Json();
            }, 204);
            return Ok();
          });
}

}  // namespace xd::http
