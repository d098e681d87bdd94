// Routes of the catalog: public product pages and search, merchant product management.
#include <map>

#include "base/id.h"
#include "base/messages.h"
#include "catalog/catalog.h"
#include "catalog/stock_alerts.h"
#include "feed/feed.h"
#include "http/api.h"
#include "http/public_reads.h"

namespace xd::http {

using account::Perm;

namespace {

Result<std::optional<int64_t>> OptQueryInt(Call& c, const char* name) {
  auto v = c.req().QueryParam(name);
  if (!v || v->empty()) return std::optional<int64_t>();
  auto n = ParseId(*v);
  if (!n && *v != "0")
    return Fail(Msg::FIELD_NOT_NON_NEGATIVE, {Field(name)});
  return std::optional<int64_t>(n.value_or(0));
}

Json SearchItem(const catalog::Product& p, const std::string& merchant_name) {
  return Json{{"id", IdString(p.id)},
              {"title", p.title},
              {"merchant_id", IdString(p.merchant_id)},
              {"merchant_name", merchant_name},
              {"category", p.category},
              {"image", p.images.empty() ? Json("") : p.images[0]},
              {"min_price_fen", p.min_price_fen},
              {"sales", p.sales}};
}

Status SearchProducts(Call& c) {
  Store& store = c.app().store;
  catalog::SearchQuery q;
  q.q = c.req().QueryParam("q").value_or("");
  if (q.q.size() > limits::kMaxSearchQueryLen)
    return Fail(Msg::SEARCH_QUERY_TOO_LONG, {{"max", limits::kMaxSearchQueryLen}});
  q.category = c.req().QueryParam("category").value_or("");
  q.sort = c.req().QueryParam("sort").value_or("relevance");
  if (q.sort != "relevance" && q.sort != "price_asc" && q.sort != "price_desc" &&
      q.sort != "sales" && q.sort != "newest")
    return Fail(Msg::SEARCH_SORT_INVALID);
  ASSIGN_OR_RETURN(q.merchant_id, OptQueryInt(c, "merchant_id"));
  ASSIGN_OR_RETURN(q.min_price_fen, OptQueryInt(c, "min_price_fen"));
  ASSIGN_OR_RETURN(q.max_price_fen, OptQueryInt(c, "max_price_fen"));
  ASSIGN_OR_RETURN(auto page, c.Page());
  q.limit = page.first;
  q.offset = page.second;
  ASSIGN_OR_RETURN(Json out, store.Read([&](Reader& r) -> Result<Json> {
    ASSIGN_OR_RETURN(catalog::SearchResult res, catalog::Search(r, q));
    Json items = Json::array();
    for (auto& p : res.items) {
      ASSIGN_OR_RETURN(account::Merchant m, account::GetMerchant(r, p.merchant_id));
      items.push_back(SearchItem(p, m.name));
    }
    std::vector<Json*> cards;
    for (Json& item : items) cards.push_back(&item);
    RETURN_IF_ERROR(AddActivityBadges(c, r, cards));
    return ListJson(items, res.next_offset);
  }));
  // Relevance first, then exposure (rank.h RerankSearch, decision 028): a text search's page is
  // reordered only among hits within a few places of each other — the store gives the relevance
  // order, not a score (one order on both backends; why not the engines' scores: decision 028),
  // so a hit's relevance is its place on the page and a band spans at most six places.
  if (q.sort == "relevance" && !q.q.empty() && c.app().feed && out["items"].size() > 1) {
    std::vector<int64_t> ids, merchants;
    std::vector<double> relevance;
    std::map<int64_t, Json> by_id;
    for (size_t i = 0; i < out["items"].size(); ++i) {
      const Json& item = out["items"][i];
      int64_t id = ParseId(item["id"].get<std::string>()).value_or(0);
      ids.push_back(id);
      merchants.push_back(ParseId(item["merchant_id"].get<std::string>()).value_or(0));
      relevance.push_back(100.0 - static_cast<double>(i));
      by_id[id] = item;
    }
    ASSIGN_OR_RETURN(std::vector<int64_t> order,
                     c.app().feed->RerankSearchPage(ids, merchants, relevance));
    Json items = Json::array();
    for (int64_t id : order) items.push_back(std::move(by_id[id]));
    out["items"] = std::move(items);
  }
  c.Reply(out);
  return Ok();
}

Status GetProductPage(Call& c) {
  Store& store = c.app().store;
  ProductCache* cache = c.app().products;
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  if (cache) {
    if (auto page = cache->Get(id)) {
      c.ReplyText(*page, "application/json");
      return Ok();
    }
  }
  uint64_t generation = 0;
  std::vector<int64_t> sku_ids;
  ASSIGN_OR_RETURN(Json out, store.Read([&](Reader& r) -> Result<Json> {
    // The ticket before the read's snapshot (its first query) but after the wait for a reader
    // connection: a ticket taken before that wait could be older than a ticket whose read has
    // an older snapshot (docs/architecture.md, ProductCache's known gap; this narrows it).
    if (cache) generation = cache->Generation();
    ASSIGN_OR_RETURN(catalog::Product p, catalog::GetProduct(r, id, true));
    ASSIGN_OR_RETURN(account::Merchant m, account::GetMerchant(r, p.merchant_id));
    for (auto& s : p.skus) sku_ids.push_back(s.id);
    Json j = catalog::ToJson(p, false);
    j["merchant"] = account::ToJson(m, false);
    return j;
  }));
  std::string body = DumpJson(out);
  if (cache) cache->Put(id, sku_ids, body, generation);
  c.ReplyText(std::move(body), "application/json");
  return Ok();
}

Status ListCategories(Call& c) {
  Store& store = c.app().store;
  ASSIGN_OR_RETURN(auto cats, store.Read([](Reader& r) { return catalog::Categories(r); }));
  Json items = Json::array();
  for (auto& [name, n] : cats) items.push_back(Json{{"name", name}, {"count", n}});
  c.Reply(ListJson(items, 0));
  return Ok();
}

Status CreateProduct(Call& c) {
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kProducts));
  ASSIGN_OR_RETURN(Json body, c.Body());
  ASSIGN_OR_RETURN(catalog::ProductInput in, catalog::ProductInputFromJson(body));
  c.Write(
      s,
      [in](Tx& tx, const StaffCaller& s) -> Result<Json> {
        // A freight template must be this merchant's (FREIGHT_TEMPLATE_NOT_FOUND otherwise).
        if (in.freight_template_id) RETURN_IF_ERROR(trade::GetFreightTemplate(tx, s.merchant_id, *in.freight_template_id));
        ASSIGN_OR_RETURN(catalog::Product p, catalog::CreateProduct(tx, s.merchant_id, in));
        return catalog::ToJson(p, true);
      },
      201);
  return Ok();
}

Status ListMerchantProducts(Call& c) {
  Store& store = c.app().store;
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kRead));
  ASSIGN_OR_RETURN(auto page, c.Page());
  ASSIGN_OR_RETURN(auto list, store.Read([&](Reader& r) {
    return catalog::MerchantProducts(r, s.merchant_id, page.first, page.second);
  }));
  Json items = Json::array();
  for (auto& p : list) items.push_back(catalog::ToJson(p, true));
  c.Reply(ListJson(items, NextCursor(list, page.first)));
  return Ok();
}

Status GetMerchantProduct(Call& c) {
  Store& store = c.app().store;
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kRead));
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  std::map<int64_t, int64_t> thresholds;
  ASSIGN_OR_RETURN(catalog::Product p, store.Read([&](Reader& r) -> Result<catalog::Product> {
    ASSIGN_OR_RETURN(catalog::Product p, catalog::GetProduct(r, id, false, s.merchant_id));
    std::vector<int64_t> sku_ids;
    for (const catalog::Sku& sku : p.skus) sku_ids.push_back(sku.id);
    ASSIGN_OR_RETURN(thresholds, catalog::LowStockThresholds(r, s.merchant_id, sku_ids));
    return p;
  }));
  Json out = catalog::ToJson(p, true);
  // Each SKU's low-stock threshold (catalog/stock_alerts.h), 0 for none.
  if (out.contains("skus"))
    for (Json& sku : out["skus"]) {
      auto found = thresholds.find(ParseId(sku.value("id", "")).value_or(0));
      sku["low_stock_threshold"] = found == thresholds.end() ? 0 : found->second;
    }
  c.Reply(out);
  return Ok();
}

Status PatchProduct(Call& c) {
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kProducts));
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  ASSIGN_OR_RETURN(Json body, c.Body());
  ASSIGN_OR_RETURN(catalog::ProductPatch patch, catalog::ProductPatchFromJson(body));
  c.Write(s, [id, patch](Tx& tx, const StaffCaller& s) -> Result<Json> {
    if (patch.freight_template_id && *patch.freight_template_id != 0)
      RETURN_IF_ERROR(trade::GetFreightTemplate(tx, s.merchant_id, *patch.freight_template_id));
    ASSIGN_OR_RETURN(catalog::Product p, catalog::PatchProduct(tx, s.merchant_id, id, patch));
    return catalog::ToJson(p, true);
  });
  return Ok();
}

Status PatchSku(Call& c) {
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kProducts));
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  ASSIGN_OR_RETURN(Json body, c.Body());
  ObjectReader r(body);
  auto price = r.OptInt("price_fen", {.min = 1, .max = limits::kMaxSkuPriceFen});
  auto stock = r.OptInt("stock", {.min = 0, .max = limits::kMaxSkuStock});
  auto weight = r.OptInt("weight_g", {.min = 0, .max = limits::kMaxSkuWeightG});
  auto threshold = r.OptInt("low_stock_threshold", {.min = 0, .max = limits::kMaxSkuStock});
  RETURN_IF_ERROR(r.Finish());
  c.Write(s, [id, price, stock, weight, threshold](Tx& tx, const StaffCaller& s) -> Result<Json> {
    // The threshold first: a stock set below it in the same request is a crossing.
    if (threshold) RETURN_IF_ERROR(catalog::SetLowStockThreshold(tx, s.merchant_id, id, *threshold));
    ASSIGN_OR_RETURN(catalog::Sku sku, catalog::PatchSku(tx, s.merchant_id, id, price, stock, weight));
    ASSIGN_OR_RETURN(auto thresholds, catalog::LowStockThresholds(tx, s.merchant_id, {id}));
    Json out = catalog::ToJson(sku, true);
    out["low_stock_threshold"] = thresholds.count(id) ? thresholds[id] : 0;
    return out;
  });
  return Ok();
}

Status AdminTakeDownProduct(Call& c) {
  ASSIGN_OR_RETURN(AdminCaller admin, c.Admin());
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  c.Write(admin, [id](Tx& tx, const AdminCaller&) -> Result<Json> {
    RETURN_IF_ERROR(catalog::TakeDown(tx, id));
    return Json{{"id", IdString(id)}, {"status", "off_sale"}, {"taken_down", true}};
  });
  return Ok();
}

}  // namespace

void AddCatalogRoutes(Api& api) {
  // One entry per route, laid out by hand as an index of the module's API.
  // clang-format off
  api.AddTable({
      {{"GET", "/api/v1/products",
        "Search on-sale products (Chinese full text, filters, sort, cursor)", "catalog",
        AuthKind::kNone, 200, nullptr,
        {"q", "category", "merchant_id", "min_price_fen", "max_price_fen", "sort", "limit", "cursor"}},
       SearchProducts},
      {{"GET", "/api/v1/products/{id}", "Public product page data", "catalog"}, GetProductPage},
      {{"GET", "/api/v1/categories", "Categories with on-sale product counts", "catalog"},
       ListCategories},
      {{"POST", "/api/v1/merchant/products", "Create a product with its SKUs (staff)", "catalog",
        AuthKind::kStaff, 201,
        Json{{"title", "手冲咖啡豆 250g"}, {"category", "食品"}, {"attributes", {{"产地", "云南"}}},
             {"images", {"https://img.example/1.jpg"}},
             {"skus", {{{"spec", {{"烘焙", "中烘"}}}, {"price_fen", 6800}, {"stock", 100}}}},
             {"status", "on_sale"}}}, CreateProduct},
      {{"GET", "/api/v1/merchant/products", "The merchant's products in every status (staff)",
        "catalog", AuthKind::kStaff, 200, nullptr, {"limit", "cursor"}}, ListMerchantProducts},
      {{"GET", "/api/v1/merchant/products/{id}", "One of the merchant's products (staff)",
        "catalog", AuthKind::kStaff}, GetMerchantProduct},
      {{"PATCH", "/api/v1/merchant/products/{id}", "Edit a product or change its status (staff)",
        "catalog", AuthKind::kStaff, 200, Json{{"status", "off_sale"}}}, PatchProduct},
      {{"PATCH", "/api/v1/merchant/skus/{id}", "Set a SKU's price, available stock, weight and/or low-stock threshold (low_stock_threshold: "
        "a stock.low event and webhook when available stock falls below it; 0 for none) (staff)",
        "catalog", AuthKind::kStaff, 200, Json{{"price_fen", 5900}, {"stock", 80}, {"weight_g", 250}, {"low_stock_threshold", 10}}},
       PatchSku},
      {{"POST", "/api/v1/admin/products/{id}/takedown", "Take a product off sale for good (admin)",
        "admin", AuthKind::kAdmin}, AdminTakeDownProduct},
  });
  // clang-format on
}

}  // namespace xd::http
