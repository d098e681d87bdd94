// The traffic layer's product side (issue 20, SPEC §9, decision 028): the storefront (店铺主页)
// with its follow button; the home feed and hot shops on rank.h follow.
//
//   ASSIGN_OR_RETURN(Json shop, store.Read([&](Reader& r) { return feed::Storefront(r, mid, uid); }));
//
// A follow is a shop favourite (buyer.h): one table, one button, one list.
// Thread-safety: free functions over the caller's Reader keep nothing.
#pragma once

#include <cstdint>

#include "base/json.h"
#include "base/result.h"
#include "store/store.h"

namespace xd::feed {

// The public shop page of an active merchant: the shop (name, intro, kind), its followers and
// whether `viewer_user_id` (0: anonymous) follows it, its categories of on-sale products with
// counts (at most 50), and its live rooms that are live or scheduled (at most 10, live first).
// MERCHANT_NOT_FOUND unless the merchant is active. Coupons and products have their own public
// routes (GET /merchants/{id}/coupons, GET /products?merchant_id=).
Result<Json> Storefront(Reader& r, int64_t merchant_id, int64_t viewer_user_id);

}  // namespace xd::feed
