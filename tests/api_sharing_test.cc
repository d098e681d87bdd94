// Share links that attribute (issue 14) over real HTTP: a sharer makes a link of a product, an
// activity, a bargain or a shop for a channel and chat group (one link per tuple, even when the
// share sheet asks twenty times at once); the short link /s/{code} lands in the shop; an
// anonymous friend registers with the code and buys, and the sharer earns the commission; a
// chat group's link counts the order; share-to-drop counts distinct signed-in friends; unknown
// codes are 404 and say nothing; nobody earns on their own purchase; and the invariant check
// refuses a commission paid through the buyer's own link.
#include <set>
#include <thread>

#include "base/limits.h"
#include "pay/pay.h"
#include "promo/promo.h"
#include "tests/harness.h"

namespace xd::testing {
namespace {

class Sharing : public ApiTest {
 protected:
  std::string At(int64_t offset_ms) { return FormatRfc3339(clock_.NowMs() + offset_ms); }
  http::Client::JsonResponse Staff(const Shop& shop, const std::string& method,
                                   const std::string& path, Json body = nullptr) {
    return Call(method, path, body, shop.owner_token, {{"X-Merchant-Id", shop.id}});
  }
  // Sets the product's sharer commission (asserts 200).
  void SetCommission(const Shop& shop, const std::string& product, int64_t bps) {
    auto r = Staff(shop, "PUT", "/api/v1/merchant/products/" + product + "/distribution",
                   Json{{"commission_bps", bps}});
    ASSERT_EQ(r.status, 200) << r.body.dump();
  }
  // The caller's link to `target` (asserts 200 or 201); returns the share JSON.
  Json Share(const std::string& token, const std::string& kind, const std::string& id,
             Json extra = Json::object()) {
    Json body{{"target", kind}, {"target_id", id}};
    body.update(extra);
    auto r = Call("POST", "/api/v1/shares", body, token);
    EXPECT_TRUE(r.status == 201 || r.status == 200) << r.body.dump();
    return r.body;
  }
  // Registers through a share link, as the shop does for a visitor who came by /s/{code}.
  std::string RegisterWithCode(const std::string& code, const std::string& phone,
                               const std::string& nickname = "朋友") {
    auto r = Call("POST", "/api/v1/auth/register",
                  Json{{"phone", phone},
                       {"password", "secret123"},
                       {"nickname", nickname},
                       {"share_code", code}});
    EXPECT_EQ(r.status, 201) << r.body.dump();
    return r.body.value("token", "");
  }
  // Pays, ships and confirms: the order completes and settles its commissions.
  void PayShipConfirm(const Shop& shop, const std::string& buyer, const std::string& order_id) {
    PayAndWait(buyer, order_id);
    auto ship = Staff(shop, "POST", "/api/v1/merchant/orders/" + order_id + "/ship",
                      Json{{"carrier", "顺丰"}, {"tracking_no", "SF1"}});
    ASSERT_EQ(ship.status, 200) << ship.body.dump();
    auto done = Call("POST", "/api/v1/orders/" + order_id + "/confirm", nullptr, buyer);
    ASSERT_EQ(done.status, 200) << done.body.dump();
  }
  int64_t Earned(const std::string& token) {
    return Call("GET", "/api/v1/me/commissions", nullptr, token)
        .body.value("balance_fen", int64_t{-1});
  }
  void MakeFriends(const std::string& a, const std::string& b_phone, const std::string& b) {
    ASSERT_EQ(Call("POST", "/api/v1/friends/requests", Json{{"phone", b_phone}}, a).status, 201);
    auto reqs = Call("GET", "/api/v1/friends/requests", nullptr, b);
    ASSERT_EQ(reqs.body["items"].size(), 1u) << reqs.body.dump();
    auto ok = Call(
        "POST",
        "/api/v1/friends/requests/" + reqs.body["items"][0]["id"].get<std::string>() + "/accept",
        nullptr, b);
    ASSERT_EQ(ok.status, 200) << ok.body.dump();
  }
};

// The whole story: S shares a product; the short link redirects into the shop without looking
// the code up; an anonymous visitor reads the link (target, landing, no sharer), registers with
// the code, buys and completes; S earns 10% of the line. The visitor's open was recorded at
// registration (one distinct open); no user id appears in the link or in what strangers see.
TEST_F(Sharing, AnonymousFriendRegistersThroughTheLinkAndTheSharerEarns) {
  Shop shop = OpenShop("c2c", "分享小店");
  auto [product, sku] = CreateProduct(shop, 10000, 10);
  SetCommission(shop, product, 1000);
  std::string sharer = Register("14700000001", "分享者");
  std::string sharer_id = Call("GET", "/api/v1/me", nullptr, sharer).body["user"]["id"];
  Json share = Share(sharer, "product", product);
  std::string code = share["code"];
  EXPECT_EQ(code.size(), 12u);
  EXPECT_EQ(share["link"], "/s/" + code);
  EXPECT_EQ(share["link"].get<std::string>().find(sharer_id), std::string::npos);

  auto client = NewClient();
  http::Response hop = client->Send("GET", "/s/" + code);
  EXPECT_EQ(hop.status, 302);
  std::string location;
  for (auto& [k, v] : hop.headers)
    if (k == "location" || k == "Location") location = v;
  EXPECT_EQ(location, "/#/s/" + code);

  auto seen = Call("GET", "/api/v1/shares/" + code);  // anonymous
  ASSERT_EQ(seen.status, 200) << seen.body.dump();
  EXPECT_EQ(seen.body["target"]["kind"], "product");
  EXPECT_EQ(seen.body["target"]["id"], product);
  EXPECT_FALSE(seen.body.contains("sharer_id")) << seen.body.dump();
  EXPECT_EQ(seen.body.dump().find(sharer_id), std::string::npos) << "a stranger learns no user id";
  EXPECT_EQ(seen.body["opens"], 0) << "an anonymous read records nothing";

  std::string friend_token = RegisterWithCode(code, "14700000002");
  EXPECT_EQ(Call("GET", "/api/v1/shares/" + code).body["opens"], 1);
  Json order = Buy(friend_token, sku);
  PayShipConfirm(shop, friend_token, order["id"]);
  EXPECT_EQ(Earned(sharer), 1000);
  Json mine = Call("GET", "/api/v1/me/commissions", nullptr, sharer).body;
  ASSERT_EQ(mine["items"].size(), 1u);
  EXPECT_EQ(mine["items"][0]["order_id"], order["id"]);
  EXPECT_EQ(mine["items"][0]["status"], "paid");
  ExpectInvariants();
}

// A link posted in a chat group: a member registers through it, another member (signed in)
// opens it; both order, one pays; the shop's stats for the group count 2 opens, 2 orders and
// the paid GMV. A link of the whole shop counts for the group too.
TEST_F(Sharing, ChatGroupLinkCountsTheOrder) {
  Shop shop = OpenShop("c2c", "群接龙小店");
  auto [product, sku] = CreateProduct(shop, 3000, 20, "土鸡蛋 30 枚");
  auto [product2, sku2] = CreateProduct(shop, 2000, 20, "小米 5 斤");
  std::string leader = Register("14700000011", "团长");
  Json share =
      Share(leader, "product", product, Json{{"channel", "chat"}, {"chat_group", "wxg-77"}});
  EXPECT_EQ(share["channel"], "chat");
  EXPECT_EQ(share["chat_group"], "wxg-77") << "the sharer sees the group";
  EXPECT_TRUE(Call("GET", "/api/v1/shares/" + share["code"].get<std::string>())
                  .body["chat_group"]
                  .is_null())
      << "strangers do not";
  std::string m1 = RegisterWithCode(share["code"], "14700000012", "小王");
  std::string m2 = Register("14700000013", "小李");
  ASSERT_EQ(
      Call("POST", "/api/v1/shares/" + share["code"].get<std::string>() + "/open", nullptr, m2)
          .status,
      200);
  Json o1 = Buy(m1, sku, 2);
  Json o2 = Buy(m2, sku);
  PayAndWait(m1, o1["id"]);
  // The shop's own link in the same group: a third member buys another product through it.
  Json shop_share =
      Share(leader, "shop", shop.id, Json{{"channel", "chat"}, {"chat_group", "wxg-77"}});
  EXPECT_EQ(shop_share["target"]["kind"], "shop");
  EXPECT_TRUE(shop_share["product_id"].is_null());
  std::string m3 = RegisterWithCode(shop_share["code"], "14700000014", "小张");
  Json o3 = Buy(m3, sku2);
  auto stats = Staff(shop, "GET", "/api/v1/merchant/chat-groups/wxg-77/stats");
  ASSERT_EQ(stats.status, 200) << stats.body.dump();
  EXPECT_EQ(stats.body["opens"], 3);
  EXPECT_EQ(stats.body["orders"], 3);
  EXPECT_EQ(stats.body["paid_orders"], 1);
  EXPECT_EQ(stats.body["gmv_fen"], 6000 + 800);
  ASSERT_EQ(stats.body["jielong"].size(), 3u);
  EXPECT_EQ(stats.body["jielong"][2]["nickname"], "小张");
  // The console's list of the shop's groups: the same totals, per day.
  auto groups = Staff(shop, "GET", "/api/v1/merchant/chat-groups");
  ASSERT_EQ(groups.status, 200) << groups.body.dump();
  ASSERT_EQ(groups.body["items"].size(), 1u) << groups.body.dump();
  Json g = groups.body["items"][0];
  EXPECT_EQ(g["chat_group"], "wxg-77");
  EXPECT_EQ(g["no"], 1) << "the shop's first group";
  EXPECT_EQ(g["first_sharer"], "团长") << "who first posted a link there";
  EXPECT_TRUE(g["first_shared_at"].is_string());
  EXPECT_EQ(g["links"], 2);
  EXPECT_EQ(g["opens"], 3);
  EXPECT_EQ(g["orders"], 3);
  EXPECT_EQ(g["gmv_fen"], 6000 + 800);
  ASSERT_EQ(g["days"].size(), 1u) << "all today";
  EXPECT_EQ(g["days"][0]["opens"], 3);
  EXPECT_EQ(g["days"][0]["orders"], 3);
  EXPECT_EQ(Staff(OpenShop("c2c", "别家"), "GET", "/api/v1/merchant/chat-groups").body["items"].size(), 0u);
  (void)o2;
  (void)o3;
  ExpectInvariants();
}

// A shop link attributes any product of the shop; a product link opened later wins for its
// product (last touch), and the shop link still earns on the rest.
TEST_F(Sharing, ShopLinkAttributesEveryProductOfTheShop) {
  Shop shop = OpenShop("c2c", "整店分享");
  auto [p1, s1] = CreateProduct(shop, 10000, 10, "茶叶");
  auto [p2, s2] = CreateProduct(shop, 5000, 10, "茶具");
  SetCommission(shop, p1, 1000);
  SetCommission(shop, p2, 1000);
  std::string a = Register("14700000021", "甲"), b = Register("14700000022", "乙");
  Json shop_link = Share(a, "shop", shop.id);
  Json product_link = Share(b, "product", p1);
  std::string buyer = RegisterWithCode(shop_link["code"], "14700000023");
  ASSERT_EQ(Call("POST", "/api/v1/shares/" + product_link["code"].get<std::string>() + "/open",
                 nullptr, buyer)
                .status,
            200);
  auto r =
      Call("POST", "/api/v1/checkout",
           Json{{"items", {{{"sku_id", s1}, {"quantity", 1}}, {{"sku_id", s2}, {"quantity", 1}}}},
                {"address", Address()}},
           buyer);
  ASSERT_EQ(r.status, 201) << r.body.dump();
  PayShipConfirm(shop, buyer, r.body["orders"][0]["id"]);
  EXPECT_EQ(Earned(b), 1000) << "p1: the later product touch";
  EXPECT_EQ(Earned(a), 500) << "p2: the shop touch";
  ExpectInvariants();
}

// An attributed product bought in two SKUs in one order: one commission over both lines (the
// commission is keyed by order and product; two inserts used to fail the checkout).
TEST_F(Sharing, TwoSkusOfOneSharedProductAreOneCommission) {
  Shop shop = OpenShop("c2c", "两规格店");
  auto made = Staff(shop, "POST", "/api/v1/merchant/products",
                    Json{{"title", "咖啡豆"},
                         {"category", "食品"},
                         {"status", "on_sale"},
                         {"skus",
                          {{{"spec", {{"规格", "250g"}}}, {"price_fen", 4000}, {"stock", 5}},
                           {{"spec", {{"规格", "500g"}}}, {"price_fen", 6000}, {"stock", 5}}}}});
  ASSERT_EQ(made.status, 201) << made.body.dump();
  std::string product = made.body["id"];
  SetCommission(shop, product, 1000);
  std::string sharer = Register("14700000061", "分享者");
  std::string buyer = RegisterWithCode(Share(sharer, "product", product)["code"], "14700000062");
  auto r = Call("POST", "/api/v1/checkout",
                Json{{"items",
                      {{{"sku_id", made.body["skus"][0]["id"]}, {"quantity", 1}},
                       {{"sku_id", made.body["skus"][1]["id"]}, {"quantity", 1}}}},
                     {"address", Address()}},
                buyer);
  ASSERT_EQ(r.status, 201) << r.body.dump();
  PayShipConfirm(shop, buyer, r.body["orders"][0]["id"]);
  Json mine = Call("GET", "/api/v1/me/commissions", nullptr, sharer).body;
  ASSERT_EQ(mine["items"].size(), 1u) << mine.dump();
  EXPECT_EQ(mine["items"][0]["line_fen"], 10000);
  EXPECT_EQ(mine["balance_fen"], 1000);
  ExpectInvariants();
}

// Share-to-drop counts distinct signed-in friends who opened the sharer's links of the
// activity: anonymous reads, strangers, the sharer and a second open by the same friend count
// nothing; a friend who registers through the link was invited by the sharer and counts
// (decision 019), though no friendship is made.
TEST_F(Sharing, ShareToDropCountsDistinctSignedInFriends) {
  Shop shop = OpenShop("c2c", "转发降价店");
  auto [product, sku] = CreateProduct(shop, 10000, 10);
  auto act = Staff(shop, "POST", "/api/v1/merchant/activities",
                   Json{{"type", "share_drop"},
                        {"sku_id", sku},
                        {"floor_price_fen", 8000},
                        {"tiers", {{{"opens", 3}, {"off_bps", 1000}}}},
                        {"starts_at", At(0)},
                        {"ends_at", At(86400000)}});
  ASSERT_EQ(act.status, 201) << act.body.dump();
  std::string aid = act.body["id"];
  std::string sharer = Register("14700000031", "分享者");
  std::string f1 = Register("14700000032"), f2 = Register("14700000033"),
              stranger = Register("14700000034");
  MakeFriends(sharer, "14700000032", f1);
  MakeFriends(sharer, "14700000033", f2);
  Json link = Share(sharer, "activity", aid, Json{{"channel", "moments"}});
  std::string code = link["code"];
  EXPECT_EQ(link["activity_id"], aid);
  auto price = [&]() {
    auto r = Call("POST", "/api/v1/checkout/preview",
                  Json{{"items", {{{"sku_id", sku}, {"quantity", 1}}}},
                       {"address", Address()},
                       {"activity", {{"id", aid}}}},
                  sharer);
    EXPECT_EQ(r.status, 200) << r.body.dump();
    return r.body["orders"][0]["pricing"][1]["subtotal_fen"].get<int64_t>();
  };
  auto open = [&](const std::string& token) {
    ASSERT_EQ(Call("POST", "/api/v1/shares/" + code + "/open", nullptr, token).status, 200);
  };
  for (int i = 0; i < 3; ++i) ASSERT_EQ(Call("GET", "/api/v1/shares/" + code).status, 200);
  std::string invited = RegisterWithCode(code, "14700000035");
  open(stranger);
  open(sharer);
  open(f1);
  open(f1);
  open(invited);
  EXPECT_EQ(price(), 10000) << "two distinct friends: the invited one and f1";
  auto progress = Call("GET", "/api/v1/activities/" + aid + "/share-drop", nullptr, sharer);
  ASSERT_EQ(progress.status, 200) << progress.body.dump();
  EXPECT_EQ(progress.body["friend_opens"], 2);
  EXPECT_EQ(progress.body["price_fen"], 10000);
  EXPECT_EQ(progress.body["next"]["opens"], 3);
  EXPECT_EQ(progress.body["next"]["friends_needed"], 1);
  EXPECT_EQ(progress.body["next"]["drop_fen"], 1000) << "再 1 人降 ¥10";
  open(f2);
  EXPECT_EQ(price(), 9000);
  progress = Call("GET", "/api/v1/activities/" + aid + "/share-drop", nullptr, sharer);
  EXPECT_EQ(progress.body["price_fen"], 9000);
  EXPECT_TRUE(progress.body["next"].is_null()) << "the last tier is reached";
  EXPECT_EQ(Call("GET", "/api/v1/activities/" + aid + "/share-drop", nullptr, f1).body["friend_opens"], 0)
      << "each buyer's own links";
  Json seen = Call("GET", "/api/v1/shares/" + code).body;
  EXPECT_EQ(seen["opens"], 4);
  EXPECT_EQ(seen["friend_opens"], 3);
  auto friends = Call("GET", "/api/v1/friends", nullptr, sharer);
  ASSERT_EQ(friends.status, 200) << friends.body.dump();
  EXPECT_EQ(friends.body["items"].size(), 2u) << "registering through a link makes no friendship";
  ExpectInvariants();
}

// Unknown codes: the API answers 404 with one message whatever the code looks like; the short
// link redirects without looking; a registration with an unknown code registers, attributing
// nothing.
TEST_F(Sharing, UnknownCodesAre404AndSayNothing) {
  Shop shop = OpenShop("c2c", "店");
  auto [product, sku] = CreateProduct(shop, 1000, 5);
  std::string sharer = Register();
  std::string real = Share(sharer, "product", product)["code"];
  std::string viewer = Register();
  std::set<std::string> messages;
  for (std::string code : {std::string("AAAAAAAAAAAA"), std::string("123"),
                           std::string("zzzzzzzzzzzzzzzzzzzz"), real + "x"}) {
    for (auto [method, suffix, token] :
         {std::tuple{"GET", "", std::string()}, std::tuple{"GET", "/qr.svg", std::string()},
          std::tuple{"POST", "/open", viewer}}) {
      auto r = Call(method, "/api/v1/shares/" + code + suffix, nullptr, token);
      EXPECT_EQ(r.status, 404) << method << " " << code << suffix;
      messages.insert(r.body.dump());
    }
  }
  EXPECT_EQ(messages.size(), 1u) << "every unknown code answers alike";
  EXPECT_EQ(NewClient()->Send("GET", "/s/AAAAAAAAAAAA").status, 302);
  std::string late = RegisterWithCode("AAAAAAAAAAAA", "14700000041");
  EXPECT_FALSE(late.empty());
  // A target that does not exist (or a shop that is not open) is 404 too.
  EXPECT_EQ(
      Call("POST", "/api/v1/shares", Json{{"target", "product"}, {"target_id", "999999"}}, sharer)
          .status,
      404);
  EXPECT_EQ(
      Call("POST", "/api/v1/shares", Json{{"target", "shop"}, {"target_id", "999999"}}, sharer)
          .status,
      404);
  EXPECT_EQ(
      Call("POST", "/api/v1/shares", Json{{"target", "user"}, {"target_id", "1"}}, sharer).status,
      400);
  EXPECT_EQ(Call("POST", "/api/v1/shares",
                 Json{{"target", "product"}, {"target_id", product}, {"channel", "fax"}}, sharer)
                .status,
            400);
  // The QR of a real code is an SVG of the absolute link.
  auto qr = NewClient()->Send("GET", "/api/v1/shares/" + real + "/qr.svg");
  EXPECT_EQ(qr.status, 200);
  EXPECT_EQ(qr.content_type, "image/svg+xml");
  EXPECT_EQ(qr.body.rfind("<svg", 0), 0u) << qr.body.substr(0, 80);
  (void)sku;
  ExpectInvariants();
}

// Nobody earns on their own purchase: the sharer opens their own link, buys and completes, and
// earns nothing (and the open counts nowhere). The check refuses a commission row planted with
// the buyer as its sharer, and a last touch through the buyer's own link or naming a sharer
// other than its share's.
TEST_F(Sharing, SelfAttributionEarnsNothingAndTheCheckRefusesIt) {
  Shop shop = OpenShop("c2c", "自购店");
  auto [product, sku] = CreateProduct(shop, 10000, 10);
  SetCommission(shop, product, 1000);
  std::string sharer = Register("14700000051", "分享者");
  std::string code = Share(sharer, "product", product)["code"];
  ASSERT_EQ(Call("POST", "/api/v1/shares/" + code + "/open", nullptr, sharer).status, 200);
  Json own = Buy(sharer, sku);
  PayShipConfirm(shop, sharer, own["id"]);
  EXPECT_EQ(Earned(sharer), 0);
  EXPECT_EQ(Call("GET", "/api/v1/me/commissions", nullptr, sharer).body["items"].size(), 0u);
  EXPECT_EQ(Call("GET", "/api/v1/shares/" + code).body["opens"], 0)
      << "the sharer's own open is no open";
  ExpectInvariants();

  // Planted: a commission paid through the buyer's own link.
  auto oid = ParseId(own["id"].get<std::string>());
  ASSERT_TRUE(oid.has_value());
  int64_t sharer_uid =
      *ParseId(Call("GET", "/api/v1/me", nullptr, sharer).body["user"]["id"].get<std::string>());
  ASSERT_TRUE(app_->store().Execute([&](Tx& tx) -> Status {
    ASSIGN_OR_RETURN(int64_t share_id, tx.QueryInt("SELECT id FROM shares WHERE code=?", {code}));
    return tx.Run(
        "INSERT INTO order_commissions(order_id, product_id, merchant_id, sharer_id, share_id, "
        "commission_bps, line_fen, "
        "status, created_at_ms) VALUES(?,?,?,?,?,0,0,'cancelled',0)",
        {*oid, *ParseId(product), *ParseId(shop.id), sharer_uid, share_id});
  }));
  auto report = Call("GET", "/api/v1/admin/ledger/check", nullptr, AdminToken());
  EXPECT_NE(report.body.dump().find("the buyer's own"), std::string::npos) << report.body.dump();
  ASSERT_TRUE(app_->store().Execute(
      [&](Tx& tx) { return tx.Run("DELETE FROM order_commissions WHERE order_id=?", {*oid}); }));
  ExpectInvariants();

  // Planted: a shop touch through the buyer's own link, then one naming another's share.
  ASSERT_TRUE(app_->store().Execute([&](Tx& tx) -> Status {
    ASSIGN_OR_RETURN(int64_t share_id, tx.QueryInt("SELECT id FROM shares WHERE code=?", {code}));
    return tx.Run(
        "INSERT INTO share_shop_touches(buyer_id, merchant_id, share_id, sharer_id, touched_at_ms) "
        "VALUES(?,?,?,?,0)",
        {sharer_uid, *ParseId(shop.id), share_id, sharer_uid});
  }));
  report = Call("GET", "/api/v1/admin/ledger/check", nullptr, AdminToken());
  EXPECT_NE(report.body.dump().find("share_shop_touches: buyer"), std::string::npos)
      << report.body.dump();
  ASSERT_TRUE(app_->store().Execute(
      [&](Tx& tx) { return tx.Run("UPDATE share_shop_touches SET buyer_id = buyer_id + 1"); }));
  report = Call("GET", "/api/v1/admin/ledger/check", nullptr, AdminToken());
  EXPECT_EQ(report.body.dump().find("share_shop_touches: buyer"), std::string::npos)
      << "the sharer's link as another buyer's touch is fine: " << report.body.dump();
  ASSERT_TRUE(app_->store().Execute(
      [&](Tx& tx) { return tx.Run("UPDATE share_shop_touches SET sharer_id = sharer_id + 1"); }));
  report = Call("GET", "/api/v1/admin/ledger/check", nullptr, AdminToken());
  EXPECT_NE(report.body.dump().find("share_shop_touches: buyer"), std::string::npos)
      << report.body.dump();
  ASSERT_TRUE(
      app_->store().Execute([&](Tx& tx) { return tx.Run("DELETE FROM share_shop_touches"); }));
}

// One link per (sharer, target, channel, chat group): asked again it is the same code (200),
// and twenty share sheets asking at once make one row between them. Another channel or group
// is another link.
TEST_F(Sharing, TheSameTupleIsOneLinkEvenWhenRacing) {
  Shop shop = OpenShop("c2c", "幂等店");
  auto [product, sku] = CreateProduct(shop, 1000, 5);
  std::string sharer = Register();
  auto first =
      Call("POST", "/api/v1/shares", Json{{"target", "product"}, {"target_id", product}}, sharer);
  ASSERT_EQ(first.status, 201) << first.body.dump();
  auto again =
      Call("POST", "/api/v1/shares", Json{{"target", "product"}, {"target_id", product}}, sharer);
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.body["code"], first.body["code"]);
  EXPECT_EQ(Call("POST", "/api/v1/shares", Json{{"product_id", product}}, sharer).body["code"],
            first.body["code"])
      << "the older spelling names the same target";
  EXPECT_NE(Share(sharer, "product", product, Json{{"channel", "qr"}})["code"], first.body["code"]);
  EXPECT_NE(Share(sharer, "product", product, Json{{"chat_group", "wxg-1"}})["code"],
            first.body["code"]);

  constexpr int kThreads = 20;
  std::vector<std::string> codes(kThreads);
  std::vector<int> statuses(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i)
    threads.emplace_back([&, i] {
      auto c = NewClient();
      auto r = c->Json("POST", "/api/v1/shares",
                       Json{{"target", "product"}, {"target_id", product}, {"channel", "poster"}},
                       sharer);
      statuses[i] = r.status;
      codes[i] = r.body.value("code", "");
    });
  for (auto& t : threads) t.join();
  for (int i = 0; i < kThreads; ++i) {
    EXPECT_TRUE(statuses[i] == 200 || statuses[i] == 201) << statuses[i];
    EXPECT_EQ(codes[i], codes[0]);
  }
  int64_t rows = -1;
  ASSERT_TRUE(app_->store().Read([&](Reader& r) -> Status {
    ASSIGN_OR_RETURN(rows, r.QueryInt("SELECT count(*) FROM shares WHERE channel='poster'"));
    return Ok();
  }));
  EXPECT_EQ(rows, 1);
  (void)sku;
  ExpectInvariants();
}

// Chat groups are free text: one sharer makes at most kMaxNewSharesPerDay new links in 24 h
// (422 LIMIT_EXCEEDED beyond), while the links made stay theirs to ask for again; a day later
// new ones can be made.
TEST_F(Sharing, ASharerMakesBoundedNewLinksADay) {
  Shop shop = OpenShop("c2c", "限额店");
  auto [product, sku] = CreateProduct(shop, 1000, 5);
  std::string sharer = Register();
  std::string first;
  for (int64_t i = 0; i < limits::kMaxNewSharesPerDay; ++i) {
    auto r = Call("POST", "/api/v1/shares",
                  Json{{"target", "product"},
                       {"target_id", product},
                       {"chat_group", "wxg-" + std::to_string(i)}},
                  sharer);
    ASSERT_EQ(r.status, 201) << i << " " << r.body.dump();
    if (i == 0) first = r.body["code"];
  }
  auto over =
      Call("POST", "/api/v1/shares",
           Json{{"target", "product"}, {"target_id", product}, {"chat_group", "wxg-over"}}, sharer);
  EXPECT_EQ(over.status, 422) << over.body.dump();
  EXPECT_EQ(over.body["error"]["code"], "LIMIT_EXCEEDED");
  auto again =
      Call("POST", "/api/v1/shares",
           Json{{"target", "product"}, {"target_id", product}, {"chat_group", "wxg-0"}}, sharer);
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.body["code"], first);
  EXPECT_EQ(Share(Register(), "product", product)["link"].get<std::string>().size(), 15u)
      << "another sharer is not limited";
  clock_.AdvanceMs(24LL * 3600 * 1000 + 1);
  EXPECT_EQ(
      Call("POST", "/api/v1/shares",
           Json{{"target", "product"}, {"target_id", product}, {"chat_group", "wxg-over"}}, sharer)
          .status,
      201);
  (void)sku;
  ExpectInvariants();
}

// 我的收益: a friend buys three times through the sharer's link; one order completes (paid),
// one is cancelled (cancelled), one waits to be shipped (pending). The sharer withdraws part of
// what is available to their store credit (one ledger entry), cannot withdraw more than that,
// and a retried withdrawal (same Idempotency-Key) is one withdrawal.
TEST_F(Sharing, SharerSeesEarningsAndWithdrawsToStoreCredit) {
  Shop shop = OpenShop("c2c", "收益店");
  auto [product, sku] = CreateProduct(shop, 10000, 10, "龙井 100g");
  SetCommission(shop, product, 1000);
  std::string sharer = Register("14700000071", "分享者");
  std::string buyer = RegisterWithCode(Share(sharer, "product", product)["code"], "14700000072");
  Json done = Buy(buyer, sku);
  PayShipConfirm(shop, buyer, done["id"]);
  Json cancelled = Buy(buyer, sku);
  ASSERT_EQ(Call("POST", "/api/v1/orders/" + cancelled["id"].get<std::string>() + "/cancel",
                 nullptr, buyer)
                .status,
            200);
  Json open = Buy(buyer, sku);
  PayAndWait(buyer, open["id"]);

  Json mine = Call("GET", "/api/v1/me/commissions", nullptr, sharer).body;
  EXPECT_EQ(mine["balance_fen"], 1000) << mine.dump();
  EXPECT_EQ(mine["paid_fen"], 1000);
  EXPECT_EQ(mine["pending_fen"], 1000);
  EXPECT_EQ(mine["cancelled_fen"], 1000);
  EXPECT_EQ(mine["withdrawn_fen"], 0);
  ASSERT_EQ(mine["items"].size(), 3u);
  EXPECT_EQ(mine["items"][0]["title"], "龙井 100g");

  auto withdraw = [&](int64_t fen, std::vector<std::pair<std::string, std::string>> headers = {}) {
    return Call("POST", "/api/v1/me/commissions/withdrawals", Json{{"amount_fen", fen}}, sharer,
                headers);
  };
  auto over = withdraw(1001);
  EXPECT_EQ(over.status, 422) << over.body.dump();
  EXPECT_EQ(over.body["error"]["reason"], "SHARER_BALANCE_LOW");
  EXPECT_EQ(withdraw(0).status, 400);
  auto first = withdraw(600, {{"Idempotency-Key", "w-1"}});
  ASSERT_EQ(first.status, 201) << first.body.dump();
  EXPECT_EQ(first.body["balance_fen"], 400);
  EXPECT_EQ(first.body["card_balance_fen"], 600);
  auto retried = withdraw(600, {{"Idempotency-Key", "w-1"}});
  EXPECT_EQ(retried.status, 201);
  EXPECT_EQ(retried.body["withdrawal"]["id"], first.body["withdrawal"]["id"]);
  mine = Call("GET", "/api/v1/me/commissions", nullptr, sharer).body;
  EXPECT_EQ(mine["balance_fen"], 400);
  EXPECT_EQ(mine["withdrawn_fen"], 600);
  EXPECT_EQ(mine["card_balance_fen"], 600);
  ASSERT_EQ(mine["withdrawals"].size(), 1u);
  EXPECT_EQ(Call("GET", "/api/v1/me/cards", nullptr, sharer).body["balance_fen"], 600)
      << "the buyer's balance, spendable at checkout";
  EXPECT_EQ(Call("GET", "/api/v1/me/commissions", nullptr, buyer).body["balance_fen"], 0)
      << "the buyer earned nothing";
  // The shop's distribution page: its rate, the commissions by status, the sharer on top.
  auto dist = Staff(shop, "GET", "/api/v1/merchant/distribution");
  ASSERT_EQ(dist.status, 200) << dist.body.dump();
  ASSERT_EQ(dist.body["products"].size(), 1u);
  EXPECT_EQ(dist.body["products"][0]["commission_bps"], 1000);
  EXPECT_EQ(dist.body["totals"]["paid_fen"], 1000);
  EXPECT_EQ(dist.body["totals"]["pending_fen"], 1000);
  EXPECT_EQ(dist.body["totals"]["cancelled_fen"], 1000);
  ASSERT_EQ(dist.body["leaderboard"].size(), 1u);
  EXPECT_EQ(dist.body["leaderboard"][0]["sharer"], "分享者");
  EXPECT_EQ(dist.body["leaderboard"][0]["orders"], 3);
  EXPECT_EQ(dist.body["leaderboard"][0]["paid_fen"], 1000);
  EXPECT_EQ(Staff(OpenShop("c2c", "别店"), "GET", "/api/v1/merchant/distribution").body["leaderboard"].size(), 0u)
      << "another shop sees none of it";
  ExpectInvariants();

  // Planted: money taken from the sharer account without a withdrawal; the check names it.
  int64_t sharer_uid =
      *ParseId(Call("GET", "/api/v1/me", nullptr, sharer).body["user"]["id"].get<std::string>());
  ASSERT_TRUE(app_->store().Execute([&](Tx& tx) -> Status {
    return ToStatus(pay::Post(tx, "test", 1,
                              {{promo::SharerAccount(sharer_uid), -500}, {"test:sink", 500}}));
  }));
  auto report = Call("GET", "/api/v1/admin/ledger/check", nullptr, AdminToken());
  EXPECT_NE(report.body.dump().find("is negative"), std::string::npos) << report.body.dump();
  EXPECT_NE(report.body.dump().find("earned less withdrawn"), std::string::npos)
      << report.body.dump();
  ASSERT_TRUE(app_->store().Execute([&](Tx& tx) -> Status {
    return ToStatus(pay::Post(tx, "test", 2,
                              {{promo::SharerAccount(sharer_uid), 500}, {"test:sink", -500}}));
  }));
}

// 200 at once on one sharer: 50 orders complete (each pays 100 fen of commission) while 150
// withdrawals of 100 fen race them. No answer and no final state shows a negative balance;
// every refusal is SHARER_BALANCE_LOW; what was withdrawn plus what is left is what was earned.
TEST_F(Sharing, WithdrawalsRacingCommissionsNeverGoNegative) {
  Shop shop = OpenShop("c2c", "并发收益店");
  auto [product, sku] = CreateProduct(shop, 1000, 100, "茶包");
  SetCommission(shop, product, 1000);
  std::string sharer = Register("14700000081", "分享者");
  std::string buyer = RegisterWithCode(Share(sharer, "product", product)["code"], "14700000082");
  constexpr int kOrders = 50, kWithdrawals = 150;
  std::vector<std::string> orders;
  for (int i = 0; i < kOrders; ++i) {
    Json o = Buy(buyer, sku);
    PayAndWait(buyer, o["id"]);
    auto ship = Staff(shop, "POST", "/api/v1/merchant/orders/" + o["id"].get<std::string>() + "/ship",
                      Json{{"carrier", "顺丰"}, {"tracking_no", "SF" + std::to_string(i)}});
    ASSERT_EQ(ship.status, 200) << ship.body.dump();
    orders.push_back(o["id"]);
  }
  std::vector<int> statuses(kOrders + kWithdrawals);
  std::vector<Json> bodies(kOrders + kWithdrawals);
  std::vector<std::thread> threads;
  for (int i = 0; i < kOrders + kWithdrawals; ++i)
    threads.emplace_back([&, i] {
      auto c = NewClient();
      auto r = i < kOrders ? c->Json("POST", "/api/v1/orders/" + orders[i] + "/confirm", nullptr, buyer)
                           : c->Json("POST", "/api/v1/me/commissions/withdrawals",
                                     Json{{"amount_fen", 100}}, sharer);
      statuses[i] = r.status;
      bodies[i] = r.body;
    });
  for (auto& t : threads) t.join();
  int withdrawn = 0;
  for (int i = 0; i < kOrders; ++i) EXPECT_EQ(statuses[i], 200) << bodies[i].dump();
  for (int i = kOrders; i < kOrders + kWithdrawals; ++i) {
    if (statuses[i] == 201) {
      ++withdrawn;
      EXPECT_GE(bodies[i]["balance_fen"].get<int64_t>(), 0);
    } else {
      EXPECT_EQ(statuses[i], 422) << bodies[i].dump();
      EXPECT_EQ(bodies[i]["error"]["reason"], "SHARER_BALANCE_LOW") << bodies[i].dump();
    }
  }
  Json mine = Call("GET", "/api/v1/me/commissions", nullptr, sharer).body;
  EXPECT_EQ(mine["paid_fen"], kOrders * 100);
  EXPECT_EQ(mine["withdrawn_fen"], withdrawn * 100);
  EXPECT_EQ(mine["balance_fen"], (kOrders - withdrawn) * 100);
  EXPECT_LE(withdrawn, kOrders);
  ExpectInvariants();
}

// A gift in parts (decision 019): the sender buys 3 units as a gift of 3 parts; two friends
// each accept one part with their own address (the gift page says who sent it); nobody takes the
// third, and after 24 h it is refunded — a third of what was paid — while the order is released
// to ship the two parts, every part's address in the order.
TEST_F(Sharing, GiftInPartsRefundsThePartsNobodyTook) {
  Shop shop = OpenShop("c2c", "礼盒店");
  auto [product, sku] = CreateProduct(shop, 3000, 10, "月饼礼盒");
  std::string sender = Register("14700000091", "送礼的小明");
  std::string r1 = Register("14700000092", "小红"), r2 = Register("14700000093", "小刚"),
              late = Register("14700000094");
  auto checkout = [&](int64_t qty, int64_t parts) {
    return Call("POST", "/api/v1/checkout",
                Json{{"items", {{{"sku_id", sku}, {"quantity", qty}}}},
                     {"activity", {{"gift", {{"message", "中秋快乐"}, {"parts", parts}}}}}},
                sender);
  };
  auto wrong = checkout(2, 3);
  EXPECT_EQ(wrong.status, 400) << wrong.body.dump();
  EXPECT_EQ(wrong.body["error"]["reason"], "GIFT_PARTS_QUANTITY");
  EXPECT_EQ(checkout(3, 21).status, 400) << "at most 20 parts";
  auto placed = checkout(3, 3);
  ASSERT_EQ(placed.status, 201) << placed.body.dump();
  std::string order_id = placed.body["orders"][0]["id"];
  Json paid = PayAndWait(sender, order_id);
  EXPECT_EQ(paid["sub_status"], "gift_pending");
  Json sent = Call("GET", "/api/v1/me/gifts", nullptr, sender).body["items"][0];
  std::string token = sent["token"];
  EXPECT_EQ(sent["parts"], 3);
  EXPECT_EQ(sent["parts_detail"].size(), 3u);

  Json view = Call("GET", "/api/v1/gifts/" + token).body;
  EXPECT_EQ(view["sender_nickname"], "送礼的小明");
  EXPECT_EQ(view["parts_left"], 3);
  EXPECT_FALSE(view.contains("token")) << "the public view is not the sender's";
  auto accept = [&](const std::string& who, const std::string& name) {
    Json address = Address();
    address["name"] = name;
    return Call("POST", "/api/v1/gift-claims", Json{{"token", token}, {"address", address}}, who);
  };
  auto a1 = accept(r1, "小红");
  ASSERT_EQ(a1.status, 200) << a1.body.dump();
  EXPECT_EQ(a1.body["my_part"]["part_no"], 1);
  EXPECT_EQ(a1.body["parts_left"], 2);
  auto twice = accept(r1, "小红");
  EXPECT_EQ(twice.status, 409) << twice.body.dump();
  EXPECT_EQ(twice.body["error"]["reason"], "GIFT_PART_HELD");
  EXPECT_EQ(accept(sender, "我").status, 422);
  EXPECT_EQ(Call("GET", "/api/v1/gifts/" + token, nullptr, r1).body["my_part"]["part_no"], 1);
  EXPECT_FALSE(Call("GET", "/api/v1/gifts/" + token, nullptr, r2).body.contains("my_part"));
  ASSERT_EQ(accept(r2, "小刚").status, 200);
  EXPECT_EQ(Call("GET", "/api/v1/orders/" + order_id, nullptr, sender).body["sub_status"],
            "gift_pending")
      << "a part still waits";
  ExpectInvariants();

  clock_.AdvanceMs(24LL * 3600 * 1000 + 1);
  RunTimers();
  Json order = WaitStatus(sender, order_id, "paid");
  for (int i = 0; i < 20 && order["refunded_fen"] == 0; ++i) order = WaitStatus(sender, order_id, "paid");
  EXPECT_EQ(order["sub_status"], "");
  int64_t total = paid["total_fen"];
  EXPECT_EQ(order["refunded_fen"], total / 3) << order.dump();
  EXPECT_EQ(order["address"]["name"], "小红") << "ships to the first part's address";
  auto parts = Staff(shop, "GET", "/api/v1/merchant/orders/" + order_id + "/gift-parts");
  ASSERT_EQ(parts.status, 200) << parts.body.dump();
  ASSERT_EQ(parts.body["parts"].size(), 3u) << parts.body.dump();
  EXPECT_EQ(parts.body["parts"][1]["address"]["name"], "小刚") << "the merchant ships each part";
  EXPECT_EQ(parts.body["parts"][2]["status"], "refunded");
  EXPECT_EQ(parts.body["parts"][2]["refunded_fen"], total / 3);
  EXPECT_TRUE(parts.body["parts"][2]["address"].is_null());
  Shop other = OpenShop("c2c", "别人的店");
  EXPECT_EQ(Staff(other, "GET", "/api/v1/merchant/orders/" + order_id + "/gift-parts").status, 404)
      << "another shop's order";
  auto too_late = accept(late, "迟到");
  EXPECT_EQ(too_late.status, 409) << too_late.body.dump();
  sent = Call("GET", "/api/v1/me/gifts", nullptr, sender).body["items"][0];
  EXPECT_EQ(sent["status"], "accepted");
  EXPECT_EQ(sent["parts_detail"][0]["recipient_nickname"], "小红");
  EXPECT_EQ(sent["parts_detail"][2]["status"], "refunded");
  ExpectInvariants();
}

// A gift of 5 parts and 20 recipients accepting at once: exactly 5 are accepted, the other 15
// told every part is taken; the order ships once the fifth is in.
TEST_F(Sharing, FivePartsTwentyRacingRecipientsFiveAccepted) {
  Shop shop = OpenShop("c2c", "抢礼物店");
  auto [product, sku] = CreateProduct(shop, 1000, 10);
  std::string sender = Register();
  auto placed = Call("POST", "/api/v1/checkout",
                     Json{{"items", {{{"sku_id", sku}, {"quantity", 5}}}},
                          {"activity", {{"gift", {{"parts", 5}}}}}},
                     sender);
  ASSERT_EQ(placed.status, 201) << placed.body.dump();
  std::string order_id = placed.body["orders"][0]["id"];
  PayAndWait(sender, order_id);
  std::string token = Call("GET", "/api/v1/me/gifts", nullptr, sender).body["items"][0]["token"];
  constexpr int kRecipients = 20;
  std::vector<std::string> tokens;
  for (int i = 0; i < kRecipients; ++i) tokens.push_back(Register());
  std::vector<int> statuses(kRecipients);
  std::vector<Json> bodies(kRecipients);
  std::vector<std::thread> threads;
  for (int i = 0; i < kRecipients; ++i)
    threads.emplace_back([&, i] {
      auto c = NewClient();
      auto r = c->Json("POST", "/api/v1/gift-claims", Json{{"token", token}, {"address", Address()}},
                       tokens[i]);
      statuses[i] = r.status;
      bodies[i] = r.body;
    });
  for (auto& t : threads) t.join();
  int accepted = 0;
  std::set<int64_t> parts;
  for (int i = 0; i < kRecipients; ++i) {
    if (statuses[i] == 200) {
      ++accepted;
      parts.insert(bodies[i]["my_part"]["part_no"].get<int64_t>());
    } else {
      EXPECT_EQ(statuses[i], 409) << bodies[i].dump();
      EXPECT_EQ(bodies[i]["error"]["reason"], "GIFT_ALL_ACCEPTED") << bodies[i].dump();
    }
  }
  EXPECT_EQ(accepted, 5);
  EXPECT_EQ(parts, (std::set<int64_t>{1, 2, 3, 4, 5}));
  Json order = Call("GET", "/api/v1/orders/" + order_id, nullptr, sender).body;
  EXPECT_EQ(order["status"], "paid");
  EXPECT_EQ(order["sub_status"], "");
  EXPECT_EQ(Call("GET", "/api/v1/gifts/" + token).body["status"], "accepted");
  ExpectInvariants();
}

// "N 位好友推荐": the product page counts the caller's friends who recommend it (not strangers),
// with their words, and shows the caller's own.
TEST_F(Sharing, ProductPageCountsFriendsWhoRecommend) {
  Shop shop = OpenShop("c2c", "推荐店");
  auto [product, sku] = CreateProduct(shop, 2000, 10, "手工皂");
  std::string me = Register("14700000101", "我"), a = Register("14700000102", "阿甲"),
              b = Register("14700000103", "阿乙"), stranger = Register("14700000104", "路人");
  MakeFriends(me, "14700000102", a);
  MakeFriends(me, "14700000103", b);
  for (auto& [who, text] : {std::pair{a, "洗得很干净"}, std::pair{b, "回购了"}, std::pair{stranger, "一般"}})
    ASSERT_EQ(Call("POST", "/api/v1/recommendations", Json{{"product_id", product}, {"text", text}}, who).status, 201);
  auto seen = Call("GET", "/api/v1/products/" + product + "/friend-recommendations", nullptr, me);
  ASSERT_EQ(seen.status, 200) << seen.body.dump();
  EXPECT_EQ(seen.body["count"], 2);
  ASSERT_EQ(seen.body["items"].size(), 2u);
  EXPECT_TRUE(seen.body["mine"].is_null());
  EXPECT_EQ(seen.body.dump().find("路人"), std::string::npos) << "strangers are not friends";
  ASSERT_EQ(Call("POST", "/api/v1/recommendations", Json{{"product_id", product}, {"text", "好用"}}, me).status, 201);
  EXPECT_EQ(Call("GET", "/api/v1/products/" + product + "/friend-recommendations", nullptr, me).body["mine"], "好用");
  EXPECT_EQ(Call("GET", "/api/v1/products/" + product + "/friend-recommendations").status, 401);
  (void)sku;
  ExpectInvariants();
}

// A bargain's link lands on the bargain and attributes its product.
TEST_F(Sharing, BargainAndGroupLinksNameTheirTarget) {
  Shop shop = OpenShop("c2c", "砍价店");
  auto [product, sku] = CreateProduct(shop, 10000, 10);
  auto act = Staff(shop, "POST", "/api/v1/merchant/activities",
                   Json{{"type", "bargain"},
                        {"sku_id", sku},
                        {"floor_price_fen", 5000},
                        {"helps_needed", 3},
                        {"ttl_s", 3600}});
  ASSERT_EQ(act.status, 201) << act.body.dump();
  std::string owner = Register();
  auto bargain = Call("POST", "/api/v1/bargains", Json{{"activity_id", act.body["id"]}}, owner);
  ASSERT_EQ(bargain.status, 201) << bargain.body.dump();
  Json link = Share(owner, "bargain", bargain.body["id"]);
  Json seen = Call("GET", "/api/v1/shares/" + link["code"].get<std::string>()).body;
  EXPECT_EQ(seen["target"]["kind"], "bargain");
  EXPECT_EQ(seen["target"]["id"], bargain.body["id"]);
  EXPECT_EQ(seen["product_id"], product);
  EXPECT_EQ(seen["activity_id"], act.body["id"]);
  EXPECT_EQ(Call("POST", "/api/v1/shares", Json{{"target", "group"}, {"target_id", "12345"}}, owner)
                .status,
            404);
  ExpectInvariants();
}

}  // namespace
}  // namespace xd::testing
