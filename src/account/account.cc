#include "account/account.h"

#include <arpa/inet.h>

#include <algorithm>

#include "account/events.h"
#include "base/crypto.h"
#include "base/messages.h"
#include "base/regions.h"

namespace xd::account {

namespace {

bool IsDigits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

User UserFromRow(const Row& r, size_t at = 0) {
  return User{r.Int(at), r.Str(at + 1), r.Str(at + 2), r.Int(at + 3) != 0, r.Int(at + 4)};
}
constexpr const char* kUserCols = "u.id, u.phone, u.nickname, u.is_admin, u.created_at_ms";


}  // namespace

std::string HashToken(const std::string& token) { return Sha256Hex(token); }

Json ToJson(const User& u) {
  return Json{{"id", IdString(u.id)}, {"phone", u.phone}, {"nickname", u.nickname}, {"is_admin", u.is_admin},
              {"created_at", FormatRfc3339(u.created_at_ms)}};
}

Status ValidateRegistration(const std::string& phone, const std::string& password, const std::string& nickname) {
  if (phone.size() != 11 || phone[0] != '1' || !IsDigits(phone))
    return Fail(Msg::PHONE_INVALID);
  if (password.size() < limits::kMinPasswordLen || password.size() > limits::kMaxPasswordLen)
    return Fail(Msg::PASSWORD_LENGTH, {{"min", limits::kMinPasswordLen}, {"max", limits::kMaxPasswordLen}});
  if (nickname.empty()) return Fail(Msg::NICKNAME_REQUIRED);
  if (nickname.size() > limits::kMaxNicknameLen)
    return Fail(Msg::NICKNAME_TOO_LONG, {{"max", limits::kMaxNicknameLen}});
  return Ok();
}

Result<bool> PhoneTaken(Reader& r, const std::string& phone) {
  ASSIGN_OR_RETURN(int64_t taken, r.QueryInt("SELECT count(*) FROM users WHERE phone=?", {phone}));
  return taken > 0;
}

Result<User> CreateUser(Tx& tx, const std::string& phone, const std::string& password_hash,
                        const std::string& nickname, bool is_admin) {
  User u{tx.NewId(), phone, nickname, is_admin, tx.NowMs()};
  // The phone's UNIQUE index decides, also when another node registers it at the same moment
  // (this insert then waits for that commit and inserts nothing): one answer either way.
  ASSIGN_OR_RETURN(int64_t inserted,
                   tx.Exec("INSERT INTO users(id, phone, password_hash, nickname, is_admin, created_at_ms) VALUES(?,?,?,?,?,?) "
                           "ON CONFLICT(phone) DO NOTHING",
                           {u.id, phone, password_hash, nickname, is_admin, u.created_at_ms}));
  if (inserted == 0) return Fail(Msg::PHONE_TAKEN);
  RETURN_IF_ERROR(Emit(tx, UserRegistered{u}));
  return u;
}

Status LockUser(Tx& tx, int64_t user_id) {
  ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT id FROM users WHERE id=?" + std::string(tx.dialect().ForUpdate()), {user_id}));
  if (!row) return Fail(Msg::USER_NOT_FOUND);
  return Ok();
}

Status LockMerchant(Tx& tx, int64_t merchant_id) {
  ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT id FROM merchants WHERE id=?" + std::string(tx.dialect().ForUpdate()), {merchant_id}));
  if (!row) return Fail(Msg::MERCHANT_NOT_FOUND);
  return Ok();
}

Result<std::string> CreateSession(Tx& tx, int64_t user_id) {
  std::string token = RandomHex(32);
  RETURN_IF_ERROR(tx.Run("INSERT INTO sessions(id, token_hash, user_id, expires_at_ms, created_at_ms) VALUES(?,?,?,?,?)",
                         {tx.NewId(), HashToken(token), user_id, tx.NowMs() + kSessionTtlMs, tx.NowMs()}));
  return token;
}

Status DeleteSession(Tx& tx, const std::string& token) {
  return tx.Run("DELETE FROM sessions WHERE token_hash=?", {HashToken(token)});
}

std::string LoginSource(const std::string& remote_ip) {
  in6_addr v6;
  if (inet_pton(AF_INET6, remote_ip.c_str(), &v6) != 1) return remote_ip;
  // One subscriber usually holds a whole /64: counting per address would give it 2^64 sources.
  std::fill(v6.s6_addr + 8, v6.s6_addr + 16, 0);
  char text[INET6_ADDRSTRLEN];
  if (!inet_ntop(AF_INET6, &v6, text, sizeof text)) return remote_ip;
  return std::string(text) + "/64";
}

Result<LoginAdmission> AdmitLogin(Tx& tx, const std::string& phone, const std::string& source) {
  int64_t now = tx.NowMs();
  // Forget a few expired counts on every attempt: the table holds only live ones.
  RETURN_IF_ERROR(tx.Run("DELETE FROM login_throttle WHERE (phone, source) IN "
                         "(SELECT phone, source FROM login_throttle WHERE expires_at_ms <= ? LIMIT 8)",
                         {now}));
  ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT failures, blocked_until_ms FROM login_throttle "
                                         "WHERE phone=? AND source=? AND expires_at_ms > ?",
                                         {phone, source, now}));
  int64_t failures = row ? row->Int(0) : 0;
  if (row && row->Int(1) > now) return LoginAdmission{false, row->Int(1) - now, std::nullopt};
  if (!row) {
    ASSIGN_OR_RETURN(auto oldest, tx.QueryOne("SELECT count(*), min(expires_at_ms) FROM login_throttle "
                                              "WHERE source=? AND expires_at_ms > ?",
                                              {source, now}));
    if (oldest && oldest->Int(0) >= kMaxLoginPhonesPerSource) return LoginAdmission{false, oldest->Int(1) - now, std::nullopt};
  }
  // Count this attempt in one statement: concurrent attempts (several writers, several nodes)
  // each get their own count, and one that finds the count blocked meanwhile — by an attempt
  // that took the last free one while this one read — changes nothing and is refused.
  ASSIGN_OR_RETURN(auto counted, tx.QueryOne("INSERT INTO login_throttle(phone, source, failures, blocked_until_ms, expires_at_ms) "
                                             "VALUES(?1, ?2, 1, 0, ?3) ON CONFLICT(phone, source) DO UPDATE SET "
                                             "failures = CASE WHEN login_throttle.expires_at_ms > ?4 THEN login_throttle.failures + 1 ELSE 1 END, "
                                             "blocked_until_ms = 0, expires_at_ms = ?3 "
                                             "WHERE login_throttle.blocked_until_ms <= ?4 OR login_throttle.expires_at_ms <= ?4 "
                                             "RETURNING failures",
                                             {phone, source, now + kLoginWindowMs, now}));
  if (!counted) {
    ASSIGN_OR_RETURN(int64_t until, tx.QueryInt("SELECT blocked_until_ms FROM login_throttle WHERE phone=? AND source=?", {phone, source}));
    return LoginAdmission{false, std::max<int64_t>(until - now, 1), std::nullopt};
  }
  failures = counted->Int(0);
  if (failures >= kFreeLoginAttempts) {
    int doublings = static_cast<int>(std::min<int64_t>(failures - kFreeLoginAttempts, 16));
    const int64_t blocked_until = now + std::min(kLoginBackoffBaseMs << doublings, kLoginBackoffMaxMs);
    RETURN_IF_ERROR(tx.Run("UPDATE login_throttle SET blocked_until_ms=?, expires_at_ms=? WHERE phone=? AND source=?",
                           {blocked_until, blocked_until + kLoginWindowMs, phone, source}));
  }
  ASSIGN_OR_RETURN(auto user, tx.QueryOne(std::string("SELECT ") + kUserCols + ", u.password_hash FROM users u WHERE u.phone=?",
                                          {phone}));
  LoginAdmission admitted{true, 0, std::nullopt};
  if (user) admitted.record = LoginRecord{UserFromRow(*user), user->Str(5)};
  return admitted;
}

Result<std::string> CompleteLogin(Tx& tx, int64_t user_id, const std::string& phone, const std::string& source) {
  RETURN_IF_ERROR(tx.Run("DELETE FROM login_throttle WHERE phone=? AND source=?", {phone, source}));
  return CreateSession(tx, user_id);
}

Result<Principal> Authenticate(Reader& r, const std::string& token) {
  if (token.size() != 64) return Fail(Msg::SESSION_INVALID);
  ASSIGN_OR_RETURN(auto row, r.QueryOne("SELECT s.user_id, u.is_admin, s.expires_at_ms, s.id FROM sessions s "
                                        "JOIN users u ON u.id = s.user_id WHERE s.token_hash=?",
                                        {HashToken(token)}));
  if (!row || row->Int(2) <= r.clock().NowMs()) return Fail(Msg::SESSION_INVALID);
  return Principal{row->Int(0), row->Int(1) != 0, row->Int(2), row->Int(3)};
}

Result<User> GetUser(Reader& r, int64_t user_id) {
  ASSIGN_OR_RETURN(auto row, r.QueryOne(std::string("SELECT ") + kUserCols + " FROM users u WHERE u.id=?", {user_id}));
  if (!row) return Fail(Msg::USER_NOT_FOUND);
  return UserFromRow(*row);
}

Result<User> GetUserByPhone(Reader& r, const std::string& phone) {
  ASSIGN_OR_RETURN(auto row, r.QueryOne(std::string("SELECT ") + kUserCols + " FROM users u WHERE u.phone=?", {phone}));
  if (!row) return Fail(Msg::USER_NOT_FOUND);
  return UserFromRow(*row);
}

// ---- merchants ----

std::optional<Role> ParseRole(const std::string& s) {
  if (s == "owner") return Role::kOwner;
  if (s == "operator") return Role::kOperator;
  if (s == "support") return Role::kSupport;
  return std::nullopt;
}

const char* RoleName(Role r) {
  switch (r) {
    case Role::kOwner: return "owner";
    case Role::kOperator: return "operator";
    case Role::kSupport: return "support";
  }
  return "support";
}

bool RoleAllows(Role role, Perm perm) {
  switch (role) {
    case Role::kOwner:
      return true;
    case Role::kOperator:
      return perm != Perm::kFinance && perm != Perm::kStaff && perm != Perm::kSettings;
    case Role::kSupport:
      return perm == Perm::kRead || perm == Perm::kAftersales;
  }
  return false;
}

bool ValidKind(const std::string& kind) { return kind == "c2c" || kind == "b2c" || kind == "ka"; }

Json ToJson(const MerchantSettings& s) {
  return Json{{"commission_bps", s.commission_bps}, {"hold_days", s.hold_days}, {"max_products", s.max_products},
              {"max_order_fen", s.max_order_fen}};
}

Json ToJson(const Merchant& m, bool with_settings) {
  Json j{{"id", IdString(m.id)}, {"kind", m.kind}, {"name", m.name}, {"description", m.description},
         {"banner", m.banner}, {"status", m.status}, {"created_at", FormatRfc3339(m.created_at_ms)}};
  if (with_settings) {
    j.update(ToJson(m.settings));
    j["owner_user_id"] = IdString(m.owner_user_id);
  }
  return j;
}

namespace {
constexpr const char* kMerchantSelect =
    "SELECT m.id, m.kind, m.name, m.description, m.status, m.owner_user_id, "
    "COALESCE(m.commission_bps, d.commission_bps), COALESCE(m.hold_days, d.hold_days), "
    "COALESCE(m.max_products, d.max_products), COALESCE(m.max_order_fen, d.max_order_fen), m.created_at_ms, m.banner "
    "FROM merchants m JOIN kind_defaults d ON d.kind = m.kind ";

Merchant MerchantFromRow(const Row& r) {
  return Merchant{r.Int(0), r.Str(1), r.Str(2), r.Str(3), r.Str(4), r.Int(5),
                  MerchantSettings{r.Int(6), r.Int(7), r.Int(8), r.Int(9)}, r.Int(10), r.Str(11)};
}
}  // namespace

Result<Merchant> GetMerchant(Reader& r, int64_t merchant_id) {
  ASSIGN_OR_RETURN(auto row, r.QueryOne(std::string(kMerchantSelect) + "WHERE m.id=?", {merchant_id}));
  if (!row) return Fail(Msg::MERCHANT_NOT_FOUND);
  return MerchantFromRow(*row);
}

Result<std::vector<Merchant>> ListMerchants(Reader& r, const std::string& status_filter) {
  ASSIGN_OR_RETURN(Rows rows, r.Query(std::string(kMerchantSelect) + "WHERE (?='' OR m.status=?) ORDER BY m.id DESC LIMIT 500",
                                      {status_filter, status_filter}));
  std::vector<Merchant> out;
  for (auto& row : rows) out.push_back(MerchantFromRow(row));
  return out;
}

Result<std::optional<int64_t>> OwnerForNewMerchant(Reader& r, const Principal& caller, const std::optional<std::string>& owner_phone) {
  if (!owner_phone) return std::optional<int64_t>();
  if (!caller.is_admin) return Fail(Msg::ADMIN_ONLY_OWNER);
  ASSIGN_OR_RETURN(User u, GetUserByPhone(r, *owner_phone));
  return std::optional<int64_t>(u.id);
}

Result<Merchant> OpenMerchant(Tx& tx, const Principal& caller, const std::string& kind, const std::string& name,
                              std::optional<int64_t> owner_user_id) {
  if (!ValidKind(kind)) return Fail(Msg::MERCHANT_KIND_INVALID, {{"kind", kind}});
  if (name.empty() || name.size() > limits::kMaxMerchantNameLen)
    return Fail(Msg::MERCHANT_NAME_LENGTH, {{"max", limits::kMaxMerchantNameLen}});
  if (owner_user_id && !caller.is_admin) return Fail(Msg::ADMIN_ONLY_OWNER);
  int64_t owner = owner_user_id.value_or(caller.user_id);
  if (owner_user_id) RETURN_IF_ERROR(GetUser(tx, owner));
  if (kind == "c2c") {
    ASSIGN_OR_RETURN(int64_t has, tx.QueryInt("SELECT count(*) FROM merchants WHERE owner_user_id=? AND kind='c2c'", {owner}));
    if (has) return Fail(Msg::C2C_SHOP_EXISTS);
  }
  std::string status = (kind == "c2c" || caller.is_admin) ? "active" : "pending";
  int64_t id = tx.NewId();
  RETURN_IF_ERROR(tx.Run("INSERT INTO merchants(id, kind, name, status, owner_user_id, created_at_ms) VALUES(?,?,?,?,?,?)",
                         {id, kind, name, status, owner, tx.NowMs()}));
  RETURN_IF_ERROR(tx.Run("INSERT INTO staff(merchant_id, user_id, role, created_at_ms) VALUES(?,?,'owner',?)",
                         {id, owner, tx.NowMs()}));
  ASSIGN_OR_RETURN(Merchant m, GetMerchant(tx, id));
  RETURN_IF_ERROR(Emit(tx, MerchantChanged{MerchantChanged::What::kOpened, m}));
  return m;
}

Result<Merchant> ApproveMerchant(Tx& tx, int64_t merchant_id) {
  ASSIGN_OR_RETURN(Merchant m, GetMerchant(tx, merchant_id));
  if (m.status != "pending") return Fail(Msg::MERCHANT_NOT_PENDING, {Term("status", m.status)});
  RETURN_IF_ERROR(tx.Run("UPDATE merchants SET status='active' WHERE id=?", {merchant_id}));
  ASSIGN_OR_RETURN(Merchant approved, GetMerchant(tx, merchant_id));
  RETURN_IF_ERROR(Emit(tx, MerchantChanged{MerchantChanged::What::kApproved, approved}));
  return approved;
}

static Error SettingsRangeError() {
  // The rate as people read it (a percentage), not in basis points.
  std::string percent = std::to_string(limits::kMaxCommissionBps / 100);
  if (limits::kMaxCommissionBps % 100) percent += "." + std::to_string(limits::kMaxCommissionBps % 100 / 10);
  return MakeError(Msg::MERCHANT_SETTINGS_RANGE, {{"commission_max_percent", percent},
                                                  {"hold_days_max", limits::kMaxHoldDays},
                                                  {"products_max", limits::kMaxMerchantProducts}});
}

Result<Merchant> PatchMerchant(Tx& tx, const Principal& caller, int64_t merchant_id, const MerchantPatch& p) {
  RETURN_IF_ERROR(GetMerchant(tx, merchant_id));
  if (p.status || p.commission_bps || p.hold_days || p.max_products || p.max_order_fen) {
    ASSIGN_OR_RETURN(User u, GetUser(tx, caller.user_id));
    if (!u.is_admin) return Fail(Msg::ADMIN_ONLY_MERCHANT_RULES);
  }
  if (p.status && *p.status != "active" && *p.status != "suspended" && *p.status != "rejected")
    return Fail(Msg::MERCHANT_STATUS_INVALID, {Term("status", *p.status)});
  if ((p.name && (p.name->empty() || p.name->size() > limits::kMaxMerchantNameLen)) ||
      (p.description && p.description->size() > limits::kMaxMerchantDescriptionLen))
    return Fail(Msg::MERCHANT_PROFILE_LENGTH,
                {{"name_max", limits::kMaxMerchantNameLen}, {"description_max", limits::kMaxMerchantDescriptionLen}});
  // The banner is a URL the shop page loads: one of this server's paths (an uploaded photo's,
  // /media/...) or an http(s) URL, as product images are.
  if (p.banner && !p.banner->empty() &&
      (p.banner->size() > limits::kMaxUrlLen ||
       (p.banner->rfind("https://", 0) != 0 && p.banner->rfind("http://", 0) != 0 && p.banner->rfind("/", 0) != 0)))
    return Fail(Msg::IMAGE_URL_INVALID);
  auto non_negative = [](const std::optional<int64_t>& v) { return !v || *v >= 0; };
  if (!non_negative(p.commission_bps) || !non_negative(p.hold_days) || !non_negative(p.max_products) ||
      !non_negative(p.max_order_fen) || (p.commission_bps && *p.commission_bps > limits::kMaxCommissionBps) ||
      (p.hold_days && *p.hold_days > limits::kMaxHoldDays) || (p.max_products && *p.max_products > limits::kMaxMerchantProducts))
    return std::unexpected(SettingsRangeError());
  RETURN_IF_ERROR(tx.Run(
      "UPDATE merchants SET name=COALESCE(?,name), description=COALESCE(?,description), status=COALESCE(?,status), "
      "banner=COALESCE(?,banner), commission_bps=COALESCE(?,commission_bps), hold_days=COALESCE(?,hold_days), "
      "max_products=COALESCE(?,max_products), max_order_fen=COALESCE(?,max_order_fen) WHERE id=?",
      {p.name, p.description, p.status, p.banner, p.commission_bps, p.hold_days, p.max_products, p.max_order_fen, merchant_id}));
  ASSIGN_OR_RETURN(Merchant updated, GetMerchant(tx, merchant_id));
  RETURN_IF_ERROR(Emit(tx, MerchantChanged{MerchantChanged::What::kUpdated, updated}));
  return updated;
}

Result<std::vector<std::pair<std::string, MerchantSettings>>> ListKindDefaults(Reader& r) {
  ASSIGN_OR_RETURN(Rows rows, r.Query("SELECT kind, commission_bps, hold_days, max_products, max_order_fen FROM kind_defaults ORDER BY kind"));
  std::vector<std::pair<std::string, MerchantSettings>> out;
  for (auto& row : rows) out.emplace_back(row.Str(0), MerchantSettings{row.Int(1), row.Int(2), row.Int(3), row.Int(4)});
  return out;
}

Status SetKindDefaults(Tx& tx, const std::string& kind, const MerchantSettings& s) {
  if (!ValidKind(kind)) return Fail(Msg::MERCHANT_KIND_UNKNOWN, {{"kind", kind}});
  if (s.commission_bps < 0 || s.commission_bps > limits::kMaxCommissionBps || s.hold_days < 0 ||
      s.hold_days > limits::kMaxHoldDays || s.max_products < 0 || s.max_products > limits::kMaxMerchantProducts ||
      s.max_order_fen < 0)
    return std::unexpected(SettingsRangeError());
  RETURN_IF_ERROR(tx.Run("UPDATE kind_defaults SET commission_bps=?, hold_days=?, max_products=?, max_order_fen=? WHERE kind=?",
                         {s.commission_bps, s.hold_days, s.max_products, s.max_order_fen, kind}));
  return Emit(tx, KindDefaultsUpdated{kind, s});
}

Result<std::vector<Membership>> MerchantsOf(Reader& r, int64_t user_id) {
  ASSIGN_OR_RETURN(Rows rows, r.Query(std::string(kMerchantSelect).replace(7, 0, "s.role, ") +
                                          "JOIN staff s ON s.merchant_id = m.id WHERE s.user_id=? ORDER BY m.id",
                                      {user_id}));
  std::vector<Membership> out;
  for (auto& row : rows) {
    Row rest;
    rest.cells.assign(row.cells.begin() + 1, row.cells.end());
    out.push_back(Membership{MerchantFromRow(rest), ParseRole(row.Str(0)).value_or(Role::kSupport)});
  }
  return out;
}

Result<Role> RequireStaff(Reader& r, int64_t user_id, int64_t merchant_id, Perm perm) {
  ASSIGN_OR_RETURN(auto row, r.QueryOne("SELECT s.role, m.status FROM merchants m LEFT JOIN staff s "
                                        "ON s.merchant_id = m.id AND s.user_id=? WHERE m.id=?",
                                        {user_id, merchant_id}));
  if (!row) return Fail(Msg::MERCHANT_NOT_FOUND);
  if (row->IsNull(0)) return Fail(Msg::NOT_STAFF);
  Role role = ParseRole(row->Str(0)).value_or(Role::kSupport);
  if (!RoleAllows(role, perm)) return Fail(Msg::ROLE_NOT_ALLOWED, {Term("role", RoleName(role))});
  if (perm != Perm::kRead && row->Str(1) != "active")
    return Fail(Msg::MERCHANT_READ_ONLY, {Term("status", row->Str(1))});
  return role;
}

Result<std::vector<StaffMember>> ListStaff(Reader& r, int64_t merchant_id) {
  ASSIGN_OR_RETURN(Rows rows, r.Query(std::string("SELECT ") + kUserCols +
                                          ", s.role FROM staff s JOIN users u ON u.id = s.user_id WHERE s.merchant_id=? ORDER BY s.created_at_ms",
                                      {merchant_id}));
  std::vector<StaffMember> out;
  for (auto& row : rows) out.push_back(StaffMember{UserFromRow(row), ParseRole(row.Str(5)).value_or(Role::kSupport)});
  return out;
}

namespace {
constexpr const char* kInvitationSelect =
    "SELECT i.id, i.merchant_id, m.name, i.role, i.status, i.created_at_ms, u.id, u.phone, u.nickname, u.is_admin, "
    "u.created_at_ms FROM staff_invitations i JOIN merchants m ON m.id = i.merchant_id JOIN users u ON u.id = i.user_id ";

StaffInvitation InvitationFromRow(const Row& r) {
  return StaffInvitation{r.Int(0), r.Int(1), r.Str(2), UserFromRow(r, 6), ParseRole(r.Str(3)).value_or(Role::kSupport), r.Str(4),
                         r.Int(5)};
}

Result<std::vector<StaffInvitation>> QueryInvitations(Reader& r, const std::string& where, int64_t id) {
  ASSIGN_OR_RETURN(Rows rows, r.Query(std::string(kInvitationSelect) + where + " AND i.status='pending' ORDER BY i.id DESC LIMIT 200", {id}));
  std::vector<StaffInvitation> out;
  for (auto& row : rows) out.push_back(InvitationFromRow(row));
  return out;
}

Result<StaffInvitation> GetInvitation(Reader& r, int64_t invitation_id) {
  ASSIGN_OR_RETURN(auto row, r.QueryOne(std::string(kInvitationSelect) + "WHERE i.id=?", {invitation_id}));
  if (!row) return Fail(Msg::INVITATION_NOT_FOUND);
  return InvitationFromRow(*row);
}
}  // namespace

Json ToJson(const StaffInvitation& inv, bool for_merchant) {
  Json j{{"id", IdString(inv.id)}, {"role", RoleName(inv.role)}, {"status", inv.status},
         {"created_at", FormatRfc3339(inv.created_at_ms)}};
  if (for_merchant) {
    j["user"] = Json{{"id", IdString(inv.user.id)}, {"phone", inv.user.phone}, {"nickname", inv.user.nickname}};
  } else {
    j["merchant"] = Json{{"id", IdString(inv.merchant_id)}, {"name", inv.merchant_name}};
  }
  return j;
}

Result<StaffInvitation> InviteStaff(Tx& tx, int64_t merchant_id, int64_t invited_by, const std::string& phone, Role role) {
  if (role == Role::kOwner) return Fail(Msg::ONE_OWNER);
  ASSIGN_OR_RETURN(User u, GetUserByPhone(tx, phone));
  ASSIGN_OR_RETURN(auto current, tx.QueryOne("SELECT role FROM staff WHERE merchant_id=? AND user_id=?", {merchant_id, u.id}));
  if (current && current->Str(0) == "owner") return Fail(Msg::OWNER_ALREADY_STAFF);
  if (current && current->Str(0) == RoleName(role)) return Fail(Msg::ALREADY_STAFF_ROLE);
  // The limit below is a count of its pending invitations: one node at a time.
  RETURN_IF_ERROR(LockMerchant(tx, merchant_id));
  RETURN_IF_ERROR(tx.Run("DELETE FROM staff_invitations WHERE merchant_id=? AND user_id=? AND status='pending'", {merchant_id, u.id}));
  ASSIGN_OR_RETURN(int64_t pending, tx.QueryInt("SELECT count(*) FROM staff_invitations WHERE merchant_id=? AND status='pending'", {merchant_id}));
  if (pending >= limits::kMaxPendingInvitations)
    return Fail(Msg::TOO_MANY_INVITATIONS, {{"max", limits::kMaxPendingInvitations}});
  int64_t id = tx.NewId();
  RETURN_IF_ERROR(tx.Run("INSERT INTO staff_invitations(id, merchant_id, user_id, role, status, invited_by, created_at_ms) "
                         "VALUES(?,?,?,?,'pending',?,?)",
                         {id, merchant_id, u.id, RoleName(role), invited_by, tx.NowMs()}));
  RETURN_IF_ERROR(Emit(tx, StaffChanged{StaffChanged::What::kInvited, merchant_id, u.id, id, RoleName(role)}));
  return GetInvitation(tx, id);
}

Result<std::vector<StaffInvitation>> ListMerchantInvitations(Reader& r, int64_t merchant_id) {
  return QueryInvitations(r, "WHERE i.merchant_id=?", merchant_id);
}

Result<std::vector<StaffInvitation>> ListMyInvitations(Reader& r, int64_t user_id) {
  return QueryInvitations(r, "WHERE i.user_id=?", user_id);
}

Status RevokeInvitation(Tx& tx, int64_t merchant_id, int64_t invitation_id) {
  ASSIGN_OR_RETURN(int64_t n, tx.Exec("UPDATE staff_invitations SET status='revoked', answered_at_ms=? "
                                      "WHERE id=? AND merchant_id=? AND status='pending'",
                                      {tx.NowMs(), invitation_id, merchant_id}));
  if (n == 0) return Fail(Msg::INVITATION_NOT_FOUND);
  return Emit(tx, StaffChanged{StaffChanged::What::kInvitationRevoked, merchant_id, 0, invitation_id, ""});
}

Result<StaffInvitation> AnswerInvitation(Tx& tx, int64_t user_id, int64_t invitation_id, bool accept) {
  ASSIGN_OR_RETURN(StaffInvitation inv, GetInvitation(tx, invitation_id));
  if (inv.user.id != user_id || inv.status != "pending") return Fail(Msg::INVITATION_NOT_FOUND);
  inv.status = accept ? "accepted" : "declined";
  // Guarded by 'pending': the owner may have withdrawn it since it was read (on another node,
  // a moment ago), and a withdrawn invitation makes nobody staff.
  ASSIGN_OR_RETURN(int64_t answered, tx.Exec("UPDATE staff_invitations SET status=?, answered_at_ms=? WHERE id=? AND status='pending'",
                                             {inv.status, tx.NowMs(), invitation_id}));
  if (answered == 0) return Fail(Msg::INVITATION_NOT_FOUND);
  if (accept) {
    RETURN_IF_ERROR(tx.Run("INSERT INTO staff(merchant_id, user_id, role, created_at_ms) VALUES(?,?,?,?) "
                           "ON CONFLICT(merchant_id, user_id) DO UPDATE SET role=excluded.role WHERE staff.role <> 'owner'",
                           {inv.merchant_id, user_id, RoleName(inv.role), tx.NowMs()}));
    RETURN_IF_ERROR(Emit(tx, StaffChanged{StaffChanged::What::kAdded, inv.merchant_id, user_id, inv.id, RoleName(inv.role)}));
  }
  return inv;
}

Status RemoveStaff(Tx& tx, int64_t merchant_id, int64_t user_id) {
  ASSIGN_OR_RETURN(int64_t n, tx.Exec("DELETE FROM staff WHERE merchant_id=? AND user_id=? AND role <> 'owner'", {merchant_id, user_id}));
  if (n == 0) return Fail(Msg::STAFF_NOT_FOUND);
  return Emit(tx, StaffChanged{StaffChanged::What::kRemoved, merchant_id, user_id, 0, ""});
}

// ---- friends ----

Result<int64_t> RequestFriend(Tx& tx, int64_t from_user_id, const std::string& to_phone) {
  ASSIGN_OR_RETURN(User to, GetUserByPhone(tx, to_phone));
  if (to.id == from_user_id) return Fail(Msg::BEFRIEND_SELF);
  // Both users' rows, the lower id first (one order everywhere, so two requests cannot
  // deadlock): a request the other way made on another node at this moment is then seen
  // below and accepted, rather than both pending side by side.
  RETURN_IF_ERROR(LockUser(tx, std::min(from_user_id, to.id)));
  RETURN_IF_ERROR(LockUser(tx, std::max(from_user_id, to.id)));
  ASSIGN_OR_RETURN(bool already, AreFriends(tx, from_user_id, to.id));
  if (already) return Fail(Msg::ALREADY_FRIENDS);
  // A request in the other direction means both want it: accept at once.
  ASSIGN_OR_RETURN(auto reverse, tx.QueryOne("SELECT id FROM friend_requests WHERE from_user_id=? AND to_user_id=? AND status='pending'",
                                             {to.id, from_user_id}));
  if (reverse) {
    RETURN_IF_ERROR(AcceptFriend(tx, from_user_id, reverse->Int(0)));
    return reverse->Int(0);
  }
  ASSIGN_OR_RETURN(auto existing, tx.QueryOne("SELECT id FROM friend_requests WHERE from_user_id=? AND to_user_id=? AND status='pending'",
                                              {from_user_id, to.id}));
  if (existing) return existing->Int(0);
  int64_t id = tx.NewId();
  RETURN_IF_ERROR(tx.Run("INSERT INTO friend_requests(id, from_user_id, to_user_id, status, created_at_ms) VALUES(?,?,?,'pending',?)",
                         {id, from_user_id, to.id, tx.NowMs()}));
  RETURN_IF_ERROR(Emit(tx, FriendChanged{FriendChanged::What::kRequested, from_user_id, to.id}));
  return id;
}

Status AcceptFriend(Tx& tx, int64_t user_id, int64_t request_id) {
  ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT from_user_id, to_user_id, status FROM friend_requests WHERE id=?", {request_id}));
  if (!row || row->Int(1) != user_id) return Fail(Msg::FRIEND_REQUEST_NOT_FOUND);
  if (row->Str(2) != "pending") return Fail(Msg::FRIEND_REQUEST_ANSWERED);
  int64_t a = row->Int(0), b = row->Int(1);
  ASSIGN_OR_RETURN(int64_t accepted, tx.Exec("UPDATE friend_requests SET status='accepted' WHERE id=? AND status='pending'", {request_id}));
  if (accepted == 0) return Fail(Msg::FRIEND_REQUEST_ANSWERED);
  RETURN_IF_ERROR(tx.Run("INSERT INTO friendships(user_id, friend_id, created_at_ms) VALUES(?,?,?),(?,?,?) ON CONFLICT DO NOTHING",
                         {a, b, tx.NowMs(), b, a, tx.NowMs()}));
  return Emit(tx, FriendChanged{FriendChanged::What::kAccepted, a, b});
}

Status RemoveFriend(Tx& tx, int64_t user_id, int64_t friend_id) {
  ASSIGN_OR_RETURN(int64_t n, tx.Exec("DELETE FROM friendships WHERE (user_id=? AND friend_id=?) OR (user_id=? AND friend_id=?)",
                                      {user_id, friend_id, friend_id, user_id}));
  if (n == 0) return Fail(Msg::NOT_FRIENDS);
  return Emit(tx, FriendChanged{FriendChanged::What::kRemoved, user_id, friend_id});
}

Result<std::vector<User>> ListFriends(Reader& r, int64_t user_id) {
  ASSIGN_OR_RETURN(Rows rows, r.Query(std::string("SELECT ") + kUserCols +
                                          " FROM friendships f JOIN users u ON u.id = f.friend_id WHERE f.user_id=? ORDER BY u.nickname LIMIT 1000",
                                      {user_id}));
  std::vector<User> out;
  for (auto& row : rows) out.push_back(UserFromRow(row));
  return out;
}

Result<bool> AreFriends(Reader& r, int64_t a, int64_t b) {
  ASSIGN_OR_RETURN(int64_t n, r.QueryInt("SELECT count(*) FROM friendships WHERE user_id=? AND friend_id=?", {a, b}));
  return n > 0;
}

Result<std::vector<FriendRequest>> IncomingRequests(Reader& r, int64_t user_id) {
  ASSIGN_OR_RETURN(Rows rows, r.Query(std::string("SELECT fr.id, ") + kUserCols + ", fr.created_at_ms FROM friend_requests fr "
                                          "JOIN users u ON u.id = fr.from_user_id WHERE fr.to_user_id=? AND fr.status='pending' ORDER BY fr.id DESC LIMIT 200",
                                      {user_id}));
  std::vector<FriendRequest> out;
  for (auto& row : rows) out.push_back(FriendRequest{row.Int(0), UserFromRow(row, 1), row.Int(6)});
  return out;
}

// ---- addresses ----

Json ToJson(const Address& a) {
  return Json{{"id", IdString(a.id)},         {"name", a.name},
              {"phone", a.phone},             {"region", a.region},
              {"detail", a.detail},           {"province_code", a.province_code},
              {"city_code", a.city_code},     {"district_code", a.district_code}};
}

Result<Address> AddressFromJson(const Json& j) {
  ObjectReader r(j, "address.");
  Address a;
  a.name = r.String("name", {.min_len = 1, .max_len = limits::kMaxAddressNameLen});
  a.phone = r.String("phone", {.min_len = limits::kMinAddressPhoneLen, .max_len = limits::kMaxPhoneLen});
  std::optional<std::string> region = r.OptString("region", {.max_len = limits::kMaxAddressRegionLen});
  a.detail = r.String("detail", {.min_len = 1, .max_len = limits::kMaxAddressDetailLen});
  a.province_code = r.OptString("province_code", {.max_len = 6}).value_or("");
  a.city_code = r.OptString("city_code", {.max_len = 6}).value_or("");
  a.district_code = r.OptString("district_code", {.max_len = 6}).value_or("");
  if (r.Raw("id")) r.Invalid("id", Msg::FIELD_NOT_ALLOWED);
  RETURN_IF_ERROR(r.Finish());
  if (!a.province_code.empty() || !a.city_code.empty() || !a.district_code.empty()) {
    // The names follow the codes: a client cannot pair a code with another place's name.
    if (!RegionPathValid(a.province_code, a.city_code, a.district_code)) return Fail(Msg::REGION_CODES_INVALID);
    a.region = RegionPathText(a.province_code, a.city_code, a.district_code);
  } else {
    if (!region || region->empty()) return Fail(Msg::FIELD_REQUIRED, {Field("address.region")});
    a.region = *region;
  }
  return a;
}

Result<Address> AddAddress(Tx& tx, int64_t user_id, const Address& in) {
  RETURN_IF_ERROR(LockUser(tx, user_id));  // the limit is a count: one node at a time
  ASSIGN_OR_RETURN(int64_t n, tx.QueryInt("SELECT count(*) FROM addresses WHERE user_id=?", {user_id}));
  if (n >= limits::kMaxAddressesPerUser)
    return Fail(Msg::TOO_MANY_ADDRESSES, {{"max", limits::kMaxAddressesPerUser}});
  Address a = in;
  a.id = tx.NewId();
  RETURN_IF_ERROR(tx.Run("INSERT INTO addresses(id, user_id, name, phone, region, detail, province_code, city_code, district_code, "
                         "created_at_ms) VALUES(?,?,?,?,?,?,?,?,?,?)",
                         {a.id, user_id, a.name, a.phone, a.region, a.detail, a.province_code, a.city_code, a.district_code,
                          tx.NowMs()}));
  return a;
}

Result<std::vector<Address>> ListAddresses(Reader& r, int64_t user_id) {
  ASSIGN_OR_RETURN(Rows rows, r.Query("SELECT id, name, phone, region, detail, province_code, city_code, district_code "
                                      "FROM addresses WHERE user_id=? ORDER BY id DESC",
                                      {user_id}));
  std::vector<Address> out;
  for (auto& row : rows)
    out.push_back(Address{row.Int(0), row.Str(1), row.Str(2), row.Str(3), row.Str(4), row.Str(5), row.Str(6), row.Str(7)});
  return out;
}

Result<Address> GetAddress(Reader& r, int64_t user_id, int64_t address_id) {
  ASSIGN_OR_RETURN(auto row, r.QueryOne("SELECT id, name, phone, region, detail, province_code, city_code, district_code "
                                        "FROM addresses WHERE id=? AND user_id=?",
                                        {address_id, user_id}));
  if (!row) return Fail(Msg::ADDRESS_NOT_FOUND);
  return Address{row->Int(0), row->Str(1), row->Str(2), row->Str(3), row->Str(4), row->Str(5), row->Str(6), row->Str(7)};
}

Status DeleteAddress(Tx& tx, int64_t user_id, int64_t address_id) {
  ASSIGN_OR_RETURN(int64_t n, tx.Exec("DELETE FROM addresses WHERE id=? AND user_id=?", {address_id, user_id}));
  if (n == 0) return Fail(Msg::ADDRESS_NOT_FOUND);
  return Ok();
}

}  // namespace xd::account
