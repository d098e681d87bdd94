// The open platform's API keys and the ERP inventory/price sync (see open.h).
#include "open/open.h"

#include <algorithm>

#include "account/account.h"
#include "base/crypto.h"
#include "base/id.h"
#include "base/messages.h"
#include "catalog/catalog.h"
#include "open/events.h"
#include "open/internal/crypto.h"

namespace xd::open {

namespace internal {

Result<std::vector<std::string>> StringList(const Json& j, const char* what) {
  std::vector<std::string> out;
  if (!j.is_array()) return Fail(Msg::FIELD_NOT_ARRAY, {Field(what)});
  for (auto& v : j) {
    if (!v.is_string()) return Fail(Msg::FIELD_NOT_TEXT, {Field(what)});
    out.push_back(v.get<std::string>());
  }
  return out;
}

}  // namespace internal

namespace {

constexpr size_t kSecretChars = 43;  // 32 bytes in unpadded base64url

constexpr const char* kKeyCols = "id, merchant_id, created_by, name, prefix, scopes, created_at_ms, last_used_at_ms, revoked_at_ms";

ApiKey KeyFromRow(const Row& row) {
  ApiKey k;
  k.id = row.Int(0);
  k.merchant_id = row.Int(1);
  k.created_by = row.Int(2);
  k.name = row.Str(3);
  k.prefix = row.Str(4);
  k.scopes = internal::StringList(row.JsonAt(5), "scopes").value_or(std::vector<std::string>{});
  k.created_at_ms = row.Int(6);
  k.last_used_at_ms = row.OptInt(7);
  k.revoked_at_ms = row.OptInt(8);
  return k;
}

// Marks an item's error with its position (the "item" param), so the ERP knows which line to fix.
template <class T>
Result<T> AtItem(size_t i, Result<T> r) {
  if (r) return r;
  return std::unexpected(AtItemError(i, r.error()));
}

}  // namespace

bool ValidScope(std::string_view scope) {
  return std::any_of(kScopes.begin(), kScopes.end(), [&](const ScopeInfo& s) { return s.name == scope; });
}

Json ToJson(const ApiKey& k) {
  return Json{{"id", IdString(k.id)},
              {"name", k.name},
              {"prefix", k.prefix},
              {"scopes", k.scopes},
              {"created_at", FormatRfc3339(k.created_at_ms)},
              {"last_used_at", k.last_used_at_ms ? Json(FormatRfc3339(*k.last_used_at_ms)) : Json(nullptr)},
              {"revoked", k.revoked_at_ms.has_value()},
              {"revoked_at", k.revoked_at_ms ? Json(FormatRfc3339(*k.revoked_at_ms)) : Json(nullptr)}};
}

Status RequireKa(Reader& r, int64_t merchant_id) {
  ASSIGN_OR_RETURN(account::Merchant m, account::GetMerchant(r, merchant_id));
  if (m.kind != "ka")
    return Fail(Msg::OPEN_KA_ONLY, {Term("kind", m.kind)});
  return Ok();
}

Result<NewApiKey> CreateApiKey(Tx& tx, int64_t merchant_id, int64_t created_by, const std::string& name,
                               const std::vector<std::string>& scopes) {
  bool every_kind = !scopes.empty() && std::ranges::all_of(scopes, [](const std::string& s) {
    return std::ranges::find(kEveryKindScopes, s) != kEveryKindScopes.end();
  });
  if (!every_kind) RETURN_IF_ERROR(RequireKa(tx, merchant_id));
  if (name.empty() || name.size() > limits::kMaxApiKeyNameLen)
    return Fail(Msg::FIELD_LENGTH, {Field("name"), {"min", 1}, {"max", limits::kMaxApiKeyNameLen}});
  if (scopes.empty()) return Fail(Msg::FIELD_EMPTY, {Field("scopes")});
  std::vector<std::string> sorted = scopes;
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) return Fail(Msg::FIELD_DUPLICATES, {Field("scopes")});
  for (auto& s : sorted)
    if (!ValidScope(s)) return Fail(Msg::SCOPE_UNKNOWN, {{"scope", s}});
  RETURN_IF_ERROR(account::LockMerchant(tx, merchant_id));  // the limit is a count: one node at a time
  ASSIGN_OR_RETURN(int64_t live, tx.QueryInt("SELECT count(*) FROM api_keys WHERE merchant_id=? AND revoked_at_ms IS NULL", {merchant_id}));
  if (live >= limits::kMaxApiKeysPerMerchant)
    return Fail(Msg::TOO_MANY_API_KEYS, {{"max", limits::kMaxApiKeysPerMerchant}});
  int64_t id = tx.NewId();
  std::string secret = RandomBase64Url(32);
  std::string text = std::string(kKeyPrefix) + IdString(id) + "_" + secret;
  std::string prefix = std::string(kKeyPrefix) + IdString(id) + "_" + secret.substr(0, 4) + "…";
  RETURN_IF_ERROR(tx.Run("INSERT INTO api_keys(id, merchant_id, name, prefix, secret_hash, scopes, created_by, created_at_ms) "
                         "VALUES(?,?,?,?,?,?,?,?)",
                         {id, merchant_id, name, prefix, Sha256Hex(text), DumpJson(Json(sorted)), created_by, tx.NowMs()}));
  RETURN_IF_ERROR(Emit(tx, ApiKeyChanged{false, id, merchant_id, created_by, sorted}));
  ASSIGN_OR_RETURN(auto row, tx.QueryOne(std::string("SELECT ") + kKeyCols + " FROM api_keys WHERE id=?", {id}));
  return NewApiKey{KeyFromRow(*row), text};
}

Result<std::vector<ApiKey>> ListApiKeys(Reader& r, int64_t merchant_id) {
  ASSIGN_OR_RETURN(Rows rows, r.Query(std::string("SELECT ") + kKeyCols + " FROM api_keys WHERE merchant_id=? ORDER BY id DESC LIMIT 200",
                                      {merchant_id}));
  std::vector<ApiKey> out;
  for (auto& row : rows) out.push_back(KeyFromRow(row));
  return out;
}

Result<ApiKey> RevokeApiKey(Tx& tx, int64_t merchant_id, int64_t key_id) {
  ASSIGN_OR_RETURN(auto row, tx.QueryOne(std::string("SELECT ") + kKeyCols + " FROM api_keys WHERE id=? AND merchant_id=?", {key_id, merchant_id}));
  if (!row) return Fail(Msg::API_KEY_NOT_FOUND);
  ApiKey k = KeyFromRow(*row);
  if (k.revoked_at_ms) return k;
  k.revoked_at_ms = tx.NowMs();
  RETURN_IF_ERROR(tx.Run("UPDATE api_keys SET revoked_at_ms=? WHERE id=?", {*k.revoked_at_ms, key_id}));
  RETURN_IF_ERROR(Emit(tx, ApiKeyChanged{true, key_id, merchant_id, k.created_by, {}}));
  return k;
}

bool LooksLikeApiKey(std::string_view text) { return text.substr(0, kKeyPrefix.size()) == kKeyPrefix; }

Result<ApiKey> AuthenticateKey(Reader& r, const std::string& text) {
  // xdk_<id>_<43 base64url characters>
  if (!LooksLikeApiKey(text) || text.size() > 80) return Fail(Msg::API_KEY_MALFORMED);
  std::string_view rest = std::string_view(text).substr(kKeyPrefix.size());
  size_t sep = rest.find('_');
  if (sep == std::string_view::npos) return Fail(Msg::API_KEY_MALFORMED);
  auto id = ParseId(rest.substr(0, sep));
  std::string_view secret = rest.substr(sep + 1);
  if (!id || secret.size() != kSecretChars) return Fail(Msg::API_KEY_MALFORMED);
  ASSIGN_OR_RETURN(auto row, r.QueryOne(std::string("SELECT ") + kKeyCols + ", secret_hash FROM api_keys WHERE id=?", {*id}));
  if (!row || !ConstantTimeEqual(Sha256Hex(text), row->Str(9)))
    return Fail(Msg::API_KEY_UNKNOWN);
  ApiKey k = KeyFromRow(*row);
  if (k.revoked_at_ms) return Fail(Msg::API_KEY_REVOKED);
  return k;
}

bool HasScope(const ApiKey& k, std::string_view scope) {
  return std::find(k.scopes.begin(), k.scopes.end(), scope) != k.scopes.end();
}

// ---- inventory ----

Result<std::vector<InventoryItem>> InventoryItemsFromJson(const Json& body) {
  if (!body.is_object()) return Fail(Msg::JSON_NOT_OBJECT);
  ObjectReader r(body);
  const Json* items = r.RequireArray("items", limits::kMaxSyncItems);
  RETURN_IF_ERROR(r.Finish());
  if (items->empty()) return Fail(Msg::FIELD_EMPTY, {Field("items")});
  std::vector<InventoryItem> out;
  out.reserve(items->size());
  for (size_t i = 0; i < items->size(); ++i) {
    const Json& j = (*items)[i];
    std::string at = "items[" + std::to_string(i) + "]";
    if (!j.is_object()) return Fail(Msg::FIELD_NOT_OBJECT, {Field("items"), {"item", i}});
    ObjectReader ir(j, at + ".");
    InventoryItem it;
    it.sku_id = ir.OptId("sku_id");
    it.code = ir.OptString("code", {.min_len = 1, .max_len = limits::kMaxSkuCodeLen});
    it.stock = ir.OptInt("stock", {.min = 0, .max = limits::kMaxSkuStock});
    it.price_fen = ir.OptInt("price_fen", {.min = 1, .max = limits::kMaxSkuPriceFen});
    RETURN_IF_ERROR(ir.Finish());
    if (it.sku_id.has_value() == it.code.has_value()) return Fail(Msg::INVENTORY_ITEM_SKU, {{"item", i}});
    if (!it.stock && !it.price_fen) return Fail(Msg::INVENTORY_ITEM_EMPTY, {{"item", i}});
    out.push_back(std::move(it));
  }
  return out;
}

Result<Json> SyncInventory(Tx& tx, int64_t merchant_id, const std::vector<InventoryItem>& items) {
  if (items.size() > limits::kMaxSyncItems)
    return Fail(Msg::FIELD_TOO_MANY, {Field("items"), {"max", limits::kMaxSyncItems}});
  std::vector<int64_t> ids;
  ids.reserve(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    const InventoryItem& it = items[i];
    catalog::Sku sku;
    if (it.sku_id) {
      ASSIGN_OR_RETURN(sku, AtItem(i, catalog::GetSku(tx, *it.sku_id)));
      if (sku.merchant_id != merchant_id) return Fail(Msg::SKU_NOT_FOUND, {{"item", i}});
    } else {
      ASSIGN_OR_RETURN(sku, AtItem(i, catalog::FindSkuByCode(tx, merchant_id, *it.code)));
    }
    if (std::find(ids.begin(), ids.end(), sku.id) != ids.end())
      return Fail(Msg::SKU_TWICE, {{"item", i}});
    ids.push_back(sku.id);
  }
  Json out = Json::array();
  for (size_t i = 0; i < items.size(); ++i) {
    ASSIGN_OR_RETURN(catalog::Sku s, AtItem(i, catalog::PatchSku(tx, merchant_id, ids[i], items[i].price_fen, items[i].stock)));
    out.push_back(Json{{"sku_id", IdString(s.id)}, {"code", s.code}, {"price_fen", s.price_fen}, {"stock", s.stock}});
  }
  return Json{{"updated", static_cast<int64_t>(items.size())}, {"items", std::move(out)}};
}

}  // namespace xd::open
