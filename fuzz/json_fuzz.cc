// Fuzz target: JSON decoding of every request body type. Property: never crashes, never
// throws; a decoded body satisfies the decoder's own rules.
#include <cstdint>
#include <string_view>

#include "account/account.h"
#include "base/json.h"
#include "catalog/catalog.h"
#include "promo/promo.h"
#include "trade/trade.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto j = xd::ParseJson(text);
  if (!j) return 0;
  (void)xd::DumpJson(*j);
  if (auto p = xd::catalog::ProductInputFromJson(*j)) {
    if (p->skus.empty()) __builtin_trap();
    for (auto& s : p->skus)
      if (s.price_fen <= 0 || s.stock < 0) __builtin_trap();
  }
  (void)xd::catalog::ProductPatchFromJson(*j);
  if (auto c = xd::trade::CheckoutRequestFromJson(*j)) {
    for (auto& l : c->items)
      if (l.quantity < 1 || l.quantity > 999) __builtin_trap();
  }
  (void)xd::account::AddressFromJson(*j);
  (void)xd::promo::ActivityInputFromJson(*j);
  (void)xd::promo::CouponInputFromJson(*j);
  xd::ObjectReader r(*j);
  (void)r.String("a");
  (void)r.OptInt("b", {.min = 0, .max = 10});
  (void)r.OptId("c");
  (void)r.OptTime("d");
  (void)r.Finish();
  return 0;
}
