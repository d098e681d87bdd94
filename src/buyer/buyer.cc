// Reviews, favourites and history (buyer.h). Every write is guarded by the schema (the unique
// index of a review per order item, the primary keys of favourites and history) and every
// per-buyer list is trimmed or capped in the transaction that grows it.
#include "buyer/buyer.h"

#include <algorithm>
#include <map>
#include <string_view>

#include "account/account.h"
#include "base/mask.h"
#include "base/id.h"
#include "base/limits.h"
#include "base/messages.h"
#include "media/media.h"

namespace xd::buyer {

namespace {

constexpr const char* kReviewCols =
    "v.id, v.merchant_id, v.order_id, v.order_item_id, v.product_id, v.sku_id, v.user_id, "
    "v.rating, v.text, v.photos, "
    "v.reply, v.replied_at_ms, v.created_at_ms, COALESCE(u.nickname, ''), COALESCE(i.spec, '{}')";
constexpr const char* kReviewFrom =
    " FROM reviews v LEFT JOIN users u ON u.id = v.user_id LEFT JOIN order_items i ON i.id = "
    "v.order_item_id ";

std::string SpecText(const Json& spec) {
  std::string out;
  if (!spec.is_object()) return out;
  for (auto& [k, v] : spec.items()) {
    if (!out.empty()) out += " ";
    out += k + ":" + (v.is_string() ? v.get<std::string>() : v.dump());
  }
  return out;
}

Review ReviewFromRow(const Row& r) {
  Review v;
  v.id = r.Int(0);
  v.merchant_id = r.Int(1);
  v.order_id = r.Int(2);
  v.order_item_id = r.Int(3);
  v.product_id = r.Int(4);
  v.sku_id = r.Int(5);
  v.user_id = r.Int(6);
  v.rating = r.Int(7);
  v.text = r.Str(8);
  v.photos = r.JsonAt(9);
  if (!r.IsNull(10)) v.reply = r.Str(10);
  v.replied_at_ms = r.OptInt(11);
  v.created_at_ms = r.Int(12);
  v.nickname = r.Str(13);
  v.spec = SpecText(ParseJson(r.Str(14)).value_or(Json::object()));
  return v;
}

// A review's stored media ids as what the apps show: [{id, url (large), thumb (small)}].
Json PhotosJson(const Json& ids) {
  Json out = Json::array();
  if (!ids.is_array()) return out;
  for (const Json& id : ids) {
    if (!id.is_string()) continue;
    const std::string& sha = id.get_ref<const std::string&>();
    out.push_back(Json{{"id", sha}, {"url", media::MediaUrl(sha, 'l')}, {"thumb", media::MediaUrl(sha, 's')}});
  }
  return out;
}

Result<Review> LoadReview(Reader& r, int64_t id) {
  ASSIGN_OR_RETURN(
      auto row,
      r.QueryOne(std::string("SELECT ") + kReviewCols + kReviewFrom + "WHERE v.id=?", {id}));
  if (!row) return Fail(Msg::REVIEW_NOT_FOUND);
  return ReviewFromRow(*row);
}

Result<std::vector<Review>> ReviewList(Reader& r, const std::string& where, Params params) {
  ASSIGN_OR_RETURN(Rows rows, r.Query(std::string("SELECT ") + kReviewCols + kReviewFrom + where,
                                      std::move(params)));
  std::vector<Review> out;
  for (auto& row : rows) out.push_back(ReviewFromRow(row));
  return out;
}

}  // namespace

// ---- reviews ----

Result<ReviewInput> ReviewInputFromJson(const Json& body) {
  ObjectReader r(body);
  ReviewInput in;
  in.order_item_id = r.Id("order_item_id");
  in.rating = r.Int("rating", {.min = 1, .max = 5});
  in.text = r.OptString("text", {.max_len = limits::kMaxReviewLen}).value_or("");
  if (const Json* photos = r.Raw("photos")) {
    if (!photos->is_array()) {
      r.Invalid("photos", Msg::FIELD_NOT_ARRAY);
    } else if (photos->size() > limits::kMaxReviewPhotos) {
      r.Invalid("photos", Msg::FIELD_TOO_MANY, {{"max", limits::kMaxReviewPhotos}});
    } else {
      for (const Json& p : *photos) {
        if (!p.is_string() || !media::IsMediaId(p.get_ref<const std::string&>())) {
          r.Invalid("photos", Msg::FIELD_INVALID);
          break;
        }
        if (std::ranges::find(in.photos, p.get<std::string>()) != in.photos.end()) {
          r.Invalid("photos", Msg::FIELD_DUPLICATES);
          break;
        }
        in.photos.push_back(p.get<std::string>());
      }
    }
  }
  RETURN_IF_ERROR(r.Finish());
  return in;
}

Json ToJson(const Review& v, bool for_owner) {
  Json j{{"id", IdString(v.id)},
         {"order_id", for_owner ? Json(IdString(v.order_id)) : Json(nullptr)},
         {"order_item_id", for_owner ? Json(IdString(v.order_item_id)) : Json(nullptr)},
         {"product_id", IdString(v.product_id)},
         {"sku_id", IdString(v.sku_id)},
         {"merchant_id", IdString(v.merchant_id)},
         {"rating", v.rating},
         {"text", v.text},
         {"photos", PhotosJson(v.photos)},
         {"spec", v.spec},
         {"nickname", for_owner ? v.nickname : MaskName(v.nickname)},
         {"reply", v.reply ? Json(*v.reply) : Json(nullptr)},
         {"replied_at", v.replied_at_ms ? Json(FormatRfc3339(*v.replied_at_ms)) : Json(nullptr)},
         {"created_at", FormatRfc3339(v.created_at_ms)}};
  return j;
}

Result<Review> CreateReview(Tx& tx, int64_t user_id, const ReviewInput& in) {
  ASSIGN_OR_RETURN(
      auto item,
      tx.QueryOne("SELECT i.order_id, i.product_id, i.sku_id, o.merchant_id, o.buyer_id, o.status "
                  "FROM order_items i JOIN orders o ON o.id = i.order_id WHERE i.id=?",
                  {in.order_item_id}));
  // Another buyer's item answers as a missing one: nothing about other people's orders leaks.
  if (!item || item->Int(4) != user_id) return Fail(Msg::REVIEW_ITEM_NOT_FOUND);
  if (item->Str(5) != "completed") return Fail(Msg::REVIEW_ORDER_NOT_COMPLETED);
  int64_t merchant_id = item->Int(3);
  ASSIGN_OR_RETURN(
      int64_t exists,
      tx.QueryInt("SELECT count(*) FROM reviews WHERE merchant_id=? AND order_item_id=?",
                  {merchant_id, in.order_item_id}));
  if (exists > 0) return Fail(Msg::REVIEW_EXISTS);
  // Only the reviewer's own uploads: a photo id seen elsewhere (another buyer's review, a
  // product page) cannot be attached to this review. Distinct ids, at most kMaxReviewPhotos.
  for (const std::string& sha : in.photos) {
    ASSIGN_OR_RETURN(int64_t mine, tx.QueryInt("SELECT count(*) FROM user_media WHERE user_id=? AND sha256=?",
                                               {user_id, sha}));
    if (mine == 0) return Fail(Msg::REVIEW_PHOTO_NOT_YOURS);
  }
  int64_t id = tx.NewId();
  // The unique index holds the rule if two reviews of the item race on PostgreSQL writers.
  ASSIGN_OR_RETURN(
      int64_t n,
      tx.Exec(
          "INSERT INTO reviews(id, merchant_id, order_id, order_item_id, product_id, sku_id, "
          "user_id, rating, "
          "text, photos, created_at_ms) VALUES(?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING",
          {id, merchant_id, item->Int(0), in.order_item_id, item->Int(1), item->Int(2), user_id,
           in.rating, in.text, Json(in.photos).dump(), tx.NowMs()}));
  if (n == 0) return Fail(Msg::REVIEW_EXISTS);
  return LoadReview(tx, id);
}

Result<Review> ReplyToReview(Tx& tx, int64_t merchant_id, int64_t review_id,
                             const std::string& reply) {
  ASSIGN_OR_RETURN(Review v, LoadReview(tx, review_id));
  if (v.merchant_id != merchant_id) return Fail(Msg::REVIEW_NOT_FOUND);
  if (v.reply) return Fail(Msg::REVIEW_REPLIED);
  ASSIGN_OR_RETURN(int64_t n, tx.Exec("UPDATE reviews SET reply=?, replied_at_ms=? WHERE id=? AND "
                                      "merchant_id=? AND reply IS NULL",
                                      {reply, tx.NowMs(), review_id, merchant_id}));
  if (n == 0) return Fail(Msg::REVIEW_REPLIED);
  return LoadReview(tx, review_id);
}

Result<std::vector<Review>> ProductReviews(Reader& r, int64_t product_id, int64_t limit,
                                           int64_t before_id) {
  return ReviewList(r, "WHERE v.product_id=?1 AND (?2=0 OR v.id<?2) ORDER BY v.id DESC LIMIT ?3",
                    {product_id, before_id, limit});
}

Result<std::vector<Review>> MerchantReviews(Reader& r, int64_t merchant_id, bool unanswered_only,
                                            int64_t limit, int64_t before_id) {
  return ReviewList(r,
                    "WHERE v.merchant_id=?1 AND (?2=0 OR v.id<?2) AND (?3=0 OR v.reply IS NULL) "
                    "ORDER BY v.id DESC LIMIT ?4",
                    {merchant_id, before_id, unanswered_only ? 1 : 0, limit});
}

Result<Json> ProductRating(Reader& r, int64_t product_id) {
  ASSIGN_OR_RETURN(
      Rows rows, r.Query("SELECT rating, count(*) FROM reviews WHERE product_id=? GROUP BY rating",
                         {product_id}));
  Json stars = Json{{"1", 0}, {"2", 0}, {"3", 0}, {"4", 0}, {"5", 0}};
  int64_t count = 0, sum = 0;
  for (auto& row : rows) {
    stars[std::to_string(row.Int(0))] = row.Int(1);
    count += row.Int(1);
    sum += row.Int(0) * row.Int(1);
  }
  // Tenths of a star, rounded half up, in integers: 4.46 → 45.
  int64_t average_x10 = count ? (sum * 20 + count) / (2 * count) : 0;
  return Json{{"count", count}, {"average_x10", average_x10}, {"stars", stars}};
}

Result<Json> OrderReviews(Reader& r, int64_t user_id, int64_t order_id) {
  ASSIGN_OR_RETURN(auto order,
                   r.QueryOne("SELECT buyer_id, status FROM orders WHERE id=?", {order_id}));
  if (!order || order->Int(0) != user_id) return Fail(Msg::ORDER_NOT_FOUND);
  ASSIGN_OR_RETURN(
      Rows rows,
      r.Query("SELECT i.id, i.product_id, i.title, i.image, i.spec, v.id FROM order_items i "
              "LEFT JOIN reviews v ON v.order_item_id = i.id WHERE i.order_id=? ORDER BY i.id",
              {order_id}));
  Json items = Json::array();
  for (auto& row : rows) {
    items.push_back(
        Json{{"order_item_id", IdString(row.Int(0))},
             {"product_id", IdString(row.Int(1))},
             {"title", row.Str(2)},
             {"image", row.Str(3)},
             {"spec", SpecText(ParseJson(row.Str(4)).value_or(Json::object()))},
             {"review_id", row.IsNull(5) ? Json(nullptr) : Json(IdString(row.Int(5)))}});
  }
  return Json{{"reviewable", order->Str(1) == "completed"}, {"items", items}};
}

// ---- favourites ----

int64_t FollowDay(int64_t ms) {
  constexpr int64_t kChinaOffsetMs = 8LL * 3600 * 1000, kDayMs = 24LL * 3600 * 1000;
  int64_t t = ms + kChinaOffsetMs;
  return t >= 0 ? t / kDayMs : (t - kDayMs + 1) / kDayMs;
}

namespace {

// A shop favourite is a follow (关注): the shop's followers grow or shrink today. Counted only
// when a row really came or went, so a repeated tap counts once.
Status CountFollow(Tx& tx, int64_t merchant_id, std::string_view column) {
  const std::string col(column);
  return tx.Run("INSERT INTO shop_follow_days(merchant_id, day, " + col +
                    ") VALUES(?,?,1) ON CONFLICT(merchant_id, day) DO UPDATE SET " + col + "=" +
                    "shop_follow_days." + col + "+1",
                {merchant_id, FollowDay(tx.NowMs())});
}

}  // namespace

std::optional<FavoriteKind> ParseFavoriteKind(std::string_view s) {
  if (s == "product") return FavoriteKind::kProduct;
  if (s == "shop") return FavoriteKind::kShop;
  return std::nullopt;
}

Status SetFavorite(Tx& tx, int64_t user_id, FavoriteKind kind, int64_t id, bool on) {
  const bool product = kind == FavoriteKind::kProduct;
  const std::string table = product ? "favorite_products" : "favorite_shops";
  const std::string col = product ? "product_id" : "merchant_id";
  if (!on) {
    ASSIGN_OR_RETURN(int64_t gone, tx.Exec("DELETE FROM " + table + " WHERE user_id=? AND " + col +
                                               "=?",
                                           {user_id, id}));
    return product || !gone ? Ok() : CountFollow(tx, id, "unfollows");
  }
  if (product) {
    ASSIGN_OR_RETURN(
        int64_t open,
        tx.QueryInt("SELECT count(*) FROM products p JOIN merchants m ON m.id = p.merchant_id "
                    "WHERE p.id=? AND p.status='on_sale' AND p.taken_down=0 AND m.status='active'",
                    {id}));
    if (!open) return Fail(Msg::PRODUCT_NOT_FOUND);
  } else {
    ASSIGN_OR_RETURN(
        int64_t open,
        tx.QueryInt("SELECT count(*) FROM merchants WHERE id=? AND status='active'", {id}));
    if (!open) return Fail(Msg::MERCHANT_NOT_FOUND);
  }
  RETURN_IF_ERROR(account::LockUser(tx, user_id));  // the limit is a count: one node at a time
  ASSIGN_OR_RETURN(int64_t held,
                   tx.QueryInt("SELECT count(*) FROM " + table + " WHERE user_id=?", {user_id}));
  if (held >= limits::kMaxFavorites) {
    ASSIGN_OR_RETURN(int64_t already, tx.QueryInt("SELECT count(*) FROM " + table +
                                                      " WHERE user_id=? AND " + col + "=?",
                                                  {user_id, id}));
    if (!already) return Fail(Msg::FAVORITES_FULL, {{"max", limits::kMaxFavorites}});
  }
  ASSIGN_OR_RETURN(int64_t added, tx.Exec("INSERT INTO " + table + "(user_id, " + col +
                                               ", created_at_ms) VALUES(?,?,?) ON CONFLICT DO NOTHING",
                                           {user_id, id, tx.NowMs()}));
  return product || !added ? Ok() : CountFollow(tx, id, "follows");
}

Result<Json> Favorites(Reader& r, int64_t user_id, FavoriteKind kind, int64_t limit,
                       int64_t before_ms) {
  Json items = Json::array();
  int64_t last = 0;
  if (kind == FavoriteKind::kProduct) {
    ASSIGN_OR_RETURN(
        Rows rows,
        r.Query(
            "SELECT p.id, p.title, p.images, p.min_price_fen, p.status, m.name, f.created_at_ms "
            "FROM favorite_products f JOIN products p ON p.id = f.product_id "
            "JOIN merchants m ON m.id = p.merchant_id "
            "WHERE f.user_id=?1 AND (?2=0 OR f.created_at_ms<?2) ORDER BY f.created_at_ms DESC "
            "LIMIT ?3",
            {user_id, before_ms, limit}));
    for (auto& row : rows) {
      Json images = row.JsonAt(2);
      items.push_back(Json{{"id", IdString(row.Int(0))},
                           {"title", row.Str(1)},
                           {"image", images.is_array() && !images.empty() ? images[0] : Json("")},
                           {"min_price_fen", row.Int(3)},
                           {"on_sale", row.Str(4) == "on_sale"},
                           {"merchant_name", row.Str(5)},
                           {"favorited_at", FormatRfc3339(row.Int(6))}});
      last = row.Int(6);
    }
  } else {
    ASSIGN_OR_RETURN(
        Rows rows,
        r.Query("SELECT m.id, m.name, m.kind, m.status, f.created_at_ms FROM favorite_shops f "
                "JOIN merchants m ON m.id = f.merchant_id "
                "WHERE f.user_id=?1 AND (?2=0 OR f.created_at_ms<?2) ORDER BY f.created_at_ms DESC "
                "LIMIT ?3",
                {user_id, before_ms, limit}));
    for (auto& row : rows) {
      items.push_back(Json{{"id", IdString(row.Int(0))},
                           {"name", row.Str(1)},
                           {"kind", row.Str(2)},
                           {"open", row.Str(3) == "active"},
                           {"favorited_at", FormatRfc3339(row.Int(4))}});
      last = row.Int(4);
    }
  }
  int64_t n = static_cast<int64_t>(items.size());
  return Json{{"items", items},
              {"next_cursor", n == limit && last ? Json(std::to_string(last)) : Json(nullptr)}};
}

Result<ShopFollowers> ShopFollowerCount(Reader& r, int64_t merchant_id, int64_t user_id) {
  ShopFollowers f;
  ASSIGN_OR_RETURN(f.followers, r.QueryInt("SELECT count(*) FROM favorite_shops WHERE merchant_id=?",
                                           {merchant_id}));
  if (user_id > 0) {
    ASSIGN_OR_RETURN(int64_t mine,
                     r.QueryInt("SELECT count(*) FROM favorite_shops WHERE user_id=? AND merchant_id=?",
                                {user_id, merchant_id}));
    f.following = mine > 0;
  }
  return f;
}

Result<Json> FollowerGrowth(Reader& r, int64_t merchant_id, int64_t days) {
  days = std::clamp<int64_t>(days, 1, 366);
  ASSIGN_OR_RETURN(ShopFollowers now, ShopFollowerCount(r, merchant_id, 0));
  const int64_t today = FollowDay(r.clock().NowMs()), first = today - days + 1;
  ASSIGN_OR_RETURN(Rows rows, r.Query("SELECT day, follows, unfollows FROM shop_follow_days "
                                      "WHERE merchant_id=? AND day>=? AND day<=? ORDER BY day",
                                      {merchant_id, first, today}));
  std::map<int64_t, std::pair<int64_t, int64_t>> by_day;
  int64_t gained = 0, lost = 0;
  for (auto& row : rows) {
    by_day[row.Int(0)] = {row.Int(1), row.Int(2)};
    gained += row.Int(1);
    lost += row.Int(2);
  }
  // Walk back from today's count: the followers at the end of each day.
  Json series = Json::array();
  int64_t end_of_day = now.followers;
  std::vector<Json> back;
  for (int64_t d = today; d >= first; --d) {
    auto [f, u] = by_day.count(d) ? by_day[d] : std::pair<int64_t, int64_t>{0, 0};
    back.push_back(Json{{"date", FormatRfc3339(d * 86'400'000).substr(0, 10)},
                        {"follows", f},
                        {"unfollows", u},
                        {"followers", end_of_day}});
    end_of_day -= f - u;
  }
  for (auto it = back.rbegin(); it != back.rend(); ++it) series.push_back(*it);
  return Json{{"followers", now.followers},
              {"new_followers", gained},
              {"lost_followers", lost},
              {"days", series}};
}

Result<Json> FavoriteState(Reader& r, int64_t user_id, int64_t product_id) {
  ASSIGN_OR_RETURN(
      int64_t product,
      r.QueryInt("SELECT count(*) FROM favorite_products WHERE user_id=? AND product_id=?",
                 {user_id, product_id}));
  ASSIGN_OR_RETURN(
      int64_t shop,
      r.QueryInt(
          "SELECT count(*) FROM favorite_shops f JOIN products p ON p.merchant_id = f.merchant_id "
          "WHERE f.user_id=? AND p.id=?",
          {user_id, product_id}));
  return Json{{"product", product > 0}, {"shop", shop > 0}};
}

// ---- history ----

namespace {

// Keeps the newest `keep` rows of the buyer's `table` (by `at`): one statement, the buyer's rows
// only, so a list never grows past its bound.
Status Trim(Tx& tx, const std::string& table, const std::string& at, int64_t user_id,
            int64_t keep) {
  ASSIGN_OR_RETURN(
      auto cut, tx.QueryOne("SELECT " + at + " FROM " + table + " WHERE user_id=? ORDER BY " + at +
                                " DESC LIMIT 1 OFFSET ?",
                            {user_id, keep}));
  if (!cut) return Ok();
  return tx.Run("DELETE FROM " + table + " WHERE user_id=? AND " + at + "<=?",
                {user_id, cut->Int(0)});
}

}  // namespace

Status RecordView(Tx& tx, int64_t user_id, int64_t product_id) {
  int64_t now = tx.NowMs();
  RETURN_IF_ERROR(
      tx.Run("INSERT INTO browsing_history(user_id, product_id, viewed_at_ms) VALUES(?,?,?) "
             "ON CONFLICT(user_id, product_id) DO UPDATE SET viewed_at_ms=excluded.viewed_at_ms",
             {user_id, product_id, now}));
  return Trim(tx, "browsing_history", "viewed_at_ms", user_id, limits::kMaxBrowsingHistory);
}

Result<Json> BrowsingHistory(Reader& r, int64_t user_id, int64_t limit) {
  ASSIGN_OR_RETURN(
      Rows rows,
      r.Query("SELECT p.id, p.title, p.images, p.min_price_fen, m.name, h.viewed_at_ms "
              "FROM browsing_history h JOIN products p ON p.id = h.product_id "
              "JOIN merchants m ON m.id = p.merchant_id "
              "WHERE h.user_id=? AND p.status='on_sale' AND p.taken_down=0 AND m.status='active' "
              "ORDER BY h.viewed_at_ms DESC LIMIT ?",
              {user_id, limit}));
  Json items = Json::array();
  for (auto& row : rows) {
    Json images = row.JsonAt(2);
    items.push_back(Json{{"id", IdString(row.Int(0))},
                         {"title", row.Str(1)},
                         {"image", images.is_array() && !images.empty() ? images[0] : Json("")},
                         {"min_price_fen", row.Int(3)},
                         {"merchant_name", row.Str(4)},
                         {"viewed_at", FormatRfc3339(row.Int(5))}});
  }
  return Json{{"items", items}};
}

Status ClearBrowsingHistory(Tx& tx, int64_t user_id) {
  return tx.Run("DELETE FROM browsing_history WHERE user_id=?", {user_id});
}

Status RecordSearch(Tx& tx, int64_t user_id, const std::string& q) {
  if (q.empty() || q.size() > limits::kMaxSearchQueryLen) return Ok();  // nothing worth keeping
  RETURN_IF_ERROR(
      tx.Run("INSERT INTO search_history(user_id, q, searched_at_ms) VALUES(?,?,?) "
             "ON CONFLICT(user_id, q) DO UPDATE SET searched_at_ms=excluded.searched_at_ms",
             {user_id, q, tx.NowMs()}));
  return Trim(tx, "search_history", "searched_at_ms", user_id, limits::kMaxSearchHistory);
}

Result<std::vector<std::string>> SearchHistory(Reader& r, int64_t user_id, int64_t limit) {
  ASSIGN_OR_RETURN(
      Rows rows,
      r.Query("SELECT q FROM search_history WHERE user_id=? ORDER BY searched_at_ms DESC LIMIT ?",
              {user_id, limit}));
  std::vector<std::string> out;
  for (auto& row : rows) out.push_back(row.Str(0));
  return out;
}

Status ClearSearchHistory(Tx& tx, int64_t user_id) {
  return tx.Run("DELETE FROM search_history WHERE user_id=?", {user_id});
}

Result<std::vector<Json>> PopularSearches(Reader& r, int64_t since_ms, int64_t min_buyers,
                                          int64_t limit) {
  ASSIGN_OR_RETURN(
      Rows rows,
      r.Query("SELECT q, count(*) FROM search_history WHERE searched_at_ms>=? GROUP BY q "
              "HAVING count(*)>=? ORDER BY count(*) DESC, q LIMIT ?",
              {since_ms, min_buyers, limit}));
  std::vector<Json> out;
  for (auto& row : rows) out.push_back(Json{{"q", row.Str(0)}, {"buyers", row.Int(1)}});
  return out;
}

// ---- customer service ----

namespace {

constexpr const char* kThreadCols =
    "t.id, t.merchant_id, t.user_id, t.order_id, t.product_id, t.buyer_unread, t.merchant_unread, "
    "t.last_text, t.last_at_ms, "
    "t.created_at_ms, COALESCE(u.nickname, ''), COALESCE(m.name, ''), COALESCE(p.title, '')";
constexpr const char* kThreadFrom =
    " FROM cs_threads t LEFT JOIN users u ON u.id = t.user_id LEFT JOIN merchants m ON m.id = "
    "t.merchant_id "
    "LEFT JOIN products p ON p.id = t.product_id ";

Json ThreadJson(const Row& r, Side side) {
  return Json{{"id", IdString(r.Int(0))},
              {"merchant_id", IdString(r.Int(1))},
              {"order_id", r.IsNull(3) ? Json(nullptr) : Json(IdString(r.Int(3)))},
              {"product_id", r.IsNull(4) ? Json(nullptr) : Json(IdString(r.Int(4)))},
              {"unread", side == Side::kBuyer ? r.Int(5) : r.Int(6)},
              {"last_text", r.Str(7)},
              {"last_at", FormatRfc3339(r.Int(8))},
              {"created_at", FormatRfc3339(r.Int(9))},
              {"buyer_nickname", r.Str(10)},
              {"merchant_name", r.Str(11)},
              {"product_title", r.Str(12)}};
}

// The thread as `side` may see it: NOT_FOUND unless it is the buyer's / the shop's.
Result<Row> LoadThread(Reader& r, Side side, int64_t owner_id, int64_t thread_id) {
  ASSIGN_OR_RETURN(
      auto row,
      r.QueryOne(std::string("SELECT ") + kThreadCols + kThreadFrom + "WHERE t.id=?", {thread_id}));
  if (!row || (side == Side::kBuyer ? row->Int(2) : row->Int(1)) != owner_id)
    return Fail(Msg::CS_THREAD_NOT_FOUND);
  return *row;
}

}  // namespace

Result<Json> OpenThread(Tx& tx, int64_t user_id, int64_t merchant_id,
                        std::optional<int64_t> order_id, std::optional<int64_t> product_id) {
  ASSIGN_OR_RETURN(
      int64_t open,
      tx.QueryInt("SELECT count(*) FROM merchants WHERE id=? AND status='active'", {merchant_id}));
  if (!open) return Fail(Msg::MERCHANT_NOT_FOUND);
  std::string subject;
  if (order_id) {
    ASSIGN_OR_RETURN(
        int64_t mine,
        tx.QueryInt("SELECT count(*) FROM orders WHERE id=? AND buyer_id=? AND merchant_id=?",
                    {*order_id, user_id, merchant_id}));
    if (!mine) return Fail(Msg::ORDER_NOT_FOUND);
    subject = "order:" + IdString(*order_id);
  } else if (product_id) {
    ASSIGN_OR_RETURN(int64_t theirs,
                     tx.QueryInt("SELECT count(*) FROM products WHERE id=? AND merchant_id=?",
                                 {*product_id, merchant_id}));
    if (!theirs) return Fail(Msg::PRODUCT_NOT_FOUND);
    subject = "product:" + IdString(*product_id);
  }
  int64_t now = tx.NowMs();
  RETURN_IF_ERROR(
      tx.Run("INSERT INTO cs_threads(id, merchant_id, user_id, subject, order_id, product_id, "
             "last_at_ms, created_at_ms) "
             "VALUES(?,?,?,?,NULLIF(?,CAST(0 AS BIGINT)),NULLIF(?,CAST(0 AS BIGINT)),?,?) ON CONFLICT DO NOTHING",
                 {tx.NewId(), merchant_id, user_id, subject, order_id.value_or(0), order_id ? 0 : product_id.value_or(0), now, now}));
  ASSIGN_OR_RETURN(auto row,
                   tx.QueryOne(std::string("SELECT ") + kThreadCols + kThreadFrom +
                                   "WHERE t.merchant_id=? AND t.user_id=? AND t.subject=?",
                               {merchant_id, user_id, subject}));
  if (!row) return Fail(ErrorCode::INTERNAL, "cs thread vanished after insert");
  return ThreadJson(*row, Side::kBuyer);
}

Result<Json> PostMessage(Tx& tx, Side side, int64_t owner_id, int64_t actor_id, int64_t thread_id,
                         const std::string& text) {
  ASSIGN_OR_RETURN(Row t, LoadThread(tx, side, owner_id, thread_id));
  int64_t now = tx.NowMs();
  // The count is the guard: a thread stops taking messages at its bound (nothing grows forever).
  const char* raise = side == Side::kBuyer ? "merchant_unread" : "buyer_unread";
  ASSIGN_OR_RETURN(
      int64_t n,
      tx.Exec(std::string("UPDATE cs_threads SET messages = messages + 1, ") + raise + " = " +
                  raise + " + 1, last_text=?, last_at_ms=? WHERE id=? AND messages < ?",
              {text.substr(0, 200), now, thread_id, limits::kMaxCsMessagesPerThread}));
  if (n == 0) return Fail(Msg::CS_THREAD_FULL, {{"max", limits::kMaxCsMessagesPerThread}});
  int64_t id = tx.NewId();
  const char* sender = side == Side::kBuyer ? "buyer" : "merchant";
  RETURN_IF_ERROR(
      tx.Run("INSERT INTO cs_messages(id, merchant_id, thread_id, sender, sender_id, text, "
             "created_at_ms) VALUES(?,?,?,?,?,?,?)",
             {id, t.Int(1), thread_id, sender, actor_id, text, now}));
  return Json{{"id", IdString(id)},
              {"thread_id", IdString(thread_id)},
              {"sender", sender},
              {"text", text},
              {"created_at", FormatRfc3339(now)}};
}

Result<Json> ThreadMessages(Reader& r, Side side, int64_t owner_id, int64_t thread_id,
                            int64_t after_id, int64_t limit) {
  ASSIGN_OR_RETURN(Row t, LoadThread(r, side, owner_id, thread_id));
  ASSIGN_OR_RETURN(
      Rows rows,
      r.Query("SELECT id, sender, text, created_at_ms FROM cs_messages WHERE thread_id=? AND id>? "
              "ORDER BY id LIMIT ?",
              {thread_id, after_id, limit}));
  Json items = Json::array();
  for (auto& row : rows)
    items.push_back(Json{{"id", IdString(row.Int(0))},
                         {"sender", row.Str(1)},
                         {"text", row.Str(2)},
                         {"created_at", FormatRfc3339(row.Int(3))}});
  Json j = ThreadJson(t, side);
  j["messages"] = items;
  return j;
}

Status MarkRead(Tx& tx, Side side, int64_t owner_id, int64_t thread_id) {
  ASSIGN_OR_RETURN(Row t, LoadThread(tx, side, owner_id, thread_id));
  (void)t;
  return tx.Run(std::string("UPDATE cs_threads SET ") +
                    (side == Side::kBuyer ? "buyer_unread" : "merchant_unread") + "=0 WHERE id=?",
                {thread_id});
}

Result<Json> Threads(Reader& r, Side side, int64_t owner_id, int64_t limit) {
  const char* col = side == Side::kBuyer ? "t.user_id" : "t.merchant_id";
  ASSIGN_OR_RETURN(Rows rows,
                   r.Query(std::string("SELECT ") + kThreadCols + kThreadFrom + "WHERE " + col +
                               "=? AND t.messages > 0 ORDER BY t.last_at_ms DESC LIMIT ?",
                           {owner_id, limit}));
  ASSIGN_OR_RETURN(int64_t unread,
                   r.QueryInt(std::string("SELECT COALESCE(SUM(") +
                                  (side == Side::kBuyer ? "buyer_unread" : "merchant_unread") +
                                  "), 0) FROM cs_threads t WHERE " + col + "=?",
                              {owner_id}));
  Json items = Json::array();
  for (auto& row : rows) items.push_back(ThreadJson(row, side));
  return Json{{"items", items}, {"unread", unread}};
}

Result<std::vector<std::string>> Check(Reader& r) {
  std::vector<std::string> problems;
  ASSIGN_OR_RETURN(
      Rows bad,
      r.Query("SELECT v.id FROM reviews v LEFT JOIN order_items i ON i.id = v.order_item_id "
              "LEFT JOIN orders o ON o.id = v.order_id "
              "WHERE i.id IS NULL OR o.id IS NULL OR i.order_id <> v.order_id OR o.buyer_id <> "
              "v.user_id "
              "OR o.merchant_id <> v.merchant_id OR i.product_id <> v.product_id OR i.sku_id <> "
              "v.sku_id LIMIT 10"));
  for (auto& row : bad)
    problems.push_back("review " + IdString(row.Int(0)) + " disagrees with its order item");
  // A review's photos are its author's uploads (CreateReview checks each against user_media).
  ASSIGN_OR_RETURN(Rows with_photos,
                   r.Query("SELECT id, user_id, photos FROM reviews WHERE photos <> '[]' ORDER BY id DESC LIMIT ?",
                           {limits::kCheckReviewsWithPhotos}));
  for (auto& row : with_photos) {
    Json ids = row.JsonAt(2);
    bool ok = ids.is_array() && ids.size() <= limits::kMaxReviewPhotos;
    for (const Json& sha : ok ? ids : Json::array()) {
      if (!sha.is_string()) {
        ok = false;
        break;
      }
      ASSIGN_OR_RETURN(int64_t mine, r.QueryInt("SELECT count(*) FROM user_media WHERE user_id=? AND sha256=?",
                                                {row.Int(1), sha.get<std::string>()}));
      if (mine == 0) ok = false;
    }
    if (!ok) problems.push_back("review " + IdString(row.Int(0)) + " shows a photo its author did not upload");
    if (problems.size() >= 10) break;
  }
  ASSIGN_OR_RETURN(
      Rows counts,
      r.Query("SELECT t.id FROM cs_threads t WHERE t.messages <> "
              "(SELECT count(*) FROM cs_messages m WHERE m.thread_id = t.id) LIMIT 10"));
  for (auto& row : counts)
    problems.push_back("cs thread " + IdString(row.Int(0)) +
                       " counts messages that disagree with its own");
  // A shop's follower growth (shop_follow_days: follows - unfollows over all its days, with the
  // followers from before it was counted on day 0, migration 043) adds up to its followers now.
  ASSIGN_OR_RETURN(
      Rows follows,
      r.Query("SELECT m.merchant_id, m.n, m.net FROM (SELECT s.merchant_id, "
              "(SELECT count(*) FROM favorite_shops f WHERE f.merchant_id = s.merchant_id) AS n, "
              "COALESCE((SELECT SUM(d.follows) - SUM(d.unfollows) FROM shop_follow_days d "
              "WHERE d.merchant_id = s.merchant_id), 0) AS net FROM (SELECT merchant_id FROM "
              "favorite_shops UNION SELECT merchant_id FROM shop_follow_days) s) m "
              "WHERE m.n <> m.net ORDER BY m.merchant_id LIMIT 10"));
  for (auto& row : follows)
    problems.push_back("shop " + IdString(row.Int(0)) + " has " + std::to_string(row.Int(1)) +
                       " followers but its follow days add up to " + std::to_string(row.Int(2)));
  return problems;
}

}  // namespace xd::buyer
