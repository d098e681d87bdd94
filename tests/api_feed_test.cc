// The traffic layer over real HTTP (SPEC §9, issue 20, decision 028): follows and the storefront,
// the merchant's followers and their growth; the home feed's sources, its pages under the
// exposure guarantee and caps; impressions landing in the event log and counting toward the
// daily cap; hot shops that a merchant cannot buy its way into; the admin's settings and
// fairness report.

#include <map>
#include <set>

#include "base/id.h"
#include "feed/feed.h"
#include "http/api.h"
#include "insight/insight.h"
#include "tests/harness.h"

namespace xd::testing {
namespace {

class Feed : public ApiTest {
 protected:
  void MakeFriends(const std::string& a, const std::string& b_phone, const std::string& b) {
    ASSERT_EQ(Call("POST", "/api/v1/friends/requests", Json{{"phone", b_phone}}, a).status, 201);
    auto reqs = Call("GET", "/api/v1/friends/requests", nullptr, b);
    ASSERT_EQ(Call("POST", "/api/v1/friends/requests/" + reqs.body["items"][0]["id"].get<std::string>() + "/accept",
                   nullptr, b).status, 200);
  }
  void CatchUp() {
    ASSERT_TRUE(app_->insight().CatchUp());
  }
  // A room of `shop`, live now, selling `sku`: its id ("" after a failed expectation).
  std::string StartLiveRoom(const Shop& shop, const std::string& sku, const std::string& title) {
    auto room = Call("POST", "/api/v1/merchant/live/rooms",
                     Json{{"title", title}, {"stream_url", "https://live.example.com/a.m3u8"},
                          {"products", {{{"sku_id", sku}, {"live_price_fen", 7900}, {"live_stock", 3}}}}},
                     shop.owner_token);
    EXPECT_EQ(room.status, 201) << room.body.dump();
    const std::string id = room.body.value("id", "");
    EXPECT_EQ(Call("POST", "/api/v1/merchant/live/rooms/" + id + "/start", nullptr, shop.owner_token).status, 200);
    return id;
  }
  // The buyer asks for all its money back (refund only), the shop approves, the refund lands.
  void RefundWhole(const std::string& buyer, const Shop& shop, const Json& order) {
    auto as = Call("POST", "/api/v1/orders/" + order["id"].get<std::string>() + "/aftersales",
                   Json{{"type", "refund_only"}, {"amount_fen", order["total_fen"]}, {"reason", "不想要了"}}, buyer);
    ASSERT_EQ(as.status, 201) << as.body.dump();
    ASSERT_EQ(Call("POST", "/api/v1/merchant/aftersales/" + as.body["id"].get<std::string>() + "/approve", nullptr,
                   shop.owner_token).status, 200);
    WaitStatus(buyer, order["id"], "refunded");
  }
  // Every page of the caller's feed until it ends (at most 40 pages).
  std::vector<Json> AllPages(const std::string& token, int limit) {
    std::vector<Json> pages;
    std::string cursor;
    for (int i = 0; i < 40; ++i) {
      auto r = Call("GET", "/api/v1/feed?limit=" + std::to_string(limit) + (cursor.empty() ? "" : "&cursor=" + cursor),
                    nullptr, token);
      EXPECT_EQ(r.status, 200) << r.body.dump();
      if (r.status != 200) break;
      pages.push_back(r.body);
      if (r.body["next_cursor"].is_null()) break;
      cursor = r.body["next_cursor"];
    }
    return pages;
  }
};

// A buyer follows a shop from its page (a shop favourite): the page says so, the merchant sees
// one follower gained; a second tap changes nothing; unfollowing shows as one lost.
TEST_F(Feed, FollowFromTheStorefrontAndTheMerchantSeesItsFollowers) {
  Shop shop = OpenShop("c2c", "小林咖啡");
  auto [product, sku] = CreateProduct(shop, 3900, 10, "挂耳咖啡 10 包");
  std::string buyer = Register("", "小美");
  std::string other = Register("", "小王");

  auto page = Call("GET", "/api/v1/shops/" + shop.id);
  ASSERT_EQ(page.status, 200) << page.body.dump();
  EXPECT_EQ(page.body["shop"]["name"], "小林咖啡");
  EXPECT_EQ(page.body["followers"], 0);
  EXPECT_EQ(page.body["following"], false);
  EXPECT_EQ(page.body["products_on_sale"], 1);

  for (int tap = 0; tap < 2; ++tap)
    ASSERT_EQ(Call("PUT", "/api/v1/me/favorites/shop/" + shop.id, nullptr, buyer).status, 200);
  ASSERT_EQ(Call("PUT", "/api/v1/me/favorites/shop/" + shop.id, nullptr, other).status, 200);
  page = Call("GET", "/api/v1/shops/" + shop.id, nullptr, buyer);
  EXPECT_EQ(page.body["followers"], 2);
  EXPECT_EQ(page.body["following"], true);
  EXPECT_EQ(Call("GET", "/api/v1/shops/" + shop.id).body["following"], false);

  auto growth = Call("GET", "/api/v1/merchant/followers?days=7", nullptr, shop.owner_token);
  ASSERT_EQ(growth.status, 200) << growth.body.dump();
  EXPECT_EQ(growth.body["followers"], 2);
  EXPECT_EQ(growth.body["new_followers"], 2);
  EXPECT_EQ(growth.body["lost_followers"], 0);
  ASSERT_EQ(growth.body["days"].size(), 7u);
  EXPECT_EQ(growth.body["days"][6]["follows"], 2);
  EXPECT_EQ(growth.body["days"][6]["followers"], 2);
  EXPECT_EQ(growth.body["days"][5]["followers"], 0);

  // The next day one unfollows (twice: counted once).
  clock_.AdvanceMs(24LL * 3600 * 1000);
  for (int tap = 0; tap < 2; ++tap)
    ASSERT_EQ(Call("DELETE", "/api/v1/me/favorites/shop/" + shop.id, nullptr, other).status, 200);
  growth = Call("GET", "/api/v1/merchant/followers?days=2", nullptr, shop.owner_token);
  EXPECT_EQ(growth.body["followers"], 1);
  EXPECT_EQ(growth.body["new_followers"], 2);
  EXPECT_EQ(growth.body["lost_followers"], 1);
  EXPECT_EQ(growth.body["days"][0]["followers"], 2);
  EXPECT_EQ(growth.body["days"][1]["unfollows"], 1);
  EXPECT_EQ(growth.body["days"][1]["followers"], 1);
  // Another shop sees only its own followers; a bad range is a Chinese field error.
  Shop rival = OpenShop("c2c", "隔壁店");
  EXPECT_EQ(Call("GET", "/api/v1/merchant/followers", nullptr, rival.owner_token).body["followers"], 0);
  auto bad = Call("GET", "/api/v1/merchant/followers?days=0", nullptr, shop.owner_token);
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body["error"]["message"].get<std::string>().find("天数"), std::string::npos) << bad.body.dump();
  // A shop that does not exist has no page.
  EXPECT_EQ(Call("GET", "/api/v1/shops/999999").status, 404);
  ExpectInvariants();
}

// The home feed mixes its sources: a friend's recommendation (with the friend's name and words), a
// followed shop's new product and a live room now live; an anonymous visitor gets a cold-start feed.
TEST_F(Feed, HomeFeedShowsFriendsRecommendationsFollowedShopsAndLiveRooms) {
  Shop tea = OpenShop("c2c", "阿明茶铺");
  Shop fruit = OpenShop("c2c", "果园直发");
  Shop live_shop = OpenShop("b2c", "直播好物");
  auto [tea_product, tea_sku] = CreateProduct(tea, 5900, 10, "明前龙井 100g");
  std::string me = Register("13900000101", "小美");
  std::string pal = Register("13900000102", "阿强");
  MakeFriends(me, "13900000102", pal);
  ASSERT_EQ(Call("POST", "/api/v1/recommendations", Json{{"product_id", tea_product}, {"text", "今年的新茶很香"}}, pal).status, 201);
  ASSERT_EQ(Call("PUT", "/api/v1/me/favorites/shop/" + fruit.id, nullptr, me).status, 200);
  clock_.AdvanceMs(1000);
  auto [fruit_product, fruit_sku] = CreateProduct(fruit, 3900, 10, "赣南脐橙 5 斤");
  auto [live_product, live_sku] = CreateProduct(live_shop, 9900, 10, "羽绒服");
  const std::string room_id = StartLiveRoom(live_shop, live_sku, "冬季新品首发");
  ASSERT_FALSE(room_id.empty());
  clock_.AdvanceMs(20'000);  // past the shared candidates' cache

  auto feed = Call("GET", "/api/v1/feed?limit=10", nullptr, me);
  ASSERT_EQ(feed.status, 200) << feed.body.dump();
  std::map<std::string, Json> by_product;
  Json live_card;
  for (auto& item : feed.body["items"]) {
    if (item["kind"] == "live") live_card = item;
    else by_product[item["product"]["id"]] = item;
  }
  ASSERT_TRUE(by_product.count(tea_product)) << feed.body.dump();
  EXPECT_EQ(by_product[tea_product]["source"], "friend");
  EXPECT_EQ(by_product[tea_product]["friend"]["nickname"], "阿强");
  EXPECT_EQ(by_product[tea_product]["friend"]["text"], "今年的新茶很香");
  ASSERT_TRUE(by_product.count(fruit_product)) << feed.body.dump();
  EXPECT_EQ(by_product[fruit_product]["source"], "followed");
  ASSERT_FALSE(live_card.is_null()) << feed.body.dump();
  EXPECT_EQ(live_card["room"]["id"], room_id);
  EXPECT_EQ(live_card["room"]["merchant_name"], "直播好物");
  EXPECT_EQ(feed.body["feed_id"].get<std::string>().size(), 16u);
  // Positions count from 0 in rank order; the next page goes on from where this one stopped.
  int64_t expect = 0;
  for (auto& item : feed.body["items"])
    if (item["kind"] == "product") {
      EXPECT_EQ(item["position"], expect++);
    }

  auto anon = Call("GET", "/api/v1/feed?limit=5&device=dabc123");
  ASSERT_EQ(anon.status, 200) << anon.body.dump();
  EXPECT_FALSE(anon.body["items"].empty());
  for (auto& item : anon.body["items"]) {
    EXPECT_NE(item.value("source", ""), "friend");
  }
  EXPECT_EQ(Call("GET", "/api/v1/feed?cursor=nonsense").status, 400);
  EXPECT_EQ(Call("GET", "/api/v1/feed?limit=500").status, 400);
  ExpectInvariants();
}

// The two sources the test above does not reach: a shop selling to real buyers lately brings its
// best sellers as hot-shop candidates (for everyone, anonymous visitors too), and a signed-in
// buyer's category interests, learnt from the products it viewed, bring that category's products
// as personalised ones; a shop with neither is cold start.
TEST_F(Feed, HotShopsAndInterestsBringTheirCandidates) {
  Shop hot = OpenShop("c2c", "卖得火的小店");
  auto [hot_product, hot_sku] = CreateProduct(hot, 2900, 50, "爆款围巾");
  Shop tea = OpenShop("c2c", "山里茶农");
  auto make_tea = [&](const std::string& title, int64_t price) {
    auto r = Call("POST", "/api/v1/merchant/products",
                  Json{{"title", title}, {"category", "茶叶"}, {"status", "on_sale"},
                       {"skus", {{{"spec", {{"规格", "标准"}}}, {"price_fen", price}, {"stock", 20}}}}},
                  tea.owner_token, {{"X-Merchant-Id", tea.id}});
    EXPECT_EQ(r.status, 201) << r.body.dump();
    return r.body.value("id", "");
  };
  const std::string tea_a = make_tea("高山云雾茶", 6800), tea_b = make_tea("手工红茶", 4800);
  Shop quiet = OpenShop("c2c", "安静的店");
  auto [quiet_product, quiet_sku] = CreateProduct(quiet, 1900, 5, "普通袜子");
  // Two real buyers pay the hot shop today.
  for (const char* phone : {"13900000121", "13900000122"}) {
    std::string buyer = Register(phone, "买家");
    PayAndWait(buyer, Buy(buyer, hot_sku, 1)["id"]);
  }
  // A buyer who looked at tea (one product's page, three times).
  std::string me = Register("13900000123", "爱喝茶");
  Json views = Json::array();
  for (int i = 0; i < 3; ++i)
    views.push_back(Json{{"id", "tea-view-" + std::to_string(i)}, {"type", "view"}, {"product_id", tea_a}});
  ASSERT_EQ(Call("POST", "/api/v1/events", Json{{"device_id", "dteafan1"}, {"events", views}}, me).status, 202);
  CatchUp();
  clock_.AdvanceMs(70'000);  // past the shared candidates' and the hot list's caches

  auto sources = [&](const std::string& token, const std::string& device) {
    std::map<std::string, std::string> out;
    std::string cursor;
    for (int i = 0; i < 40; ++i) {
      std::string path = "/api/v1/feed?limit=20" + (cursor.empty() ? "" : "&cursor=" + cursor) +
                         (device.empty() ? "" : "&device=" + device);
      auto r = Call("GET", path, nullptr, token);
      EXPECT_EQ(r.status, 200) << r.body.dump();
      if (r.status != 200) break;
      for (auto& item : r.body["items"])
        if (item["kind"] == "product") out[item["product"]["id"]] = item["source"];
      if (r.body["next_cursor"].is_null()) break;
      cursor = r.body["next_cursor"];
    }
    return out;
  };
  auto mine = sources(me, "");
  EXPECT_EQ(mine[hot_product], "hot_shop");
  EXPECT_EQ(mine[tea_a], "personalised");
  EXPECT_EQ(mine[tea_b], "personalised");
  EXPECT_EQ(mine[quiet_product], "cold_start");
  auto anonymous = sources("", "danon777");
  EXPECT_EQ(anonymous[hot_product], "hot_shop");
  EXPECT_EQ(anonymous[tea_a], "cold_start");  // no interests without a history
  EXPECT_EQ(anonymous[quiet_product], "cold_start");
}

// The guarantee and the caps hold on every page of a scripted feed: two head shops (the top by
// GMV) with many products and ten long-tail shops; every page has at most 2 items of a merchant
// and at least floor(k · 40%) long-tail items after its first k slots, no product comes twice, and
// no merchant appears more than the daily cap across all pages.
TEST_F(Feed, GuaranteeAndCapsHoldOnEveryPage) {
  std::string admin = AdminToken();
  auto put = Call("PUT", "/api/v1/admin/feed/settings",
                  Json{{"head_merchants", 2}, {"long_tail_share_bps", 4000}, {"max_per_merchant_per_page", 2},
                       {"max_per_merchant_per_user_day", 3}},
                  admin);
  ASSERT_EQ(put.status, 200) << put.body.dump();
  std::string buyer = Register("13900000201", "买家");
  std::set<std::string> head;
  for (int h = 0; h < 2; ++h) {
    Shop big = OpenShop("ka", "大牌" + std::to_string(h));
    head.insert(big.id);
    std::string first_sku;
    for (int i = 0; i < 8; ++i) {
      auto [p, s] = CreateProduct(big, 10000 + i, 50, "大牌商品" + std::to_string(h) + "-" + std::to_string(i));
      if (i == 0) first_sku = s;
    }
    for (int k = 0; k < 2; ++k) PayAndWait(buyer, Buy(buyer, first_sku, 2)["id"]);
  }
  for (int t = 0; t < 10; ++t) {
    Shop small = OpenShop("c2c", "小店" + std::to_string(t));
    for (int i = 0; i < 3; ++i) CreateProduct(small, 2000 + i, 5, "小店商品" + std::to_string(t) + "-" + std::to_string(i));
  }
  CatchUp();
  clock_.AdvanceMs(20'000);

  std::string viewer = Register("13900000202", "看客");
  std::vector<Json> pages = AllPages(viewer, 5);
  ASSERT_GE(pages.size(), 5u);
  std::set<std::string> products;
  std::map<std::string, int> per_merchant_total;
  int long_tail_total = 0, items_total = 0;
  for (size_t pi = 0; pi < pages.size(); ++pi) {
    std::map<std::string, int> per_merchant;
    int k = 0, long_tail = 0;
    for (auto& item : pages[pi]["items"]) {
      if (item["kind"] != "product") continue;
      std::string merchant = item["product"]["merchant_id"];
      EXPECT_TRUE(products.insert(item["product"]["id"]).second) << "product twice, page " << pi;
      EXPECT_LE(++per_merchant[merchant], 2) << "page " << pi << " " << pages[pi].dump();
      ++per_merchant_total[merchant];
      EXPECT_EQ(item["long_tail"].get<bool>(), head.count(merchant) == 0) << item.dump();
      ++k;
      if (!head.count(merchant)) ++long_tail;
      EXPECT_GE(long_tail * 10000, (k * 4000 / 10000) * 10000) << "page " << pi << " slot " << k;
    }
    long_tail_total += long_tail;
    items_total += k;
  }
  for (auto& [merchant, n] : per_merchant_total) EXPECT_LE(n, 3) << merchant;
  for (auto& h : head) EXPECT_GE(per_merchant_total[h], 1) << "the head still shows";
  // Counts of feed items, not times: the scripted pages held more than 20 items in all, and at
  // least 40% of them were long-tail merchants' (the guarantee's share).
  EXPECT_GT(items_total, 20);
  EXPECT_GE(long_tail_total * 10, items_total * 4);
  // The same cursor gives the same page (the feed is stateless: a page replays the ones before).
  auto first = Call("GET", "/api/v1/feed?limit=5", nullptr, viewer);
  std::string cursor = first.body["next_cursor"];
  EXPECT_EQ(Call("GET", "/api/v1/feed?cursor=" + cursor, nullptr, viewer).body,
            Call("GET", "/api/v1/feed?cursor=" + cursor, nullptr, viewer).body);
  ExpectInvariants();
}

// Impressions arrive with their position, the feed request's id and its source, land in the
// event log, and count toward the merchant's daily cap for that user; what the buyer saw on the
// shop's own page or in search does not.
TEST_F(Feed, ImpressionsLandInTheEventLogAndCountTowardTheDailyCap) {
  std::string admin = AdminToken();
  ASSERT_EQ(Call("PUT", "/api/v1/admin/feed/settings", Json{{"max_per_merchant_per_user_day", 1}}, admin).status, 200);
  Shop shop = OpenShop("c2c", "常见的店");
  auto [product, sku] = CreateProduct(shop, 1500, 5, "小店面包");
  Shop other = OpenShop("c2c", "另一家");
  CreateProduct(other, 1800, 5, "另一家的饼干");
  clock_.AdvanceMs(20'000);
  std::string viewer = Register("13900000301", "看客");
  // The buyer browses the shop's page and a search first: three impressions, none the feed's.
  auto browsed = Call("POST", "/api/v1/events",
                      Json{{"device_id", "dfeedtest1"},
                           {"events", {{{"id", "shop-1"}, {"type", "impression"}, {"product_id", product}, {"position", 0}},
                                       {{"id", "shop-2"}, {"type", "impression"}, {"product_id", product}, {"position", 0}},
                                       {{"id", "search-1"}, {"type", "impression"}, {"product_id", product},
                                        {"position", 0}, {"source", "search"}}}}},
                      viewer);
  ASSERT_EQ(browsed.status, 202) << browsed.body.dump();
  CatchUp();
  auto feed = Call("GET", "/api/v1/feed?limit=10", nullptr, viewer);
  ASSERT_EQ(feed.status, 200);
  std::string feed_id = feed.body["feed_id"];
  Json shown;
  for (auto& item : feed.body["items"])
    if (item["kind"] == "product" && item["product"]["id"] == product) shown = item;
  ASSERT_FALSE(shown.is_null()) << feed.body.dump();
  auto sent = Call("POST", "/api/v1/events",
                   Json{{"device_id", "dfeedtest1"},
                        {"events", {{{"id", "imp-1"}, {"type", "impression"}, {"product_id", product}, {"position", shown["position"]},
                                     {"feed_id", feed_id}, {"feed_source", shown["source"]}, {"source", "feed"}}}}},
                   viewer);
  ASSERT_EQ(sent.status, 202) << sent.body.dump();
  EXPECT_EQ(sent.body["accepted"], 1) << sent.body.dump();
  CatchUp();
  ASSERT_TRUE(app_->analytics_store().Read([&](Reader& r) -> Status {
    auto row = r.QueryOne("SELECT merchant_id, product_id, channel, data FROM log WHERE type='impression' AND channel='feed'");
    EXPECT_TRUE(row && *row);
    if (!row || !*row) return Ok();
    EXPECT_EQ(IdString((*row)->Int(0)), shop.id);
    EXPECT_EQ(IdString((*row)->Int(1)), product);
    EXPECT_EQ((*row)->Str(2), "feed");
    Json data = (*row)->JsonAt(3);
    EXPECT_EQ(data["position"], shown["position"]);
    EXPECT_EQ(data["feed_id"], feed_id);
    EXPECT_EQ(data["feed_source"], shown["source"]);
    return Ok();
  }));
  // The merchant was shown once today, the cap is 1: a new feed leaves it out, not the other shop.
  auto again = Call("GET", "/api/v1/feed?limit=10", nullptr, viewer);
  bool capped_shown = false, other_shown = false;
  for (auto& item : again.body["items"]) {
    if (item["kind"] != "product") continue;
    capped_shown = capped_shown || item["product"]["merchant_id"] == shop.id;
    other_shown = other_shown || item["product"]["merchant_id"] == other.id;
  }
  EXPECT_FALSE(capped_shown) << again.body.dump();
  EXPECT_TRUE(other_shown) << again.body.dump();
  // Tomorrow the cap starts over.
  clock_.AdvanceMs(24LL * 3600 * 1000);
  auto tomorrow = Call("GET", "/api/v1/feed?limit=10", nullptr, viewer);
  EXPECT_NE(tomorrow.body.dump().find(product), std::string::npos) << tomorrow.body.dump();
}

// A feed's pages are the same whether or not the impressions of its earlier pages have arrived:
// its own impressions count once (its pages are replayed), not twice. With a day cap of 3 and 2
// a page, a shop shown twice on page 1 has one item left for the later pages; counted twice it
// would have none and page 2 would change under the buyer's thumb.
TEST_F(Feed, AFeedsOwnImpressionsDoNotChangeItsLaterPages) {
  std::string admin = AdminToken();
  ASSERT_EQ(Call("PUT", "/api/v1/admin/feed/settings",
                 Json{{"max_per_merchant_per_page", 2}, {"max_per_merchant_per_user_day", 3}}, admin)
                .status,
            200);
  for (int m = 0; m < 4; ++m) {
    Shop shop = OpenShop("c2c", "翻页小店" + std::to_string(m));
    for (int i = 0; i < 4; ++i)
      CreateProduct(shop, 1000 + 900 * m + 10 * i, 5, "翻页商品" + std::to_string(m) + "-" + std::to_string(i));
  }
  clock_.AdvanceMs(20'000);
  std::string viewer = Register("13900000311", "翻页的人");
  auto ids = [](const Json& page) {
    std::vector<std::string> out;
    for (auto& item : page["items"])
      if (item["kind"] == "product") out.push_back(item["product"]["id"]);
    return out;
  };
  auto first = Call("GET", "/api/v1/feed?limit=5", nullptr, viewer);
  ASSERT_EQ(first.status, 200) << first.body.dump();
  const std::string cursor = first.body["next_cursor"];
  auto second = Call("GET", "/api/v1/feed?cursor=" + cursor, nullptr, viewer);
  ASSERT_EQ(second.status, 200);
  // Page 1 was seen: its impressions arrive.
  Json events = Json::array();
  for (auto& item : first.body["items"]) {
    if (item["kind"] != "product") continue;
    events.push_back(Json{{"id", "pg1-" + std::to_string(events.size())}, {"type", "impression"},
                          {"product_id", item["product"]["id"]}, {"position", item["position"]},
                          {"feed_id", first.body["feed_id"]}, {"feed_source", item["source"]},
                          {"source", "feed"}});
  }
  ASSERT_EQ(events.size(), 5u) << first.body.dump();
  ASSERT_EQ(Call("POST", "/api/v1/events", Json{{"device_id", "dpages1"}, {"events", events}}, viewer).status, 202);
  CatchUp();
  auto again = Call("GET", "/api/v1/feed?cursor=" + cursor, nullptr, viewer);
  ASSERT_EQ(again.status, 200);
  EXPECT_EQ(ids(again.body), ids(second.body)) << second.body.dump() << "\n" << again.body.dump();
  EXPECT_EQ(ids(again.body).size(), 5u);
  // Another feed begun now counts them: page 1's shops have their day cap less what it showed.
  std::map<std::string, int> shown;
  for (auto& item : first.body["items"])
    if (item["kind"] == "product") ++shown[item["product"]["merchant_id"]];
  std::map<std::string, int> later;
  for (const Json& page : AllPages(viewer, 5))
    for (auto& item : page["items"])
      if (item["kind"] == "product") ++later[item["product"]["merchant_id"]];
  for (auto& [merchant, n] : shown) EXPECT_LE(later[merchant] + n, 3) << merchant;
}

// A live room's card on the feed has its position among the live cards; its impression names the
// room and counts for the room's merchant (looked up, not taken from the client), toward the
// shop's exposure and the viewer's daily count; a room that does not exist counts for nobody.
TEST_F(Feed, LiveCardImpressionsCountForTheRoomsMerchant) {
  Shop live_shop = OpenShop("b2c", "直播小店");
  auto [product, sku] = CreateProduct(live_shop, 9900, 10, "羊毛围巾");
  const std::string room_id = StartLiveRoom(live_shop, sku, "围巾专场");
  ASSERT_FALSE(room_id.empty());
  clock_.AdvanceMs(20'000);
  std::string viewer = Register("13900000311", "看直播");
  auto feed = Call("GET", "/api/v1/feed?limit=10", nullptr, viewer);
  ASSERT_EQ(feed.status, 200) << feed.body.dump();
  Json card;
  for (auto& item : feed.body["items"])
    if (item["kind"] == "live") card = item;
  ASSERT_FALSE(card.is_null()) << feed.body.dump();
  EXPECT_EQ(card["room"]["id"], room_id);
  EXPECT_EQ(card["position"], 0);
  auto sent = Call("POST", "/api/v1/events",
                   Json{{"events",
                         {{{"id", "live-imp-1"}, {"type", "impression"}, {"room_id", room_id}, {"position", card["position"]},
                           {"feed_id", feed.body["feed_id"]}, {"feed_source", "live"}, {"source", "feed"}},
                          {{"id", "live-imp-2"}, {"type", "impression"}, {"room_id", "999999"}, {"position", 1},
                           {"source", "feed"}}}}},
                   viewer);
  ASSERT_EQ(sent.status, 202) << sent.body.dump();
  EXPECT_EQ(sent.body["accepted"], 2) << sent.body.dump();
  CatchUp();
  ASSERT_TRUE(app_->analytics_store().Read([&](Reader& r) -> Status {
    ASSIGN_OR_RETURN(Rows rows, r.Query("SELECT merchant_id, data FROM log WHERE type='impression' ORDER BY source_key"));
    EXPECT_EQ(rows.size(), 2u);
    if (rows.size() != 2) return Ok();
    EXPECT_EQ(IdString(rows[0].Int(0)), live_shop.id);
    Json data = rows[0].JsonAt(1);
    EXPECT_EQ(data["room_id"], room_id);
    EXPECT_EQ(data["position"], 0);
    EXPECT_EQ(data["feed_source"], "live");
    EXPECT_EQ(rows[1].Int(0), 0);  // no such room: nobody's
    ASSIGN_OR_RETURN(int64_t shown, r.QueryInt("SELECT COALESCE(SUM(impressions), 0) FROM merchant_days WHERE merchant_id=?",
                                               {*ParseId(live_shop.id)}));
    EXPECT_EQ(shown, 1);
    ASSIGN_OR_RETURN(int64_t today, r.QueryInt("SELECT COALESCE(SUM(impressions), 0) FROM visitor_feed_merchants WHERE "
                                               "merchant_id=? AND visitor LIKE 'u%'",
                                               {*ParseId(live_shop.id)}));
    EXPECT_EQ(today, 1);
    return Ok();
  }));
}

// Hot shops count clean sales only: a merchant buying from itself (owner or staff) and orders
// refunded do not count, so neither can lift a shop onto the list; a real buyer's order does.
TEST_F(Feed, HotShopsIgnoreSelfPurchasesAndRefundedOrders) {
  Shop honest = OpenShop("c2c", "老实小店");
  Shop gamer = OpenShop("c2c", "刷单小店");
  Shop refunder = OpenShop("c2c", "退款小店");
  auto [hp, hs] = CreateProduct(honest, 2000, 50, "手工皂");
  auto [gp, gs] = CreateProduct(gamer, 50000, 500, "刷单商品");
  auto [rp, rs] = CreateProduct(refunder, 50000, 50, "退款商品");
  std::string staff = Register("13900000401", "店员");
  AddStaff(gamer, "13900000401", staff, "operator");
  std::string buyer = Register("13900000402", "真买家");
  Json real = Buy(buyer, hs);
  PayAndWait(buyer, real["id"]);
  for (int i = 0; i < 3; ++i) {
    PayAndWait(gamer.owner_token, Buy(gamer.owner_token, gs, 5)["id"]);
    PayAndWait(staff, Buy(staff, gs, 5)["id"]);
  }
  Json big = Buy(buyer, rs, 3);
  PayAndWait(buyer, big["id"]);
  RefundWhole(buyer, refunder, big);
  clock_.AdvanceMs(61'000);  // past the list's minute
  auto hot = Call("GET", "/api/v1/hot-shops");
  ASSERT_EQ(hot.status, 200) << hot.body.dump();
  std::set<std::string> listed;
  for (auto& s : hot.body["items"]) listed.insert(s["merchant_id"]);
  EXPECT_TRUE(listed.count(honest.id)) << hot.body.dump();
  EXPECT_FALSE(listed.count(gamer.id)) << "self-purchases lifted a shop: " << hot.body.dump();
  EXPECT_FALSE(listed.count(refunder.id)) << "a refunded order lifted a shop: " << hot.body.dump();
  EXPECT_EQ(hot.body["items"][0]["name"], "老实小店");
  // Counted, up to rank.h's cap on one buyer's share of a shop's GMV.
  EXPECT_GT(hot.body["items"][0]["recent_fen"].get<int64_t>(), 0);
  EXPECT_LE(hot.body["items"][0]["recent_fen"], real["total_fen"]);
  EXPECT_EQ(hot.body["items"][0]["buyers"], 1);
  ExpectInvariants();
}

// A merchant cannot buy its way up the feed (decision 045): its owner buying its own product five
// times moves neither the product's place in a signed-in buyer's feed nor the counts the feed
// ranks it by, nor puts it among the best sellers; five purchases by a real buyer move it up.
// (Before, the owner's units counted as conversions and lifted the product above its rival.)
TEST_F(Feed, SelfPurchasesDoNotMoveAProductUpTheFeed) {
  Shop own = OpenShop("c2c", "自买小店");
  auto [pa, sa] = CreateProduct(own, 3000, 100, "自家蜂蜜");
  Shop rival = OpenShop("c2c", "对手小店");
  auto [pb, sb] = CreateProduct(rival, 3000, 100, "对手蜂蜜");
  // Both shown 20 times and opened 10 times (anonymous devices), the rival bought twice: the
  // rival's product converts better and ranks first.
  Json events = Json::array();
  for (const std::string& p : {pa, pb})
    for (int i = 0; i < 20; ++i) {
      events.push_back({{"id", "i" + p + "-" + std::to_string(i)}, {"type", "impression"}, {"product_id", p}, {"position", 0}});
      if (i < 10) events.push_back({{"id", "v" + p + "-" + std::to_string(i)}, {"type", "view"}, {"product_id", p}});
    }
  auto sent = Call("POST", "/api/v1/events", Json{{"device_id", "dselfbuy1"}, {"events", events}});
  ASSERT_EQ(sent.status, 202) << sent.body.dump();
  ASSERT_EQ(sent.body["accepted"], 60) << sent.body.dump();
  std::string fan = Register("13900000701", "对手的顾客");
  for (int i = 0; i < 2; ++i) PayAndWait(fan, Buy(fan, sb)["id"]);
  std::string viewer = Register("13900000702", "看客");
  const int64_t pa_id = *ParseId(pa);
  // The place of each product in a new feed of the viewer's, and pa's counts as the feed reads them.
  auto places = [&] {
    CatchUp();
    clock_.AdvanceMs(11'000);  // past the shared candidates' 10 s
    std::map<std::string, int64_t> at;
    auto feed = Call("GET", "/api/v1/feed?limit=10", nullptr, viewer);
    EXPECT_EQ(feed.status, 200) << feed.body.dump();
    for (auto& item : feed.body["items"])
      if (item["kind"] == "product") at[item["product"]["id"]] = item["position"];
    EXPECT_TRUE(at.count(pa) && at.count(pb)) << feed.body.dump();
    return at;
  };
  auto counts = [&] {
    auto c = app_->insight().ProductCountsSince({pa_id}, 0);
    EXPECT_TRUE(c) << c.error().message;
    return c && c->count(pa_id) ? (*c)[pa_id] : insight::Insight::ProductCounts{};
  };
  auto best = [&] {
    auto b = app_->insight().BestSellers("", {}, 10);
    EXPECT_TRUE(b) << b.error().message;
    return b ? std::set<int64_t>(b->begin(), b->end()) : std::set<int64_t>{};
  };
  auto before = places();
  EXPECT_LT(before[pb], before[pa]);
  const auto counted = counts();
  EXPECT_EQ(counted.paid_units, 0);

  for (int i = 0; i < 5; ++i) PayAndWait(own.owner_token, Buy(own.owner_token, sa)["id"]);
  auto after_self = places();
  EXPECT_EQ(after_self, before) << "the owner's purchases moved its product";
  EXPECT_EQ(counts().paid_units, counted.paid_units);
  EXPECT_EQ(counts().views, counted.views);
  EXPECT_FALSE(best().count(pa_id));
  // The merchant's own BI still sees every unit paid.
  ASSERT_TRUE(app_->analytics_store().Read([&](Reader& r) -> Status {
    auto units = r.QueryInt("SELECT SUM(paid_units) FROM merchant_product_days WHERE product_id=?", {pa_id});
    EXPECT_TRUE(units && *units == 5);
    return Ok();
  }));

  std::string buyer = Register("13900000703", "真买家");
  for (int i = 0; i < 5; ++i) PayAndWait(buyer, Buy(buyer, sa)["id"]);
  auto after_real = places();
  EXPECT_LT(after_real[pa], after_real[pb]) << "real purchases did not move the product";
  EXPECT_EQ(counts().paid_units, 5);
  EXPECT_TRUE(best().count(pa_id));
  ExpectInvariants();
}

// No training/serving skew (decision 045): for the same state of the log, the feature vector the
// feed ranks a product by for a signed-in buyer equals the one the trainer builds for that buyer's
// impression of it: category interest (a share of the buyer's strongest, here between 0 and 1),
// the price the buyer usually pays, the product's impressions, views and units bought without
// self-purchases. (Before, serving left the price fit at 0, scaled interest differently and
// counted views and units where training counted credited clicks and order lines.)
TEST_F(Feed, ServingFeaturesEqualTrainingFeatures) {
  Shop shop = OpenShop("c2c", "茶食铺");
  auto [food, food_sku] = CreateProduct(shop, 3000, 100, "桃酥");
  auto [tea, tea_sku] = CreateProduct(shop, 1500, 100, "红茶");
  const int64_t food_id = *ParseId(food), tea_id = *ParseId(tea);
  ASSERT_TRUE(app_->store().Execute([&](Tx& tx) {
    return tx.Run("UPDATE products SET category='茶' WHERE id=?", {tea_id});
  }));
  std::string staff = Register("13900000801", "店员");
  AddStaff(shop, "13900000801", staff, "operator");
  std::string buyer = Register("13900000802", "买家");
  const int64_t buyer_id = *ParseId(Call("GET", "/api/v1/me", nullptr, buyer).body["user"]["id"].get<std::string>());
  // Others: the food shown 12 times and opened 5 times; bought by a stranger and by the staff.
  Json events = Json::array();
  for (int i = 0; i < 12; ++i) {
    events.push_back({{"id", "i" + std::to_string(i)}, {"type", "impression"}, {"product_id", food}, {"position", i % 3}});
    if (i < 5) events.push_back({{"id", "v" + std::to_string(i)}, {"type", "view"}, {"product_id", food}});
  }
  ASSERT_EQ(Call("POST", "/api/v1/events", Json{{"device_id", "dskew1"}, {"events", events}}).status, 202);
  std::string stranger = Register("13900000803", "路人");
  PayAndWait(stranger, Buy(stranger, food_sku, 2)["id"]);
  PayAndWait(staff, Buy(staff, food_sku, 4)["id"]);
  // The buyer: tea opened three times, food once; bought tea twice and food once.
  Json mine = Json::array();
  for (int i = 0; i < 3; ++i) mine.push_back({{"id", "bt" + std::to_string(i)}, {"type", "view"}, {"product_id", tea}});
  mine.push_back({{"id", "bf"}, {"type", "view"}, {"product_id", food}});
  ASSERT_EQ(Call("POST", "/api/v1/events", Json{{"events", mine}}, buyer).status, 202);
  clock_.AdvanceMs(3 * 3600'000);
  PayAndWait(buyer, Buy(buyer, tea_sku, 2)["id"]);
  clock_.AdvanceMs(5 * 3600'000);
  PayAndWait(buyer, Buy(buyer, food_sku)["id"]);
  clock_.AdvanceMs(3600'000);
  // The log in the order things happened (the server's events are ingested from the outbox; the
  // running node does it every 200 ms), then the impression the trainer makes its example of:
  // the buyer's, of the food, at position 0.
  CatchUp();
  // What the feed ranks the food by for the buyer now, just before it shows it.
  auto served = app_->feed().ServingFeatures(buyer_id, food_id, feed::Source::kColdStart);
  ASSERT_TRUE(served) << served.error().message;
  ASSERT_EQ(Call("POST", "/api/v1/events",
                 Json{{"events", {{{"id", "last"}, {"type", "impression"}, {"product_id", food}, {"position", 0},
                                   {"feed_source", "cold_start"}, {"source", "feed"}}}}},
                 buyer).status, 202);
  CatchUp();
  auto examples = app_->insight().ranking().Examples();
  ASSERT_TRUE(examples) << examples.error().message;
  ASSERT_FALSE(examples->empty());
  const feed::FeatureVector trained = examples->back().x;
  for (int f = 0; f < feed::kFeatureCount; ++f) EXPECT_EQ((*served)[f], trained[f]) << "feature " << f;
  // A state that exercises every input: interest in food below the buyer's strongest (tea), a
  // usual price to fit, counts above the prior.
  EXPECT_GT(trained[feed::kCategoryAffinity], 0);
  EXPECT_LT(trained[feed::kCategoryAffinity], 1);
  EXPECT_LT(trained[feed::kPriceFit], 0);
  feed::Candidate fresh;
  fresh.price_fen = 3000;
  EXPECT_GT(trained[feed::kCtrLogit], feed::Features(fresh, 0)[feed::kCtrLogit]);
  EXPECT_GT(trained[feed::kCvrLogit], feed::Features(fresh, 0)[feed::kCvrLogit]);
  // The staff's four units are not among the purchases the CVR counts: 2 + 1 = 3 of 6 views.
  feed::Candidate counted = fresh;
  counted.signals.impressions = 12, counted.signals.clicks = 6, counted.signals.purchases = 3;
  EXPECT_DOUBLE_EQ(trained[feed::kCvrLogit], feed::Features(counted, 0)[feed::kCvrLogit]);
}

// The admin reads and changes the guarantee (Chinese field errors; others refused) and reads the
// fairness report: exposure shares by band summing to 1, the Gini, new merchants' first sales.
TEST_F(Feed, AdminSettingsAndFairnessReport) {
  std::string admin = AdminToken();
  std::string buyer = Register("13900000501", "买家");
  auto got = Call("GET", "/api/v1/admin/feed/settings", nullptr, admin);
  ASSERT_EQ(got.status, 200) << got.body.dump();
  EXPECT_EQ(got.body["long_tail_share_bps"], 4000);
  EXPECT_EQ(got.body["head_share_bps"], 2000);  // the head the simulator measured: the top 20%
  EXPECT_EQ(Call("GET", "/api/v1/admin/feed/settings", nullptr, buyer).status, 403);
  EXPECT_EQ(Call("PUT", "/api/v1/admin/feed/settings", Json{{"long_tail_share_bps", 5000}}, buyer).status, 403);
  auto bad = Call("PUT", "/api/v1/admin/feed/settings", Json{{"long_tail_share_bps", 20000}}, admin);
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body["error"]["message"].get<std::string>().find("长尾曝光保底比例"), std::string::npos) << bad.body.dump();
  auto put = Call("PUT", "/api/v1/admin/feed/settings", Json{{"long_tail_share_bps", 5000}, {"new_merchant_window_days", 14}}, admin);
  ASSERT_EQ(put.status, 200) << put.body.dump();
  EXPECT_EQ(put.body["long_tail_share_bps"], 5000);
  EXPECT_EQ(put.body["new_merchant_window_days"], 14);
  EXPECT_EQ(put.body["max_per_merchant_per_page"], 2);  // unchanged

  Shop shop = OpenShop("c2c", "新店");
  auto [p, s] = CreateProduct(shop, 1200, 10, "新店商品");
  clock_.AdvanceMs(2 * 3600 * 1000);
  PayAndWait(buyer, Buy(buyer, s)["id"]);
  // The other new shop's only sale was refunded: not a first sale.
  Shop quiet = OpenShop("c2c", "冷清小店");
  auto [qp, qs] = CreateProduct(quiet, 900, 10, "冷清商品");
  Json returned = Buy(buyer, qs);
  PayAndWait(buyer, returned["id"]);
  RefundWhole(buyer, quiet, returned);
  ASSERT_EQ(Call("POST", "/api/v1/events",
                 Json{{"device_id", "dfair1"}, {"events", {{{"id", "i1"}, {"type", "impression"}, {"product_id", p}, {"position", 0}},
                                                           {{"id", "v1"}, {"type", "view"}, {"product_id", p}}}}},
                 buyer).status, 202);
  CatchUp();
  auto report = Call("GET", "/api/v1/admin/feed/fairness?days=7", nullptr, admin);
  ASSERT_EQ(report.status, 200) << report.body.dump();
  EXPECT_EQ(report.body["active_merchants"], 2);
  EXPECT_EQ(report.body["impressions"], 1);
  double share = 0;
  for (auto& b : report.body["bands"]) share += b["exposure_share"].get<double>();
  EXPECT_NEAR(share, 1.0, 1e-9);
  // One merchant holds every impression of two: the Gini of (0, 1) is 0.5.
  EXPECT_NEAR(report.body["exposure_gini"].get<double>(), 0.5, 1e-9);
  EXPECT_EQ(report.body["new_merchants"]["opened"], 2);
  EXPECT_EQ(report.body["new_merchants"]["with_sale"], 1);
  EXPECT_EQ(report.body["new_merchants"]["without_sale"], 1);
  EXPECT_NEAR(report.body["new_merchants"]["median_hours_to_first_sale"].get<double>(), 2.0, 0.01);
  EXPECT_EQ(report.body["policy"]["long_tail_share_bps"], 5000);
  // The model the feed ranks with, and its offline AUC, as the trainer holds it: the default
  // prior before a training, then whatever the last training published.
  auto model_matches = [&](const Json& m) {
    auto current = app_->insight().ranking().Current();
    EXPECT_EQ(m["version"], current->version) << m.dump();
    EXPECT_EQ(m["examples"], current->examples) << m.dump();
    EXPECT_NEAR(m["click_auc"].get<double>(), current->click_auc, 1e-4) << m.dump();
    EXPECT_NEAR(m["buy_auc"].get<double>(), current->buy_auc, 1e-4) << m.dump();
  };
  model_matches(report.body["model"]);
  EXPECT_EQ(report.body["model"]["version"], 0);
  (void)app_->insight().ranking().TrainOnce();
  model_matches(Call("GET", "/api/v1/admin/feed/fairness?days=7", nullptr, admin).body["model"]);
  EXPECT_EQ(Call("GET", "/api/v1/admin/feed/fairness", nullptr, buyer).status, 403);
}

// Search keeps relevance first and lets exposure reorder only among close hits: with the head
// being the one shop with GMV, a long-tail shop's equally relevant hit comes before the head's
// best sellers on a text search, and the order by sales is left alone. (Before the reranking the
// relevance order put the head's first hit first.)
TEST_F(Feed, SearchRerankingLetsTheLongTailIntoCloseHits) {
  std::string admin = AdminToken();
  ASSERT_EQ(Call("PUT", "/api/v1/admin/feed/settings", Json{{"head_merchants", 1}}, admin).status, 200);
  Shop big = OpenShop("ka", "大牌");
  auto [h1, hs1] = CreateProduct(big, 3000, 50, "桂花乌龙茶 大牌");
  auto [h2, hs2] = CreateProduct(big, 3100, 50, "桂花乌龙茶 大牌礼盒");
  clock_.AdvanceMs(40LL * 24 * 3600 * 1000);  // the head is no new merchant (no boost)
  Shop small = OpenShop("c2c", "小作坊");
  auto [t1, ts1] = CreateProduct(small, 2900, 50, "桂花乌龙茶 小作坊");
  std::string buyer = Register("13900000601", "买家");
  PayAndWait(buyer, Buy(buyer, hs1, 2)["id"]);
  PayAndWait(buyer, Buy(buyer, hs2)["id"]);
  CatchUp();
  clock_.AdvanceMs(20'000);
  auto by_sales = Call("GET", "/api/v1/products?q=" + std::string("%E6%A1%82%E8%8A%B1%E4%B9%8C%E9%BE%99") + "&sort=sales");
  ASSERT_EQ(by_sales.status, 200) << by_sales.body.dump();
  ASSERT_EQ(by_sales.body["items"].size(), 3u) << by_sales.body.dump();
  EXPECT_EQ(by_sales.body["items"][0]["id"], h1);
  auto relevant = Call("GET", "/api/v1/products?q=" + std::string("%E6%A1%82%E8%8A%B1%E4%B9%8C%E9%BE%99"));
  ASSERT_EQ(relevant.body["items"].size(), 3u) << relevant.body.dump();
  EXPECT_EQ(relevant.body["items"][0]["id"], t1) << relevant.body.dump();
  std::set<std::string> ids;
  for (auto& item : relevant.body["items"]) ids.insert(item["id"]);
  EXPECT_EQ(ids, (std::set<std::string>{h1, h2, t1}));
}

// Bought together (co-purchase): a buyer of X is shown Y, which another buyer bought after X, as
// a personalised product; Y's category is none the buyer has shown interest in, so only the
// co-purchase source can make it personalised (without it, Y comes as a cold-start product).
// A shop buying from itself pairs nothing; a product gains at most kCoPurchasePartners partners;
// a buyer buying the same products again counts once. The pairs are the data platform's
// projection of its log's paid orders (analytics store, decision 040).
TEST_F(Feed, BuyersOfXAreShownWhatOthersBoughtWithX) {
  Shop tea = OpenShop("c2c", "茶铺");
  Shop gadgets = OpenShop("c2c", "数码小店");
  auto [x, xs] = CreateProduct(tea, 5900, 50, "明前龙井 100g");
  auto create = [&](const Shop& shop, const std::string& title) {
    auto r = Call("POST", "/api/v1/merchant/products",
                  Json{{"title", title}, {"category", "数码"}, {"status", "on_sale"},
                       {"skus", {{{"spec", {{"规格", "标准"}}}, {"price_fen", 9900}, {"stock", 50}}}}},
                  shop.owner_token, {{"X-Merchant-Id", shop.id}});
    EXPECT_EQ(r.status, 201) << r.body.dump();
    return std::make_pair(r.body.value("id", ""), r.body["skus"][0].value("id", ""));
  };
  auto [y, ys] = create(gadgets, "便携烧水壶");
  auto [z, zs] = create(gadgets, "蓝牙音箱");  // never bought with X
  std::string first = Register("13900000701", "先买的人");
  PayAndWait(first, Buy(first, xs)["id"]);
  clock_.AdvanceMs(3600'000);
  PayAndWait(first, Buy(first, ys)["id"]);
  // The shop's owner buying its own X and W pairs nothing.
  auto [w, ws] = CreateProduct(tea, 3900, 50, "安吉白茶 50g");
  (void)w;
  PayAndWait(tea.owner_token, Buy(tea.owner_token, xs)["id"]);
  PayAndWait(tea.owner_token, Buy(tea.owner_token, ws)["id"]);
  auto pairs = [&]() {
    CatchUp();  // pairs follow ingestion and projection
    std::map<std::pair<int64_t, int64_t>, int64_t> out;
    EXPECT_TRUE(app_->analytics_store().Read([&](Reader& r) -> Status {
      ASSIGN_OR_RETURN(Rows rows, r.Query("SELECT product_id, other_id, buyers FROM co_purchases"));
      for (auto& row : rows) out[{row.Int(0), row.Int(1)}] = row.Int(2);
      return Ok();
    }));
    return out;
  };
  const int64_t xi = *ParseId(x), yi = *ParseId(y);
  EXPECT_EQ(pairs(), (std::map<std::pair<int64_t, int64_t>, int64_t>{{{xi, yi}, 1}, {{yi, xi}, 1}}));

  std::string buyer = Register("13900000702", "后来的人");
  PayAndWait(buyer, Buy(buyer, xs)["id"]);
  CatchUp();
  clock_.AdvanceMs(20'000);  // past the shared candidates' cache
  std::map<std::string, std::string> source;
  for (auto& page : AllPages(buyer, 10))
    for (auto& item : page["items"])
      if (item["kind"] == "product") source[item["product"]["id"]] = item["source"];
  ASSERT_TRUE(source.count(y)) << "Y is not in the feed";
  EXPECT_EQ(source[y], "personalised");
  ASSERT_TRUE(source.count(z)) << "Z is not in the feed";
  EXPECT_NE(source[z], "personalised");
  // Nobody bought anything with the anonymous visitor's (nothing): Y is no personalised item there.
  auto anon = Call("GET", "/api/v1/feed?limit=30");
  for (auto& item : anon.body["items"]) {
    if (item["kind"] == "product" && item["product"]["id"] == y) {
      EXPECT_NE(item["source"], "personalised");
    }
  }

  // Bounded: X given kCoPurchasePartners partners (made up ids) gains no new one; the pair it
  // has keeps counting.
  ASSERT_TRUE(app_->analytics_store().Execute([&](Tx& tx) -> Status {
    for (int64_t k = 1; k < 50; ++k)
      RETURN_IF_ERROR(tx.Run("INSERT INTO co_purchases(product_id, other_id, buyers, last_at_ms) VALUES(?,?,1,0)",
                             {xi, 900'000'000 + k}));
    return Ok();
  }));
  PayAndWait(buyer, Buy(buyer, zs)["id"]);  // pairs Z with X (and X with Z: X is full)
  PayAndWait(buyer, Buy(buyer, ys)["id"]);  // X-Y exists: counted
  auto after = pairs();
  const int64_t zi = *ParseId(z);
  EXPECT_EQ(after.count({xi, zi}), 0u);
  EXPECT_EQ(after.count({zi, xi}), 1u);
  EXPECT_EQ((after[{xi, yi}]), 2);
  EXPECT_EQ((after[{yi, xi}]), 2);
  // A pair counts buyers: the same buyer buying X and Y again, together or apart, adds nothing.
  PayAndWait(buyer, Buy(buyer, ys)["id"]);
  PayAndWait(buyer, Buy(buyer, xs)["id"]);
  EXPECT_EQ(pairs(), after);
  // The made-up partners above count no buyer of X: remove them, then `xiaodian check` holds the
  // projection to the orders — a pair counting more buyers than bought X, a first purchase
  // without a paid order.
  ASSERT_TRUE(app_->analytics_store().Execute([&](Tx& tx) { return tx.Run("DELETE FROM co_purchases WHERE other_id BETWEEN 900000001 AND 900000049"); }));
  EXPECT_EQ(ExpectInvariants()["feed_ok"], true);
  auto check = [&]() {
    auto report = http::RunInvariantChecks(app_->context());
    EXPECT_TRUE(report) << report.error().message;
    return report ? *report : Json();
  };
  ASSERT_TRUE(app_->analytics_store().Execute([&](Tx& tx) {
    return tx.Run("UPDATE co_purchases SET buyers = buyers + 5 WHERE product_id=? AND other_id=?", {xi, yi});
  }));
  Json report = check();
  EXPECT_EQ(report["feed_ok"], false);
  EXPECT_NE(report.dump().find("counted as bought together by 7 buyers, but 2 bought the first"), std::string::npos)
      << report.dump(2);
  ASSERT_TRUE(app_->analytics_store().Execute([&](Tx& tx) -> Status {
    RETURN_IF_ERROR(tx.Run("UPDATE co_purchases SET buyers = buyers - 5 WHERE product_id=? AND other_id=?", {xi, yi}));
    return tx.Run("INSERT INTO buyer_products(buyer_id, product_id, first_paid_at_ms, last_paid_at_ms) VALUES(1, ?, 0, 0)",
                  {zi});
  }));
  report = check();
  EXPECT_EQ(report["feed_ok"], false);
  EXPECT_NE(report.dump().find("buyer 1 is recorded as having bought product " + z + " without a paid order"), std::string::npos)
      << report.dump(2);
}

// `xiaodian check` holds a shop's follower growth to its followers: follows - unfollows over its
// days equals its favorite_shops rows; a corrupted projection (or a follow row gone without its
// unfollow counted) is reported.
TEST_F(Feed, CheckFindsFollowerGrowthThatDisagreesWithFollowers) {
  Shop shop = OpenShop("c2c", "关注店");
  std::string a = Register("13900000801", "甲");
  std::string b = Register("13900000802", "乙");
  ASSERT_EQ(Call("PUT", "/api/v1/me/favorites/shop/" + shop.id, nullptr, a).status, 200);
  ASSERT_EQ(Call("PUT", "/api/v1/me/favorites/shop/" + shop.id, nullptr, b).status, 200);
  clock_.AdvanceMs(24LL * 3600 * 1000);
  ASSERT_EQ(Call("DELETE", "/api/v1/me/favorites/shop/" + shop.id, nullptr, b).status, 200);
  EXPECT_EQ(ExpectInvariants()["buyer_ok"], true);
  const int64_t mid = *ParseId(shop.id);
  auto check = [&]() {
    auto report = http::RunInvariantChecks(app_->context());
    EXPECT_TRUE(report) << report.error().message;
    return report ? *report : Json();
  };
  // The projection counts one follow too many.
  ASSERT_TRUE(app_->store().Execute([&](Tx& tx) {
    return tx.Run("UPDATE shop_follow_days SET follows = follows + 1 WHERE merchant_id=? AND "
                  "day = (SELECT MIN(day) FROM shop_follow_days WHERE merchant_id=?)",
                  {mid, mid});
  }));
  Json report = check();
  EXPECT_EQ(report["ok"], false);
  EXPECT_EQ(report["buyer_ok"], false);
  EXPECT_NE(report.dump().find("shop " + shop.id + " has 1 followers but its follow days add up to 2"), std::string::npos)
      << report.dump(2);
  // Put back, then a follow disappears without its unfollow counted.
  ASSERT_TRUE(app_->store().Execute([&](Tx& tx) {
    return tx.Run("UPDATE shop_follow_days SET follows = follows - 1 WHERE merchant_id=? AND "
                  "day = (SELECT MIN(day) FROM shop_follow_days WHERE merchant_id=?)",
                  {mid, mid});
  }));
  EXPECT_EQ(check()["buyer_ok"], true);
  ASSERT_TRUE(app_->store().Execute([&](Tx& tx) { return tx.Run("DELETE FROM favorite_shops WHERE merchant_id=?", {mid}); }));
  report = check();
  EXPECT_EQ(report["buyer_ok"], false);
  EXPECT_NE(report.dump().find("has 0 followers but its follow days add up to 1"), std::string::npos) << report.dump(2);
}

// Hot shops read sums, not orders: the list (order, counted GMV, baseline, buyers) is the one
// rank.h's HotShops makes from the orders themselves, marked as before (self-purchase = owner or
// staff, refunded = any refund), over a world with a baseline, a shop taking off, a dominant
// buyer, self-purchases and a refund.
TEST_F(Feed, HotShopsFromSumsRankAsFromTheOrders) {
  Shop steady = OpenShop("c2c", "老店");
  Shop rising = OpenShop("c2c", "新起之秀");
  Shop whale = OpenShop("c2c", "大客户店");
  Shop gamer = OpenShop("c2c", "自买店");
  auto [sp, ss] = CreateProduct(steady, 3000, 500, "老店商品");
  auto [rp, rs] = CreateProduct(rising, 2000, 500, "新品");
  auto [wp, ws] = CreateProduct(whale, 10000, 500, "大件");
  auto [gp, gs] = CreateProduct(gamer, 20000, 500, "自买商品");
  std::vector<std::string> buyers;
  for (int i = 0; i < 4; ++i) buyers.push_back(Register("1390000090" + std::to_string(i), "买家" + std::to_string(i)));
  // Two weeks ago: the steady shop's baseline, a little for the rising one.
  for (int i = 0; i < 4; ++i) PayAndWait(buyers[i], Buy(buyers[i], ss, 2)["id"]);
  PayAndWait(buyers[0], Buy(buyers[0], rs)["id"]);
  clock_.AdvanceMs(14LL * 24 * 3600 * 1000);
  // Today: the rising shop takes off, the steady one sells as usual, one buyer dominates the
  // whale's day, the gamer buys from itself, and one order is refunded.
  for (int i = 0; i < 4; ++i) PayAndWait(buyers[i], Buy(buyers[i], rs, 3)["id"]);
  PayAndWait(buyers[1], Buy(buyers[1], ss)["id"]);
  PayAndWait(buyers[2], Buy(buyers[2], ws, 5)["id"]);
  PayAndWait(buyers[3], Buy(buyers[3], ws)["id"]);
  PayAndWait(gamer.owner_token, Buy(gamer.owner_token, gs, 5)["id"]);
  Json refunded = Buy(buyers[0], ss, 4);
  PayAndWait(buyers[0], refunded["id"]);
  RefundWhole(buyers[0], steady, refunded);
  clock_.AdvanceMs(61'000);

  // The orders as the list used to read them, ranked by rank.h.
  std::vector<feed::HotOrder> orders;
  ASSERT_TRUE(app_->store().Read([&](Reader& r) -> Status {
    ASSIGN_OR_RETURN(
        Rows rows,
        r.Query("SELECT o.merchant_id, o.buyer_id, o.total_fen, o.paid_at_ms, "
                "CASE WHEN m.owner_user_id = o.buyer_id OR EXISTS(SELECT 1 FROM staff s WHERE "
                "s.merchant_id = o.merchant_id AND s.user_id = o.buyer_id) THEN 1 ELSE 0 END, "
                "CASE WHEN o.refunded_fen > 0 OR o.status IN ('refunding','refunded') OR "
                "EXISTS(SELECT 1 FROM refunds rf WHERE rf.order_id = o.id) THEN 1 ELSE 0 END "
                "FROM orders o JOIN merchants m ON m.id = o.merchant_id WHERE o.paid_at_ms IS NOT NULL"));
    for (auto& row : rows)
      orders.push_back({row.Int(0), row.Int(1), row.Int(2), row.Int(3), row.Int(4) != 0, row.Int(5) != 0});
    return Ok();
  }));
  ASSERT_GE(orders.size(), 14u);
  feed::HotShopsOptions options;
  options.limit = 50;
  std::vector<feed::HotShop> expected = feed::HotShops(orders, clock_.NowMs(), options);
  ASSERT_EQ(expected.size(), 3u);  // steady, rising, whale; not the gamer
  auto hot = Call("GET", "/api/v1/hot-shops?limit=50");
  ASSERT_EQ(hot.status, 200) << hot.body.dump();
  ASSERT_EQ(hot.body["items"].size(), expected.size()) << hot.body.dump();
  for (size_t i = 0; i < expected.size(); ++i) {
    const Json& got = hot.body["items"][i];
    EXPECT_EQ(got["merchant_id"], IdString(expected[i].merchant_id)) << i;
    EXPECT_EQ(got["recent_fen"], expected[i].recent_fen) << i;
    EXPECT_EQ(got["baseline_fen"], expected[i].baseline_fen) << i;
    EXPECT_EQ(got["buyers"], expected[i].buyers) << i;
    EXPECT_NEAR(got["score"].get<double>(), expected[i].score, 1e-4) << i;
  }
}

}  // namespace
}  // namespace xd::testing
