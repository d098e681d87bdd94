// The traffic layer over real HTTP (SPEC §9, issue 20, decision 028): follows and the storefront,
// the merchant's followers and their growth.

#include "base/id.h"
#include "tests/harness.h"

namespace xd::testing {
namespace {

class Feed : public ApiTest {};

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

}  // namespace
}  // namespace xd::testing
