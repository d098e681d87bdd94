// Catalog and inventory (information flow): products (SPU) with SKUs, public visibility,
// Chinese full-text search, and the stock operations the trade flow uses.
//
// Stock model per SKU: `stock` is available, `reserved` is held by unpaid orders, `sold`
// is paid. reserve: stock→reserved; release: reserved→stock; sell: reserved→sold;
// restock (goods returned): sold→stock, counted in `returned`; allocate (set aside for a live
// room, issue 18): stock→allocated, deallocate: allocated→stock. Never negative (the UPDATEs
// are guarded and the schema CHECKs it); conservation: stock_in = stock + reserved + sold +
// allocated, where stock_in moves only when the merchant sets stock.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/limits.h"
#include "base/result.h"
#include "store/store.h"

namespace xd::catalog {

struct Sku {
  int64_t id = 0;
  int64_t product_id = 0;
  int64_t merchant_id = 0;
  Json spec = Json::object();
  int64_t price_fen = 0;
  int64_t stock = 0;
  int64_t reserved = 0;
  int64_t sold = 0;
  std::string code;
  int64_t weight_g = 0;  // one unit's, for freight templates by weight
};

struct Product {
  int64_t id = 0;
  int64_t merchant_id = 0;
  std::string title, description, category;
  Json attributes = Json::object();
  Json images = Json::array();
  std::string status;  // draft | on_sale | off_sale
  bool taken_down = false;
  int64_t min_price_fen = 0;
  int64_t sales = 0;
  int64_t created_at_ms = 0;
  std::vector<Sku> skus;
  std::optional<int64_t> freight_template_id;  // none: the merchant's default template
};

Json ToJson(const Sku& s, bool for_staff);
Json ToJson(const Product& p, bool for_staff);

struct SkuInput {
  Json spec = Json::object();
  int64_t price_fen = 0;
  int64_t stock = 0;
  std::string code;
  int64_t weight_g = 0;
};
struct ProductInput {
  std::string title, description, category, status = "draft";
  Json attributes = Json::object();
  Json images = Json::array();
  std::vector<SkuInput> skus;
  // The merchant's freight template (the route checks it is theirs, trade::GetFreightTemplate).
  std::optional<int64_t> freight_template_id;
};
// Decodes and validates a create-product body (API.md shape).
Result<ProductInput> ProductInputFromJson(const Json& body);

// Creates a product for an active merchant, within the merchant's product limit.
Result<Product> CreateProduct(Tx& tx, int64_t merchant_id, const ProductInput& in);

struct ProductPatch {
  std::optional<std::string> title, description, category, status;
  std::optional<Json> attributes, images;
  std::optional<int64_t> freight_template_id;  // 0: none (the merchant's default)
};
Result<ProductPatch> ProductPatchFromJson(const Json& body);
Result<Product> PatchProduct(Tx& tx, int64_t merchant_id, int64_t product_id, const ProductPatch& patch);
// Sets price and/or available stock of one of the merchant's SKUs.
Result<Sku> PatchSku(Tx& tx, int64_t merchant_id, int64_t sku_id, std::optional<int64_t> price_fen,
                     std::optional<int64_t> stock, std::optional<int64_t> weight_g = std::nullopt);
// Admin: takes a product off sale and keeps it off (the merchant cannot re-list it).
Status TakeDown(Tx& tx, int64_t product_id);

// A product with SKUs. public_only: NOT_FOUND unless on sale, not taken down and its
// merchant active. merchant_id (when set): NOT_FOUND unless it belongs to that merchant.
// with_skus=false leaves `skus` empty (one query fewer, for callers that check the product or
// price one SKU they already have).
Result<Product> GetProduct(Reader& r, int64_t product_id, bool public_only, std::optional<int64_t> merchant_id = {},
                           bool with_skus = true);
Result<Sku> GetSku(Reader& r, int64_t sku_id);
// The merchant's SKU with this code (the merchant's own article number, e.g. from an ERP).
// NOT_FOUND when none has it, CONFLICT when several do (the code is then ambiguous).
Result<Sku> FindSkuByCode(Reader& r, int64_t merchant_id, const std::string& code);

struct SearchQuery {
  std::string q;
  std::string category;
  std::optional<int64_t> merchant_id;
  std::optional<int64_t> min_price_fen, max_price_fen;
  std::string sort = "relevance";  // relevance | price_asc | price_desc | sales | newest
  int64_t limit = limits::kDefaultPageSize;
  int64_t offset = 0;  // the cursor carries the offset
};
struct SearchResult {
  std::vector<Product> items;  // without SKUs
  int64_t next_offset = 0;     // 0 when there is no next page
};
Result<SearchResult> Search(Reader& r, const SearchQuery& q);
Result<std::vector<Product>> MerchantProducts(Reader& r, int64_t merchant_id, int64_t limit, int64_t before_id);
Result<std::vector<std::pair<std::string, int64_t>>> Categories(Reader& r);

// ---- stock operations (inside the trade transaction) ----
// OUT_OF_STOCK when fewer than qty are available.
Status Reserve(Tx& tx, int64_t sku_id, int64_t qty);
Status Release(Tx& tx, int64_t sku_id, int64_t qty);
Status Sell(Tx& tx, int64_t sku_id, int64_t qty);
Status Restock(Tx& tx, int64_t sku_id, int64_t qty);
// Sets aside up to `qty` available units (a live room's stock); returns how many it took
// (fewer when fewer are available, 0 for a SKU of another merchant).
Result<int64_t> Allocate(Tx& tx, int64_t merchant_id, int64_t sku_id, int64_t qty);
// Gives `qty` allocated units back to available stock (INTERNAL beyond what is allocated).
Status Deallocate(Tx& tx, int64_t sku_id, int64_t qty);

// Invariant check for `xiaodian check`: problems found, empty when sound.
Result<std::vector<std::string>> CheckInventory(Reader& r);

}  // namespace xd::catalog
