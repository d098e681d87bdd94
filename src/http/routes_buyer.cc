// Routes around every purchase (buyer/): reviews of completed order items with the merchant's
// reply and a product's rating; favourites of products and shops; the buyer's browsing and
// search history; popular searches (decision 021); customer service (客服) threads between a
// buyer and a shop, answered from the console.
#include <mutex>

#include "base/id.h"
#include "base/messages.h"
#include "buyer/buyer.h"
#include "http/api.h"
#include "http/public_reads.h"

namespace xd::http {

using account::Perm;
using account::Principal;

namespace {

// ---- reviews ----

Status CreateReview(Call& c) {
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(Json body, c.Body());
  ASSIGN_OR_RETURN(buyer::ReviewInput in, buyer::ReviewInputFromJson(body));
  c.Write(
      p,
      [in](Tx& tx, const Principal& p) -> Result<Json> {
        ASSIGN_OR_RETURN(buyer::Review v, buyer::CreateReview(tx, p.user_id, in));
        return buyer::ToJson(v, true);
      },
      201);
  return Ok();
}

// A product's page: its rating and a page of reviews, newest first (public; names masked).
Status ListProductReviews(Call& c) {
  Store& store = c.app().store;
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  ASSIGN_OR_RETURN(auto page, c.Page());
  ASSIGN_OR_RETURN(Json out, store.Read([&](Reader& r) -> Result<Json> {
    ASSIGN_OR_RETURN(auto list, buyer::ProductReviews(r, id, page.first, page.second));
    ASSIGN_OR_RETURN(Json rating, buyer::ProductRating(r, id));
    Json items = Json::array();
    for (auto& v : list) items.push_back(buyer::ToJson(v));
    Json j = ListJson(items, NextCursor(list, page.first));
    j["rating"] = rating;
    return j;
  }));
  c.Reply(out);
  return Ok();
}

Status ListOrderReviews(Call& c) {
  Store& store = c.app().store;
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  ASSIGN_OR_RETURN(Json out,
                   store.Read([&](Reader& r) { return buyer::OrderReviews(r, p.user_id, id); }));
  c.Reply(out);
  return Ok();
}

Status ListMerchantReviews(Call& c) {
  Store& store = c.app().store;
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kRead));
  ASSIGN_OR_RETURN(auto page, c.Page());
  bool unanswered = c.req().QueryParam("unanswered").value_or("") == "1";
  ASSIGN_OR_RETURN(auto list, store.Read([&](Reader& r) {
    return buyer::MerchantReviews(r, s.merchant_id, unanswered, page.first, page.second);
  }));
  Json items = Json::array();
  for (auto& v : list) items.push_back(buyer::ToJson(v));
  c.Reply(ListJson(items, NextCursor(list, page.first)));
  return Ok();
}

Status ReplyToReview(Call& c) {
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kAftersales));
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  ASSIGN_OR_RETURN(Json body, c.Body());
  ObjectReader r(body);
  std::string reply = r.String("reply", {.min_len = 1, .max_len = limits::kMaxReviewReplyLen});
  RETURN_IF_ERROR(r.Finish());
  c.Write(s, [id, reply](Tx& tx, const StaffCaller& s) -> Result<Json> {
    ASSIGN_OR_RETURN(buyer::Review v, buyer::ReplyToReview(tx, s.merchant_id, id, reply));
    return buyer::ToJson(v);
  });
  return Ok();
}

// ---- favourites ----

Result<buyer::FavoriteKind> KindParam(Call& c) {
  std::string kind(c.req().Param("kind"));
  auto k = buyer::ParseFavoriteKind(kind);
  if (!k) return Fail(Msg::FIELD_ONE_OF, {Field("kind"), {"value", kind}});
  return *k;
}

Status SetFavorite(Call& c, bool on) {
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(buyer::FavoriteKind kind, KindParam(c));
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  c.Write(p, [kind, id, on](Tx& tx, const Principal& p) -> Result<Json> {
    RETURN_IF_ERROR(buyer::SetFavorite(tx, p.user_id, kind, id, on));
    return Json{{"id", IdString(id)}, {"favorite", on}};
  });
  return Ok();
}
Status AddFavorite(Call& c) { return SetFavorite(c, true); }
Status RemoveFavorite(Call& c) { return SetFavorite(c, false); }

Status ListFavorites(Call& c) {
  Store& store = c.app().store;
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(buyer::FavoriteKind kind, KindParam(c));
  ASSIGN_OR_RETURN(auto page, c.Page());
  ASSIGN_OR_RETURN(Json out, store.Read([&](Reader& r) {
    return buyer::Favorites(r, p.user_id, kind, page.first, page.second);
  }));
  c.Reply(out);
  return Ok();
}

Status ProductFavoriteState(Call& c) {
  Store& store = c.app().store;
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  ASSIGN_OR_RETURN(Json out,
                   store.Read([&](Reader& r) { return buyer::FavoriteState(r, p.user_id, id); }));
  c.Reply(out);
  return Ok();
}

// ---- history ----

Status RecordView(Call& c) {
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(Json body, c.Body());
  ObjectReader r(body);
  int64_t product_id = r.Id("product_id");
  RETURN_IF_ERROR(r.Finish());
  c.Write(p, [product_id](Tx& tx, const Principal& p) -> Result<Json> {
    RETURN_IF_ERROR(buyer::RecordView(tx, p.user_id, product_id));
    return Json{{"product_id", IdString(product_id)}};
  });
  return Ok();
}

Status ListViews(Call& c) {
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(auto page, c.Page());
  ASSIGN_OR_RETURN(Json out, c.app().store.Read([&](Reader& r) {
    return buyer::BrowsingHistory(r, p.user_id, page.first);
  }));
  c.Reply(out);
  return Ok();
}

Status ClearViews(Call& c) {
  ASSIGN_OR_RETURN(Principal p, c.User());
  c.Write(p, [](Tx& tx, const Principal& p) -> Result<Json> {
    RETURN_IF_ERROR(buyer::ClearBrowsingHistory(tx, p.user_id));
    return Json{{"cleared", true}};
  });
  return Ok();
}

Status RecordSearch(Call& c) {
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(Json body, c.Body());
  ObjectReader r(body);
  std::string q = r.String("q", {.min_len = 1, .max_len = limits::kMaxSearchQueryLen});
  RETURN_IF_ERROR(r.Finish());
  c.Write(p, [q](Tx& tx, const Principal& p) -> Result<Json> {
    RETURN_IF_ERROR(buyer::RecordSearch(tx, p.user_id, q));
    return Json{{"q", q}};
  });
  return Ok();
}

Status ListSearches(Call& c) {
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(auto list, c.app().store.Read([&](Reader& r) {
    return buyer::SearchHistory(r, p.user_id, limits::kMaxSearchHistory);
  }));
  c.Reply(Json{{"items", list}});
  return Ok();
}

Status ClearSearches(Call& c) {
  ASSIGN_OR_RETURN(Principal p, c.User());
  c.Write(p, [](Tx& tx, const Principal& p) -> Result<Json> {
    RETURN_IF_ERROR(buyer::ClearSearchHistory(tx, p.user_id));
    return Json{{"cleared", true}};
  });
  return Ok();
}

// Popular searches: one small answer per node, read again at most once a minute (decision
// 021). The memory is one list of at most 10 texts, whatever anyone searches for.
struct PopularCache {
  std::mutex mu;
  const AppContext* app = nullptr;  // whose store the answer came from (tests run several apps)
  int64_t read_at_ms = -1;
  Json answer;
};

Status ListPopularSearches(Call& c) {
  static PopularCache cache;
  constexpr int64_t kFreshMs = 60'000;
  Store& store = c.app().store;
  int64_t now = store.clock().NowMs();
  {
    std::lock_guard lock(cache.mu);
    if (cache.app == &c.app() && now >= cache.read_at_ms && now - cache.read_at_ms < kFreshMs) {
      c.Reply(cache.answer);
      return Ok();
    }
  }
  int64_t since = now - limits::kPopularSearchDays * 24 * 3600 * 1000;
  ASSIGN_OR_RETURN(auto list, store.Read([&](Reader& r) {
    return buyer::PopularSearches(r, since, limits::kPopularSearchMinBuyers, 10);
  }));
  Json answer{{"items", list}};
  {
    std::lock_guard lock(cache.mu);
    cache.app = &c.app();
    cache.read_at_ms = now;
    cache.answer = answer;
  }
  c.Reply(answer);
  return Ok();
}

// ---- customer service (客服) ----

Status OpenThread(Call& c) {
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(Json body, c.Body());
  ObjectReader r(body);
  int64_t merchant_id = r.Id("merchant_id");
  auto order_id = r.OptId("order_id");
  auto product_id = r.OptId("product_id");
  RETURN_IF_ERROR(r.Finish());
  c.Write(p, [merchant_id, order_id, product_id](Tx& tx, const Principal& p) -> Result<Json> {
    return buyer::OpenThread(tx, p.user_id, merchant_id, order_id, product_id);
  });
  return Ok();
}

Result<std::string> MessageText(Call& c) {
  ASSIGN_OR_RETURN(Json body, c.Body());
  ObjectReader r(body);
  std::string text = r.String("text", {.min_len = 1, .max_len = limits::kMaxCsMessageLen});
  RETURN_IF_ERROR(r.Finish());
  return text;
}

Result<int64_t> AfterParam(Call& c) {
  auto v = c.req().QueryParam("after");
  if (!v || v->empty()) return int64_t{0};
  auto id = ParseId(*v);
  if (!id) return Fail(Msg::FIELD_NOT_ID, {Field("after")});
  return *id;
}

Status BuyerThreads(Call& c) {
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(auto page, c.Page());
  ASSIGN_OR_RETURN(Json out, c.app().store.Read([&](Reader& r) {
    return buyer::Threads(r, buyer::Side::kBuyer, p.user_id, page.first);
  }));
  c.Reply(out);
  return Ok();
}

Status BuyerThread(Call& c) {
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  ASSIGN_OR_RETURN(int64_t after, AfterParam(c));
  ASSIGN_OR_RETURN(Json out, c.app().store.Read([&](Reader& r) {
    return buyer::ThreadMessages(r, buyer::Side::kBuyer, p.user_id, id, after,
                                 limits::kMaxPageSize);
  }));
  c.Reply(out);
  return Ok();
}

Status BuyerPost(Call& c) {
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  ASSIGN_OR_RETURN(std::string text, MessageText(c));
  c.Write(
      p,
      [id, text](Tx& tx, const Principal& p) -> Result<Json> {
        return buyer::PostMessage(tx, buyer::Side::kBuyer, p.user_id, p.user_id, id, text);
      },
      201);
  return Ok();
}

Status BuyerRead(Call& c) {
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  c.Write(p, [id](Tx& tx, const Principal& p) -> Result<Json> {
    RETURN_IF_ERROR(buyer::MarkRead(tx, buyer::Side::kBuyer, p.user_id, id));
    return Json{{"id", IdString(id)}, {"unread", 0}};
  });
  return Ok();
}

Status MerchantThreads(Call& c) {
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kRead));
  ASSIGN_OR_RETURN(auto page, c.Page());
  ASSIGN_OR_RETURN(Json out, c.app().store.Read([&](Reader& r) {
    return buyer::Threads(r, buyer::Side::kMerchant, s.merchant_id, page.first);
  }));
  c.Reply(out);
  return Ok();
}

Status MerchantThread(Call& c) {
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kRead));
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  ASSIGN_OR_RETURN(int64_t after, AfterParam(c));
  ASSIGN_OR_RETURN(Json out, c.app().store.Read([&](Reader& r) {
    return buyer::ThreadMessages(r, buyer::Side::kMerchant, s.merchant_id, id, after,
                                 limits::kMaxPageSize);
  }));
  c.Reply(out);
  return Ok();
}

Status MerchantPost(Call& c) {
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kAftersales));
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  ASSIGN_OR_RETURN(std::string text, MessageText(c));
  c.Write(
      s,
      [id, text](Tx& tx, const StaffCaller& s) -> Result<Json> {
        return buyer::PostMessage(tx, buyer::Side::kMerchant, s.merchant_id, s.principal.user_id,
                                  id, text);
      },
      201);
  return Ok();
}

Status MerchantRead(Call& c) {
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kAftersales));
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  c.Write(s, [id](Tx& tx, const StaffCaller& s) -> Result<Json> {
    RETURN_IF_ERROR(buyer::MarkRead(tx, buyer::Side::kMerchant, s.merchant_id, id));
    return Json{{"id", IdString(id)}, {"unread", 0}};
  });
  return Ok();
}

}  // namespace

void AddBuyerRoutes(Api& api) {
  // One entry per route, laid out by hand as an index of the module's API.
  // clang-format off
  api.AddTable({
      // ---- reviews (评价) ----
      {{"POST", "/api/v1/reviews",
        "Review an item of the caller's completed order, once (404 not the caller's item, 409 "
        "not completed, 409 reviewed)", "buyer", AuthKind::kUser, 201,
        Json{{"order_item_id", "123"}, {"rating", 5}, {"text", "豆子很新鲜，回购！"}}}, CreateReview},
      {{"GET", "/api/v1/products/{id}/reviews",
        "A product's rating and reviews, newest first (names masked)", "buyer", AuthKind::kNone, 200,
        nullptr, {"limit", "cursor"}}, ListProductReviews},
      {{"GET", "/api/v1/orders/{id}/reviews",
        "The caller's order items with their review, if any (the order page's 评价)", "buyer",
        AuthKind::kUser}, ListOrderReviews},
      {{"GET", "/api/v1/merchant/reviews", "The shop's reviews, newest first (staff)", "buyer",
        AuthKind::kStaff, 200, nullptr, {"unanswered", "limit", "cursor"}}, ListMerchantReviews},
      {{"POST", "/api/v1/merchant/reviews/{id}/reply", "Answer a review of the shop, once (staff)",
        "buyer", AuthKind::kStaff, 200, Json{{"reply", "谢谢支持，欢迎再来！"}}}, ReplyToReview},
      // ---- favourites (收藏) ----
      {{"PUT", "/api/v1/me/favorites/{kind}/{id}",
        "Favourite a product or a shop (kind: product | shop; idempotent)", "buyer",
        AuthKind::kUser}, AddFavorite},
      {{"DELETE", "/api/v1/me/favorites/{kind}/{id}", "Remove a favourite", "buyer",
        AuthKind::kUser}, RemoveFavorite},
      {{"GET", "/api/v1/me/favorites/{kind}", "The caller's favourite products or shops, newest "
        "first", "buyer", AuthKind::kUser, 200, nullptr, {"limit", "cursor"}}, ListFavorites},
      {{"GET", "/api/v1/products/{id}/favorite",
        "Whether the caller favourited the product and its shop", "buyer", AuthKind::kUser},
       ProductFavoriteState},
      // ---- history ----
      {{"POST", "/api/v1/me/history/views", "The caller opened a product page", "buyer",
        AuthKind::kUser, 200, Json{{"product_id", "123"}}}, RecordView},
      {{"GET", "/api/v1/me/history/views", "Products the caller opened, newest first", "buyer",
        AuthKind::kUser, 200, nullptr, {"limit"}}, ListViews},
      {{"DELETE", "/api/v1/me/history/views", "Clear the browsing history", "buyer",
        AuthKind::kUser}, ClearViews},
      {{"POST", "/api/v1/me/history/searches", "The caller searched for a text", "buyer",
        AuthKind::kUser, 200, Json{{"q", "咖啡"}}}, RecordSearch},
      {{"GET", "/api/v1/me/history/searches", "The caller's recent searches, newest first",
        "buyer", AuthKind::kUser}, ListSearches},
      {{"DELETE", "/api/v1/me/history/searches", "Clear the search history", "buyer",
        AuthKind::kUser}, ClearSearches},
      {{"GET", "/api/v1/search/popular",
        "Popular searches: texts the most buyers searched for in 7 days (each buyer counted "
        "once)", "buyer"}, ListPopularSearches},
      // ---- customer service (客服) ----
      {{"POST", "/api/v1/cs/threads",
        "Open (or find) the caller's thread with a shop about an order, a product or the shop",
        "buyer", AuthKind::kUser, 200, Json{{"merchant_id", "123"}, {"product_id", "456"}}}, OpenThread},
      {{"GET", "/api/v1/me/cs/threads", "The caller's threads, latest first, with unread counts",
        "buyer", AuthKind::kUser, 200, nullptr, {"limit"}}, BuyerThreads},
      {{"GET", "/api/v1/cs/threads/{id}", "A thread of the caller's with its messages after ?after=",
        "buyer", AuthKind::kUser, 200, nullptr, {"after"}}, BuyerThread},
      {{"POST", "/api/v1/cs/threads/{id}/messages", "The buyer writes to the shop", "buyer",
        AuthKind::kUser, 201, Json{{"text", "请问什么时候发货？"}}}, BuyerPost},
      {{"POST", "/api/v1/cs/threads/{id}/read", "The buyer read the thread", "buyer",
        AuthKind::kUser}, BuyerRead},
      {{"GET", "/api/v1/merchant/cs/threads",
        "The shop's threads, latest first, with unread counts and the total unread (staff)",
        "buyer", AuthKind::kStaff, 200, nullptr, {"limit"}}, MerchantThreads},
      {{"GET", "/api/v1/merchant/cs/threads/{id}", "A thread of the shop with its messages (staff)",
        "buyer", AuthKind::kStaff, 200, nullptr, {"after"}}, MerchantThread},
      {{"POST", "/api/v1/merchant/cs/threads/{id}/messages", "The shop answers (staff)", "buyer",
        AuthKind::kStaff, 201, Json{{"text", "今天下午发出～"}}}, MerchantPost},
      {{"POST", "/api/v1/merchant/cs/threads/{id}/read", "The shop read the thread (staff)",
        "buyer", AuthKind::kStaff}, MerchantRead},
  });
  // clang-format on
}

}  // namespace xd::http
