// Webhooks of the open platform: endpoints, the outbox consumer that enqueues deliveries,
// the sender threads, signatures (see open.h). Delivery is at least once: a crash between a
// successful POST and the commit of its result sends it again with the same delivery id, and
// so does a node that dies holding a claim (once the claim's lease runs out, another node's
// sender takes it over). Senders on every node share the due deliveries by claiming them.
#include <algorithm>
#include <chrono>

#include "account/account.h"
#include "base/crypto.h"
#include "base/id.h"
#include "base/log.h"
#include "base/messages.h"
#include "base/thread_name.h"
#include "open/events.h"
#include "open/internal/crypto.h"
#include "open/open.h"
#include "store/retention.h"

namespace xd::open {

namespace {

constexpr const char* kEndpointCols =
    "id, merchant_id, url, description, event_types, secret, old_secret, old_secret_until_ms, enabled, from_seq, created_at_ms, "
    "updated_at_ms";

Endpoint EndpointFromRow(const Row& row) {
  Endpoint e;
  e.id = row.Int(0);
  e.merchant_id = row.Int(1);
  e.url = row.Str(2);
  e.description = row.Str(3);
  e.event_types = internal::StringList(row.JsonAt(4), "event_types").value_or(std::vector<std::string>{});
  e.secret = row.Str(5);
  if (!row.IsNull(6)) e.old_secret = row.Str(6);
  e.old_secret_until_ms = row.OptInt(7);
  e.enabled = row.Int(8) != 0;
  e.from_seq = row.Int(9);
  e.created_at_ms = row.Int(10);
  e.updated_at_ms = row.Int(11);
  return e;
}

constexpr const char* kDeliveryCols =
    "id, endpoint_id, merchant_id, event_seq, event_type, status, attempts, last_status_code, last_error, delivered_at_ms, "
    "next_attempt_at_ms, created_at_ms, body";

Delivery DeliveryFromRow(const Row& row) {
  Delivery d;
  d.id = row.Int(0);
  d.endpoint_id = row.Int(1);
  d.merchant_id = row.Int(2);
  d.event_seq = row.Int(3);
  d.event_type = row.Str(4);
  d.status = row.Str(5);
  d.attempts = static_cast<int>(row.Int(6));
  d.last_status_code = row.OptInt(7);
  d.last_error = row.Str(8);
  d.delivered_at_ms = row.OptInt(9);
  d.next_attempt_at_ms = row.Int(10);
  d.created_at_ms = row.Int(11);
  d.body = row.JsonAt(12);
  return d;
}

std::string NewSecret() { return "whsec_" + RandomBase64Url(32); }

bool IsDigits(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }); }

// Loopback, private, link-local, CGNAT, unspecified, multicast and reserved IPv4 literals.
bool PrivateIpv4(std::string_view host, bool* is_ipv4) {
  int parts[4];
  int n = 0;
  size_t start = 0;
  *is_ipv4 = false;
  while (n < 4) {
    size_t dot = host.find('.', start);
    std::string_view p = host.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (!IsDigits(p) || p.size() > 3) return false;
    parts[n++] = std::stoi(std::string(p));
    if (parts[n - 1] > 255) return false;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (n != 4 || host.find('.', start) != std::string_view::npos) return false;
  *is_ipv4 = true;
  int a = parts[0], b = parts[1];
  return a == 0 || a == 10 || a == 127 || (a == 169 && b == 254) || (a == 172 && b >= 16 && b <= 31) || (a == 192 && b == 168) ||
         (a == 100 && b >= 64 && b <= 127) || a >= 224;
}

}  // namespace

bool ValidEventType(std::string_view type) { return std::find(kEventTypes.begin(), kEventTypes.end(), type) != kEventTypes.end(); }

Result<WebhookUrl> ParseWebhookUrl(const std::string& url, bool allow_private) {
  if (url.size() > limits::kMaxUrlLen)
    return Fail(Msg::WEBHOOK_URL_TOO_LONG, {{"max", limits::kMaxUrlLen}});
  for (char c : url)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f || c == '\\')
      return Fail(Msg::WEBHOOK_URL_CHARS);
  if (url.rfind("https://", 0) == 0)
    return Fail(Msg::WEBHOOK_HTTPS_UNSUPPORTED);
  if (url.rfind("http://", 0) != 0) return Fail(Msg::WEBHOOK_URL_SCHEME);
  std::string rest = url.substr(7);
  if (rest.find('#') != std::string::npos) return Fail(Msg::WEBHOOK_URL_FRAGMENT);
  size_t end = rest.find_first_of("/?");
  std::string authority = rest.substr(0, end);
  std::string target = end == std::string::npos ? "/" : rest.substr(end);
  if (target[0] == '?') target = "/" + target;
  if (authority.find('@') != std::string::npos) return Fail(Msg::WEBHOOK_URL_CREDENTIALS);
  if (authority.find('[') != std::string::npos) return Fail(Msg::WEBHOOK_URL_IPV6);
  WebhookUrl out;
  size_t colon = authority.find(':');
  out.host = authority.substr(0, colon);
  if (colon != std::string::npos) {
    std::string port = authority.substr(colon + 1);
    if (!IsDigits(port) || port.size() > 5 || std::stoi(port) < 1 || std::stoi(port) > 65535)
      return Fail(Msg::WEBHOOK_URL_PORT);
    out.port = static_cast<uint16_t>(std::stoi(port));
  }
  if (out.host.empty() || out.host.size() > 253) return Fail(Msg::WEBHOOK_URL_HOST);
  for (char& c : out.host) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-')
      return Fail(Msg::WEBHOOK_URL_HOST_CHARS);
  }
  out.target = target;
  bool ipv4 = false;
  bool priv = PrivateIpv4(out.host, &ipv4);
  if (!ipv4 && std::all_of(out.host.begin(), out.host.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)) || c == '.'; }))
    return Fail(Msg::WEBHOOK_URL_HOST_FORM);
  bool local_name = out.host == "localhost" || (out.host.size() > 10 && out.host.ends_with(".localhost"));
  if (!allow_private && (priv || local_name))
    return Fail(Msg::WEBHOOK_URL_PRIVATE);
  return out;
}

Json ToJson(const Endpoint& e) {
  return Json{{"id", IdString(e.id)},
              {"url", e.url},
              {"description", e.description},
              {"event_types", e.event_types},
              {"enabled", e.enabled},
              {"secret_rotating", e.old_secret.has_value() && e.old_secret_until_ms.has_value()},
              {"created_at", FormatRfc3339(e.created_at_ms)},
              {"updated_at", FormatRfc3339(e.updated_at_ms)}};
}

Result<EndpointInput> EndpointInputFromJson(const Json& body, bool create) {
  if (!body.is_object()) return Fail(Msg::JSON_NOT_OBJECT);
  ObjectReader r(body);
  EndpointInput in;
  if (create) in.url = r.String("url", {.min_len = 8, .max_len = limits::kMaxUrlLen});
  else in.url = r.OptString("url", {.min_len = 8, .max_len = limits::kMaxUrlLen});
  in.description = r.OptString("description", {.max_len = limits::kMaxRemarkLen});
  const Json* types = create ? r.RequireArray("event_types", kEventTypes.size()) : r.Raw("event_types");
  if (body.contains("enabled")) in.enabled = r.Bool("enabled", true);
  RETURN_IF_ERROR(r.Finish());
  if (types) {
    ASSIGN_OR_RETURN(auto list, internal::StringList(*types, "event_types"));
    if (list.empty()) return Fail(Msg::FIELD_EMPTY, {Field("event_types")});
    std::sort(list.begin(), list.end());
    if (std::adjacent_find(list.begin(), list.end()) != list.end()) return Fail(Msg::FIELD_DUPLICATES, {Field("event_types")});
    for (auto& t : list)
      if (!ValidEventType(t)) return Fail(Msg::EVENT_TYPE_UNKNOWN, {{"event_type", t}});
    in.event_types = std::move(list);
  }
  if (!create && !in.url && !in.description && !in.event_types && !in.enabled)
    return Fail(Msg::NOTHING_TO_CHANGE);
  return in;
}

Result<Endpoint> GetEndpoint(Reader& r, int64_t merchant_id, int64_t endpoint_id) {
  ASSIGN_OR_RETURN(auto row, r.QueryOne(std::string("SELECT ") + kEndpointCols + " FROM webhook_endpoints WHERE id=? AND merchant_id=?",
                                        {endpoint_id, merchant_id}));
  if (!row) return Fail(Msg::WEBHOOK_NOT_FOUND);
  return EndpointFromRow(*row);
}

Result<std::vector<Endpoint>> ListEndpoints(Reader& r, int64_t merchant_id) {
  ASSIGN_OR_RETURN(Rows rows, r.Query(std::string("SELECT ") + kEndpointCols + " FROM webhook_endpoints WHERE merchant_id=? ORDER BY id",
                                      {merchant_id}));
  std::vector<Endpoint> out;
  for (auto& row : rows) out.push_back(EndpointFromRow(row));
  return out;
}

Result<NewEndpoint> CreateEndpoint(Tx& tx, int64_t merchant_id, const EndpointInput& in, bool allow_private) {
  RETURN_IF_ERROR(RequireKa(tx, merchant_id));
  if (!in.url || !in.event_types) return Fail(Msg::WEBHOOK_URL_AND_EVENTS_REQUIRED);
  RETURN_IF_ERROR(ParseWebhookUrl(*in.url, allow_private));
  RETURN_IF_ERROR(account::LockMerchant(tx, merchant_id));  // the limit is a count: one node at a time
  ASSIGN_OR_RETURN(int64_t n, tx.QueryInt("SELECT count(*) FROM webhook_endpoints WHERE merchant_id=?", {merchant_id}));
  if (n >= limits::kMaxWebhookEndpointsPerMerchant)
    return Fail(Msg::TOO_MANY_WEBHOOKS, {{"max", limits::kMaxWebhookEndpointsPerMerchant}});
  ASSIGN_OR_RETURN(int64_t from_seq, LastEventSeq(tx));
  int64_t id = tx.NewId(), now = tx.NowMs();
  std::string secret = NewSecret();
  RETURN_IF_ERROR(tx.Run("INSERT INTO webhook_endpoints(id, merchant_id, url, description, event_types, secret, enabled, from_seq, "
                         "created_at_ms, updated_at_ms) VALUES(?,?,?,?,?,?,?,?,?,?)",
                         {id, merchant_id, *in.url, in.description.value_or(""), DumpJson(Json(*in.event_types)), secret,
                          in.enabled.value_or(true), from_seq, now, now}));
  RETURN_IF_ERROR(Emit(tx, EndpointChanged{EndpointChanged::What::kCreated, id, merchant_id}));
  ASSIGN_OR_RETURN(Endpoint e, GetEndpoint(tx, merchant_id, id));
  return NewEndpoint{std::move(e), secret};
}

Result<Endpoint> UpdateEndpoint(Tx& tx, int64_t merchant_id, int64_t endpoint_id, const EndpointInput& in, bool allow_private) {
  RETURN_IF_ERROR(RequireKa(tx, merchant_id));
  ASSIGN_OR_RETURN(Endpoint e, GetEndpoint(tx, merchant_id, endpoint_id));
  if (in.url) RETURN_IF_ERROR(ParseWebhookUrl(*in.url, allow_private));
  std::optional<std::string> types;
  if (in.event_types) types = DumpJson(Json(*in.event_types));
  std::optional<int64_t> enabled;
  if (in.enabled) enabled = *in.enabled ? 1 : 0;
  RETURN_IF_ERROR(tx.Run("UPDATE webhook_endpoints SET url=COALESCE(?, url), description=COALESCE(?, description), "
                         "event_types=COALESCE(?, event_types), enabled=COALESCE(?, enabled), updated_at_ms=? WHERE id=?",
                         {in.url, in.description, types, enabled, tx.NowMs(), e.id}));
  return GetEndpoint(tx, merchant_id, endpoint_id);
}

Status DeleteEndpoint(Tx& tx, int64_t merchant_id, int64_t endpoint_id) {
  RETURN_IF_ERROR(RequireKa(tx, merchant_id));
  RETURN_IF_ERROR(GetEndpoint(tx, merchant_id, endpoint_id));
  RETURN_IF_ERROR(tx.Run("UPDATE webhook_deliveries SET status='failed', last_error='endpoint deleted', updated_at_ms=?, "
                         "claimed_by=NULL, lease_until_ms=NULL WHERE endpoint_id=? AND status='pending'",
                         {tx.NowMs(), endpoint_id}));
  RETURN_IF_ERROR(tx.Run("DELETE FROM webhook_endpoints WHERE id=?", {endpoint_id}));
  return Emit(tx, EndpointChanged{EndpointChanged::What::kDeleted, endpoint_id, merchant_id});
}

Result<NewEndpoint> RotateSecret(Tx& tx, int64_t merchant_id, int64_t endpoint_id) {
  RETURN_IF_ERROR(RequireKa(tx, merchant_id));
  ASSIGN_OR_RETURN(Endpoint e, GetEndpoint(tx, merchant_id, endpoint_id));
  std::string secret = NewSecret();
  int64_t now = tx.NowMs();
  RETURN_IF_ERROR(tx.Run("UPDATE webhook_endpoints SET old_secret=secret, old_secret_until_ms=?, secret=?, updated_at_ms=? WHERE id=?",
                         {now + kOldSecretGraceMs, secret, now, e.id}));
  RETURN_IF_ERROR(Emit(tx, EndpointChanged{EndpointChanged::What::kSecretRotated, e.id, merchant_id}));
  ASSIGN_OR_RETURN(Endpoint updated, GetEndpoint(tx, merchant_id, endpoint_id));
  return NewEndpoint{std::move(updated), secret};
}

Json ToJson(const Delivery& d, bool with_body) {
  Json j{{"id", IdString(d.id)},
         {"endpoint_id", IdString(d.endpoint_id)},
         {"event_id", IdString(d.event_seq)},
         {"event_type", d.event_type},
         {"status", d.status},
         {"attempts", d.attempts},
         {"last_status_code", d.last_status_code ? Json(*d.last_status_code) : Json(nullptr)},
         {"last_error", d.last_error},
         {"next_attempt_at", d.status == "pending" ? Json(FormatRfc3339(d.next_attempt_at_ms)) : Json(nullptr)},
         {"delivered_at", d.delivered_at_ms ? Json(FormatRfc3339(*d.delivered_at_ms)) : Json(nullptr)},
         {"created_at", FormatRfc3339(d.created_at_ms)}};
  if (with_body) j["body"] = d.body;
  return j;
}

Result<std::vector<Delivery>> ListDeliveries(Reader& r, int64_t merchant_id, std::optional<int64_t> endpoint_id,
                                             const std::string& status, int64_t limit, int64_t before_id) {
  ASSIGN_OR_RETURN(Rows rows, r.Query(std::string("SELECT ") + kDeliveryCols +
                                          " FROM webhook_deliveries WHERE merchant_id=?1 AND (endpoint_id=?2 OR ?2 IS NULL) "
                                          "AND (?3='' OR status=?3) AND (?4=0 OR id<?4) ORDER BY id DESC LIMIT ?5",
                                      {merchant_id, endpoint_id, status, before_id, limit}));
  std::vector<Delivery> out;
  for (auto& row : rows) out.push_back(DeliveryFromRow(row));
  return out;
}

Result<Delivery> GetDelivery(Reader& r, int64_t merchant_id, int64_t delivery_id) {
  ASSIGN_OR_RETURN(auto row, r.QueryOne(std::string("SELECT ") + kDeliveryCols + " FROM webhook_deliveries WHERE id=? AND merchant_id=?",
                                        {delivery_id, merchant_id}));
  if (!row) return Fail(Msg::DELIVERY_NOT_FOUND);
  return DeliveryFromRow(*row);
}

Result<Delivery> Redeliver(Tx& tx, int64_t merchant_id, int64_t delivery_id) {
  RETURN_IF_ERROR(RequireKa(tx, merchant_id));
  ASSIGN_OR_RETURN(Delivery d, GetDelivery(tx, merchant_id, delivery_id));
  ASSIGN_OR_RETURN(auto endpoint, tx.QueryOne("SELECT id FROM webhook_endpoints WHERE id=?", {d.endpoint_id}));
  if (!endpoint) return Fail(Msg::DELIVERY_ENDPOINT_DELETED);
  // A sender holding the delivery right now keeps sending, but its outcome is not recorded (the
  // claim is gone): the redelivery is sent again from attempt 0.
  RETURN_IF_ERROR(tx.Run("UPDATE webhook_deliveries SET status='pending', attempts=0, next_attempt_at_ms=?, delivered_at_ms=NULL, "
                         "updated_at_ms=?, claimed_by=NULL, lease_until_ms=NULL WHERE id=?",
                         {tx.NowMs(), tx.NowMs(), d.id}));
  return GetDelivery(tx, merchant_id, delivery_id);
}

// ---- signatures ----

std::string SignatureHeader(const std::string& secret, int64_t unix_s, const std::string& body) {
  std::string t = std::to_string(unix_s);
  return "t=" + t + ",v1=" + HmacSha256Hex(secret, t + "." + body);
}

Status VerifyWebhookSignature(const std::string& secret, const std::string& header, const std::string& body, int64_t now_ms) {
  std::optional<int64_t> t;
  std::string t_text;
  std::vector<std::string> v1s;
  size_t start = 0;
  if (header.size() > 1000) return Fail(Msg::SIGNATURE_HEADER_MALFORMED);
  while (start <= header.size()) {
    size_t comma = header.find(',', start);
    std::string part = header.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (part.rfind("t=", 0) == 0 && IsDigits(part.substr(2)) && part.size() <= 14) {
      t_text = part.substr(2);
      t = std::stoll(t_text);
    } else if (part.rfind("v1=", 0) == 0) {
      v1s.push_back(part.substr(3));
    }
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (!t || v1s.empty()) return Fail(Msg::SIGNATURE_HEADER_MALFORMED);
  int64_t skew_ms = now_ms - *t * 1000;
  if (skew_ms > kSignatureToleranceMs || skew_ms < -kSignatureToleranceMs)
    return Fail(Msg::SIGNATURE_STALE);
  std::string expected = HmacSha256Hex(secret, t_text + "." + body);
  bool ok = false;
  for (auto& v : v1s) ok |= ConstantTimeEqual(expected, v);  // no early exit
  if (!ok) return Fail(Msg::SIGNATURE_MISMATCH);
  return Ok();
}

// ---- the service: consumer and senders ----

// The webhook feeder as an outbox consumer: each durable event a merchant's enabled endpoint
// subscribes to becomes one delivery per endpoint, in the transaction that advances the
// cursor. The body is the event's envelope with its payload — the facts as they were at the
// event (decision 014), never the order as it is when the feeder runs.
class OpenService::WebhookFeed final : public OutboxConsumer {
 public:
  std::string_view name() const override { return kConsumerName; }

  Result<bool> Wanted(Reader& r) override {
    ASSIGN_OR_RETURN(int64_t live, r.QueryInt("SELECT count(*) FROM webhook_endpoints WHERE enabled=1"));
    // None: the cursor skips ahead. An endpoint created later starts after its own from_seq,
    // which is past these (same snapshot).
    return live > 0;
  }

  Result<Command> Prepare(Reader& r, const std::vector<Store::Event>& events) override {
    struct Planned {
      int64_t endpoint_id, merchant_id, seq;
      std::string type, body;
    };
    std::vector<Planned> plan;
    std::map<int64_t, std::vector<Endpoint>> by_merchant;
    for (auto& e : events) {
      if (!ValidEventType(e.head.type)) continue;
      int64_t merchant_id = e.head.merchant_id;
      if (merchant_id == 0) continue;  // written before the envelope (migration 018): no merchant to send to
      auto it = by_merchant.find(merchant_id);
      if (it == by_merchant.end()) {
        ASSIGN_OR_RETURN(auto list, ListEndpoints(r, merchant_id));
        it = by_merchant.emplace(merchant_id, std::move(list)).first;
      }
      std::optional<std::string> body;
      for (auto& ep : it->second) {
        if (!ep.enabled || e.seq <= ep.from_seq) continue;
        if (std::find(ep.event_types.begin(), ep.event_types.end(), e.head.type) == ep.event_types.end()) continue;
        if (!body) {
          Json envelope = e.Envelope();
          envelope["created_at"] = envelope["occurred_at"];  // the name before the envelope; kept for receivers
          body = DumpJson(envelope);
        }
        plan.push_back(Planned{ep.id, merchant_id, e.seq, e.head.type, *body});
      }
    }
    return Command([plan = std::move(plan)](Tx& tx) -> Status {
      int64_t now = tx.NowMs();
      for (auto& p : plan) {
        // The endpoint may have been deleted or paused since the snapshot.
        RETURN_IF_ERROR(tx.Run("INSERT INTO webhook_deliveries(id, endpoint_id, merchant_id, event_seq, event_type, body, "
                               "status, next_attempt_at_ms, created_at_ms, updated_at_ms) "
                               "SELECT ?,?,?,?,?,?,'pending',?,?,? WHERE EXISTS(SELECT 1 FROM webhook_endpoints WHERE id=? AND enabled=1) "
                               "ON CONFLICT DO NOTHING",
                               {tx.NewId(), p.endpoint_id, p.merchant_id, p.seq, p.type, p.body, now, now, now, p.endpoint_id}));
      }
      return Ok();
    });
  }
};

OpenService::OpenService(Store& store, OpenConfig config)
    : store_(store),
      config_(config),
      feed_(std::make_unique<WebhookFeed>()),
      runner_(std::make_unique<ConsumerRunner>(store, *feed_, config.consume_batch)),
      holder_("hook_" + RandomHex(8)) {}

OpenService::~OpenService() { Stop(); }

void OpenService::SetTransportFactory(WebhookTransportFactory f) {
  std::lock_guard lock(mu_);
  transport_factory_ = std::move(f);
}

void OpenService::Start() {
  std::lock_guard lock(mu_);
  if (running_) return;
  running_ = true;
  auto wait = [this] {
    std::unique_lock l(mu_);
    cv_.wait_for(l, std::chrono::milliseconds(config_.poll_ms), [this] { return !running_; });
  };
  threads_.emplace_back([this, wait] {
    SetThreadName("xd-hookfeed");
    while (true) {
      {
        std::lock_guard l(mu_);
        if (!running_) return;
      }
      auto n = ConsumeOnce();
      if (!n && n.error().code != ErrorCode::CONFLICT) spdlog::warn("event=webhook_consume_failed error={}", n.error().message);
      if (n && *n > 0) {
        cv_.notify_all();  // wake the senders
        continue;
      }
      wait();
    }
  });
  for (int i = 0; i < config_.sender_threads; ++i) {
    WebhookTransport transport = transport_factory_ ? transport_factory_() : WebhookTransport();
    threads_.emplace_back([this, wait, transport]() mutable {
      SetThreadName("xd-hooksend");
      while (true) {
        {
          std::lock_guard l(mu_);
          if (!running_) return;
        }
        auto n = transport ? SendDue(transport, 1) : Result<int>(0);
        if (!n) spdlog::warn("event=webhook_send_failed error={}", n.error().message);
        if (n && *n > 0) continue;
        wait();
      }
    });
  }
}

void OpenService::Stop() {
  {
    std::lock_guard lock(mu_);
    if (!running_) return;
    running_ = false;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

void OpenService::TouchKey(const ApiKey& key) {
  int64_t now = store_.clock().NowMs();
  if (key.last_used_at_ms && now - *key.last_used_at_ms < config_.key_touch_interval_ms) return;
  {
    std::lock_guard lock(mu_);
    auto it = key_touched_.find(key.id);
    if (it != key_touched_.end() && now - it->second < config_.key_touch_interval_ms) return;
    key_touched_[key.id] = now;
  }
  int64_t id = key.id;
  store_.Submit([id, now](Tx& tx) { return tx.Run("UPDATE api_keys SET last_used_at_ms=? WHERE id=? AND (last_used_at_ms IS NULL OR last_used_at_ms<?)",
                                                  {now, id, now}); },
                [](Status) {});
}

Result<int> OpenService::ConsumeOnce() { return runner_->RunOnce(); }

Result<int> OpenService::SendDueOnce(int limit) {
  WebhookTransport transport;
  {
    std::lock_guard lock(mu_);
    if (transport_factory_) transport = transport_factory_();
  }
  if (!transport) return Fail(ErrorCode::UNAVAILABLE, "no webhook transport configured");
  return SendDue(transport, limit);
}

// Deliveries due now that nobody holds: pending, their time come, no lease or one that ran
// out, their endpoint enabled. Binds ?1 now.
constexpr const char* kClaimable =
    "d.status='pending' AND d.next_attempt_at_ms <= ?1 AND (d.lease_until_ms IS NULL OR d.lease_until_ms <= ?1) "
    "AND EXISTS(SELECT 1 FROM webhook_endpoints e WHERE e.id = d.endpoint_id AND e.enabled=1)";

Result<int> OpenService::SendDue(WebhookTransport& transport, int limit) {
  struct Due {
    int64_t id, endpoint_id;
    std::string event_type, body, url, secret;
    std::optional<std::string> old_secret;
    std::optional<int64_t> old_until_ms;
    int attempts;
  };
  const int64_t now = store_.clock().NowMs();
  // A look first: an idle sender polls every poll_ms and must not make a write each time.
  ASSIGN_OR_RETURN(int64_t claimable, store_.Read([&](Reader& r) {
    return r.QueryInt(std::string("SELECT count(*) FROM (SELECT 1 FROM webhook_deliveries d WHERE ") + kClaimable + " LIMIT 1) AS x",
                      {now});
  }));
  if (claimable == 0) return 0;
  // Nothing leaves the process for a delivery row a crash could take back (decision 011). The
  // claim's own commit below is durable when Execute returns, and with it every commit before
  // it, so whatever it claims is on disk; this bounded wait only keeps a sender from blocking
  // on a stalled sync (it tries again later).
  RETURN_IF_ERROR(store_.WaitDurable(store_.visible_commits(), config_.durable_wait_ms));
  // The claim, one command: rows another node's claim has locked are skipped, not waited for
  // (SkipLocked, PostgreSQL); a row whose lease has not passed is not claimable at all. So two
  // senders, on this node or another, never hold the same delivery while the lease lasts.
  const int64_t lease_until_ms = now + config_.claim_lease_ms;
  std::vector<Due> mine;
  RETURN_IF_ERROR(store_.Execute([&](Tx& tx) -> Status {
    mine.clear();  // PostgreSQL may run a command again after a serialization failure
    ASSIGN_OR_RETURN(Rows claimed,
                     tx.Query(std::string("UPDATE webhook_deliveries SET claimed_by=?2, lease_until_ms=?3 WHERE id IN "
                                          "(SELECT d.id FROM webhook_deliveries d WHERE ") +
                                  kClaimable + " ORDER BY d.next_attempt_at_ms, d.id LIMIT ?4" + std::string(tx.dialect().SkipLocked()) +
                                  ") RETURNING id, endpoint_id, event_type, body, attempts",
                              {now, holder_, lease_until_ms, int64_t{limit}}));
    if (claimed.empty()) return Ok();
    std::vector<int64_t> endpoint_ids;
    for (auto& row : claimed) endpoint_ids.push_back(row.Int(1));
    ASSIGN_OR_RETURN(Rows endpoints, tx.Query("SELECT id, url, secret, old_secret, old_secret_until_ms FROM webhook_endpoints WHERE id IN " +
                                                  tx.dialect().IdsIn("?1"),
                                              {IdListParam(endpoint_ids)}));
    std::map<int64_t, const Row*> by_id;
    for (auto& e : endpoints) by_id[e.Int(0)] = &e;
    for (auto& row : claimed) {
      const Row& e = *by_id.at(row.Int(1));  // the claim saw it enabled in this transaction
      Due d{row.Int(0), row.Int(1), row.Str(2), row.Str(3), e.Str(1), e.Str(2), std::nullopt, e.OptInt(4), static_cast<int>(row.Int(4))};
      if (!e.IsNull(3)) d.old_secret = e.Str(3);
      mine.push_back(std::move(d));
    }
    return Ok();
  }));
  std::sort(mine.begin(), mine.end(), [](const Due& a, const Due& b) { return a.id < b.id; });
  int sent = 0;
  for (auto& d : mine) {
    int64_t sent_ms = store_.clock().NowMs();
    // Our lease ran out while earlier POSTs of this round were slow: another sender may hold the
    // delivery now. Leave it to whoever claims it next.
    if (sent_ms >= lease_until_ms) continue;
    ++sent;
    WebhookResponse res;
    auto url = ParseWebhookUrl(d.url, true);
    if (!url) {
      res.error = url.error().message;
    } else {
      std::string sig = SignatureHeader(d.secret, sent_ms / 1000, d.body);
      if (d.old_secret && d.old_until_ms && *d.old_until_ms > sent_ms)
        sig += ",v1=" + HmacSha256Hex(*d.old_secret, std::to_string(sent_ms / 1000) + "." + d.body);
      WebhookRequest req{url->host, url->port, url->target, d.body,
                         {{"User-Agent", "xiaodian-webhooks/1"},
                          {"X-Xiaodian-Event", d.event_type},
                          {"X-Xiaodian-Delivery", IdString(d.id)},
                          {"X-Xiaodian-Signature", sig}}};
      res = transport(req);
    }
    bool ok = res.status >= 200 && res.status < 300;
    int attempts = d.attempts + 1;
    int64_t done_ms = store_.clock().NowMs();
    std::string status = ok ? "delivered" : attempts >= kMaxDeliveryAttempts ? "failed" : "pending";
    int64_t next = ok || status == "failed" ? done_ms : done_ms + kRetryBackoffMs[std::min<size_t>(attempts - 1, kRetryBackoffMs.size() - 1)];
    std::optional<int64_t> code;
    if (res.status > 0) code = res.status;
    std::string error = ok ? "" : res.status > 0 ? "HTTP " + std::to_string(res.status) : res.error.substr(0, 200);
    std::optional<int64_t> delivered;
    if (ok) delivered = done_ms;
    // Only under our claim: if the lease ran out and another sender claimed the delivery (or a
    // redelivery or the endpoint's deletion cleared the claim), its outcome is the one to keep.
    auto recorded = store_.ExecuteFor<int64_t>([&](Tx& tx) {
      return tx.Exec("UPDATE webhook_deliveries SET status=?, attempts=?, last_status_code=?, last_error=?, next_attempt_at_ms=?, "
                     "delivered_at_ms=?, updated_at_ms=?, claimed_by=NULL, lease_until_ms=NULL "
                     "WHERE id=? AND status='pending' AND claimed_by=? AND lease_until_ms=?",
                     {status, int64_t{attempts}, code, error, next, delivered, done_ms, d.id, holder_, lease_until_ms});
    });
    if (!recorded) spdlog::warn("event=webhook_record_failed delivery={} error={}", d.id, recorded.error().message);
    else if (*recorded == 0) spdlog::info("event=webhook_claim_lost delivery={} ok={}", d.id, ok);
    if (!ok) spdlog::info("event=webhook_attempt_failed delivery={} attempts={} status={} error={}", d.id, attempts, status, error);
  }
  return sent;
}

Result<std::vector<std::string>> OpenService::Check(Reader& r) {
  std::vector<std::string> problems;  // (its cursor: CheckOutbox, with every consumer's)
  ASSIGN_OR_RETURN(Rows foreign, r.Query("SELECT d.id FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id "
                                         "WHERE e.merchant_id <> d.merchant_id OR d.event_seq <= e.from_seq LIMIT 20"));
  for (auto& row : foreign)
    problems.push_back("webhook delivery " + IdString(row.Int(0)) + " is not its endpoint's merchant's or predates the endpoint");
  // Events retention deleted (at or below its horizon) are no longer there to compare.
  ASSIGN_OR_RETURN(int64_t pruned, PrunedThroughSeq(r));
  ASSIGN_OR_RETURN(Rows orphan, r.Query("SELECT d.id, d.event_type FROM webhook_deliveries d LEFT JOIN events v ON v.seq = d.event_seq "
                                        "WHERE d.event_seq > ? AND (v.seq IS NULL OR v.type <> d.event_type) LIMIT 20",
                                        {pruned}));
  for (auto& row : orphan) problems.push_back("webhook delivery " + IdString(row.Int(0)) + " names no " + row.Str(1) + " event");
  ASSIGN_OR_RETURN(Rows types, r.Query("SELECT DISTINCT event_type FROM webhook_deliveries"));
  for (auto& row : types)
    if (!ValidEventType(row.Str(0))) problems.push_back("webhook deliveries of unknown event type " + row.Str(0));
  ASSIGN_OR_RETURN(Rows stuck, r.Query("SELECT id FROM webhook_deliveries WHERE (status='pending' AND attempts >= ?) "
                                       "OR (status='delivered' AND delivered_at_ms IS NULL) LIMIT 20",
                                       {int64_t{kMaxDeliveryAttempts}}));
  for (auto& row : stuck) problems.push_back("webhook delivery " + IdString(row.Int(0)) + " has an impossible status/attempts");
  // A claim is a pair, and only a pending delivery is ever held (every outcome clears it).
  ASSIGN_OR_RETURN(Rows claims, r.Query("SELECT id FROM webhook_deliveries WHERE (claimed_by IS NULL) <> (lease_until_ms IS NULL) "
                                        "OR (claimed_by IS NOT NULL AND status <> 'pending') LIMIT 20"));
  for (auto& row : claims) problems.push_back("webhook delivery " + IdString(row.Int(0)) + " has a half or stale sender claim");
  ASSIGN_OR_RETURN(Rows keys, r.Query("SELECT id, merchant_id, scopes FROM api_keys WHERE revoked_at_ms IS NULL"));
  for (auto& row : keys) {
    ASSIGN_OR_RETURN(account::Merchant m, account::GetMerchant(r, row.Int(1)));
    Json scopes = row.JsonAt(2);
    // Other kinds hold keys of kEveryKindScopes only (a store's POS).
    bool every_kind = scopes.is_array() && !scopes.empty();
    if (every_kind)
      for (auto& s : scopes)
        every_kind = every_kind && s.is_string() &&
                     std::ranges::find(kEveryKindScopes, s.get<std::string>()) != kEveryKindScopes.end();
    if (m.kind != "ka" && !every_kind)
      problems.push_back("API key " + IdString(row.Int(0)) + " belongs to a " + m.kind + " merchant");
    bool ok = scopes.is_array() && !scopes.empty();
    if (ok)
      for (auto& s : scopes) ok = ok && s.is_string() && ValidScope(s.get<std::string>());
    if (!ok) problems.push_back("API key " + IdString(row.Int(0)) + " has invalid scopes");
  }
  return problems;
}

}  // namespace xd::open
