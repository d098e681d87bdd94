// Routes of merchants: opening a shop, its settings, staff and their invitations, and the
// platform admin's approval and per-kind defaults (docs/api.md).
#include "account/account.h"
#include "base/id.h"
#include "base/messages.h"
#include "http/api.h"

namespace xd::http {

using account::Perm;
using account::Principal;

namespace {

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
  patch.banner = r.OptString("banner", {.max_len = limits::kMaxUrlLen});
  patch.commission_bps = r.OptInt("commission_bps", {.min = 0, .max = limits::kMaxCommissionBps});
  patch.hold_days = r.OptInt("hold_days", {.min = 0, .max = limits::kMaxHoldDays});
  patch.max_products = r.OptInt("max_products", {.min = 0, .max = limits::kMaxMerchantProducts});
  patch.max_order_fen = r.OptInt("max_order_fen", {.min = 0});
  RETURN_IF_ERROR(r.Finish());
  return patch;
}

Status OpenMerchant(Call& c) {
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(Json body, c.Body());
  ObjectReader r(body);
  std::string kind = r.String("kind", {.max_len = 8});
  std::string name = r.String("name", {.min_len = 1, .max_len = limits::kMaxMerchantNameLen});
  auto owner_phone = r.OptString("owner_phone", {.max_len = limits::kMaxPhoneLen});
  RETURN_IF_ERROR(r.Finish());
  if (!account::ValidKind(kind))
    return Fail(Msg::MERCHANT_KIND_INVALID);
  c.Write(
      p,
      [=](Tx& tx, const Principal& p) -> Result<Json> {
        // In the command, refused before the phone is looked up (no probing which phones exist).
        ASSIGN_OR_RETURN(std::optional<int64_t> owner, account::OwnerForNewMerchant(tx, p, owner_phone));
        ASSIGN_OR_RETURN(account::Merchant m, account::OpenMerchant(tx, p, kind, name, owner));
        return account::ToJson(m, true);
      },
      201);
  return Ok();
}

Status GetShop(Call& c) {
  Store& store = c.app().store;
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  ASSIGN_OR_RETURN(account::Merchant m,
                   store.Read([&](Reader& r) { return account::GetMerchant(r, id); }));
  if (m.status != "active") return Fail(Msg::MERCHANT_NOT_FOUND);
  c.Reply(account::ToJson(m, false));
  return Ok();
}

Status GetMerchant(Call& c) {
  Store& store = c.app().store;
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kRead));
  ASSIGN_OR_RETURN(account::Merchant m,
                   store.Read([&](Reader& r) { return account::GetMerchant(r, s.merchant_id); }));
  Json j = account::ToJson(m, true);
  j["role"] = account::RoleName(s.role);
  c.Reply(j);
  return Ok();
}

Status PatchMerchant(Call& c) {
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kSettings));
  ASSIGN_OR_RETURN(Json body, c.Body());
  ASSIGN_OR_RETURN(account::MerchantPatch patch, MerchantPatchFromJson(body));
  c.Write(s, [patch](Tx& tx, const StaffCaller& s) -> Result<Json> {
    ASSIGN_OR_RETURN(account::Merchant m,
                     account::PatchMerchant(tx, s.principal, s.merchant_id, patch));
    return account::ToJson(m, true);
  });
  return Ok();
}

Status ListStaff(Call& c) {
  Store& store = c.app().store;
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kRead));
  ASSIGN_OR_RETURN(auto staff,
                   store.Read([&](Reader& r) { return account::ListStaff(r, s.merchant_id); }));
  Json items = Json::array();
  for (auto& m : staff)
    items.push_back(Json{{"user", account::ToJson(m.user)}, {"role", account::RoleName(m.role)}});
  c.Reply(ListJson(items, 0));
  return Ok();
}

Status InviteStaff(Call& c) {
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kStaff));
  ASSIGN_OR_RETURN(Json body, c.Body());
  ObjectReader r(body);
  std::string phone = r.String("phone", {.max_len = limits::kMaxPhoneLen});
  std::string role_s = r.String("role", {.max_len = 16});
  RETURN_IF_ERROR(r.Finish());
  auto role = account::ParseRole(role_s);
  if (!role || *role == account::Role::kOwner)
    return Fail(Msg::STAFF_ROLE_INVALID);
  c.Write(
      s,
      [phone, role](Tx& tx, const StaffCaller& s) -> Result<Json> {
        ASSIGN_OR_RETURN(
            account::StaffInvitation inv,
            account::InviteStaff(tx, s.merchant_id, s.principal.user_id, phone, *role));
        return account::ToJson(inv, true);
      },
      201);
  return Ok();
}

Status ListMerchantInvitations(Call& c) {
  Store& store = c.app().store;
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kRead));
  ASSIGN_OR_RETURN(auto list, store.Read([&](Reader& r) {
    return account::ListMerchantInvitations(r, s.merchant_id);
  }));
  Json items = Json::array();
  for (auto& inv : list) items.push_back(account::ToJson(inv, true));
  c.Reply(ListJson(items, 0));
  return Ok();
}

Status RevokeInvitation(Call& c) {
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kStaff));
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  c.Write(
      s,
      [id](Tx& tx, const StaffCaller& s) -> Result<Json> {
        RETURN_IF_ERROR(account::RevokeInvitation(tx, s.merchant_id, id));
        return Json();
      },
      204);
  return Ok();
}

Status ListMyInvitations(Call& c) {
  Store& store = c.app().store;
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(auto list,
                   store.Read([&](Reader& r) { return account::ListMyInvitations(r, p.user_id); }));
  Json items = Json::array();
  for (auto& inv : list) items.push_back(account::ToJson(inv, false));
  c.Reply(ListJson(items, 0));
  return Ok();
}

// Accepting and declining are one command with the invitee's answer.
Status AnswerMyInvitation(Call& c, bool accept) {
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  c.Write(p, [id, accept](Tx& tx, const Principal& p) -> Result<Json> {
    ASSIGN_OR_RETURN(account::StaffInvitation inv,
                     account::AnswerInvitation(tx, p.user_id, id, accept));
    return account::ToJson(inv, false);
  });
  return Ok();
}

Status AcceptInvitation(Call& c) { return AnswerMyInvitation(c, true); }

Status DeclineInvitation(Call& c) { return AnswerMyInvitation(c, false); }

Status RemoveStaff(Call& c) {
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kStaff));
  ASSIGN_OR_RETURN(int64_t uid, c.PathId("user_id"));
  c.Write(
      s,
      [uid](Tx& tx, const StaffCaller& s) -> Result<Json> {
        RETURN_IF_ERROR(account::RemoveStaff(tx, s.merchant_id, uid));
        return Json();
      },
      204);
  return Ok();
}

Status AdminListMerchants(Call& c) {
  Store& store = c.app().store;
  RETURN_IF_ERROR(c.Admin());
  std::string status = c.req().QueryParam("status").value_or("");
  ASSIGN_OR_RETURN(auto list,
                   store.Read([&](Reader& r) { return account::ListMerchants(r, status); }));
  Json items = Json::array();
  for (auto& m : list) items.push_back(account::ToJson(m, true));
  c.Reply(ListJson(items, 0));
  return Ok();
}

Status AdminApproveMerchant(Call& c) {
  ASSIGN_OR_RETURN(AdminCaller admin, c.Admin());
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  c.Write(admin, [id](Tx& tx, const AdminCaller&) -> Result<Json> {
    ASSIGN_OR_RETURN(account::Merchant m, account::ApproveMerchant(tx, id));
    return account::ToJson(m, true);
  });
  return Ok();
}

Status AdminPatchMerchant(Call& c) {
  ASSIGN_OR_RETURN(AdminCaller admin, c.Admin());
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  ASSIGN_OR_RETURN(Json body, c.Body());
  ASSIGN_OR_RETURN(account::MerchantPatch patch, MerchantPatchFromJson(body));
  c.Write(admin, [id, patch](Tx& tx, const AdminCaller& admin) -> Result<Json> {
    ASSIGN_OR_RETURN(account::Merchant m, account::PatchMerchant(tx, admin.principal, id, patch));
    return account::ToJson(m, true);
  });
  return Ok();
}

Status AdminListKindDefaults(Call& c) {
  Store& store = c.app().store;
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
}

Status AdminSetKindDefaults(Call& c) {
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
}

}  // namespace

void AddMerchantRoutes(Api& api) {
  // One entry per route, laid out by hand as an index of the module's API.
  // clang-format off
  api.AddTable({
      // ---- merchants ----
      {{"POST", "/api/v1/merchants", "Open a shop (c2c at once; b2c/ka need an admin)", "merchant",
        AuthKind::kUser, 201, Json{{"kind", "c2c"}, {"name", "小王的咖啡铺"}}}, OpenMerchant},
      {{"GET", "/api/v1/merchants/{id}", "Public shop information", "merchant", AuthKind::kNone},
       GetShop},
      {{"GET", "/api/v1/merchant", "The current merchant with its settings", "merchant",
        AuthKind::kStaff}, GetMerchant},
      {{"PATCH", "/api/v1/merchant",
        "Update shop name/description (owner; status, rates and limits: admins only)", "merchant",
        AuthKind::kStaff, 200, Json{{"name", "新店名"}, {"description", "手冲咖啡与器具"}, {"banner", "/media/<sha256>-l.jpg"}}}, PatchMerchant},
      {{"GET", "/api/v1/merchant/staff", "Staff of the current merchant", "merchant",
        AuthKind::kStaff}, ListStaff},
      {{"POST", "/api/v1/merchant/staff-invitations",
        "Invite a user by phone to the staff; they join when they accept (owner)", "merchant",
        AuthKind::kStaff, 201, Json{{"phone", "13800001234"}, {"role", "operator"}}}, InviteStaff},
      {{"GET", "/api/v1/merchant/staff-invitations",
        "Pending staff invitations of the current merchant", "merchant", AuthKind::kStaff},
       ListMerchantInvitations},
      {{"DELETE", "/api/v1/merchant/staff-invitations/{id}",
        "Withdraw a pending staff invitation (owner)", "merchant", AuthKind::kStaff, 204},
       RevokeInvitation},
      {{"GET", "/api/v1/me/staff-invitations",
        "Staff invitations waiting for the signed-in user's answer", "account", AuthKind::kUser},
       ListMyInvitations},
      {{"POST", "/api/v1/me/staff-invitations/{id}/accept",
        "Accept a staff invitation: join the merchant's staff", "account", AuthKind::kUser},
       AcceptInvitation},
      {{"POST", "/api/v1/me/staff-invitations/{id}/decline", "Decline a staff invitation",
        "account", AuthKind::kUser}, DeclineInvitation},
      {{"DELETE", "/api/v1/merchant/staff/{user_id}", "Remove a staff member (owner)", "merchant",
        AuthKind::kStaff, 204}, RemoveStaff},
      // ---- admin ----
      {{"GET", "/api/v1/admin/merchants", "Merchants, optionally by status (admin)", "admin",
        AuthKind::kAdmin, 200, nullptr, {"status"}}, AdminListMerchants},
      {{"POST", "/api/v1/admin/merchants/{id}/approve", "Approve a pending b2c/ka merchant (admin)",
        "admin", AuthKind::kAdmin}, AdminApproveMerchant},
      {{"PATCH", "/api/v1/admin/merchants/{id}",
        "Override a merchant's rates, limits or status (admin)", "admin", AuthKind::kAdmin, 200,
        Json{{"commission_bps", 250}, {"hold_days", 3}}}, AdminPatchMerchant},
      {{"GET", "/api/v1/admin/kind-defaults", "Per-kind default rates and limits (admin)", "admin",
        AuthKind::kAdmin}, AdminListKindDefaults},
      {{"PUT", "/api/v1/admin/kind-defaults/{kind}",
        "Set a kind's default rates and limits (admin)", "admin", AuthKind::kAdmin, 200,
        Json{{"commission_bps", 500}, {"hold_days", 7}, {"max_products", 200},
             {"max_order_fen", 5000000}}}, AdminSetKindDefaults},
  });
  // clang-format on
}

}  // namespace xd::http
