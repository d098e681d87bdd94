// Accounts: buyers (phone + password, Argon2id), sessions (256-bit random tokens stored as
// SHA-256 hashes), merchants of three kinds with staff roles and per-kind settings, the
// friend graph, and buyers' address books.
//
// Write functions take a Tx (they run inside the write pipeline); reads take a Reader.
// Password hashing is deliberately NOT done inside a Tx: callers hash on their own thread
// (HashPassword) and pass the hash in, so the single writer never spends 50 ms on Argon2.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/result.h"
#include "store/store.h"

namespace xd::account {

// ---- passwords and sessions ----

// Argon2id cost: kInteractive for the server, kFast for tests and demo seeding.
enum class HashCost { kInteractive, kFast };
void SetHashCost(HashCost cost);
Result<std::string> HashPassword(const std::string& password);
bool VerifyPassword(const std::string& hash, const std::string& password);
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
};

inline constexpr int64_t kSessionTtlMs = 30LL * 24 * 3600 * 1000;
inline constexpr int kMaxFailedLogins = 5;
inline constexpr int64_t kLockoutMs = 15 * 60 * 1000;

// Validates phone (11 digits starting with 1), password (8..64 bytes) and nickname.
Status ValidateRegistration(const std::string& phone, const std::string& password, const std::string& nickname);
// Creates a user; ALREADY_EXISTS when the phone is taken.
Result<User> CreateUser(Tx& tx, const std::string& phone, const std::string& password_hash,
                        const std::string& nickname, bool is_admin);
// Creates a session and returns its raw token (shown once, never stored).
Result<std::string> CreateSession(Tx& tx, int64_t user_id);
Status DeleteSession(Tx& tx, const std::string& token);

struct LoginRecord {
  User user;
  std::string password_hash;
  int64_t locked_until_ms = 0;
};
// Looks a user up for login; NOT_FOUND when the phone is unknown.
Result<LoginRecord> FindForLogin(Reader& r, const std::string& phone);
// Records a failed attempt; the account locks after kMaxFailedLogins failures in a row.
Status RecordFailedLogin(Tx& tx, int64_t user_id);
// Re-checks the lock inside the transaction, clears the failure count and creates a session.
Result<std::string> CompleteLogin(Tx& tx, int64_t user_id);

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
};
Json ToJson(const Merchant& m, bool with_settings);
Json ToJson(const MerchantSettings& s);
bool ValidKind(const std::string& kind);

// Opens a shop. c2c: active at once for the caller. b2c/ka: pending unless the caller is
// an admin (then active; owner is `owner_user_id` if given, else the admin).
Result<Merchant> OpenMerchant(Tx& tx, const Principal& caller, const std::string& kind,
                              const std::string& name, std::optional<int64_t> owner_user_id);
Result<Merchant> GetMerchant(Reader& r, int64_t merchant_id);
Result<std::vector<Merchant>> ListMerchants(Reader& r, const std::string& status_filter);
Result<Merchant> ApproveMerchant(Tx& tx, int64_t merchant_id);
struct MerchantPatch {
  std::optional<std::string> name, description, status;
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
Status AddStaff(Tx& tx, int64_t merchant_id, const std::string& phone, Role role);
Status RemoveStaff(Tx& tx, int64_t merchant_id, int64_t user_id);

// ---- friends ----

Result<int64_t> RequestFriend(Tx& tx, int64_t from_user_id, const std::string& to_phone);
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
};
Json ToJson(const Address& a);
// Reads and validates an address object from a request body.
Result<Address> AddressFromJson(const Json& j);
Result<Address> AddAddress(Tx& tx, int64_t user_id, const Address& a);
Result<std::vector<Address>> ListAddresses(Reader& r, int64_t user_id);
Result<Address> GetAddress(Reader& r, int64_t user_id, int64_t address_id);
Status DeleteAddress(Tx& tx, int64_t user_id, int64_t address_id);

}  // namespace xd::account
