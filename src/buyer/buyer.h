// What surrounds a purchase on the buyer's side (SPEC §5 "Around every purchase", issue 15):
// reviews (评价) of completed order items with the merchant's reply and a product's rating,
// favourites (收藏) of products and shops, the buyer's browsing and search history, the
// popular searches drawn from it (decision 021), and customer service (客服): a buyer–shop
// message thread per order, product or shop, answered from the console with unread counts.
//
//   ASSIGN_OR_RETURN(ReviewInput in, ReviewInputFromJson(body));
//   store.Execute([&](Tx& tx) { return ToStatus(CreateReview(tx, user_id, in)); });
//   ASSIGN_OR_RETURN(auto page, store.Read([&](Reader& r) { return ProductReviews(r, pid, 20, 0);
//   }));
//
// Every write is one guarded statement or a unique index (one review per order item, one
// favourite per thing) in the caller's transaction; every list a buyer grows is bounded here
// (limits.h: history trimmed on insert, favourites capped). Thread-safety: free functions over
// the caller's Tx/Reader; nothing is kept in memory.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/result.h"
#include "store/store.h"

namespace xd::buyer {

// ---- reviews ----

struct ReviewInput {
  int64_t order_item_id = 0;
  int64_t rating = 0;               // 1..5 stars
  std::string text;                 // may be empty
  // Media ids (media::RecordUserUpload's "id") of photos the reviewer uploaded, at most
  // limits::kMaxReviewPhotos, distinct, in the order shown.
  std::vector<std::string> photos;
};
// Decoded and range-checked (INVALID_FIELD naming the field).
Result<ReviewInput> ReviewInputFromJson(const Json& body);

struct Review {
  int64_t id = 0, merchant_id = 0, order_id = 0, order_item_id = 0, product_id = 0, sku_id = 0,
          user_id = 0;
  int64_t rating = 0;
  std::string text;
  Json photos = Json::array();  // media ids as stored; ToJson gives each size's URL
  std::optional<std::string> reply;
  std::optional<int64_t> replied_at_ms;
  int64_t created_at_ms = 0;
  std::string nickname;  // the reviewer's, masked when shown to others (小王 → 小*)
  std::string spec;      // the item's spec as bought ("烘焙:中烘")
};
// for_owner: the reviewer's own view (nickname unmasked, user id); others see a masked name.
Json ToJson(const Review& r, bool for_owner = false);

// The buyer reviews one item of their own completed order, once. NOT_FOUND unless the item
// is of the buyer's order (another buyer's item is not revealed); INVALID_STATE unless the
// order is completed; ALREADY_EXISTS when the item has a review; REVIEW_PHOTO_NOT_YOURS when a
// photo is not one the buyer uploaded (whether someone else did is not revealed).
Result<Review> CreateReview(Tx& tx, int64_t user_id, const ReviewInput& in);
// The merchant answers a review of its shop, once (ALREADY_EXISTS after); NOT_FOUND for
// another shop's review.
Result<Review> ReplyToReview(Tx& tx, int64_t merchant_id, int64_t review_id,
                             const std::string& reply);
// A product's reviews, newest first; `before_id` is the last page's last id (0: first page).
Result<std::vector<Review>> ProductReviews(Reader& r, int64_t product_id, int64_t limit,
                                           int64_t before_id);
// A shop's reviews for its console, newest first; unanswered only when asked.
Result<std::vector<Review>> MerchantReviews(Reader& r, int64_t merchant_id, bool unanswered_only,
                                            int64_t limit, int64_t before_id);
// {"count","average_x10" (4.5 stars = 45, integer),"stars":{"1".."5": n}} of a product.
Result<Json> ProductRating(Reader& r, int64_t product_id);
// The items of one of the buyer's orders with their review (null when none): the order page's
// 评价 buttons. NOT_FOUND for another buyer's order.
Result<Json> OrderReviews(Reader& r, int64_t user_id, int64_t order_id);

// ---- favourites (收藏) ----

enum class FavoriteKind { kProduct, kShop };
// "product" | "shop"; nullopt otherwise.
std::optional<FavoriteKind> ParseFavoriteKind(std::string_view s);
// Adds (idempotent) or removes a favourite. Adding needs the product on sale / the shop active
// (NOT_FOUND otherwise) and stays under limits::kMaxFavorites per kind (LIMIT_EXCEEDED).
Status SetFavorite(Tx& tx, int64_t user_id, FavoriteKind kind, int64_t id, bool on);
// The buyer's favourites, newest first, with what a list shows (a product's title, image and
// price; a shop's name and kind). `before_ms`: the last page's last time (0: first page).
Result<Json> Favorites(Reader& r, int64_t user_id, FavoriteKind kind, int64_t limit,
                       int64_t before_ms);
// A shop favourite is a follow (关注店铺, issue 20): the storefront's follow button, the
// merchant's followers and the home feed's followed shops all read favorite_shops; following and
// unfollowing are also counted per shop and day (shop_follow_days) for the merchant's growth.
// The China-time (UTC+8) day of an instant as days since 1970-01-01.
int64_t FollowDay(int64_t ms);
// A shop's followers now, whether `user_id` (0: anonymous) follows it.
struct ShopFollowers {
  int64_t followers = 0;
  bool following = false;
};
Result<ShopFollowers> ShopFollowerCount(Reader& r, int64_t merchant_id, int64_t user_id);
// The merchant's followers and their growth over the last `days` China-time days ending today
// (oldest first, every day present): {"followers","new_followers","lost_followers","days":[…]}.
Result<Json> FollowerGrowth(Reader& r, int64_t merchant_id, int64_t days);

// Whether the buyer has favourited the product and its shop: the product page's hearts.
Result<Json> FavoriteState(Reader& r, int64_t user_id, int64_t product_id);

// ---- history ----

// The buyer opened a product page: the latest view per product, the oldest beyond
// limits::kMaxBrowsingHistory dropped in the same transaction.
Status RecordView(Tx& tx, int64_t user_id, int64_t product_id);
// Newest first, with the product's card; products gone from sale are left out.
Result<Json> BrowsingHistory(Reader& r, int64_t user_id, int64_t limit);
Status ClearBrowsingHistory(Tx& tx, int64_t user_id);
// The buyer searched for `q` (trimmed, 1..kMaxSearchQueryLen bytes): the latest per text, the
// oldest beyond limits::kMaxSearchHistory dropped.
Status RecordSearch(Tx& tx, int64_t user_id, const std::string& q);
Result<std::vector<std::string>> SearchHistory(Reader& r, int64_t user_id, int64_t limit);
Status ClearSearchHistory(Tx& tx, int64_t user_id);
// The texts most buyers searched for since `since_ms`, each counted once per buyer (one
// account cannot push a text up by repeating it), at least `min_buyers` buyers each.
Result<std::vector<Json>> PopularSearches(Reader& r, int64_t since_ms, int64_t min_buyers,
                                          int64_t limit);

// ---- customer service (客服) ----

enum class Side { kBuyer, kMerchant };

// The buyer's thread with a shop about one of the buyer's orders of that shop, a product of
// that shop, or the shop in general (neither): found or opened (one per subject, a unique
// index). NOT_FOUND for another buyer's order, another shop's product, or a shop not active.
Result<Json> OpenThread(Tx& tx, int64_t user_id, int64_t merchant_id,
                        std::optional<int64_t> order_id, std::optional<int64_t> product_id);
// One side posts a message: the buyer of the thread, or staff of its shop (`actor_id` the
// buyer or the staff member; `owner_id` the thread's user or merchant it must match, else
// NOT_FOUND). Raises the other side's unread count; LIMIT_EXCEEDED past
// limits::kMaxCsMessagesPerThread.
Result<Json> PostMessage(Tx& tx, Side side, int64_t owner_id, int64_t actor_id, int64_t thread_id,
                         const std::string& text);
// The thread (as `side` sees it: NOT_FOUND unless it is `owner_id`'s) with its messages after
// `after_id`, oldest first.
Result<Json> ThreadMessages(Reader& r, Side side, int64_t owner_id, int64_t thread_id,
                            int64_t after_id, int64_t limit);
// `side` has read the thread: its unread count goes to 0.
Status MarkRead(Tx& tx, Side side, int64_t owner_id, int64_t thread_id);
// The buyer's threads, or the shop's, latest first, each with its unread count for that side,
// and the side's total unread ({"items","unread"}).
Result<Json> Threads(Reader& r, Side side, int64_t owner_id, int64_t limit);

// Invariants for `xiaodian check`: a review of an order item that is not its buyer's, of an
// order that is not completed, or whose product/shop disagrees with its item.
Result<std::vector<std::string>> Check(Reader& r);

}  // namespace xd::buyer
