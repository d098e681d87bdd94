// The catalog's outbox events (architecture decision 4; issue 12): the product or SKU as it
// is after the change (prices and stock included), for the data platform and the feed.
#pragma once

#include <cstdint>

#include "base/id.h"
#include "base/json.h"
#include "catalog/catalog.h"
#include "store/store.h"

namespace xd::catalog {

// "product.created" | "product.updated": the product with its SKUs, as its merchant sees it.
struct ProductChanged {
  static constexpr int kSchemaVersion = 2;  // 2: the product snapshot
  bool created = false;
  Product product;

  EventHead Head() const {
    return {created ? "product.created" : "product.updated", kSchemaVersion, product.id, product.merchant_id};
  }
  Json Payload() const {
    return Json{{"product_id", IdString(product.id)}, {"merchant_id", IdString(product.merchant_id)},
                {"status", product.status}, {"product", ToJson(product, true)}};
  }
};

// "sku.updated": a SKU's price or stock changed (its values after the change).
struct SkuUpdated {
  static constexpr int kSchemaVersion = 1;
  Sku sku;

  EventHead Head() const { return {"sku.updated", kSchemaVersion, sku.id, sku.merchant_id}; }
  Json Payload() const {
    return Json{{"sku_id", IdString(sku.id)}, {"product_id", IdString(sku.product_id)}, {"merchant_id", IdString(sku.merchant_id)},
                {"price_fen", sku.price_fen}, {"stock", sku.stock}};
  }
};

// "stock.low": the SKU's available stock fell below its low-stock threshold (stock_alerts.h),
// with the stock after the change that crossed it.
struct StockLow {
  static constexpr int kSchemaVersion = 1;
  int64_t sku_id = 0, product_id = 0, merchant_id = 0, stock = 0, threshold = 0;

  EventHead Head() const { return {"stock.low", kSchemaVersion, sku_id, merchant_id}; }
  Json Payload() const {
    return Json{{"sku_id", IdString(sku_id)}, {"product_id", IdString(product_id)}, {"merchant_id", IdString(merchant_id)},
                {"stock", stock}, {"threshold", threshold}};
  }
};

// "product.taken_down": the platform took a product off sale.
struct ProductTakenDown {
  static constexpr int kSchemaVersion = 1;
  int64_t product_id = 0, merchant_id = 0;

  EventHead Head() const { return {"product.taken_down", kSchemaVersion, product_id, merchant_id}; }
  Json Payload() const { return Json{{"product_id", IdString(product_id)}, {"merchant_id", IdString(merchant_id)}}; }
};

}  // namespace xd::catalog
