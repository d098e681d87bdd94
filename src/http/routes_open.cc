// Routes of the open platform: API keys (owner), the ERP inventory/price sync, webhook
// endpoints and deliveries — and the one table saying which routes API keys may call.
#include <array>

#include "base/id.h"
#include "base/messages.h"
#include "http/api.h"
#include "open/open.h"

namespace xd::http {

using account::Perm;

namespace {

struct RouteScope {
  std::string_view method, pattern, scope;
};
// Default deny: a route not listed here refuses API keys, whatever it does.
constexpr std::array<RouteScope, 28> kRouteScopes = {{
    {"GET", "/api/v1/merchant/products", "products:read"},
    {"GET", "/api/v1/merchant/products/{id}", "products:read"},
    {"POST", "/api/v1/merchant/products", "products:write"},
    {"PATCH", "/api/v1/merchant/products/{id}", "products:write"},
    {"PATCH", "/api/v1/merchant/skus/{id}", "inventory:write"},
    {"POST", "/api/v1/open/inventory", "inventory:write"},
    {"GET", "/api/v1/merchant/orders", "orders:read"},
    {"GET", "/api/v1/merchant/orders/{id}", "orders:read"},
    {"POST", "/api/v1/merchant/orders/{id}/ship", "orders:write"},
    {"POST", "/api/v1/merchant/orders/{id}/tracking", "orders:write"},
    {"GET", "/api/v1/merchant/aftersales", "aftersales:read"},
    {"POST", "/api/v1/merchant/aftersales/{id}/approve", "aftersales:write"},
    {"POST", "/api/v1/merchant/aftersales/{id}/reject", "aftersales:write"},
    {"POST", "/api/v1/merchant/aftersales/{id}/receive", "aftersales:write"},
    {"GET", "/api/v1/merchant/webhooks", "webhooks:manage"},
    {"POST", "/api/v1/merchant/webhooks", "webhooks:manage"},
    {"GET", "/api/v1/merchant/webhooks/{id}", "webhooks:manage"},
    {"PATCH", "/api/v1/merchant/webhooks/{id}", "webhooks:manage"},
    {"DELETE", "/api/v1/merchant/webhooks/{id}", "webhooks:manage"},
    {"POST", "/api/v1/merchant/webhooks/{id}/rotate-secret", "webhooks:manage"},
    {"GET", "/api/v1/merchant/webhook-deliveries", "webhooks:manage"},
    {"GET", "/api/v1/merchant/webhook-deliveries/{id}", "webhooks:manage"},
    {"POST", "/api/v1/merchant/webhook-deliveries/{id}/redeliver", "webhooks:manage"},
    {"POST", "/api/v1/open/pos/purchases", "pos"},
    {"GET", "/api/v1/open/pos/purchases/{id}", "pos"},
    {"POST", "/api/v1/open/pos/purchases/{id}/refund", "pos"},
    {"GET", "/api/v1/merchant/exports/orders", "export"},
    {"GET", "/api/v1/merchant/exports/events", "export"},
}};

Json EndpointWithSecret(const open::NewEndpoint& n) {
  Json j = open::ToJson(n.endpoint);
  j["secret"] = n.secret;
  return j;
}

// Webhook urls may name loopback/private hosts (development only: --webhook-allow-private).
bool AllowPrivateHosts(const AppContext& app) {
  return app.open && app.open->config().allow_private_hosts;
}

Status GetOpenMeta(Call& c) {
  Json scopes = Json::array();
  for (auto& s : open::kScopes)
    scopes.push_back(Json{{"name", s.name}, {"description", s.description}});
  Json routes = Json::array();
  for (auto& r : kRouteScopes)
    routes.push_back(Json{{"method", r.method}, {"path", r.pattern}, {"scope", r.scope}});
  Json backoff = Json::array();
  for (int64_t ms : open::kRetryBackoffMs) backoff.push_back(ms / 1000);
  c.Reply(Json{{"scopes", scopes},
               {"routes", routes},
               {"event_types", open::kEventTypes},
               {"max_attempts", open::kMaxDeliveryAttempts},
               {"retry_backoff_s", backoff},
               {"signature_tolerance_s", open::kSignatureToleranceMs / 1000}});
  return Ok();
}

Status ListApiKeys(Call& c) {
  Store& store = c.app().store;
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kSettings));
  // Every kind lists its keys: a c2c or b2c shop holds POS keys (open::kEveryKindScopes).
  ASSIGN_OR_RETURN(auto keys, store.Read([&](Reader& r) -> Result<std::vector<open::ApiKey>> {
    return open::ListApiKeys(r, s.merchant_id);
  }));
  Json items = Json::array();
  for (auto& k : keys) items.push_back(open::ToJson(k));
  c.Reply(ListJson(items, 0));
  return Ok();
}

Status CreateApiKey(Call& c) {
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kSettings));
  ASSIGN_OR_RETURN(Json body, c.Body());
  if (!body.is_object()) return Fail(Msg::JSON_NOT_OBJECT);
  ObjectReader r(body);
  std::string name = r.String("name", {.min_len = 1, .max_len = limits::kMaxApiKeyNameLen});
  const Json* scopes_j = r.RequireArray("scopes", open::kScopes.size());
  RETURN_IF_ERROR(r.Finish());
  ASSIGN_OR_RETURN(auto scopes, [&]() -> Result<std::vector<std::string>> {
    std::vector<std::string> out;
    for (auto& v : *scopes_j) {
      if (!v.is_string()) return Fail(Msg::FIELD_NOT_TEXT, {Field("scopes")});
      out.push_back(v.get<std::string>());
    }
    return out;
  }());
  c.Write(
      s,
      [name, scopes](Tx& tx, const StaffCaller& s) -> Result<Json> {
        ASSIGN_OR_RETURN(open::NewApiKey k,
                         open::CreateApiKey(tx, s.merchant_id, s.principal.user_id, name, scopes));
        Json j = open::ToJson(k.key);
        j["secret"] = k.secret;
        return j;
      },
      201);
  return Ok();
}

Status RevokeApiKey(Call& c) {
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kSettings));
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  c.Write(s, [id](Tx& tx, const StaffCaller& s) -> Result<Json> {
    ASSIGN_OR_RETURN(open::ApiKey k, open::RevokeApiKey(tx, s.merchant_id, id));
    return open::ToJson(k);
  });
  return Ok();
}

Status SyncInventory(Call& c) {
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kProducts));
  ASSIGN_OR_RETURN(Json body, c.Body());
  ASSIGN_OR_RETURN(auto items, open::InventoryItemsFromJson(body));
  std::string scope =
      s.api_key_id ? "open.inventory:key" + IdString(s.api_key_id) : "open.inventory";
  c.WriteIdempotent(
      s, scope,
      [items = std::move(items)](Tx& tx, const StaffCaller& s) -> Result<Json> {
        return open::SyncInventory(tx, s.merchant_id, items);
      },
      200);
  return Ok();
}

Status ListWebhooks(Call& c) {
  Store& store = c.app().store;
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kSettings));
  ASSIGN_OR_RETURN(auto list, store.Read([&](Reader& r) -> Result<std::vector<open::Endpoint>> {
    RETURN_IF_ERROR(open::RequireKa(r, s.merchant_id));
    return open::ListEndpoints(r, s.merchant_id);
  }));
  Json items = Json::array();
  for (auto& e : list) items.push_back(open::ToJson(e));
  c.Reply(ListJson(items, 0));
  return Ok();
}

Status CreateWebhook(Call& c) {
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kSettings));
  ASSIGN_OR_RETURN(Json body, c.Body());
  ASSIGN_OR_RETURN(open::EndpointInput in, open::EndpointInputFromJson(body, true));
  bool priv = AllowPrivateHosts(c.app());
  RETURN_IF_ERROR(open::ParseWebhookUrl(*in.url, priv));
  c.Write(
      s,
      [in, priv](Tx& tx, const StaffCaller& s) -> Result<Json> {
        ASSIGN_OR_RETURN(open::NewEndpoint e, open::CreateEndpoint(tx, s.merchant_id, in, priv));
        return EndpointWithSecret(e);
      },
      201);
  return Ok();
}

Status GetWebhook(Call& c) {
  Store& store = c.app().store;
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kSettings));
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  ASSIGN_OR_RETURN(open::Endpoint e, store.Read([&](Reader& r) -> Result<open::Endpoint> {
    RETURN_IF_ERROR(open::RequireKa(r, s.merchant_id));
    return open::GetEndpoint(r, s.merchant_id, id);
  }));
  c.Reply(open::ToJson(e));
  return Ok();
}

Status UpdateWebhook(Call& c) {
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kSettings));
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  ASSIGN_OR_RETURN(Json body, c.Body());
  ASSIGN_OR_RETURN(open::EndpointInput in, open::EndpointInputFromJson(body, false));
  bool priv = AllowPrivateHosts(c.app());
  c.Write(s, [id, in, priv](Tx& tx, const StaffCaller& s) -> Result<Json> {
    ASSIGN_OR_RETURN(open::Endpoint e, open::UpdateEndpoint(tx, s.merchant_id, id, in, priv));
    return open::ToJson(e);
  });
  return Ok();
}

Status DeleteWebhook(Call& c) {
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kSettings));
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  c.Write(
      s,
      [id](Tx& tx, const StaffCaller& s) -> Result<Json> {
        RETURN_IF_ERROR(open::DeleteEndpoint(tx, s.merchant_id, id));
        return Json();
      },
      204);
  return Ok();
}

Status RotateWebhookSecret(Call& c) {
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kSettings));
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  c.Write(s, [id](Tx& tx, const StaffCaller& s) -> Result<Json> {
    ASSIGN_OR_RETURN(open::NewEndpoint e, open::RotateSecret(tx, s.merchant_id, id));
    return EndpointWithSecret(e);
  });
  return Ok();
}

Status ListDeliveries(Call& c) {
  Store& store = c.app().store;
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kSettings));
  ASSIGN_OR_RETURN(auto page, c.Page());
  std::optional<int64_t> endpoint_id;
  if (auto e = c.req().QueryParam("endpoint_id"); e && !e->empty()) {
    endpoint_id = ParseId(*e);
    if (!endpoint_id) return Fail(Msg::FIELD_NOT_ID, {Field("endpoint_id")});
  }
  std::string status = c.req().QueryParam("status").value_or("");
  if (!status.empty() && status != "pending" && status != "delivered" && status != "failed")
    return Fail(Msg::FIELD_ONE_OF, {Field("status"), {"value", status}});
  ASSIGN_OR_RETURN(auto list, store.Read([&](Reader& r) -> Result<std::vector<open::Delivery>> {
    RETURN_IF_ERROR(open::RequireKa(r, s.merchant_id));
    return open::ListDeliveries(r, s.merchant_id, endpoint_id, status, page.first, page.second);
  }));
  Json items = Json::array();
  for (auto& d : list) items.push_back(open::ToJson(d, false));
  c.Reply(ListJson(items, NextCursor(list, page.first)));
  return Ok();
}

Status GetDelivery(Call& c) {
  Store& store = c.app().store;
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kSettings));
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  ASSIGN_OR_RETURN(open::Delivery d, store.Read([&](Reader& r) -> Result<open::Delivery> {
    RETURN_IF_ERROR(open::RequireKa(r, s.merchant_id));
    return open::GetDelivery(r, s.merchant_id, id);
  }));
  c.Reply(open::ToJson(d, true));
  return Ok();
}

Status Redeliver(Call& c) {
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kSettings));
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  c.Write(s, [id](Tx& tx, const StaffCaller& s) -> Result<Json> {
    ASSIGN_OR_RETURN(open::Delivery d, open::Redeliver(tx, s.merchant_id, id));
    return open::ToJson(d, false);
  });
  return Ok();
}

}  // namespace

std::string_view ApiKeyScopeFor(std::string_view method, std::string_view pattern) {
  for (auto& r : kRouteScopes)
    if (r.method == method && r.pattern == pattern) return r.scope;
  return {};
}

void AddOpenRoutes(Api& api) {
  // One entry per route, laid out by hand as an index of the module's API.
  // clang-format off
  api.AddTable({
      {{"GET", "/api/v1/open/meta",
        "Open platform vocabulary: API-key scopes, webhook event types, retry schedule", "open"},
       GetOpenMeta},
      // ---- API keys (the owner; a key can never manage keys) ----
      {{"GET", "/api/v1/merchant/api-keys", "The merchant's API keys, without secrets (owner, ka)",
        "open", AuthKind::kStaff}, ListApiKeys},
      {{"POST", "/api/v1/merchant/api-keys",
        "Create an API key; the secret is in this reply only (owner, ka)", "open", AuthKind::kStaff,
        201,
        Json{{"name", "ERP 同步"}, {"scopes", {"inventory:write", "orders:read", "orders:write"}}}},
       CreateApiKey},
      {{"DELETE", "/api/v1/merchant/api-keys/{id}", "Revoke an API key at once (owner, ka)", "open",
        AuthKind::kStaff}, RevokeApiKey},
      // ---- ERP inventory and price sync ----
      {{"POST", "/api/v1/open/inventory",
        "Set stock and/or price of up to 500 SKUs (by sku_id or code), all or nothing (staff, key: inventory:write)",
        "open", AuthKind::kStaff, 200,
        Json{
             {"items", {{{"code", "YL-250-M"}, {"stock", 120}, {"price_fen", 6800}}, {{"sku_id", "1234567890"}, {"stock", 0}}}}}},
       SyncInventory},
      // ---- webhooks ----
      {{"GET", "/api/v1/merchant/webhooks",
        "Webhook endpoints, without secrets (owner, ka; key: webhooks:manage)", "open",
        AuthKind::kStaff}, ListWebhooks},
      {{"POST", "/api/v1/merchant/webhooks",
        "Add a webhook endpoint; its signing secret is in this reply only (owner, ka)", "open",
        AuthKind::kStaff, 201,
        Json{{"url", "http://erp.example.com/xiaodian/webhooks"},
             {"event_types", {"order.paid", "order.refunded"}}, {"description", "ERP"}}},
       CreateWebhook},
      {{"GET", "/api/v1/merchant/webhooks/{id}", "One webhook endpoint (owner, ka)", "open",
        AuthKind::kStaff}, GetWebhook},
      {{"PATCH", "/api/v1/merchant/webhooks/{id}",
        "Change an endpoint's url, event types, description or enabled (owner, ka)", "open",
        AuthKind::kStaff, 200,
        Json{{"event_types", {"order.paid", "order.shipped"}}, {"enabled", true}}}, UpdateWebhook},
      {{"DELETE", "/api/v1/merchant/webhooks/{id}",
        "Delete an endpoint; its pending deliveries fail (owner, ka)", "open", AuthKind::kStaff,
        204}, DeleteWebhook},
      {{"POST", "/api/v1/merchant/webhooks/{id}/rotate-secret",
        "New signing secret (in this reply only); the old one also signs for 24 h (owner, ka)",
        "open", AuthKind::kStaff}, RotateWebhookSecret},
      {{"GET", "/api/v1/merchant/webhook-deliveries",
        "Webhook deliveries, newest first (owner, ka)", "open", AuthKind::kStaff, 200, nullptr,
        {"endpoint_id", "status", "limit", "cursor"}}, ListDeliveries},
      {{"GET", "/api/v1/merchant/webhook-deliveries/{id}",
        "One delivery with the body as sent (owner, ka)", "open", AuthKind::kStaff}, GetDelivery},
      {{"POST", "/api/v1/merchant/webhook-deliveries/{id}/redeliver",
        "Send a delivery again now (same delivery id; attempts start over) (owner, ka)", "open",
        AuthKind::kStaff}, Redeliver},
  });
  // clang-format on
}

}  // namespace xd::http
