#include "catalog/catalog.h"

#include "account/account.h"
#include "base/id.h"
#include "base/limits.h"
#include "base/messages.h"
#include "catalog/events.h"
#include "catalog/stock_alerts.h"

namespace xd::catalog {

namespace {

bool ValidStatus(const std::string& s) { return s == "draft" || s == "on_sale" || s == "off_sale"; }

// Free key→value attributes / spec: an object of short strings.
Status CheckStringMap(const Json& j, const char* what, size_t max_keys) {
  if (!j.is_object()) return Fail(Msg::FIELD_NOT_OBJECT, {Field(what)});
  if (j.size() > max_keys) return Fail(Msg::FIELD_TOO_MANY, {Field(what), {"max", max_keys}});
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (!it.value().is_string() || it.key().empty() || it.key().size() > limits::kMaxAttributeKeyLen ||
        it.value().get_ref<const std::string&>().size() > limits::kMaxAttributeValueLen)
      return Fail(Msg::FIELD_VALUES_SHORT_TEXT, {Field(what)});
  }
  return Ok();
}

Status CheckImages(const Json& j) {
  if (!j.is_array() || j.size() > limits::kMaxProductImages)
    return Fail(Msg::IMAGES_INVALID, {{"max", limits::kMaxProductImages}});
  for (auto& u : j) {
    if (!u.is_string()) return Fail(Msg::FIELD_NOT_TEXT, {Field("images")});
    const auto& s = u.get_ref<const std::string&>();
    if (s.size() > limits::kMaxUrlLen || (s.rfind("https://", 0) != 0 && s.rfind("http://", 0) != 0 && s.rfind("/", 0) != 0))
      return Fail(Msg::IMAGE_URL_INVALID);
  }
  return Ok();
}

std::string FtsBody(const std::string& category, const Json& attributes) {
  std::string body = category;
  for (auto it = attributes.begin(); it != attributes.end(); ++it) body += " " + it.key() + " " + it.value().get<std::string>();
  return body;
}

Status IndexProduct(Tx& tx, int64_t id, const std::string& title, const std::string& category, const Json& attributes) {
  const Dialect& d = tx.dialect();
  RETURN_IF_ERROR(tx.Run(d.UnindexText("products_fts", "product_id"), {id}));
  return tx.Run(d.IndexText("products_fts", "product_id"), {id, title, FtsBody(category, attributes)});
}

Status RefreshMinPrice(Tx& tx, int64_t product_id) {
  return tx.Run("UPDATE products SET min_price_fen=(SELECT COALESCE(MIN(price_fen),0) FROM skus WHERE product_id=?), updated_at_ms=? WHERE id=?",
                {product_id, tx.NowMs(), product_id});
}

constexpr const char* kProductCols =
    "p.id, p.merchant_id, p.title, p.description, p.category, p.attributes, p.images, p.status, p.taken_down, "
    "p.min_price_fen, p.sales, p.created_at_ms, p.freight_template_id";

Product ProductFromRow(const Row& r) {
  Product p;
  p.id = r.Int(0);
  p.merchant_id = r.Int(1);
  p.title = r.Str(2);
  p.description = r.Str(3);
  p.category = r.Str(4);
  p.attributes = r.JsonAt(5);
  p.images = r.JsonAt(6);
  p.status = r.Str(7);
  p.taken_down = r.Int(8) != 0;
  p.min_price_fen = r.Int(9);
  p.sales = r.Int(10);
  p.created_at_ms = r.Int(11);
  p.freight_template_id = r.OptInt(12);
  return p;
}

constexpr const char* kSkuCols = "id, product_id, merchant_id, spec, price_fen, stock, reserved, sold, code, weight_g";

Sku SkuFromRow(const Row& r) {
  return Sku{r.Int(0), r.Int(1), r.Int(2), r.JsonAt(3), r.Int(4), r.Int(5), r.Int(6), r.Int(7), r.Str(8), r.Int(9)};
}

Status Guarded(Result<int64_t> changed, Error if_unchanged) {
  if (!changed) return std::unexpected(changed.error());
  if (*changed == 0) return std::unexpected(std::move(if_unchanged));
  return Ok();
}

}  // namespace

Json ToJson(const Sku& s, bool for_staff) {
  Json j{{"id", IdString(s.id)}, {"spec", s.spec}, {"price_fen", s.price_fen}, {"stock", s.stock}, {"code", s.code},
         {"weight_g", s.weight_g}};
  if (for_staff) {
    j["reserved"] = s.reserved;
    j["sold"] = s.sold;
  }
  return j;
}

Json ToJson(const Product& p, bool for_staff) {
  Json skus = Json::array();
  for (auto& s : p.skus) skus.push_back(ToJson(s, for_staff));
  Json j{{"id", IdString(p.id)},
         {"merchant_id", IdString(p.merchant_id)},
         {"title", p.title},
         {"description", p.description},
         {"category", p.category},
         {"attributes", p.attributes},
         {"images", p.images},
         {"image", p.images.empty() ? Json("") : p.images[0]},
         {"status", p.status},
         {"min_price_fen", p.min_price_fen},
         {"sales", p.sales},
         {"created_at", FormatRfc3339(p.created_at_ms)},
         {"skus", skus}};
  if (for_staff) {
    j["taken_down"] = p.taken_down;
    j["freight_template_id"] = p.freight_template_id ? Json(IdString(*p.freight_template_id)) : Json(nullptr);
  }
  return j;
}

Result<ProductInput> ProductInputFromJson(const Json& body) {
  ObjectReader r(body);
  ProductInput in;
  in.title = r.String("title", {.min_len = 1, .max_len = limits::kMaxProductTitleLen});
  in.description = r.OptString("description", {.max_len = limits::kMaxProductDescriptionLen}).value_or("");
  in.category = r.OptString("category", {.max_len = limits::kMaxCategoryLen}).value_or("");
  in.status = r.OptString("status", {.max_len = 10}).value_or("draft");
  if (const Json* a = r.Raw("attributes")) in.attributes = *a;
  if (const Json* im = r.Raw("images")) in.images = *im;
  const Json* skus = r.RequireArray("skus", limits::kMaxSkusPerProduct);
  in.freight_template_id = r.OptId("freight_template_id");
  RETURN_IF_ERROR(r.Finish());
  if (!ValidStatus(in.status)) return Fail(Msg::PRODUCT_STATUS_INVALID, {Term("status", in.status)});
  RETURN_IF_ERROR(CheckStringMap(in.attributes, "attributes", limits::kMaxProductAttributes));
  RETURN_IF_ERROR(CheckImages(in.images));
  if (skus->empty()) return Fail(Msg::PRODUCT_NEEDS_SKU);
  for (size_t i = 0; i < skus->size(); ++i) {
    ObjectReader sr((*skus)[i], "skus[" + std::to_string(i) + "].");
    SkuInput s;
    if (const Json* spec = sr.Raw("spec")) s.spec = *spec;
    s.price_fen = sr.Int("price_fen", {.min = 1, .max = limits::kMaxSkuPriceFen});
    s.stock = sr.Int("stock", {.min = 0, .max = limits::kMaxSkuStock});
    s.code = sr.OptString("code", {.max_len = limits::kMaxSkuCodeLen}).value_or("");
    s.weight_g = sr.OptInt("weight_g", {.min = 0, .max = limits::kMaxSkuWeightG}).value_or(0);
    RETURN_IF_ERROR(sr.Finish());
    RETURN_IF_ERROR(CheckStringMap(s.spec, "spec", limits::kMaxSkuSpecKeys));
    for (auto& other : in.skus)
      if (other.spec == s.spec) return Fail(Msg::SKU_SPEC_DUPLICATE);
    in.skus.push_back(std::move(s));
  }
  return in;
}

Result<Product> CreateProduct(Tx& tx, int64_t merchant_id, const ProductInput& in) {
  ASSIGN_OR_RETURN(account::Merchant m, account::GetMerchant(tx, merchant_id));
  if (m.status != "active") return Fail(Msg::MERCHANT_NOT_ACTIVE, {Term("status", m.status)});
  ASSIGN_OR_RETURN(int64_t count, tx.QueryInt("SELECT count(*) FROM products WHERE merchant_id=?", {merchant_id}));
  if (count >= m.settings.max_products)
    return Fail(Msg::PRODUCT_LIMIT, {{"max", m.settings.max_products}});
  int64_t id = tx.NewId();
  int64_t now = tx.NowMs();
  RETURN_IF_ERROR(tx.Run("INSERT INTO products(id, merchant_id, title, description, category, attributes, images, status, "
                         "created_at_ms, updated_at_ms, freight_template_id) VALUES(?,?,?,?,?,?,?,?,?,?,?)",
                         {id, merchant_id, in.title, in.description, in.category, DumpJson(in.attributes), DumpJson(in.images),
                          in.status, now, now, in.freight_template_id}));
  for (auto& s : in.skus) {
    RETURN_IF_ERROR(tx.Run("INSERT INTO skus(id, product_id, merchant_id, spec, price_fen, stock, stock_in, code, weight_g) "
                           "VALUES(?,?,?,?,?,?,?,?,?)",
                           {tx.NewId(), id, merchant_id, DumpJson(s.spec), s.price_fen, s.stock, s.stock, s.code, s.weight_g}));
  }
  RETURN_IF_ERROR(RefreshMinPrice(tx, id));
  RETURN_IF_ERROR(IndexProduct(tx, id, in.title, in.category, in.attributes));
  ASSIGN_OR_RETURN(Product created, GetProduct(tx, id, false));
  RETURN_IF_ERROR(Emit(tx, ProductChanged{true, created}));
  return created;
}

Result<ProductPatch> ProductPatchFromJson(const Json& body) {
  ObjectReader r(body);
  ProductPatch p;
  p.title = r.OptString("title", {.min_len = 1, .max_len = limits::kMaxProductTitleLen});
  p.description = r.OptString("description", {.max_len = limits::kMaxProductDescriptionLen});
  p.category = r.OptString("category", {.max_len = limits::kMaxCategoryLen});
  p.status = r.OptString("status", {.max_len = 10});
  if (const Json* a = r.Raw("attributes")) p.attributes = *a;
  if (const Json* im = r.Raw("images")) p.images = *im;
  const Json* freight = r.Raw("freight_template_id");
  RETURN_IF_ERROR(r.Finish());
  if (freight) {
    // null clears it (the merchant's default template applies again)
    std::optional<int64_t> id = freight->is_string() ? ParseId(freight->get<std::string>()) : std::nullopt;
    if (!freight->is_null() && !id) return Fail(Msg::FIELD_NOT_ID, {Field("freight_template_id")});
    p.freight_template_id = id.value_or(0);
  }
  if (p.status && !ValidStatus(*p.status)) return Fail(Msg::PRODUCT_STATUS_INVALID, {Term("status", *p.status)});
  if (p.attributes) RETURN_IF_ERROR(CheckStringMap(*p.attributes, "attributes", limits::kMaxProductAttributes));
  if (p.images) RETURN_IF_ERROR(CheckImages(*p.images));
  return p;
}

Result<Product> PatchProduct(Tx& tx, int64_t merchant_id, int64_t product_id, const ProductPatch& patch) {
  ASSIGN_OR_RETURN(Product p, GetProduct(tx, product_id, false, merchant_id));
  if (patch.status && *patch.status == "on_sale" && p.taken_down)
    return Fail(Msg::PRODUCT_TAKEN_DOWN);
  std::optional<std::string> attrs, images;
  if (patch.attributes) attrs = DumpJson(*patch.attributes);
  if (patch.images) images = DumpJson(*patch.images);
  RETURN_IF_ERROR(tx.Run("UPDATE products SET title=COALESCE(?,title), description=COALESCE(?,description), "
                         "category=COALESCE(?,category), status=COALESCE(?,status), attributes=COALESCE(?,attributes), "
                         "images=COALESCE(?,images), updated_at_ms=? WHERE id=?",
                         {patch.title, patch.description, patch.category, patch.status, attrs, images, tx.NowMs(), product_id}));
  if (patch.freight_template_id) {
    std::optional<int64_t> freight;
    if (*patch.freight_template_id != 0) freight = *patch.freight_template_id;
    RETURN_IF_ERROR(tx.Run("UPDATE products SET freight_template_id=? WHERE id=?", {freight, product_id}));
  }
  ASSIGN_OR_RETURN(Product updated, GetProduct(tx, product_id, false));
  RETURN_IF_ERROR(IndexProduct(tx, product_id, updated.title, updated.category, updated.attributes));
  RETURN_IF_ERROR(Emit(tx, ProductChanged{false, updated}));
  return updated;
}

Result<Sku> PatchSku(Tx& tx, int64_t merchant_id, int64_t sku_id, std::optional<int64_t> price_fen, std::optional<int64_t> stock,
                     std::optional<int64_t> weight_g) {
  if ((price_fen && (*price_fen < 1 || *price_fen > limits::kMaxSkuPriceFen)) ||
      (stock && (*stock < 0 || *stock > limits::kMaxSkuStock)))
    return Fail(Msg::SKU_PRICE_STOCK_RANGE, {Fen("price_max", limits::kMaxSkuPriceFen), {"stock_max", limits::kMaxSkuStock}});
  ASSIGN_OR_RETURN(Sku s, GetSku(tx, sku_id));
  if (s.merchant_id != merchant_id) return Fail(Msg::SKU_NOT_FOUND);
  if (price_fen) RETURN_IF_ERROR(tx.Run("UPDATE skus SET price_fen=? WHERE id=?", {*price_fen, sku_id}));
  if (weight_g) {
    if (*weight_g < 0 || *weight_g > limits::kMaxSkuWeightG)
      return Fail(Msg::FIELD_RANGE, {Field("weight_g"), {"min", 0}, {"max", limits::kMaxSkuWeightG}});
    RETURN_IF_ERROR(tx.Run("UPDATE skus SET weight_g=? WHERE id=?", {*weight_g, sku_id}));
  }
  if (stock) {
    // Adjusting available stock moves stock_in by the same delta, keeping conservation.
    RETURN_IF_ERROR(tx.Run("UPDATE skus SET stock_in = stock_in + (? - stock), stock=? WHERE id=?", {*stock, *stock, sku_id}));
    if (*stock < s.stock) RETURN_IF_ERROR(AfterStockFell(tx, sku_id, s.stock - *stock));
  }
  RETURN_IF_ERROR(RefreshMinPrice(tx, s.product_id));
  ASSIGN_OR_RETURN(Sku updated, GetSku(tx, sku_id));
  RETURN_IF_ERROR(Emit(tx, SkuUpdated{updated}));
  return updated;
}

Status TakeDown(Tx& tx, int64_t product_id) {
  ASSIGN_OR_RETURN(auto row, tx.QueryOne("UPDATE products SET status='off_sale', taken_down=1, updated_at_ms=? WHERE id=? RETURNING merchant_id",
                                         {tx.NowMs(), product_id}));
  if (!row) return Fail(Msg::PRODUCT_NOT_FOUND);
  return Emit(tx, ProductTakenDown{product_id, row->Int(0)});
}

Result<Product> GetProduct(Reader& r, int64_t product_id, bool public_only, std::optional<int64_t> merchant_id, bool with_skus) {
  ASSIGN_OR_RETURN(auto row, r.QueryOne(std::string("SELECT ") + kProductCols +
                                            ", m.status FROM products p JOIN merchants m ON m.id = p.merchant_id WHERE p.id=?",
                                        {product_id}));
  if (!row) return Fail(Msg::PRODUCT_NOT_FOUND);
  Product p = ProductFromRow(*row);
  if (public_only && (p.status != "on_sale" || p.taken_down || row->Str(13) != "active"))
    return Fail(Msg::PRODUCT_NOT_FOUND);
  if (merchant_id && p.merchant_id != *merchant_id) return Fail(Msg::PRODUCT_NOT_FOUND);
  if (!with_skus) return p;
  ASSIGN_OR_RETURN(Rows skus, r.Query(std::string("SELECT ") + kSkuCols + " FROM skus WHERE product_id=? ORDER BY id", {product_id}));
  for (auto& s : skus) p.skus.push_back(SkuFromRow(s));
  return p;
}

Result<Sku> GetSku(Reader& r, int64_t sku_id) {
  ASSIGN_OR_RETURN(auto row, r.QueryOne(std::string("SELECT ") + kSkuCols + " FROM skus WHERE id=?", {sku_id}));
  if (!row) return Fail(Msg::SKU_NOT_FOUND);
  return SkuFromRow(*row);
}

Result<Sku> FindSkuByCode(Reader& r, int64_t merchant_id, const std::string& code) {
  ASSIGN_OR_RETURN(Rows rows, r.Query(std::string("SELECT ") + kSkuCols + " FROM skus WHERE merchant_id=? AND code=? LIMIT 2",
                                      {merchant_id, code}));
  if (rows.empty() || code.empty()) return Fail(Msg::SKU_CODE_NOT_FOUND, {{"code", code}});
  if (rows.size() > 1) return Fail(Msg::SKU_CODE_AMBIGUOUS, {{"code", code}});
  return SkuFromRow(rows[0]);
}

Result<SearchResult> Search(Reader& r, const SearchQuery& q) {
  // Every value is bound, in a fixed numbering (?1 and ?2 the text match's, ?3 category, ?4
  // merchant, ?5 min price, ?6 max price, ?7 limit, ?8 offset); only which filters are present
  // changes the text. So the distinct texts, and the statements the store caches for them, are
  // few whatever anonymous callers send. The match itself is the dialect's (dialect.h,
  // MatchText): FTS5 trigrams on SQLite, pg_trgm on PostgreSQL, one contract.
  std::string sql = std::string("SELECT ") + kProductCols + " FROM products p JOIN merchants m ON m.id = p.merchant_id ";
  Dialect::TextMatch match;
  if (!q.q.empty()) {
    match = r.dialect().MatchText("products_fts", "product_id", "p.id", "p.title,p.category,p.attributes", q.q, 1);
    if (!match.join.empty()) sql += match.join + " ";
  }
  sql += "WHERE p.status='on_sale' AND p.taken_down=0 AND m.status='active' ";
  if (!match.where.empty()) sql += "AND " + match.where + " ";
  if (!q.category.empty()) sql += "AND p.category = ?3 ";
  if (q.merchant_id) sql += "AND p.merchant_id = ?4 ";
  if (q.min_price_fen) sql += "AND p.min_price_fen >= ?5 ";
  if (q.max_price_fen) sql += "AND p.min_price_fen <= ?6 ";
  if (q.sort == "price_asc") sql += "ORDER BY p.min_price_fen ASC, p.id DESC ";
  else if (q.sort == "price_desc") sql += "ORDER BY p.min_price_fen DESC, p.id DESC ";
  else if (q.sort == "sales") sql += "ORDER BY p.sales DESC, p.id DESC ";
  else if (q.sort == "newest") sql += "ORDER BY p.id DESC ";
  else if (!match.rank.empty()) sql += "ORDER BY " + match.rank + ", p.sales DESC, p.id DESC ";
  else sql += "ORDER BY p.sales DESC, p.id DESC ";
  sql += "LIMIT ?7 OFFSET ?8";
  auto text_param = [&](size_t i) -> std::optional<std::string> {
    if (i < match.params.size()) return match.params[i];
    return std::nullopt;
  };
  std::optional<std::string> category;
  if (!q.category.empty()) category = q.category;
  Result<Rows> rows = r.Query(sql, {text_param(0), text_param(1), category, q.merchant_id, q.min_price_fen,
                                    q.max_price_fen, q.limit + 1, q.offset});
  if (!rows) return std::unexpected(rows.error());
  SearchResult out;
  for (auto& row : *rows) out.items.push_back(ProductFromRow(row));
  if (static_cast<int64_t>(out.items.size()) > q.limit) {
    out.items.pop_back();
    out.next_offset = q.offset + q.limit;
  }
  return out;
}

Result<std::vector<Product>> MerchantProducts(Reader& r, int64_t merchant_id, int64_t limit, int64_t before_id) {
  ASSIGN_OR_RETURN(Rows rows, r.Query(std::string("SELECT ") + kProductCols +
                                          " FROM products p WHERE p.merchant_id=? AND (?=0 OR p.id < ?) ORDER BY p.id DESC LIMIT ?",
                                      {merchant_id, before_id, before_id, limit}));
  std::vector<Product> out;
  for (auto& row : rows) {
    Product p = ProductFromRow(row);
    ASSIGN_OR_RETURN(Rows skus, r.Query(std::string("SELECT ") + kSkuCols + " FROM skus WHERE product_id=? ORDER BY id", {p.id}));
    for (auto& s : skus) p.skus.push_back(SkuFromRow(s));
    out.push_back(std::move(p));
  }
  return out;
}

Result<std::vector<std::pair<std::string, int64_t>>> Categories(Reader& r) {
  ASSIGN_OR_RETURN(Rows rows, r.Query("SELECT p.category, count(*) FROM products p JOIN merchants m ON m.id = p.merchant_id "
                                      "WHERE p.status='on_sale' AND p.taken_down=0 AND m.status='active' AND p.category <> '' "
                                      "GROUP BY p.category ORDER BY count(*) DESC"));
  std::vector<std::pair<std::string, int64_t>> out;
  for (auto& row : rows) out.emplace_back(row.Str(0), row.Int(1));
  return out;
}

Status Reserve(Tx& tx, int64_t sku_id, int64_t qty) {
  RETURN_IF_ERROR(Guarded(tx.Exec("UPDATE skus SET stock = stock - ?1, reserved = reserved + ?1 WHERE id = ?2 AND stock >= ?1", {qty, sku_id}),
                          MakeError(Msg::NOT_ENOUGH_STOCK)));
  return AfterStockFell(tx, sku_id, qty);
}

Status Release(Tx& tx, int64_t sku_id, int64_t qty) {
  return Guarded(tx.Exec("UPDATE skus SET stock = stock + ?1, reserved = reserved - ?1 WHERE id = ?2 AND reserved >= ?1", {qty, sku_id}),
                 Error{ErrorCode::INTERNAL, "release of more than reserved"});
}

Status Sell(Tx& tx, int64_t sku_id, int64_t qty) {
  RETURN_IF_ERROR(Guarded(tx.Exec("UPDATE skus SET reserved = reserved - ?1, sold = sold + ?1 WHERE id = ?2 AND reserved >= ?1", {qty, sku_id}),
                          Error{ErrorCode::INTERNAL, "sale of more than reserved"}));
  return tx.Run("UPDATE products SET sales = sales + ? WHERE id = (SELECT product_id FROM skus WHERE id=?)", {qty, sku_id});
}

Status Restock(Tx& tx, int64_t sku_id, int64_t qty) {
  return Guarded(tx.Exec("UPDATE skus SET sold = sold - ?1, returned = returned + ?1, stock = stock + ?1 WHERE id = ?2 AND sold >= ?1",
                         {qty, sku_id}),
                 Error{ErrorCode::INTERNAL, "restock of more than sold"});
}

Result<int64_t> Allocate(Tx& tx, int64_t merchant_id, int64_t sku_id, int64_t qty) {
  ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT stock FROM skus WHERE id=? AND merchant_id=?" +
                                             std::string(tx.dialect().ForUpdate()),
                                         {sku_id, merchant_id}));
  if (!row) return int64_t{0};
  const int64_t take = std::min(qty, row->Int(0));
  if (take <= 0) return int64_t{0};
  RETURN_IF_ERROR(Guarded(tx.Exec("UPDATE skus SET stock = stock - ?1, allocated = allocated + ?1 WHERE id = ?2 AND stock >= ?1",
                                  {take, sku_id}),
                          Error{ErrorCode::INTERNAL, "allocation of more than available"}));
  RETURN_IF_ERROR(AfterStockFell(tx, sku_id, take));
  return take;
}

Status Deallocate(Tx& tx, int64_t sku_id, int64_t qty) {
  if (qty == 0) return Ok();
  return Guarded(tx.Exec("UPDATE skus SET stock = stock + ?1, allocated = allocated - ?1 WHERE id = ?2 AND allocated >= ?1", {qty, sku_id}),
                 Error{ErrorCode::INTERNAL, "deallocation of more than allocated"});
}

Result<std::vector<std::string>> CheckInventory(Reader& r) {
  std::vector<std::string> problems;
  ASSIGN_OR_RETURN(Rows bad, r.Query("SELECT id, stock, reserved, sold, returned, stock_in, allocated FROM skus WHERE stock < 0 OR reserved < 0 "
                                     "OR sold < 0 OR allocated < 0 OR stock_in <> stock + reserved + sold + allocated LIMIT 20"));
  for (auto& row : bad)
    problems.push_back("sku " + IdString(row.Int(0)) + ": stock=" + std::to_string(row.Int(1)) + " reserved=" + std::to_string(row.Int(2)) +
                       " sold=" + std::to_string(row.Int(3)) + " returned=" + std::to_string(row.Int(4)) +
                       " allocated=" + std::to_string(row.Int(6)) + " stock_in=" + std::to_string(row.Int(5)) +
                       " (conservation broken)");
  // Reserved units equal the quantities of unpaid (created) orders.
  ASSIGN_OR_RETURN(Rows mismatch, r.Query(
      "SELECT s.id, s.reserved, COALESCE(x.q, 0) FROM skus s LEFT JOIN (SELECT oi.sku_id, SUM(oi.quantity) q FROM order_items oi "
      "JOIN orders o ON o.id = oi.order_id WHERE o.status = 'created' GROUP BY oi.sku_id) x ON x.sku_id = s.id "
      "WHERE s.reserved <> COALESCE(x.q, 0) LIMIT 20"));
  for (auto& row : mismatch)
    problems.push_back("sku " + IdString(row.Int(0)) + ": reserved " + std::to_string(row.Int(1)) + " but unpaid orders hold " +
                       std::to_string(row.Int(2)));
  return problems;
}

// ---- low-stock alerts (stock_alerts.h) ----

Status SetLowStockThreshold(Tx& tx, int64_t merchant_id, int64_t sku_id, int64_t threshold) {
  ASSIGN_OR_RETURN(Sku s, GetSku(tx, sku_id));
  if (s.merchant_id != merchant_id) return Fail(Msg::SKU_NOT_FOUND);
  if (threshold <= 0) return tx.Run("DELETE FROM sku_stock_alerts WHERE sku_id=?", {sku_id});
  return tx.Run("INSERT INTO sku_stock_alerts(sku_id, merchant_id, threshold, updated_at_ms) VALUES(?,?,?,?) "
                "ON CONFLICT(sku_id) DO UPDATE SET threshold = excluded.threshold, updated_at_ms = excluded.updated_at_ms",
                {sku_id, merchant_id, threshold, tx.NowMs()});
}

Result<std::map<int64_t, int64_t>> LowStockThresholds(Reader& r, int64_t merchant_id, const std::vector<int64_t>& sku_ids) {
  std::map<int64_t, int64_t> out;
  if (sku_ids.empty()) return out;
  ASSIGN_OR_RETURN(Rows rows, r.Query("SELECT sku_id, threshold FROM sku_stock_alerts WHERE merchant_id=? AND sku_id IN " +
                                          r.dialect().IdsIn("?"),
                                      {merchant_id, IdListParam(sku_ids)}));
  for (const Row& row : rows) out[row.Int(0)] = row.Int(1);
  return out;
}

Status AfterStockFell(Tx& tx, int64_t sku_id, int64_t fell) {
  if (fell <= 0) return Ok();
  // Most SKUs have no threshold: one primary-key probe of an empty or small table.
  ASSIGN_OR_RETURN(int64_t threshold, tx.QueryInt("SELECT threshold FROM sku_stock_alerts WHERE sku_id=?", {sku_id}));
  if (threshold <= 0) return Ok();
  ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT stock, product_id, merchant_id FROM skus WHERE id=?", {sku_id}));
  if (!row) return Ok();
  const int64_t after = row->Int(0), before = after + fell;
  if (!(before >= threshold && after < threshold)) return Ok();
  return Emit(tx, StockLow{.sku_id = sku_id, .product_id = row->Int(1), .merchant_id = row->Int(2), .stock = after,
                           .threshold = threshold});
}

}  // namespace xd::catalog
