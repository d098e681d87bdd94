// Accounts: buyers (phone + password, Argon2id), sessions (256-bit random tokens stored as
// SHA-256 hashes), merchants of three kinds with staff roles and per-kind settings, the
// friend graph, and buyers' address books.
//
// Write functions take a Tx (they run inside the write pipeline); reads take a Reader.
// Password hashing is deliberately NOT done inside a Tx: callers hash on a PasswordHasher's
// thread (account/password.h) and pass the hash in, so the writer never spends 30 ms on Argon2.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/json.h"
#include "account/password.h"
#include "base/limits.h"
#include "base/result.h"
#include "store/store.h"

namespace xd::account {

// ---- sessions and logins (passwords: account/password.h) ----

// SHA-256 of a token, hex; only this is stored.
std::string HashToken(const std::string& token);

struct User {
  int64_t id = 0;
  std::string phone;
  std::string nickname;
  bool is_admin = false;
  int64_t created_at_ms = 0;
};
Json ToJson(const User& u);

// Who is calling: the authenticated user.
struct Principal {
  int64_t user_id = 0;
  bool is_admin = false;
  int64_t session_expires_at_ms = 0;  // when the token that authenticated this expires
  int64_t session_id = 0;             // that token's session (sessions.id), 0 for none
};

inline constexpr int64_t kSessionTtlMs = 30LL * 24 * 3600 * 1000;

// Validates phone (11 digits starting with 1), password (limits::kMinPasswordLen..
// limits::kMaxPasswordLen bytes) and nickname (1..limits::kMaxNicknameLen bytes).
Status ValidateRegistration(const std::string& phone, const std::string& password, const std::string& nickname);
// Whether `phone` is registered (so a register can be refused before its password is hashed).
Result<bool> PhoneTaken(Reader& r, const std::string& phone);
// Creates a user; ALREADY_EXISTS when the phone is taken.
Result<User> CreateUser(Tx& tx, const std::string& phone, const std::string& password_hash,
                        const std::string& nickname, bool is_admin);
// Locks the user's row to commit (Dialect::ForUpdate; nothing on SQLite). A command that
// counts what one user did before it writes (a daily cap, the address book's or the cart's
// size, a running bargain) takes it first,
// so the same command on another node waits for this one's commit and then counts it.
// NOT_FOUND for an unknown user.
Status LockUser(Tx& tx, int64_t user_id);
// The same for a shop: a command that counts what a shop holds before it adds one more (API
// keys, webhook endpoints, media, member prices, pending invitations) takes its row first.
// NOT_FOUND for an unknown merchant.
Status LockMerchant(Tx& tx, int64_t merchant_id);
// Creates a session and returns its raw token (shown once, never stored).
Result<std::string> CreateSession(Tx& tx, int64_t user_id);
Status DeleteSession(Tx& tx, const std::string& token);

// Login attempts are throttled per phone and source (the client's address; an IPv6 address
// by its /64), so a guesser slows down from where it guesses while the owner, elsewhere, is
// not locked out. The first kFreeLoginAttempts are free; the attempt that reaches it and each
// one after it makes the source wait kLoginBackoffBaseMs, doubling, at most kLoginBackoffMaxMs.
// A phone-and-source's count is forgotten kLoginWindowMs after its last attempt or wait, and
// one source may be counting failures on at most kMaxLoginPhonesPerSource phones at once, so
// the state is bounded per source.
inline constexpr int kFreeLoginAttempts = 5;
inline constexpr int64_t kLoginBackoffBaseMs = 60'000;
inline constexpr int64_t kLoginBackoffMaxMs = 3'600'000;
inline constexpr int64_t kLoginWindowMs = 24LL * 3600 * 1000;
inline constexpr int kMaxLoginPhonesPerSource = 100;

// The throttle source of a client address: an IPv4 address itself, an IPv6 address's /64.
std::string LoginSource(const std::string& remote_ip);

struct LoginRecord {
  User user;
  std::string password_hash;
};
struct LoginAdmission {
  bool admitted = false;
  int64_t retry_after_ms = 0;         // when not admitted: how long the source must wait
  std::optional<LoginRecord> record;  // when admitted: the account, none for an unknown phone
};
// Admits one attempt on `phone` from `source` or not. An admitted attempt counts as failed
// until CompleteLogin clears it, inside this transaction: parallel guesses are counted in
// commit order, and no more than kFreeLoginAttempts are evaluated before the wait starts.
// Unknown phones are counted the same way, so the answers do not tell which phones exist.
Result<LoginAdmission> AdmitLogin(Tx& tx, const std::string& phone, const std::string& source);
// After a correct password: clears the phone-and-source's count and creates a session.
Result<std::string> CompleteLogin(Tx& tx, int64_t user_id, const std::string& phone, const std::string& source);

// The principal of a session token; UNAUTHENTICATED when unknown or expired.
Result<Principal> Authenticate(Reader& r, const std::string& token);
Result<User> GetUser(Reader& r, int64_t user_id);
Result<User> GetUserByPhone(Reader& r, const std::string& phone);

// ---- merchants and staff ----

enum class Role { kOwner, kOperator, kSupport };
enum class Perm { kRead, kProducts, kOrders, kAftersales, kActivities, kFinance, kStaff, kSettings };
std::optional<Role> ParseRole(const std::string& s);
const char* RoleName(Role r);
bool RoleAllows(Role role, Perm perm);

struct MerchantSettings {
  int64_t commission_bps = 0;
  int64_t hold_days = 0;
  int64_t max_products = 0;
  int64_t max_order_fen = 0;
};
struct Merchant {
  int64_t id = 0;
  std::string kind;  // c2c | b2c | ka
  std::string name;
  std::string description;
  std::string status;  // pending | active | suspended | rejected
  int64_t owner_user_id = 0;
  MerchantSettings settings;  // effective: per-merchant override, else the kind's default
  int64_t created_at_ms = 0;
  std::string banner;  // the shop page's banner image URL (an uploaded photo's); empty: none
};
Json ToJson(const Merchant& m, bool with_settings);
Json ToJson(const MerchantSettings& s);
bool ValidKind(const std::string& kind);

// Opens a shop. c2c: active at once for the caller. b2c/ka: pending unless the caller is
// an admin (then active; owner is `owner_user_id` if given, else the admin).
// The owner named by phone for a new merchant (none: the caller). FORBIDDEN for a
// non-admin before the phone is looked up, so the answer never tells whether a phone is
// registered; NOT_FOUND (to an admin) for an unknown phone.
Result<std::optional<int64_t>> OwnerForNewMerchant(Reader& r, const Principal& caller, const std::optional<std::string>& owner_phone);
Result<Merchant> OpenMerchant(Tx& tx, const Principal& caller, const std::string& kind,
                              const std::string& name, std::optional<int64_t> owner_user_id);
Result<Merchant> GetMerchant(Reader& r, int64_t merchant_id);
Result<std::vector<Merchant>> ListMerchants(Reader& r, const std::string& status_filter);
Result<Merchant> ApproveMerchant(Tx& tx, int64_t merchant_id);
struct MerchantPatch {
  std::optional<std::string> name, description, status, banner;
  std::optional<int64_t> commission_bps, hold_days, max_products, max_order_fen;
};
// Applies `patch` for `caller`. name and description: whoever the route authorized (the
// shop's owner, an admin). status and the rates and limits are the platform's: FORBIDDEN
// unless the caller is an admin now (re-read in `tx`), whichever route the patch came by.
Result<Merchant> PatchMerchant(Tx& tx, const Principal& caller, int64_t merchant_id, const MerchantPatch& patch);
Result<std::vector<std::pair<std::string, MerchantSettings>>> ListKindDefaults(Reader& r);
Status SetKindDefaults(Tx& tx, const std::string& kind, const MerchantSettings& s);

struct Membership {
  Merchant merchant;
  Role role;
};
Result<std::vector<Membership>> MerchantsOf(Reader& r, int64_t user_id);
// The caller's role at `merchant_id` if it grants `perm`: FORBIDDEN otherwise (NOT_FOUND
// when the merchant does not exist). Admins are not staff: they use admin routes.
// Pass a Tx inside writes so a role revoked a moment ago is honoured.
Result<Role> RequireStaff(Reader& r, int64_t user_id, int64_t merchant_id, Perm perm);

struct StaffMember {
  User user;
  Role role;
};
Result<std::vector<StaffMember>> ListStaff(Reader& r, int64_t merchant_id);
Status RemoveStaff(Tx& tx, int64_t merchant_id, int64_t user_id);

// Staff join by invitation: the owner invites a phone, the invited user accepts or declines
// from their own session. Nobody becomes staff (and sees a merchant in their console)
// without having said yes.
struct StaffInvitation {
  int64_t id = 0;
  int64_t merchant_id = 0;
  std::string merchant_name;
  User user;  // the invited user
  Role role = Role::kOperator;
  std::string status;  // pending | accepted | declined | revoked
  int64_t created_at_ms = 0;
};
// `for_merchant`: the owner's view (the invitee's phone); else the invitee's (the merchant).
Json ToJson(const StaffInvitation& inv, bool for_merchant);
// Invites the user with `phone` as `role` (operator or support; RULE_VIOLATION for owner or
// for the owner's own phone; NOT_FOUND for an unknown phone). A pending invitation of the same
// user is replaced; at most limits::kMaxPendingInvitations pending (LIMIT_EXCEEDED).
Result<StaffInvitation> InviteStaff(Tx& tx, int64_t merchant_id, int64_t invited_by, const std::string& phone, Role role);
// Pending invitations of a merchant, newest first.
Result<std::vector<StaffInvitation>> ListMerchantInvitations(Reader& r, int64_t merchant_id);
// Withdraws a pending invitation; NOT_FOUND unless it is this merchant's and pending.
Status RevokeInvitation(Tx& tx, int64_t merchant_id, int64_t invitation_id);
// Pending invitations addressed to `user_id`, newest first.
Result<std::vector<StaffInvitation>> ListMyInvitations(Reader& r, int64_t user_id);
// The invited user answers: accepting joins the staff with the invited role (an existing
// non-owner role is replaced). NOT_FOUND unless the invitation is theirs and pending.
Result<StaffInvitation> AnswerInvitation(Tx& tx, int64_t user_id, int64_t invitation_id, bool accept);

// ---- friends ----

// Asks the owner of `to_phone` to be friends; a pending request the other way is accepted
// instead. Returns the request's id (an existing pending one is returned again).
Result<int64_t> RequestFriend(Tx& tx, int64_t from_user_id, const std::string& to_phone);
// INVALID_STATE unless the request is pending; NOT_FOUND unless it is addressed to `user_id`.
Status AcceptFriend(Tx& tx, int64_t user_id, int64_t request_id);
Status RemoveFriend(Tx& tx, int64_t user_id, int64_t friend_id);
Result<std::vector<User>> ListFriends(Reader& r, int64_t user_id);
Result<bool> AreFriends(Reader& r, int64_t a, int64_t b);
struct FriendRequest {
  int64_t id;
  User from;
  int64_t created_at_ms;
};
Result<std::vector<FriendRequest>> IncomingRequests(Reader& r, int64_t user_id);

// ---- addresses ----

struct Address {
  int64_t id = 0;
  std::string name, phone, region, detail;
  // The region picker's codes (base/regions.h); empty for an address typed as free text before
  // codes existed. With codes, `region` is their names ("广东省 深圳市 南山区").
  std::string province_code, city_code, district_code;
};
Json ToJson(const Address& a);
// Reads and validates an address object from a request body: `province_code`, `city_code`,
// `district_code` (REGION_CODES_INVALID unless a known path, base/regions.h) set `region` to
// their names; without codes `region` is required text.
Result<Address> AddressFromJson(const Json& j);
Result<Address> AddAddress(Tx& tx, int64_t user_id, const Address& a);
Result<std::vector<Address>> ListAddresses(Reader& r, int64_t user_id);
Result<Address> GetAddress(Reader& r, int64_t user_id, int64_t address_id);
Status DeleteAddress(Tx& tx, int64_t user_id, int64_t address_id);

}  // namespace xd::account
