// What the shop and the console show beyond one flow (issue 15): promotions a buyer can find
// (activity badges on list cards, the 秒杀 / 拼团 / 砍价 channels, the coupon centre, a shop's
// coupons with what the buyer already holds) and the coupon console (claimed / used /
// remaining, stop, the claim link's QR code); reviews, favourites, browsing and search history
// and popular searches. Over real HTTP, on both backends.
#include "base/limits.h"
#include "http/api.h"
#include "tests/harness.h"

namespace xd::testing {
namespace {

constexpr int64_t kDayMs = 24LL * 3600 * 1000;

class ShopUx : public ApiTest {
 protected:
  std::string At(int64_t offset_ms) { return FormatRfc3339(clock_.NowMs() + offset_ms); }
  http::Client::JsonResponse Staff(const Shop& shop, const std::string& method,
                                   const std::string& path, Json body = nullptr) {
    return Call(method, path, body, shop.owner_token, {{"X-Merchant-Id", shop.id}});
  }
  std::string NewActivity(const Shop& shop, Json body) {
    auto r = Staff(shop, "POST", "/api/v1/merchant/activities", body);
    EXPECT_EQ(r.status, 201) << r.body.dump();
    return r.body.value("id", "");
  }
  std::string NewCoupon(const Shop& shop, int64_t quota, int64_t amount_fen = 500) {
    auto r = Staff(shop, "POST", "/api/v1/merchant/coupons",
                   Json{{"kind", "fixed"},
                        {"amount_fen", amount_fen},
                        {"total_quota", quota},
                        {"scope", {{"type", "merchant"}}},
                        {"valid_days", 7}});
    EXPECT_EQ(r.status, 201) << r.body.dump();
    return r.body.value("id", "");
  }
  // Pays, ships, delivers and confirms an order: completed.
  void Complete(const Shop& shop, const std::string& buyer, const std::string& oid) {
    PayAndWait(buyer, oid);
    ASSERT_EQ(Staff(shop, "POST", "/api/v1/merchant/orders/" + oid + "/ship",
                    Json{{"carrier", "顺丰"}, {"tracking_no", "SF1"}})
                  .status,
              200);
    ASSERT_EQ(Staff(shop, "POST", "/api/v1/merchant/orders/" + oid + "/tracking",
                    Json{{"description", "已签收"}, {"delivered", true}})
                  .status,
              200);
    auto done = Call("POST", "/api/v1/orders/" + oid + "/confirm", nullptr, buyer);
    ASSERT_EQ(done.status, 200) << done.body.dump();
  }
  // The search card of `product` in `list` (null when absent).
  static Json Card(const Json& list, const std::string& product) {
    for (auto& item : list["items"])
      if (item["id"] == product) return item;
    return nullptr;
  }
};

// Home, search and shop lists all come from GET /products: each card names its running
// activity (the most urgent when a product has several), none once it is stopped or sold
// out, and a product without one says null.
TEST_F(ShopUx, ListCardsCarryTheirRunningActivity) {
  Shop shop = OpenShop("c2c", "徽章店");
  auto [flash_product, flash_sku] = CreateProduct(shop, 5000, 50, "秒杀咖啡");
  auto [group_product, group_sku] = CreateProduct(shop, 6000, 50, "拼团咖啡");
  auto [plain_product, plain_sku] = CreateProduct(shop, 7000, 50, "普通咖啡");
  std::string flash = NewActivity(shop, Json{{"type", "flash_sale"},
                                             {"sku_id", flash_sku},
                                             {"price_fen", 1990},
                                             {"stock", 1},
                                             {"per_user_limit", 1},
                                             {"starts_at", At(0)},
                                             {"ends_at", At(kDayMs)}});
  // The same product also has a bargain: the flash sale is the badge.
  NewActivity(shop, Json{{"type", "bargain"},
                         {"sku_id", flash_sku},
                         {"floor_price_fen", 990},
                         {"helps_needed", 3},
                         {"ttl_s", 3600},
                         {"starts_at", At(0)},
                         {"ends_at", At(kDayMs)}});
  std::string group = NewActivity(shop, Json{{"type", "group_buy"},
                                             {"sku_id", group_sku},
                                             {"group_price_fen", 4900},
                                             {"group_size", 2},
                                             {"group_ttl_s", 3600},
                                             {"starts_at", At(0)},
                                             {"ends_at", At(kDayMs)}});
  // A flash sale that has not started yet shows nothing.
  NewActivity(shop, Json{{"type", "flash_sale"},
                         {"sku_id", plain_sku},
                         {"price_fen", 100},
                         {"stock", 5},
                         {"per_user_limit", 1},
                         {"starts_at", At(kDayMs)},
                         {"ends_at", At(2 * kDayMs)}});

  auto list = Call("GET", "/api/v1/products?merchant_id=" + shop.id);
  ASSERT_EQ(list.status, 200) << list.body.dump();
  Json f = Card(list.body, flash_product), g = Card(list.body, group_product),
       p = Card(list.body, plain_product);
  ASSERT_TRUE(f.is_object() && g.is_object() && p.is_object()) << list.body.dump();
  EXPECT_EQ(f["activity"]["type"], "flash_sale");
  EXPECT_EQ(f["activity"]["id"], flash);
  EXPECT_EQ(f["activity"]["price_fen"], 1990);
  EXPECT_EQ(f["activity"]["ends_at"], At(kDayMs));
  EXPECT_EQ(g["activity"]["type"], "group_buy");
  EXPECT_EQ(g["activity"]["id"], group);
  EXPECT_EQ(g["activity"]["price_fen"], 4900);
  EXPECT_TRUE(p["activity"].is_null()) << p.dump();

  // The flash sale sells its one unit: the bargain is the badge now. Stopping the group buy
  // removes its badge.
  Json order = Call("POST", "/api/v1/checkout",
                    Json{{"items", {{{"sku_id", flash_sku}, {"quantity", 1}}}},
                         {"address", Address()},
                         {"activity", {{"id", flash}}}},
                    Register())
                   .body;
  ASSERT_TRUE(order.contains("orders")) << order.dump();
  ASSERT_EQ(Staff(shop, "POST", "/api/v1/merchant/activities/" + group + "/stop").status, 200);
  list = Call("GET", "/api/v1/products?q=" + std::string("咖啡") + "&merchant_id=" + shop.id);
  ASSERT_EQ(list.status, 200) << list.body.dump();
  EXPECT_EQ(Card(list.body, flash_product)["activity"]["type"], "bargain");
  EXPECT_TRUE(Card(list.body, group_product)["activity"].is_null());
}

// The channels list running activities of one type across shops, ending soonest first, with
// the product's card; a page's cursor continues after its last item.
TEST_F(ShopUx, ChannelsListRunningActivitiesEndingSoonestFirst) {
  Shop a = OpenShop("c2c", "甲店"), b = OpenShop("c2c", "乙店");
  auto [pa, sa] = CreateProduct(a, 5000, 50, "甲的豆子");
  auto [pb, sb] = CreateProduct(b, 8000, 50, "乙的豆子");
  auto [pc, sc] = CreateProduct(b, 3000, 50, "乙的茶叶");
  auto flash = [&](const Shop& shop, const std::string& sku, int64_t ends_ms) {
    return NewActivity(shop, Json{{"type", "flash_sale"},
                                  {"sku_id", sku},
                                  {"price_fen", 990},
                                  {"stock", 10},
                                  {"per_user_limit", 1},
                                  {"starts_at", At(0)},
                                  {"ends_at", At(ends_ms)}});
  };
  std::string late = flash(a, sa, 3 * kDayMs), soon = flash(b, sb, kDayMs),
              mid = flash(b, sc, 2 * kDayMs);
  NewActivity(a, Json{{"type", "group_buy"},
                      {"sku_id", sa},
                      {"group_price_fen", 4000},
                      {"group_size", 2},
                      {"group_ttl_s", 3600},
                      {"starts_at", At(0)},
                      {"ends_at", At(kDayMs)}});

  auto page1 = Call("GET", "/api/v1/activities?type=flash_sale&limit=2");
  ASSERT_EQ(page1.status, 200) << page1.body.dump();
  ASSERT_EQ(page1.body["items"].size(), 2u);
  EXPECT_EQ(page1.body["items"][0]["id"], soon);
  EXPECT_EQ(page1.body["items"][1]["id"], mid);
  EXPECT_EQ(page1.body["items"][0]["activity_price_fen"], 990);
  EXPECT_EQ(page1.body["items"][0]["stock_left"], 10);
  EXPECT_EQ(page1.body["items"][0]["product"]["title"], "乙的豆子");
  EXPECT_EQ(page1.body["items"][0]["product"]["list_price_fen"], 8000);
  EXPECT_EQ(page1.body["items"][0]["product"]["merchant_name"], "乙店");
  ASSERT_TRUE(page1.body["next_cursor"].is_string());
  auto page2 = Call("GET", "/api/v1/activities?type=flash_sale&limit=2&cursor=" +
                               page1.body["next_cursor"].get<std::string>());
  ASSERT_EQ(page2.body["items"].size(), 1u) << page2.body.dump();
  EXPECT_EQ(page2.body["items"][0]["id"], late);
  EXPECT_TRUE(page2.body["next_cursor"].is_null());

  EXPECT_EQ(Call("GET", "/api/v1/activities?type=group_buy").body["items"].size(), 1u);
  EXPECT_EQ(Call("GET", "/api/v1/activities?type=bargain").body["items"].size(), 0u);
  // A product taken off sale leaves its channel.
  ASSERT_EQ(
      Staff(b, "PATCH", "/api/v1/merchant/products/" + pb, Json{{"status", "off_sale"}}).status,
      200);
  EXPECT_EQ(Call("GET", "/api/v1/activities?type=flash_sale").body["items"].size(), 2u);
  // An unknown type is refused in the caller's language.
  auto bad = Call("GET", "/api/v1/activities?type=lottery");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.body["error"]["reason"], "FIELD_ONE_OF");
  EXPECT_EQ(Call("GET", "/api/v1/activities").status, 400);
  ExpectInvariants();
}

// The coupon centre, a shop's coupons and a claim link's landing say what the signed-in buyer
// holds (已领取); the console lists claimed / used / remaining and stops a coupon, which
// leaves every claimable list while claimed ones stay usable.
TEST_F(ShopUx, CouponsClaimableHeldUsedAndStopped) {
  Shop shop = OpenShop("c2c", "券店");
  Shop other = OpenShop("c2c", "别店");
  auto [product, sku] = CreateProduct(shop, 5000, 50);
  std::string first = NewCoupon(shop, 10), second = NewCoupon(shop, 1, 300);
  std::string theirs = NewCoupon(other, 5);
  auto platform = Call("POST", "/api/v1/admin/coupons",
                       Json{{"title", "平台新人券 5 元"},
                            {"kind", "fixed"},
                            {"amount_fen", 500},
                            {"total_quota", 100},
                            {"scope", {{"type", "platform"}}},
                            {"valid_days", 7}},
                       AdminToken());
  ASSERT_EQ(platform.status, 201) << platform.body.dump();
  std::string buyer = Register(), late = Register();

  // Anonymous: no "held".
  auto shop_list = Call("GET", "/api/v1/merchants/" + shop.id + "/coupons");
  ASSERT_EQ(shop_list.status, 200) << shop_list.body.dump();
  ASSERT_EQ(shop_list.body["items"].size(), 2u);
  EXPECT_FALSE(shop_list.body["items"][0].contains("held"));
  auto plat = Call("GET", "/api/v1/platform/coupons", nullptr, buyer);
  ASSERT_EQ(plat.body["items"].size(), 1u);
  EXPECT_EQ(plat.body["items"][0]["title"], "平台新人券 5 元");
  EXPECT_EQ(plat.body["items"][0]["held"], 0);

  ASSERT_EQ(Call("POST", "/api/v1/coupons/" + first + "/claim", nullptr, buyer).status, 201);
  ASSERT_EQ(Call("POST", "/api/v1/coupons/" + second + "/claim", nullptr, buyer).status, 201);
  EXPECT_EQ(Call("GET", "/api/v1/coupons/" + first, nullptr, buyer).body["held"], 1);
  EXPECT_EQ(Call("GET", "/api/v1/coupons/" + first, nullptr, late).body["held"], 0);
  EXPECT_FALSE(Call("GET", "/api/v1/coupons/" + first).body.contains("held"));
  // The second coupon is all claimed: it leaves the claimable lists.
  shop_list = Call("GET", "/api/v1/merchants/" + shop.id + "/coupons", nullptr, buyer);
  ASSERT_EQ(shop_list.body["items"].size(), 1u) << shop_list.body.dump();
  EXPECT_EQ(shop_list.body["items"][0]["id"], first);
  EXPECT_EQ(shop_list.body["items"][0]["held"], 1);
  // The centre: every shop's, with the shop's name.
  auto centre = Call("GET", "/api/v1/coupon-centre", nullptr, buyer);
  ASSERT_EQ(centre.status, 200) << centre.body.dump();
  ASSERT_EQ(centre.body["items"].size(), 2u) << centre.body.dump();
  EXPECT_EQ(centre.body["items"][0]["id"], theirs);
  EXPECT_EQ(centre.body["items"][0]["merchant_name"], "别店");
  EXPECT_EQ(centre.body["items"][1]["held"], 1);

  // Spend the first coupon: the console counts it used.
  auto checkout = Call("POST", "/api/v1/checkout",
                       Json{{"items", {{{"sku_id", sku}, {"quantity", 1}}}},
                            {"address", Address()},
                            {"coupon_ids",
                             {Call("GET", "/api/v1/me/coupons?status=unused", nullptr, buyer)
                                  .body["items"][1]["id"]}}},
                       buyer);
  ASSERT_EQ(checkout.status, 201) << checkout.body.dump();
  auto console = Staff(shop, "GET", "/api/v1/merchant/coupons");
  ASSERT_EQ(console.body["items"].size(), 2u);
  Json c1 = console.body["items"][1];
  EXPECT_EQ(c1["id"], first);
  EXPECT_EQ(c1["claimed"], 1);
  EXPECT_EQ(c1["used"], 1);
  EXPECT_EQ(c1["remaining"], 9);
  EXPECT_EQ(console.body["items"][0]["used"], 0);

  // Stop: no more claims, no longer listed; stopping again answers it as it is; another
  // shop's coupon is not found.
  auto stopped = Staff(shop, "POST", "/api/v1/merchant/coupons/" + first + "/stop");
  ASSERT_EQ(stopped.status, 200) << stopped.body.dump();
  EXPECT_EQ(stopped.body["status"], "stopped");
  EXPECT_EQ(Staff(shop, "POST", "/api/v1/merchant/coupons/" + first + "/stop").status, 200);
  EXPECT_EQ(Staff(shop, "POST", "/api/v1/merchant/coupons/" + theirs + "/stop").status, 404);
  auto refused = Call("POST", "/api/v1/coupons/" + first + "/claim", nullptr, late);
  EXPECT_EQ(refused.body["error"]["reason"], "COUPON_NOT_HANDED_OUT") << refused.body.dump();
  EXPECT_EQ(Call("GET", "/api/v1/merchants/" + shop.id + "/coupons").body["items"].size(), 0u);
  EXPECT_EQ(Call("GET", "/api/v1/coupon-centre").body["items"].size(), 1u);

  // The claim link's QR code, for the console's download.
  auto client = NewClient();
  http::Response png = client->Send("GET", "/api/v1/coupons/" + first + "/qr.png", "",
                                    {{"Host", "shop.example:8080"}});
  EXPECT_EQ(png.status, 200);
  EXPECT_EQ(png.body.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  http::Response svg = client->Send("GET", "/api/v1/coupons/" + first + "/qr.svg");
  EXPECT_EQ(svg.status, 200);
  EXPECT_EQ(svg.body.rfind("<svg ", 0), 0u) << svg.body.substr(0, 80);
  EXPECT_EQ(client->Send("GET", "/api/v1/coupons/999999/qr.svg").status, 404);
  ExpectInvariants();
}

// What a signed-in reader holds, so the pages stop offering what the server would refuse:
// a product's activities say how many units the caller bought in each (the flash-sale picker
// stops at the limit), a group says whether the caller holds a seat in it.
TEST_F(ShopUx, ActivitiesAndGroupsSayWhatTheCallerHolds) {
  Shop shop = OpenShop("c2c", "限购店");
  auto [product, sku] = CreateProduct(shop, 5000, 50);
  std::string flash = NewActivity(shop, Json{{"type", "flash_sale"},
                                             {"sku_id", sku},
                                             {"price_fen", 1990},
                                             {"stock", 5},
                                             {"per_user_limit", 2},
                                             {"starts_at", At(0)},
                                             {"ends_at", At(kDayMs)}});
  auto [gproduct, gsku] = CreateProduct(shop, 6000, 50, "拼团豆");
  std::string group_buy = NewActivity(shop, Json{{"type", "group_buy"},
                                                 {"sku_id", gsku},
                                                 {"group_price_fen", 4900},
                                                 {"group_size", 2},
                                                 {"group_ttl_s", 3600},
                                                 {"starts_at", At(0)},
                                                 {"ends_at", At(kDayMs)}});
  std::string buyer = Register(), other = Register();
  auto activities = [&](const std::string& token) {
    return Call("GET", "/api/v1/products/" + product + "/activities", nullptr, token)
        .body["items"][0];
  };
  EXPECT_FALSE(activities("").contains("bought"));
  EXPECT_EQ(activities(buyer)["bought"], 0);
  auto checkout = [&](const std::string& token, const std::string& s, Json activity, int64_t qty) {
    return Call("POST", "/api/v1/checkout",
                Json{{"items", {{{"sku_id", s}, {"quantity", qty}}}},
                     {"address", Address()},
                     {"activity", activity}},
                token);
  };
  auto bought = checkout(buyer, sku, Json{{"id", flash}}, 2);
  ASSERT_EQ(bought.status, 201) << bought.body.dump();
  EXPECT_EQ(activities(buyer)["bought"], 2);
  EXPECT_EQ(activities(buyer)["stock_left"], 3);
  EXPECT_EQ(activities(other)["bought"], 0);
  // Past the limit: refused with the numbers the page words in Chinese.
  auto refused = checkout(buyer, sku, Json{{"id", flash}}, 1);
  EXPECT_EQ(refused.status, 422);
  EXPECT_EQ(refused.body["error"]["reason"], "PER_USER_LIMIT");
  EXPECT_EQ(refused.body["error"]["params"]["limit"], 2);
  EXPECT_EQ(refused.body["error"]["params"]["held"], 2);
  EXPECT_EQ(refused.body["error"]["message"].get<std::string>().find("per-user"),
            std::string::npos);
  // Cancelled unpaid: the units come back.
  std::string order_id = bought.body["orders"][0]["id"];
  ASSERT_EQ(Call("POST", "/api/v1/orders/" + order_id + "/cancel", nullptr, buyer).status, 200);
  EXPECT_EQ(activities(buyer)["bought"], 0);

  // The leader opens a group: joined for the leader, not for another buyer; nothing anonymous.
  auto opened = checkout(buyer, gsku, Json{{"id", group_buy}}, 1);
  ASSERT_EQ(opened.status, 201) << opened.body.dump();
  std::string group =
      Call("GET", "/api/v1/products/" + gproduct + "/groups").body["items"][0]["id"];
  EXPECT_EQ(Call("GET", "/api/v1/groups/" + group, nullptr, buyer).body["joined"], true);
  EXPECT_EQ(Call("GET", "/api/v1/groups/" + group, nullptr, other).body["joined"], false);
  EXPECT_FALSE(Call("GET", "/api/v1/groups/" + group).body.contains("joined"));
  ExpectInvariants();
}

// Reviews: only the buyer of an item, once it is completed, once per item; the merchant answers
// once; the product page shows the rating and the reviews with masked names.
TEST_F(ShopUx, ReviewsByBuyersOfCompletedItemsOncePerItem) {
  Shop shop = OpenShop("c2c", "评价店");
  Shop other = OpenShop("c2c", "别的店");
  auto [product, sku] = CreateProduct(shop, 5000, 50, "好评咖啡");
  std::string buyer = Register("", "王小明"), stranger = Register();
  Json order = Buy(buyer, sku);
  std::string oid = order["id"];
  auto items = Call("GET", "/api/v1/orders/" + oid + "/reviews", nullptr, buyer);
  ASSERT_EQ(items.status, 200) << items.body.dump();
  EXPECT_EQ(items.body["reviewable"], false);
  std::string item = items.body["items"][0]["order_item_id"];
  Json body{{"order_item_id", item}, {"rating", 4}, {"text", "香气足"}};
  // Not completed yet.
  auto early = Call("POST", "/api/v1/reviews", body, buyer);
  EXPECT_EQ(early.status, 409);
  EXPECT_EQ(early.body["error"]["reason"], "REVIEW_ORDER_NOT_COMPLETED");
  Complete(shop, buyer, oid);
  // Someone else's item: not found; the order's review list too.
  EXPECT_EQ(Call("POST", "/api/v1/reviews", body, stranger).body["error"]["reason"],
            "REVIEW_ITEM_NOT_FOUND");
  EXPECT_EQ(Call("GET", "/api/v1/orders/" + oid + "/reviews", nullptr, stranger).status, 404);
  // Out of range.
  auto bad = Call("POST", "/api/v1/reviews", Json{{"order_item_id", item}, {"rating", 6}}, buyer);
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.body["error"]["params"]["field"], "rating");
  auto review = Call("POST", "/api/v1/reviews", body, buyer);
  ASSERT_EQ(review.status, 201) << review.body.dump();
  EXPECT_EQ(review.body["rating"], 4);
  EXPECT_EQ(review.body["nickname"], "王小明");  // the reviewer's own view
  EXPECT_EQ(Call("POST", "/api/v1/reviews", body, buyer).body["error"]["reason"], "REVIEW_EXISTS");
  EXPECT_EQ(Call("GET", "/api/v1/orders/" + oid + "/reviews", nullptr, buyer)
                .body["items"][0]["review_id"],
            review.body["id"]);

  // A second buyer's 5 stars: the rating is 4.5 (45 tenths).
  std::string second = Register("", "李");
  std::string oid2 = Buy(second, sku)["id"];
  Complete(shop, second, oid2);
  std::string item2 = Call("GET", "/api/v1/orders/" + oid2 + "/reviews", nullptr, second)
                          .body["items"][0]["order_item_id"];
  ASSERT_EQ(
      Call("POST", "/api/v1/reviews", Json{{"order_item_id", item2}, {"rating", 5}}, second).status,
      201);
  auto page = Call("GET", "/api/v1/products/" + product + "/reviews");
  ASSERT_EQ(page.status, 200) << page.body.dump();
  EXPECT_EQ(page.body["rating"]["count"], 2);
  EXPECT_EQ(page.body["rating"]["average_x10"], 45);
  EXPECT_EQ(page.body["rating"]["stars"]["4"], 1);
  ASSERT_EQ(page.body["items"].size(), 2u);
  EXPECT_EQ(page.body["items"][1]["nickname"], "王*");
  EXPECT_TRUE(page.body["items"][1]["order_id"].is_null());

  // The merchant answers once; another shop cannot.
  std::string rid = review.body["id"];
  auto unanswered = Staff(shop, "GET", "/api/v1/merchant/reviews?unanswered=1");
  EXPECT_EQ(unanswered.body["items"].size(), 2u);
  EXPECT_EQ(
      Staff(other, "POST", "/api/v1/merchant/reviews/" + rid + "/reply", Json{{"reply", "谢谢"}})
          .status,
      404);
  auto reply = Staff(shop, "POST", "/api/v1/merchant/reviews/" + rid + "/reply",
                     Json{{"reply", "谢谢支持"}});
  ASSERT_EQ(reply.status, 200) << reply.body.dump();
  EXPECT_EQ(reply.body["reply"], "谢谢支持");
  EXPECT_EQ(
      Staff(shop, "POST", "/api/v1/merchant/reviews/" + rid + "/reply", Json{{"reply", "再谢"}})
          .body["error"]["reason"],
      "REVIEW_REPLIED");
  EXPECT_EQ(Staff(shop, "GET", "/api/v1/merchant/reviews?unanswered=1").body["items"].size(), 1u);
  EXPECT_EQ(Call("GET", "/api/v1/products/" + product + "/reviews").body["items"][1]["reply"],
            "谢谢支持");
  Json report = ExpectInvariants();
  EXPECT_EQ(report["buyer_ok"], true);
}

// Favourites of products and shops (idempotent, removable, listed newest first), the browsing
// and search history (latest per thing, bounded), popular searches counting each buyer once.
TEST_F(ShopUx, FavouritesHistoryAndPopularSearches) {
  Shop shop = OpenShop("c2c", "收藏店");
  auto [p1, s1] = CreateProduct(shop, 5000, 50, "收藏豆子");
  auto [p2, s2] = CreateProduct(shop, 3000, 50, "收藏茶叶");
  std::string buyer = Register();
  auto fav = [&](const std::string& method, const std::string& path) {
    return Call(method, "/api/v1/me/favorites/" + path, nullptr, buyer);
  };
  ASSERT_EQ(fav("PUT", "product/" + p1).status, 200);
  clock_.AdvanceMs(1000);
  ASSERT_EQ(fav("PUT", "product/" + p2).status, 200);
  ASSERT_EQ(fav("PUT", "product/" + p2).status, 200);  // again: still one
  ASSERT_EQ(fav("PUT", "shop/" + shop.id).status, 200);
  EXPECT_EQ(fav("PUT", "product/999999").status, 404);
  EXPECT_EQ(fav("PUT", "thing/" + p1).body["error"]["reason"], "FIELD_ONE_OF");
  auto list = fav("GET", "product");
  ASSERT_EQ(list.body["items"].size(), 2u) << list.body.dump();
  EXPECT_EQ(list.body["items"][0]["id"], p2);
  EXPECT_EQ(list.body["items"][0]["title"], "收藏茶叶");
  EXPECT_EQ(fav("GET", "shop").body["items"][0]["name"], "收藏店");
  auto state = Call("GET", "/api/v1/products/" + p1 + "/favorite", nullptr, buyer);
  EXPECT_EQ(state.body["product"], true);
  EXPECT_EQ(state.body["shop"], true);
  ASSERT_EQ(fav("DELETE", "product/" + p1).status, 200);
  EXPECT_EQ(Call("GET", "/api/v1/products/" + p1 + "/favorite", nullptr, buyer).body["product"],
            false);
  EXPECT_EQ(fav("GET", "product").body["items"].size(), 1u);

  // Browsing history: the latest view per product; gone from sale, gone from the list.
  auto view = [&](const std::string& p) {
    clock_.AdvanceMs(1000);
    return Call("POST", "/api/v1/me/history/views", Json{{"product_id", p}}, buyer).status;
  };
  ASSERT_EQ(view(p1), 200);
  ASSERT_EQ(view(p2), 200);
  ASSERT_EQ(view(p1), 200);
  auto views = Call("GET", "/api/v1/me/history/views", nullptr, buyer).body["items"];
  ASSERT_EQ(views.size(), 2u);
  EXPECT_EQ(views[0]["id"], p1);
  // Bounded: the oldest views drop out past the limit.
  for (int i = 0; i < limits::kMaxBrowsingHistory + 5; ++i) {
    clock_.AdvanceMs(10);
    ASSERT_EQ(Call("POST", "/api/v1/me/history/views",
                   Json{{"product_id", std::to_string(1000000 + i)}}, buyer)
                  .status,
              200);
  }
  int64_t rows = 0;
  ASSERT_TRUE(app_->store().Read([&](Reader& r) -> Status {
    ASSIGN_OR_RETURN(rows, r.QueryInt("SELECT count(*) FROM browsing_history"));
    return Ok();
  }));
  EXPECT_EQ(rows, limits::kMaxBrowsingHistory);
  ASSERT_EQ(Call("DELETE", "/api/v1/me/history/views", nullptr, buyer).status, 200);
  EXPECT_EQ(Call("GET", "/api/v1/me/history/views", nullptr, buyer).body["items"].size(), 0u);

  // Search history and popular searches: 咖啡 by three buyers (one of them five times), 茶 by
  // one: only 咖啡 is popular, counted as three.
  auto search = [&](const std::string& token, const std::string& q) {
    clock_.AdvanceMs(10);
    return Call("POST", "/api/v1/me/history/searches", Json{{"q", q}}, token).status;
  };
  for (int i = 0; i < 5; ++i) ASSERT_EQ(search(buyer, "咖啡"), 200);
  ASSERT_EQ(search(buyer, "茶"), 200);
  ASSERT_EQ(search(Register(), "咖啡"), 200);
  ASSERT_EQ(search(Register(), "咖啡"), 200);
  auto mine = Call("GET", "/api/v1/me/history/searches", nullptr, buyer).body["items"];
  EXPECT_EQ(mine, Json::array({"茶", "咖啡"}));
  EXPECT_EQ(Call("POST", "/api/v1/me/history/searches",
                 Json{{"q", std::string(limits::kMaxSearchQueryLen + 1, 'x')}}, buyer)
                .status,
            400);
  auto popular = Call("GET", "/api/v1/search/popular");
  ASSERT_EQ(popular.status, 200);
  ASSERT_EQ(popular.body["items"].size(), 1u) << popular.body.dump();
  EXPECT_EQ(popular.body["items"][0]["q"], "咖啡");
  EXPECT_EQ(popular.body["items"][0]["buyers"], 3);
  ASSERT_EQ(Call("DELETE", "/api/v1/me/history/searches", nullptr, buyer).status, 200);
  EXPECT_EQ(Call("GET", "/api/v1/me/history/searches", nullptr, buyer).body["items"].size(), 0u);
  ExpectInvariants();
}

// Customer service: the buyer opens one thread per subject (an order of theirs, a product of
// the shop, the shop), writes; the shop sees it unread, answers; each side's unread count
// clears when it reads; nobody else sees the thread.
TEST_F(ShopUx, CustomerServiceThreadsWithUnreadCounts) {
  Shop shop = OpenShop("c2c", "客服店");
  Shop other = OpenShop("c2c", "隔壁店");
  auto [product, sku] = CreateProduct(shop, 5000, 50);
  std::string buyer = Register("", "问问"), stranger = Register();
  std::string oid = Buy(buyer, sku)["id"];
  auto open = [&](const std::string& token, Json body) {
    return Call("POST", "/api/v1/cs/threads", body, token);
  };
  auto about_product = open(buyer, Json{{"merchant_id", shop.id}, {"product_id", product}});
  ASSERT_EQ(about_product.status, 200) << about_product.body.dump();
  std::string tid = about_product.body["id"];
  EXPECT_EQ(open(buyer, Json{{"merchant_id", shop.id}, {"product_id", product}}).body["id"],
            tid);  // the same thread
  auto about_order = open(buyer, Json{{"merchant_id", shop.id}, {"order_id", oid}});
  ASSERT_EQ(about_order.status, 200);
  EXPECT_NE(about_order.body["id"], tid);
  // Another buyer's order, another shop's product: not found.
  EXPECT_EQ(open(stranger, Json{{"merchant_id", shop.id}, {"order_id", oid}}).status, 404);
  EXPECT_EQ(open(buyer, Json{{"merchant_id", other.id}, {"product_id", product}}).status, 404);
  // An empty thread is not listed; a message makes it so, unread for the shop.
  EXPECT_EQ(Staff(shop, "GET", "/api/v1/merchant/cs/threads").body["items"].size(), 0u);
  ASSERT_EQ(
      Call("POST", "/api/v1/cs/threads/" + tid + "/messages", Json{{"text", "有现货吗？"}}, buyer)
          .status,
      201);
  ASSERT_EQ(
      Call("POST", "/api/v1/cs/threads/" + tid + "/messages", Json{{"text", "今天能发吗？"}}, buyer)
          .status,
      201);
  auto inbox = Staff(shop, "GET", "/api/v1/merchant/cs/threads");
  ASSERT_EQ(inbox.body["items"].size(), 1u) << inbox.body.dump();
  EXPECT_EQ(inbox.body["unread"], 2);
  EXPECT_EQ(inbox.body["items"][0]["buyer_nickname"], "问问");
  EXPECT_EQ(inbox.body["items"][0]["last_text"], "今天能发吗？");
  EXPECT_EQ(Staff(other, "GET", "/api/v1/merchant/cs/threads/" + tid).status, 404);
  EXPECT_EQ(
      Staff(other, "POST", "/api/v1/merchant/cs/threads/" + tid + "/messages", Json{{"text", "x"}})
          .status,
      404);
  EXPECT_EQ(Call("GET", "/api/v1/cs/threads/" + tid, nullptr, stranger).status, 404);
  // The shop reads and answers: its unread clears, the buyer's rises.
  auto thread = Staff(shop, "GET", "/api/v1/merchant/cs/threads/" + tid);
  ASSERT_EQ(thread.body["messages"].size(), 2u);
  EXPECT_EQ(thread.body["messages"][0]["sender"], "buyer");
  ASSERT_EQ(Staff(shop, "POST", "/api/v1/merchant/cs/threads/" + tid + "/read").status, 200);
  auto answer = Staff(shop, "POST", "/api/v1/merchant/cs/threads/" + tid + "/messages",
                      Json{{"text", "有的，下午发"}});
  ASSERT_EQ(answer.status, 201) << answer.body.dump();
  EXPECT_EQ(Staff(shop, "GET", "/api/v1/merchant/cs/threads").body["unread"], 0);
  auto mine = Call("GET", "/api/v1/me/cs/threads", nullptr, buyer);
  EXPECT_EQ(mine.body["unread"], 1);
  EXPECT_EQ(mine.body["items"][0]["merchant_name"], "客服店");
  // New messages only, after the last one the buyer has.
  std::string first = thread.body["messages"][1]["id"];
  auto fresh = Call("GET", "/api/v1/cs/threads/" + tid + "?after=" + first, nullptr, buyer);
  ASSERT_EQ(fresh.body["messages"].size(), 1u);
  EXPECT_EQ(fresh.body["messages"][0]["text"], "有的，下午发");
  EXPECT_EQ(fresh.body["messages"][0]["sender"], "merchant");
  ASSERT_EQ(Call("POST", "/api/v1/cs/threads/" + tid + "/read", nullptr, buyer).status, 200);
  EXPECT_EQ(Call("GET", "/api/v1/me/cs/threads", nullptr, buyer).body["unread"], 0);
  EXPECT_EQ(
      Call("POST", "/api/v1/cs/threads/" + tid + "/messages", Json{{"text", ""}}, buyer).status,
      400);
  ExpectInvariants();
}

}  // namespace
}  // namespace xd::testing
