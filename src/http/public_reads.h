// What public reads and links need to know about the request in hand: whether a signed-in
// reader is asking (a public page that also says what the caller holds), and the origin a
// scanned link must start with (QR codes). Shared by the coupon, activity, membership and
// buyer routes; thread-safe (pure functions of the request).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "http/api.h"

namespace xd::http {

// The origin a QR code's link starts with, as the scanning phone must reach it: the request's
// Host (what the console was loaded from), https when a proxy says so. A Host with anything
// but host-name characters gives none: the code then holds the path alone.
std::string PublicOrigin(const Request& req);

// The signed-in user's id if the request carries a valid session, for public reads that also
// say what the caller holds (a coupon's "held", a group's "joined"). A bad or missing token,
// or an API key, reads as anonymous: the page is public.
std::optional<int64_t> SignedInUser(Call& c);

// Sets each product card's "activity" to the badge of its running 拼团/秒杀/砍价/… activity (id,
// type, price_fen, ends_at) or null, with one query for the page: search, the storefront and the
// home feed show the same badge. `cards` point at JSON objects whose "id" is a product id string.
Status AddActivityBadges(Call& c, Reader& r, const std::vector<Json*>& cards);

// The routes of buyer/ (reviews, favourites, history, popular searches, customer service).
void AddBuyerRoutes(Api& api);

}  // namespace xd::http
