// The open platform (SPEC §10, architecture decision 8): what a ka merchant's own systems
// (ERP, WMS, POS) use to join the loop.
//
//  - API keys: per merchant, scoped, revocable, shown once ("xdk_<key id>_<secret>"), stored
//    only as SHA-256. A key acts as its merchant's staff (with its creator's role) on the
//    routes whose scope it holds, and nowhere else (the HTTP layer maps routes to scopes).
//  - Inventory/price sync: up to limits::kMaxSyncItems SKUs (by id or by the merchant's code)
//    in one all-or-nothing write that keeps stock conservation.
//  - Webhooks: endpoints subscribe to order/refund/after-sales events. A consumer turns new
//    outbox events into `webhook_deliveries` rows in the same transaction as its cursor
//    advance (exactly-once enqueue), and sender threads POST them, signed with
//    HMAC-SHA256, retrying with backoff (next_attempt_at_ms, injected clock).
//  - VerifyWebhookSignature: the receiver's side of the signature, for merchants and tests.
//
//   open::OpenService open(store, {});
//   open.SetTransportFactory(...);   // how to POST (http::Client in the app)
//   open.Start();                    // consumer + sender threads
//
// Thread-safety: the free functions run on their caller's Tx/Reader; OpenService's public
// methods may be called from any thread.
#pragma once

#include <array>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "account/account.h"
#include "base/json.h"
#include "base/limits.h"
#include "base/result.h"
#include "store/consumer.h"
#include "store/store.h"

namespace xd::open {

// ---- scopes ----

// Every scope a key may hold, and the staff permission a route of that scope demands.
struct ScopeInfo {
  std::string_view name;
  account::Perm perm;
  std::string_view description;
};
inline constexpr std::array<ScopeInfo, 11> kScopes = {{
    {"products:read", account::Perm::kRead, "read the merchant's products and SKUs"},
    {"products:write", account::Perm::kProducts, "create and edit products"},
    {"inventory:write", account::Perm::kProducts, "set SKU stock and prices (sync endpoint, PATCH skus)"},
    {"orders:read", account::Perm::kRead, "read the merchant's orders"},
    {"orders:write", account::Perm::kOrders, "ship orders and push tracking events"},
    {"aftersales:read", account::Perm::kRead, "read after-sales requests"},
    {"aftersales:write", account::Perm::kAftersales, "approve, reject and receive after-sales requests"},
    {"webhooks:manage", account::Perm::kSettings, "manage webhook endpoints and deliveries"},
    {"pos", account::Perm::kOrders, "report members' store (POS) purchases and refunds"},
    {"export", account::Perm::kRead, "download orders and events (buyers' personal data masked)"},
    {"export:personal", account::Perm::kOrders,
     "with export: buyers' names, phones and addresses unmasked in downloads"},
}};
// The one scope every merchant kind may hold (a store's POS, issue 16); a key holding only
// scopes of this list needs no ka merchant.
inline constexpr std::array<std::string_view, 1> kEveryKindScopes = {"pos"};
bool ValidScope(std::string_view scope);

// ---- API keys ----

inline constexpr std::string_view kKeyPrefix = "xdk_";

struct ApiKey {
  int64_t id = 0, merchant_id = 0, created_by = 0;
  std::string name, prefix;
  std::vector<std::string> scopes;
  int64_t created_at_ms = 0;
  std::optional<int64_t> last_used_at_ms, revoked_at_ms;
};
// Never contains the secret: {id,name,prefix,scopes,created_at,last_used_at,revoked,revoked_at}.
Json ToJson(const ApiKey& k);

// FORBIDDEN unless the merchant is a ka merchant (the open platform is theirs, SPEC Actors).
Status RequireKa(Reader& r, int64_t merchant_id);

struct NewApiKey {
  ApiKey key;
  std::string secret;  // the full key text, returned once and never stored
};
// Creates a key for a ka merchant — or for any merchant when every scope is in
// kEveryKindScopes — (at most limits::kMaxApiKeysPerMerchant live keys). `scopes` must be
// non-empty, known and distinct; `name` 1..limits::kMaxApiKeyNameLen bytes.
Result<NewApiKey> CreateApiKey(Tx& tx, int64_t merchant_id, int64_t created_by, const std::string& name,
                               const std::vector<std::string>& scopes);
Result<std::vector<ApiKey>> ListApiKeys(Reader& r, int64_t merchant_id);
// Revokes at once (idempotent); NOT_FOUND for another merchant's key.
Result<ApiKey> RevokeApiKey(Tx& tx, int64_t merchant_id, int64_t key_id);

// True when `text` has the shape of an API key (so the HTTP layer never treats it as a session).
bool LooksLikeApiKey(std::string_view text);
// The live key whose text this is; UNAUTHENTICATED when unknown, malformed or revoked.
// Compares hashes in constant time.
Result<ApiKey> AuthenticateKey(Reader& r, const std::string& text);
bool HasScope(const ApiKey& k, std::string_view scope);

// ---- inventory and price sync ----

struct InventoryItem {
  std::optional<int64_t> sku_id;
  std::optional<std::string> code;  // the merchant's SKU code, instead of sku_id
  std::optional<int64_t> stock;     // available units (absolute), as PATCH /merchant/skus
  std::optional<int64_t> price_fen;
};
// Decodes {"items":[{sku_id|code, stock?, price_fen?}, ...]} (1..limits::kMaxSyncItems items, each naming one
// SKU once and changing something).
Result<std::vector<InventoryItem>> InventoryItemsFromJson(const Json& body);
// Applies every item or none (one transaction). Setting stock moves stock_in by the same
// delta, so stock_in = stock + reserved + sold holds and reserved units are untouched.
// NOT_FOUND (naming the item) for a SKU that is not the merchant's.
// Returns {"updated":n,"items":[{sku_id,code,price_fen,stock}]}.
Result<Json> SyncInventory(Tx& tx, int64_t merchant_id, const std::vector<InventoryItem>& items);

// ---- webhooks ----

// Event types an endpoint may subscribe to (the outbox events that concern one merchant): an
// order's life, refunds, an after-sales request's life, a new member and its points, a live
// room going live, ending or cancelled, a group buy's group opened, formed or failed, a SKU's
// stock falling below its low-stock threshold.
inline constexpr std::array<std::string_view, 23> kEventTypes = {
    "order.created",       "order.paid",          "order.shipped",       "order.delivered",
    "order.completed",     "order.cancelled",     "order.refunding",     "order.refunded",
    "refund.succeeded",    "aftersale.requested", "aftersale.approved",  "aftersale.rejected",
    "aftersale.returned",  "aftersale.received",  "member.card_claimed", "member.points_posted",
    "live.room_live",      "live.room_ended",     "live.room_cancelled", "group.opened",
    "group.succeeded",     "group.failed",        "stock.low"};
bool ValidEventType(std::string_view type);

inline constexpr int kMaxDeliveryAttempts = 8;
// Wait before attempt n+1 after n failed attempts (n = 1..7); after the 8th, `failed`.
inline constexpr std::array<int64_t, 7> kRetryBackoffMs = {10'000,          60'000,          5 * 60'000,     30 * 60'000,
                                                           2 * 3600'000LL, 6 * 3600'000LL, 12 * 3600'000LL};
inline constexpr int64_t kSignatureToleranceMs = 5 * 60 * 1000;
inline constexpr int64_t kOldSecretGraceMs = 24LL * 3600 * 1000;  // a rotated secret keeps signing this long

struct WebhookUrl {
  std::string host;
  uint16_t port = 80;
  std::string target;  // path and query, "/" at least
};
// http:// only (no TLS in this build), no user:password@, a host and an optional port.
// allow_private=false refuses loopback, private, link-local and unspecified IP literals and
// "localhost" (SSRF; names resolving to such addresses are refused by the sender's transport
// at connect time: decision 006).
Result<WebhookUrl> ParseWebhookUrl(const std::string& url, bool allow_private);

struct Endpoint {
  int64_t id = 0, merchant_id = 0;
  std::string url, description;
  std::vector<std::string> event_types;
  bool enabled = true;
  int64_t created_at_ms = 0, updated_at_ms = 0;
  std::string secret;  // for signing; ToJson never shows it
  std::optional<std::string> old_secret;
  std::optional<int64_t> old_secret_until_ms;
  int64_t from_seq = 0;
};
Json ToJson(const Endpoint& e);

struct EndpointInput {
  std::optional<std::string> url, description;
  std::optional<std::vector<std::string>> event_types;
  std::optional<bool> enabled;
};
// Decodes a create (all of url and event_types required) or patch body.
Result<EndpointInput> EndpointInputFromJson(const Json& body, bool create);

struct NewEndpoint {
  Endpoint endpoint;
  std::string secret;  // shown once
};
Result<NewEndpoint> CreateEndpoint(Tx& tx, int64_t merchant_id, const EndpointInput& in, bool allow_private);
Result<Endpoint> UpdateEndpoint(Tx& tx, int64_t merchant_id, int64_t endpoint_id, const EndpointInput& in, bool allow_private);
// Deletes the endpoint; its pending deliveries become `failed` ("endpoint deleted").
Status DeleteEndpoint(Tx& tx, int64_t merchant_id, int64_t endpoint_id);
// A new secret (shown once); the old one keeps signing beside it for kOldSecretGraceMs.
Result<NewEndpoint> RotateSecret(Tx& tx, int64_t merchant_id, int64_t endpoint_id);
Result<Endpoint> GetEndpoint(Reader& r, int64_t merchant_id, int64_t endpoint_id);
Result<std::vector<Endpoint>> ListEndpoints(Reader& r, int64_t merchant_id);

struct Delivery {
  int64_t id = 0, endpoint_id = 0, merchant_id = 0, event_seq = 0;
  std::string event_type, status, last_error;
  int attempts = 0;
  std::optional<int64_t> last_status_code, delivered_at_ms;
  int64_t next_attempt_at_ms = 0, created_at_ms = 0;
  Json body;  // the payload as sent
};
Json ToJson(const Delivery& d, bool with_body);
// The merchant's deliveries, newest first; optional endpoint and status filters.
Result<std::vector<Delivery>> ListDeliveries(Reader& r, int64_t merchant_id, std::optional<int64_t> endpoint_id,
                                             const std::string& status, int64_t limit, int64_t before_id);
Result<Delivery> GetDelivery(Reader& r, int64_t merchant_id, int64_t delivery_id);
// Queues a delivery again now (same delivery id, so receivers dedupe), attempts from zero.
Result<Delivery> Redeliver(Tx& tx, int64_t merchant_id, int64_t delivery_id);

// The signature header: "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>".
std::string SignatureHeader(const std::string& secret, int64_t unix_s, const std::string& body);
// Receiver side: INVALID_SIGNATURE unless some v1 in `header` is the HMAC of this body under
// `secret` (constant-time compare) and t is within 5 minutes of `now_ms`.
Status VerifyWebhookSignature(const std::string& secret, const std::string& header, const std::string& body, int64_t now_ms);

// How a delivery is POSTed: the sender gives host/port/target, the body and headers; the
// transport answers the HTTP status (0 with `error` when the connection failed or timed out).
struct WebhookRequest {
  std::string host;
  uint16_t port = 80;
  std::string target;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};
struct WebhookResponse {
  int status = 0;
  std::string error;
};
using WebhookTransport = std::function<WebhookResponse(const WebhookRequest&)>;
// Makes one transport per sender thread (a transport need not be thread-safe).
using WebhookTransportFactory = std::function<WebhookTransport()>;

struct OpenConfig {
  int sender_threads = 4;
  int poll_ms = 200;              // idle wait of the consumer and senders (real time)
  int consume_batch = 500;        // events per consumer transaction
  bool allow_private_hosts = false;
  int64_t key_touch_interval_ms = 60'000;  // last_used_at is written at most this often per key
  // A sender sends only what is on disk: it waits this long (real time) for the store to sync
  // the deliveries it read, else tries again later (decision 011).
  int durable_wait_ms = 2'000;
  // How long a sender's claim on the deliveries it is about to POST keeps other senders (on any
  // node) off them. Longer than a POST may take (AppOptions::webhook_timeout_ms, 10 s): a
  // sender does not start a POST once its lease has run out, but one that outlives its lease
  // may be sent again by another node. It is also how long a dead node's deliveries wait.
  int64_t claim_lease_ms = 60'000;
};

inline constexpr const char* kConsumerName = "open.webhooks";

class OpenService {
 public:
  OpenService(Store& store, OpenConfig config);
  ~OpenService();
  OpenService(const OpenService&) = delete;
  OpenService& operator=(const OpenService&) = delete;

  const OpenConfig& config() const { return config_; }
  void SetTransportFactory(WebhookTransportFactory f);
  // Starts the consumer thread and the sender threads; Stop joins them. Idempotent.
  void Start();
  void Stop();

  // Turns durable events after the cursor (never past Store::durable_event_seq) into
  // deliveries and advances the cursor, in one transaction (ConsumerRunner; CONFLICT if
  // another runner moved the cursor meanwhile; nothing written).
  // Returns how many events it read; 0 when no endpoint is enabled (the cursor then jumps to
  // the last event without reading any, and the feeder sleeps until its next poll).
  Result<int> ConsumeOnce();
  // Sends deliveries that are due now (at most `limit`) with a transport made for this call.
  // Returns how many it attempted. It first claims them for config.claim_lease_ms in one
  // command (webhook_deliveries.claimed_by, lease_until_ms): deliveries another sender holds,
  // on this node or another, are skipped; one whose lease has run out (its node died
  // mid-send) is claimed again. An outcome is recorded only while the claim is still ours.
  // Sends nothing the store has not synced yet: UNAVAILABLE when the sync does not come within
  // config.durable_wait_ms.
  Result<int> SendDueOnce(int limit = 100);
  // Records that a key was used, writing last_used_at_ms at most once per interval per key.
  void TouchKey(const ApiKey& key);

  // Invariants for `xiaodian check`: the cursor is not beyond the last event; every
  // delivery belongs to its endpoint's merchant, names a real event of its type that the
  // endpoint could receive (after from_seq, a known type); pending deliveries have attempts
  // left, and only they hold a sender's claim (claimed_by with lease_until_ms); live keys
  // belong to ka merchants and hold known scopes.
  Result<std::vector<std::string>> Check(Reader& r);

 private:
  Result<int> SendDue(WebhookTransport& transport, int limit);
  class WebhookFeed;

  Store& store_;
  OpenConfig config_;
  std::unique_ptr<WebhookFeed> feed_;
  std::unique_ptr<ConsumerRunner> runner_;
  std::mutex mu_;
  WebhookTransportFactory transport_factory_;
  std::map<int64_t, int64_t> key_touched_;  // key id → last write of last_used_at_ms
  const std::string holder_;  // this service's random token in webhook_deliveries.claimed_by
  bool running_ = false;
  std::condition_variable cv_;
  std::vector<std::thread> threads_;
};

}  // namespace xd::open
