// Tenant isolation, generated from the OpenAPI document: every authenticated route that
// names an object in its path is called with another tenant's credentials (another
// merchant's staff, another merchant's API key, another buyer, a non-admin) on the victim's
// object, and must answer 403 or 404 with nothing changed in the store. A new route with a path id that this test
// cannot resolve fails the test, so new routes are covered as they appear.

#include <future>
#include <thread>

#include "account/account.h"
#include "base/id.h"
#include "open/open.h"
#include "http/client.h"
#include "tests/harness.h"

namespace xd::testing {
namespace {

class Security : public ApiTest {
 protected:
  void Configure(AppOptions& o) override {
    o.open.allow_private_hosts = true;
    o.webhooks_background = false;  // deliveries stay as enqueued, so the snapshot is stable
  }
  // A ka shop with one product (stock 20) and an inventory:write API key.
  struct KeyedShop {
    Shop shop;
    std::string product, sku, secret;
    int64_t key_id = 0;
  };
  KeyedShop OpenKeyedShop() {
    KeyedShop k;
    k.shop = OpenShop("ka", "大店");
    std::tie(k.product, k.sku) = CreateProduct(k.shop, 5000, 20);
    auto key = Call("POST", "/api/v1/merchant/api-keys", Json{{"name", "erp"}, {"scopes", {"inventory:write"}}}, k.shop.owner_token);
    EXPECT_EQ(key.status, 201) << key.body.dump();
    k.secret = key.body.value("secret", "");
    k.key_id = ParseId(key.body.value("id", "")).value_or(0);
    return k;
  }
  // Everything a tenant owns, serialised: compared before and after each attack.
  std::string Snapshot() {
    static const char* tables[] = {"merchants", "staff", "staff_invitations", "products", "skus", "orders", "order_items", "payments", "refunds",
                                   "aftersales", "shipments", "addresses", "friendships", "friend_requests", "cart_items",
                                   "postings", "balances", "settlements", "withdrawals", "cards", "kind_defaults",
                                   "webhook_endpoints", "webhook_deliveries", "coupons", "user_coupons", "reviews", "favorite_products", "favorite_shops",
                                   "browsing_history", "search_history", "cs_threads", "cs_messages",
                                   "member_programmes", "member_stores", "member_cards", "member_points_journal",
                                   "community_leaders", "community_campaigns", "community_campaign_items", "community_batches",
                                   "community_orders", "community_order_items", "community_pickups", "community_withdrawals",
                                   "member_sku_prices", "member_pos_purchases", "member_pushes", "member_inbox",
                                   "member_referrals", "shop_follow_days", "feed_settings", "live_rooms", "live_room_products",
                                   "live_comments", "live_mutes", "live_blocked_words", "live_reminders",
                                   // last_used_at_ms moves when the attacker uses its own key
                                   "SELECT id, merchant_id, name, secret_hash, scopes, revoked_at_ms FROM api_keys"};
    std::string out;
    EXPECT_TRUE(app_->store().Read([&](Reader& r) -> Status {
      for (const char* t : tables) {
        std::string sql = std::string(t).rfind("SELECT", 0) == 0 ? std::string(t) : std::string("SELECT * FROM ") + t;
        auto rows = r.Query(sql + " ORDER BY 1");
        if (!rows) continue;
        for (auto& row : *rows)
          for (auto& c : row.cells) out += (c.null ? "∅" : c.s.empty() ? std::to_string(c.i) : c.s) + "|";
        out += "\n";
      }
      return Ok();
    }));
    return out;
  }
};

TEST_F(Security, EveryRouteWithAnIdRefusesOtherTenants) {
  // The victim world: merchant B with staff, a product, a paid and shipped order of buyer V
  // with an after-sales request, V's address and friend request.
  // ka shops, so that the open platform's routes (keys, webhooks) are attacked too.
  Shop attacker_shop = OpenShop("ka", "甲店");
  Shop victim_shop = OpenShop("ka", "乙店");
  auto [product, sku] = CreateProduct(victim_shop, 5000, 20);
  Json all_scopes = Json::array();
  for (auto& sc : open::kScopes) all_scopes.push_back(sc.name);
  auto victim_key = Call("POST", "/api/v1/merchant/api-keys", Json{{"name", "victim"}, {"scopes", all_scopes}}, victim_shop.owner_token);
  ASSERT_EQ(victim_key.status, 201) << victim_key.body.dump();
  std::string attacker_key =
      Call("POST", "/api/v1/merchant/api-keys", Json{{"name", "attacker"}, {"scopes", all_scopes}}, attacker_shop.owner_token).body["secret"];
  auto endpoint = Call("POST", "/api/v1/merchant/webhooks", Json{{"url", "http://127.0.0.1:9/hook"}, {"event_types", {"order.paid"}}},
                       victim_shop.owner_token);
  ASSERT_EQ(endpoint.status, 201) << endpoint.body.dump();
  std::string victim = Register("13670000001", "受害者"), attacker = Register("13670000002", "攻击者");
  Register("13670000003", "朋友");
  std::string staff_token = Register("13670000004", "店员");
  AddStaff(victim_shop, "13670000004", staff_token, "operator");
  // Pending invitations of the victim shop: one the owner could withdraw, one the invitee could answer.
  std::string invitation_id = Call("POST", "/api/v1/merchant/staff-invitations", Json{{"phone", "13670000001"}, {"role", "support"}},
                                   victim_shop.owner_token).body["id"];
  std::string staff_id = Call("GET", "/api/v1/me", nullptr, staff_token).body["user"]["id"];
  Json order = Buy(victim, sku);
  std::string oid = order["id"];
  auto pay = Call("POST", "/api/v1/orders/" + oid + "/pay", nullptr, victim);
  std::string payment_id = pay.body["payment_id"];
  Call("POST", "/api/v1/pay/sandbox/" + payment_id + "/complete", nullptr, victim);
  WaitStatus(victim, oid, "paid");
  Json unpaid = Buy(victim, sku);
  ASSERT_TRUE(app_->open().ConsumeOnce());
  auto deliveries = Call("GET", "/api/v1/merchant/webhook-deliveries", nullptr, victim_shop.owner_token);
  ASSERT_EQ(deliveries.body["items"].size(), 1u) << deliveries.body.dump();
  std::string delivery_id = deliveries.body["items"][0]["id"];
  auto as = Call("POST", "/api/v1/orders/" + oid + "/aftersales", Json{{"type", "refund_only"}, {"amount_fen", 100}}, victim);
  ASSERT_EQ(as.status, 201);
  std::string address_id = Call("POST", "/api/v1/me/addresses", Address(), victim).body["id"];
  std::string request_id = Call("POST", "/api/v1/friends/requests", Json{{"phone", "13670000001"}}, Register("13670000005")).body["id"];
  std::string friend_id = Call("GET", "/api/v1/me", nullptr, Register("13670000006")).body["user"]["id"];
  auto activity = Call("POST", "/api/v1/merchant/activities",
                       Json{{"type", "flash_sale"}, {"sku_id", sku}, {"price_fen", 990}, {"stock", 5}, {"per_user_limit", 1},
                            {"starts_at", FormatRfc3339(clock_.NowMs())}, {"ends_at", FormatRfc3339(clock_.NowMs() + 86400000)}},
                       victim_shop.owner_token);
  std::string activity_id = activity.body.value("id", "0");
  // A completed order of the victim with a review of its item.
  std::string done_id = Buy(victim, sku)["id"];
  PayAndWait(victim, done_id);
  ASSERT_EQ(Call("POST", "/api/v1/merchant/orders/" + done_id + "/ship", Json{{"carrier", "顺丰"}, {"tracking_no", "SF2"}},
                 victim_shop.owner_token).status, 200);
  ASSERT_EQ(Call("POST", "/api/v1/merchant/orders/" + done_id + "/tracking", Json{{"description", "已签收"}, {"delivered", true}},
                 victim_shop.owner_token).status, 200);
  ASSERT_EQ(Call("POST", "/api/v1/orders/" + done_id + "/confirm", nullptr, victim).status, 200);
  std::string done_item = Call("GET", "/api/v1/orders/" + done_id + "/reviews", nullptr, victim).body["items"][0]["order_item_id"];
  auto review = Call("POST", "/api/v1/reviews", Json{{"order_item_id", done_item}, {"rating", 5}}, victim);
  ASSERT_EQ(review.status, 201) << review.body.dump();
  auto thread = Call("POST", "/api/v1/cs/threads", Json{{"merchant_id", victim_shop.id}, {"order_id", done_id}}, victim);
  ASSERT_EQ(thread.status, 200) << thread.body.dump();
  ASSERT_EQ(Call("POST", "/api/v1/cs/threads/" + thread.body["id"].get<std::string>() + "/messages", Json{{"text", "在吗"}}, victim).status, 201);
  auto coupon = Call("POST", "/api/v1/merchant/coupons",
                     Json{{"kind", "fixed"}, {"amount_fen", 100}, {"total_quota", 5}, {"scope", {{"type", "merchant"}}}, {"valid_days", 3}},
                     victim_shop.owner_token);
  ASSERT_EQ(coupon.status, 201) << coupon.body.dump();
  // A chat group where the victim posted a link to the victim shop's product: the shop and
  // the group's members see its stats, nobody else.
  auto victim_share = Call("POST", "/api/v1/shares", Json{{"product_id", product}, {"chat_group", "wxg-victim"}}, victim);
  ASSERT_EQ(victim_share.status, 201);
  std::string victim_code = victim_share.body["code"];
  std::string victim_id = Call("GET", "/api/v1/me", nullptr, victim).body["user"]["id"];
  // The victim shop's membership card, a store, and the victim's card claimed through it.
  ASSERT_EQ(Call("PUT", "/api/v1/merchant/member-programme",
                 Json{{"title", "会员卡"}, {"levels", {{{"name", "会员"}, {"growth_threshold", 0}, {"discount_bps", 500}}}}},
                 victim_shop.owner_token).status, 200);
  auto member_store = Call("POST", "/api/v1/merchant/member-stores",
                           Json{{"name", "门店"}, {"address", "上海"}, {"latitude", 31.2}, {"longitude", 121.5}}, victim_shop.owner_token);
  ASSERT_EQ(member_store.status, 201) << member_store.body.dump();
  auto member_card = Call("POST", "/api/v1/member-cards/claim/" + member_store.body["claim_token"].get<std::string>(), nullptr, victim);
  ASSERT_EQ(member_card.status, 200) << member_card.body.dump();
  // The victim shop's community leader (the victim), a campaign, an order through the leader's
  // link and the batch its cutoff consolidated (5 minutes on: before any unpaid order times out).
  auto leader = Call("POST", "/api/v1/community/leaders",
                     Json{{"merchant_id", victim_shop.id}, {"name", "团长"}, {"phone", "13670000001"},
                          {"pickup_point", {{"name", "自提点"}, {"address", "上海"}, {"latitude", 31.2}, {"longitude", 121.5}, {"capacity", 50}}}},
                     victim);
  ASSERT_EQ(leader.status, 201) << leader.body.dump();
  std::string leader_id = leader.body["id"];
  ASSERT_EQ(Call("POST", "/api/v1/merchant/community/leaders/" + leader_id + "/approve", nullptr, victim_shop.owner_token).status, 200);
  auto campaign = Call("POST", "/api/v1/merchant/community/campaigns",
                       Json{{"title", "团购"}, {"cutoff_at", FormatRfc3339(clock_.NowMs() + 5 * 60 * 1000)}, {"pickup_date", "2026-01-02"},
                            {"commission_bps", 1000}, {"items", {{{"sku_id", sku}, {"price_fen", 4000}, {"stock", 5}}}}},
                       victim_shop.owner_token);
  ASSERT_EQ(campaign.status, 201) << campaign.body.dump();
  std::string campaign_id = campaign.body["id"];
  auto community_order = Call("POST", "/api/v1/checkout",
                              Json{{"items", {{{"sku_id", sku}, {"quantity", 1}}}},
                                   {"activity", {{"community", {{"campaign_id", campaign_id}, {"leader_code", leader.body["code"]}}}}}},
                              victim);
  ASSERT_EQ(community_order.status, 201) << community_order.body.dump();
  clock_.AdvanceMs(5 * 60 * 1000);
  RunTimers();
  auto batches = Call("GET", "/api/v1/merchant/community/batches", nullptr, victim_shop.owner_token);
  ASSERT_EQ(batches.body["items"].size(), 1u) << batches.body.dump();
  std::string batch_id = batches.body["items"][0]["id"];
  std::string member_card_id = member_card.body["card"]["id"];
  // Its store's POS purchase, a push in the victim's inbox.
  auto member_code = Call("GET", "/api/v1/me/member-cards/" + member_card_id + "/code", nullptr, victim);
  auto pos_purchase = Call("POST", "/api/v1/open/pos/purchases",
                           Json{{"store_id", member_store.body["id"]}, {"member_code", member_code.body["digits"]},
                                {"receipt_id", "V-1"}, {"amount_fen", 1000}},
                           "", {{"X-Api-Key", victim_key.body["secret"].get<std::string>()}});
  ASSERT_EQ(pos_purchase.status, 201) << pos_purchase.body.dump();
  auto member_push = Call("POST", "/api/v1/merchant/member-pushes", Json{{"text", "上新"}}, victim_shop.owner_token);
  ASSERT_EQ(member_push.status, 201) << member_push.body.dump();
  std::string inbox_id = Call("GET", "/api/v1/me/inbox", nullptr, victim).body["items"][0]["id"];
  // The victim shop's live room, live, with the product pinned.
  auto live_room = Call("POST", "/api/v1/merchant/live/rooms",
                        Json{{"title", "直播"}, {"stream_url", "https://live.example.com/a.m3u8"},
                             {"products", {{{"sku_id", sku}, {"live_price_fen", 1000}, {"live_stock", 2}}}}},
                        victim_shop.owner_token);
  ASSERT_EQ(live_room.status, 201) << live_room.body.dump();
  std::string live_room_id = live_room.body["id"];
  ASSERT_EQ(Call("POST", "/api/v1/merchant/live/rooms/" + live_room_id + "/start", nullptr, victim_shop.owner_token).status, 200);
  ASSERT_EQ(Call("POST", "/api/v1/merchant/live/rooms/" + live_room_id + "/pin", Json{{"sku_id", sku}}, victim_shop.owner_token).status,
            200);
  // Its moderation: a viewer's comment, another muted (a mute row), blocked words.
  auto live_comment = Call("POST", "/api/v1/live/rooms/" + live_room_id + "/comments", Json{{"text", "好看"}}, victim);
  ASSERT_EQ(live_comment.status, 201) << live_comment.body.dump();
  std::string live_comment_id = live_comment.body["id"];
  auto muted_comment = Call("POST", "/api/v1/live/rooms/" + live_room_id + "/comments", Json{{"text", "广告"}}, staff_token);
  ASSERT_EQ(muted_comment.status, 201) << muted_comment.body.dump();
  auto mute = Call("POST", "/api/v1/merchant/live/rooms/" + live_room_id + "/comments/" + muted_comment.body["id"].get<std::string>() + "/mute",
                   nullptr, victim_shop.owner_token);
  ASSERT_EQ(mute.status, 200) << mute.body.dump();
  ASSERT_EQ(Call("PUT", "/api/v1/merchant/live/blocked-words", Json{{"words", {"代购"}}}, victim_shop.owner_token).status, 200);

  // The victim shop's freight template.
  auto freight = Call("POST", "/api/v1/merchant/freight-templates",
                      Json{{"name", "运费"}, {"rules", {{{"first_fen", 800}}}}}, victim_shop.owner_token);
  ASSERT_EQ(freight.status, 201) << freight.body.dump();

  // Which victim object each path names. Order matters: first match wins.
  std::vector<std::pair<std::string, std::string>> resolve = {  // path prefix → victim id
      {"/api/v1/merchant/products/{id}", product},
      {"/api/v1/merchant/skus/", sku},
      {"/api/v1/merchant/orders/", oid},
      {"/api/v1/merchant/aftersales/", as.body["id"]},
      {"/api/v1/merchant/staff/", staff_id},
      {"/api/v1/merchant/staff-invitations/", invitation_id},
      {"/api/v1/me/staff-invitations/", invitation_id},
      {"/api/v1/merchant/activities/", activity_id},
      {"/api/v1/merchant/coupons/", coupon.body["id"]},
      {"/api/v1/merchant/reviews/", review.body["id"]},
      {"/api/v1/merchant/cs/threads/", thread.body["id"]},
      {"/api/v1/cs/threads/", thread.body["id"]},
      {"/api/v1/merchant/api-keys/", victim_key.body["id"]},
      {"/api/v1/merchant/webhooks/", endpoint.body["id"]},
      {"/api/v1/merchant/webhook-deliveries/", delivery_id},
      {"/api/v1/merchant/chat-groups/", "wxg-victim"},
      {"/api/v1/merchant/member-stores/", member_store.body["id"]},
      {"/api/v1/merchant/freight-templates/", freight.body["id"]},
      {"/api/v1/me/member-cards/", member_card.body["card"]["id"]},
      {"/api/v1/me/leaders/", leader_id},
      {"/api/v1/merchant/community/leaders/", leader_id},
      {"/api/v1/merchant/community/campaigns/", campaign_id},
      {"/api/v1/merchant/community/batches/", batch_id},
      {"/api/v1/me/member-cards/", member_card_id},
      {"/api/v1/merchant/member-cards/", member_card_id},
      {"/api/v1/merchant/member-sku-prices/", sku},
      {"/api/v1/merchant/member-pushes/", member_push.body["id"]},
      {"/api/v1/me/inbox/", inbox_id},
      {"/api/v1/merchant/live/rooms/{id}/comments/", live_room_id + "|" + live_comment_id},  // room|comment
      {"/api/v1/merchant/live/rooms/", live_room_id},
      {"/api/v1/merchant/live/mutes/", mute.body["mute_id"]},
      {"/api/v1/open/pos/purchases/", pos_purchase.body["id"]},
      {"/api/v1/chat-groups/", "wxg-victim"},
      {"/api/v1/orders/", oid},
      {"/api/v1/aftersales/", as.body["id"]},
      {"/api/v1/pay/sandbox/", payment_id},
      {"/api/v1/payments/", payment_id},
      {"/api/v1/me/addresses/", address_id},
      {"/api/v1/friends/requests/", request_id},
      {"/api/v1/friends/", friend_id},
      {"/api/v1/cart/items/", oid},
      {"/api/v1/admin/merchants/", victim_shop.id},
      {"/api/v1/admin/products/", product},
      {"/api/v1/admin/kind-defaults/", "c2c"},
      {"/api/v1/admin/timers/", "1"},  // any id: only an admin may retry a timer
      {"/api/v1/admin/users/", friend_id},  // a user's tags: the admin's only
  };
  // Routes that act on someone else's object by design (share links and social help).
  std::set<std::string> by_design = {
      "POST /api/v1/coupons/{id}/claim",  "POST /api/v1/bargains/{id}/help", "POST /api/v1/shares/{id}/open",
      "GET /api/v1/bargains/{id}",        "GET /api/v1/groups/{id}",         "GET /api/v1/coupons/{id}",
      "GET /api/v1/activities/{id}",      "GET /api/v1/shares/{id}",
      "GET /api/v1/activities/{id}/share-drop",  // the caller's own progress on a public activity
      "GET /api/v1/products/{id}/friend-recommendations",  // the caller's own friends on a public product
      "POST /api/v1/member-cards/claim/{token}",  // a claim link is handed to anyone in the store
      // the caller's own favourites of public products and shops
      "PUT /api/v1/me/favorites/{kind}/{id}", "DELETE /api/v1/me/favorites/{kind}/{id}", "GET /api/v1/me/favorites/{kind}",
      "GET /api/v1/products/{id}/favorite",
      // a viewer's own reminder, comment and likes in a public live room
      "POST /api/v1/live/rooms/{id}/reminders", "POST /api/v1/live/rooms/{id}/comments", "POST /api/v1/live/rooms/{id}/likes",
  };

  auto doc = Call("GET", "/api/v1/openapi.json").body;
  int attacks = 0;
  std::vector<std::string> unresolved;
  for (auto& [path, item] : doc["paths"].items()) {
    for (auto& [method_lc, op] : item.items()) {
      std::string method = method_lc;
      for (auto& ch : method) ch = static_cast<char>(toupper(ch));
      std::string route = method + " " + path;
      if (op["security"].empty() || by_design.count(route)) continue;
      bool admin_route = path.rfind("/api/v1/admin/", 0) == 0;
      bool merchant_route = path.rfind("/api/v1/merchant", 0) == 0 && path.rfind("/api/v1/merchants", 0) != 0;
      if (path.find('{') == std::string::npos && !admin_route) continue;  // nothing of anyone else's named
      std::string target = path;
      if (path.find('{') != std::string::npos) {
        std::string id;
        for (auto& [prefix, value] : resolve)
          if (path.rfind(prefix, 0) == 0) {
            id = value;
            break;
          }
        if (id.empty()) {
          unresolved.push_back(route);
          continue;
        }
        // "a|b": the first {param} gets a, the next b (the last part for any further one).
        std::vector<std::string> ids;
        for (size_t from = 0;;) {
          size_t bar = id.find('|', from);
          ids.push_back(id.substr(from, bar == std::string::npos ? std::string::npos : bar - from));
          if (bar == std::string::npos) break;
          from = bar + 1;
        }
        size_t param = 0;
        target.clear();
        for (size_t i = 0; i < path.size(); ++i) {
          if (path[i] == '{') {
            target += ids[std::min(param++, ids.size() - 1)];
            i = path.find('}', i);
          } else {
            target += path[i];
          }
        }
      }
      Json body = op.contains("requestBody") ? op["requestBody"]["content"]["application/json"]["example"] : Json(nullptr);
      if (body.is_object() && body.contains("sku_id")) body["sku_id"] = sku;
      // Attackers: the other merchant's owner (own merchant, and naming the victim's), another buyer.
      std::vector<std::pair<std::string, std::vector<std::pair<std::string, std::string>>>> who;
      if (merchant_route) {
        who.push_back({attacker_shop.owner_token, {}});
        who.push_back({attacker_shop.owner_token, {{"X-Merchant-Id", victim_shop.id}}});
        who.push_back({attacker_key, {}});  // another merchant's API key, every scope
        who.push_back({attacker_key, {{"X-Merchant-Id", victim_shop.id}}});
      } else {
        who.push_back({attacker, {}});
        who.push_back({attacker_key, {}});
      }
      for (auto& [token, headers] : who) {
        std::string before = Snapshot();
        auto r = Call(method, target, body, token, headers);
        ++attacks;
        EXPECT_TRUE(r.status == 403 || r.status == 404) << route << " as attacker → " << r.status << " " << r.body.dump();
        EXPECT_EQ(before, Snapshot()) << route << " changed the store";
      }
    }
  }
  EXPECT_TRUE(unresolved.empty()) << "routes with ids this test cannot resolve (add them to `resolve`): " << Json(unresolved).dump();
  EXPECT_GT(attacks, 30);
  std::printf("security: %d cross-tenant attempts over the OpenAPI routes, all refused, store unchanged\n", attacks);
  // Share links are opened by others by design (above): what another user sees of the victim's
  // link names neither the victim nor the chat group, whether read, opened, as a QR or a short
  // link; a link the attacker makes of the same product is the attacker's; the victim's
  // earnings are the victim's.
  for (auto& r : {Call("GET", "/api/v1/shares/" + victim_code), Call("GET", "/api/v1/shares/" + victim_code, nullptr, attacker),
                  Call("POST", "/api/v1/shares/" + victim_code + "/open", nullptr, attacker)}) {
    EXPECT_EQ(r.status, 200) << r.body.dump();
    EXPECT_EQ(r.body.dump().find(victim_id), std::string::npos) << r.body.dump();
    EXPECT_EQ(r.body.dump().find("wxg-victim"), std::string::npos) << r.body.dump();
  }
  auto hop = NewClient()->Send("GET", "/s/" + victim_code);
  EXPECT_EQ(hop.status, 302);
  EXPECT_EQ(hop.body.find(victim_id), std::string::npos);
  auto own = Call("POST", "/api/v1/shares", Json{{"product_id", product}, {"chat_group", "wxg-victim"}}, attacker);
  EXPECT_EQ(own.status, 201);
  EXPECT_NE(own.body["code"], victim_code);
  EXPECT_EQ(Call("GET", "/api/v1/me/commissions", nullptr, attacker).body["items"].size(), 0u);
  // The victim's world still works for its owners.
  EXPECT_EQ(Call("GET", "/api/v1/orders/" + unpaid["id"].get<std::string>(), nullptr, victim).body["status"], "created");
  ExpectInvariants();
}

// Holds the write pipeline: commands queue behind a command that waits until Release().
class WriterGate {
 public:
  explicit WriterGate(Store& store) : store_(store) {
    auto entered = std::make_shared<std::promise<void>>();
    std::shared_future<void> open = open_.get_future().share();
    store_.Submit([entered, open](Tx&) -> Status {
      entered->set_value();
      open.wait();
      return Ok();
    }, nullptr);
    entered->get_future().wait();
  }
  ~WriterGate() { Release(); }
  // Waits (bounded) until `n` commands are queued behind the gate.
  bool WaitQueued(int64_t n) {
    for (int i = 0; i < 5000; ++i) {
      if (store_.stats().queue_depth >= n) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return false;
  }
  void Release() {
    if (!released_) open_.set_value();
    released_ = true;
  }

 private:
  Store& store_;
  std::promise<void> open_;
  bool released_ = false;
};

// The tests that hold the writer with a WriterGate need the queue's order to be the order the
// commands run in: one writer (PostgreSQL's pool would take the queued commands past the gate).
// The data platform's merchant routes (insight/): a shop's BI counts only its own orders and
// its own products' views, whatever another shop's staff or API key names in X-Merchant-Id;
// client events naming the victim's product count for the victim, never for the sender's shop.
TEST_F(Security, InsightsShowAShopOnlyItsOwnCustomers) {
  auto victim_shop = OpenShop("c2c", "受害店");
  auto attacker_shop = OpenShop("c2c", "攻击店");
  auto [product, sku] = CreateProduct(victim_shop, 3000, 10);
  std::string buyer = Register();
  std::string oid = Buy(buyer, sku)["id"];
  PayAndWait(buyer, oid);
  auto sent = Call("POST", "/api/v1/events",
                   Json{{"device_id", "dev-a"}, {"events", Json::array({{{"id", "v1"}, {"type", "view"}, {"product_id", product}}})}},
                   attacker_shop.owner_token);
  ASSERT_EQ(sent.status, 202) << sent.body.dump();
  ASSERT_TRUE(app_->insight().CatchUp());
  auto mine = Call("GET", "/api/v1/merchant/insights/overview", nullptr, victim_shop.owner_token);
  ASSERT_EQ(mine.status, 200) << mine.body.dump();
  EXPECT_EQ(mine.body["totals"]["gmv_fen"], 3800);  // ¥30 and ¥8 shipping
  EXPECT_EQ(mine.body["totals"]["views"], 1);
  for (auto headers : std::vector<std::vector<std::pair<std::string, std::string>>>{{}, {{"X-Merchant-Id", victim_shop.id}}}) {
    for (const char* path : {"/api/v1/merchant/insights/overview", "/api/v1/merchant/insights/export.csv",
                             "/api/v1/merchant/insights/breakdowns"}) {
      auto theirs = Call("GET", path, nullptr, attacker_shop.owner_token, headers);
      if (!headers.empty()) {
        EXPECT_TRUE(theirs.status == 403 || theirs.status == 404) << path << " " << theirs.status;
        continue;
      }
      ASSERT_EQ(theirs.status, 200) << path;
      if (theirs.body.is_object() && theirs.body.contains("totals")) {  // the overview
        EXPECT_EQ(theirs.body["totals"]["gmv_fen"], 0);
        EXPECT_EQ(theirs.body["totals"]["views"], 0);
        EXPECT_TRUE(theirs.body["top_products"].empty());
        EXPECT_TRUE(theirs.body["segments"].empty());
      }
      if (theirs.body.is_object() && theirs.body.contains("customers")) {  // the breakdowns
        EXPECT_EQ(theirs.body["customers"]["buyers"], 0);
        EXPECT_EQ(theirs.body["members"]["non_member"]["orders"], 0);
        EXPECT_EQ(theirs.body["shares"]["shared_orders"], 0);
      }
    }
  }
  // The exports: the attacker's own download holds none of the victim's orders or events;
  // naming the victim's shop is refused.
  http::Client client("127.0.0.1", port_);
  const std::vector<std::pair<std::string, std::string>> exports = {
      {"/api/v1/merchant/exports/orders?format=ndjson", oid}, {"/api/v1/merchant/exports/events?format=ndjson", product}};
  for (const auto& [path, victims_id] : exports) {
    auto own = client.Send("GET", path, "", {{"Authorization", "Bearer " + attacker_shop.owner_token}});
    ASSERT_EQ(own.status, 200) << path << own.body;
    EXPECT_EQ(own.body.find(oid), std::string::npos) << path;
    EXPECT_EQ(own.body.find(product), std::string::npos) << path;
    auto named = client.Send("GET", path, "", {{"Authorization", "Bearer " + attacker_shop.owner_token}, {"X-Merchant-Id", victim_shop.id}});
    EXPECT_TRUE(named.status == 403 || named.status == 404) << path << " " << named.status;
    auto victims = client.Send("GET", path, "", {{"Authorization", "Bearer " + victim_shop.owner_token}});
    ASSERT_EQ(victims.status, 200) << path;
    EXPECT_NE(victims.body.find(victims_id), std::string::npos) << path << victims.body;
  }
  // A buyer and a shop owner are not admins: no user's tags.
  EXPECT_EQ(Call("GET", "/api/v1/admin/users/1/tags", nullptr, buyer).status, 403);
  EXPECT_EQ(Call("GET", "/api/v1/admin/users/1/tags", nullptr, victim_shop.owner_token).status, 403);
}

class SecurityOneWriter : public Security {
 protected:
  void Configure(AppOptions& o) override {
    Security::Configure(o);
    o.writers = 1;
  }
};

// Defect 10: an operator's stop-activity that was authorized on the I/O thread and then
// waited in the write queue while the owner removed the operator committed anyway (the
// route had no in-transaction check). Authorization now runs inside the command's
// transaction: the revoke, committed first, is honoured, and the activity keeps running.
TEST_F(SecurityOneWriter, RevokeCommittedWhileAStaffWriteWaitsIsHonoured) {
  Shop shop = OpenShop("c2c", "小店");
  auto [product, sku] = CreateProduct(shop, 5000, 20);
  std::string op = Register("13680000001", "运营");
  AddStaff(shop, "13680000001", op, "operator");
  int64_t op_id = *ParseId(Call("GET", "/api/v1/me", nullptr, op).body["user"]["id"].get<std::string>());
  auto activity = Call("POST", "/api/v1/merchant/activities",
                       Json{{"type", "group_buy"}, {"sku_id", sku}, {"group_price_fen", 4000}, {"group_size", 2}, {"group_ttl_s", 3600}},
                       shop.owner_token);
  ASSERT_EQ(activity.status, 201) << activity.body.dump();
  std::string path = "/api/v1/merchant/activities/" + activity.body["id"].get<std::string>();
  int64_t merchant_id = *ParseId(shop.id);
  {
    WriterGate gate(app_->store());
    // The owner's revoke is queued first...
    app_->store().Submit([merchant_id, op_id](Tx& tx) { return account::RemoveStaff(tx, merchant_id, op_id); }, nullptr);
    // ...then the operator's stop: the I/O thread still sees an operator, and queues it.
    auto stop = std::async(std::launch::async, [&] { return Call("POST", path + "/stop", nullptr, op); });
    ASSERT_TRUE(gate.WaitQueued(2));
    gate.Release();
    auto r = stop.get();
    EXPECT_TRUE(r.status == 403 || r.status == 404) << r.status << " " << r.body.dump();
  }
  EXPECT_EQ(Call("GET", "/api/v1/activities/" + activity.body["id"].get<std::string>()).body["status"], "active");
  ExpectInvariants();
}

// The same for an API key: revoked while its write waits in the queue, the write is refused
// (401, the key is no longer valid) and changes nothing.
TEST_F(SecurityOneWriter, ApiKeyRevokedWhileItsWriteWaitsIsRefused) {
  KeyedShop k = OpenKeyedShop();
  if (HasFailure()) return;
  const Shop& shop = k.shop;
  const std::string &product = k.product, &sku = k.sku, &secret = k.secret;
  const int64_t key_id = k.key_id, merchant_id = *ParseId(shop.id);
  {
    WriterGate gate(app_->store());
    app_->store().Submit([merchant_id, key_id](Tx& tx) { return ToStatus(open::RevokeApiKey(tx, merchant_id, key_id)); }, nullptr);
    auto patch = std::async(std::launch::async, [&] { return Call("PATCH", "/api/v1/merchant/skus/" + sku, Json{{"stock", 3}}, secret); });
    ASSERT_TRUE(gate.WaitQueued(2));
    gate.Release();
    auto r = patch.get();
    EXPECT_EQ(r.status, 401) << r.body.dump();
  }
  auto p = Call("GET", "/api/v1/merchant/products/" + product, nullptr, shop.owner_token);
  EXPECT_EQ(p.body["skus"][0]["stock"], 20) << p.body.dump();
  ExpectInvariants();
}

// An idempotent retry is authorized like a first run: a key revoked while the retry waits in
// the queue gets 401, not the answer stored for the first run (which before was replayed
// without any check).
TEST_F(SecurityOneWriter, ApiKeyRevokedWhileItsIdempotentRetryWaitsIsRefused) {
  KeyedShop k = OpenKeyedShop();
  if (HasFailure()) return;
  const Shop& shop = k.shop;
  const std::string &sku = k.sku, &secret = k.secret;
  const int64_t key_id = k.key_id, merchant_id = *ParseId(shop.id);
  Json batch{{"items", {{{"sku_id", sku}, {"stock", 7}}}}};
  auto first = Call("POST", "/api/v1/open/inventory", batch, secret, {{"Idempotency-Key", "sync-1"}});
  ASSERT_EQ(first.status, 200) << first.body.dump();
  {
    WriterGate gate(app_->store());
    app_->store().Submit([merchant_id, key_id](Tx& tx) { return ToStatus(open::RevokeApiKey(tx, merchant_id, key_id)); }, nullptr);
    auto retry = std::async(std::launch::async, [&] {
      return Call("POST", "/api/v1/open/inventory", batch, secret, {{"Idempotency-Key", "sync-1"}});
    });
    ASSERT_TRUE(gate.WaitQueued(2));
    gate.Release();
    auto r = retry.get();
    EXPECT_EQ(r.status, 401) << r.body.dump();
  }
  ExpectInvariants();
}

// Opening a shop for another owner is the admin's: anyone else is refused before the phone is
// looked up, so the answer is the same whether the phone is registered or not (it used to be
// 404 for an unknown phone and 403 for a known one: a registered-phone oracle).
TEST_F(Security, NamingAnotherOwnerDoesNotTellWhichPhonesExist) {
  std::string user = Register("13690000001", "路人");
  Register("13690000002", "店主候选");
  auto known = Call("POST", "/api/v1/merchants", Json{{"kind", "b2c"}, {"name", "别人的店"}, {"owner_phone", "13690000002"}}, user);
  auto unknown = Call("POST", "/api/v1/merchants", Json{{"kind", "b2c"}, {"name", "别人的店"}, {"owner_phone", "13690009999"}}, user);
  EXPECT_EQ(known.status, 403) << known.body.dump();
  EXPECT_EQ(unknown.status, 403) << unknown.body.dump();
  EXPECT_EQ(known.body, unknown.body);
  // The admin still names owners, and learns when a phone is unknown.
  EXPECT_EQ(Call("POST", "/api/v1/merchants", Json{{"kind", "b2c"}, {"name", "品牌店"}, {"owner_phone", "13690002222"}}, AdminToken()).status, 404);
  EXPECT_EQ(Call("POST", "/api/v1/merchants", Json{{"kind", "b2c"}, {"name", "品牌店"}, {"owner_phone", "13690000002"}}, AdminToken()).status, 201);
}

// Privileged fields are the domain's call, not the route's: a shop owner's PATCH of the
// merchant may rename it but not set its commission or status (403 from PatchMerchant, not
// a route filter); the admin may.
TEST_F(Security, OnlyAnAdminSetsAMerchantsRatesOrStatus) {
  Shop shop = OpenShop("c2c", "小店");
  auto staff = [&](Json body) { return Call("PATCH", "/api/v1/merchant", body, shop.owner_token); };
  EXPECT_EQ(staff(Json{{"commission_bps", 0}}).status, 403);
  EXPECT_EQ(staff(Json{{"name", "新店名"}, {"status", "active"}}).status, 403);
  EXPECT_EQ(Call("GET", "/api/v1/merchant", nullptr, shop.owner_token).body["name"], "小店");
  EXPECT_EQ(staff(Json{{"name", "新店名"}}).status, 200);
  auto admin = Call("PATCH", "/api/v1/admin/merchants/" + shop.id, Json{{"commission_bps", 0}}, AdminToken());
  ASSERT_EQ(admin.status, 200) << admin.body.dump();
  EXPECT_EQ(admin.body["commission_bps"], 0) << admin.body.dump();
}

}  // namespace
}  // namespace xd::testing
