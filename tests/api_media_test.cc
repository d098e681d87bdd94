// Uploaded photos over real HTTP (issue 14, decision 020): a merchant uploads a JPEG as
// multipart/form-data (and a PNG as the raw body), gets three re-encoded sizes back, uses
// them as a product's images and the shop's banner; anyone fetches them with a year's
// Cache-Control and an ETag (304 on a match). Refused: a file that is not a JPEG/PNG/WebP
// (415), a file over the size limit or a header over the pixel limit (413), a buyer or an
// anonymous caller, names that are not ours. On PostgreSQL the bytes are in the database, so a
// second node serves a photo the first one took.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <vips/vips.h>

#include "base/crypto.h"
#include "base/limits.h"
#include "media/media.h"
#include "tests/harness.h"

namespace xd::testing {
namespace {

std::string MakeImage(int w, int h, const char* suffix) {
  media::InitImaging();
  VipsImage* base = nullptr;
  EXPECT_EQ(vips_xyz(&base, w, h, nullptr), 0);
  VipsImage* band = nullptr;
  EXPECT_EQ(vips_extract_band(base, &band, 0, nullptr), 0);
  VipsImage* bytes = nullptr;
  EXPECT_EQ(vips_cast_uchar(band, &bytes, nullptr), 0);
  void* buf = nullptr;
  size_t len = 0;
  EXPECT_EQ(vips_image_write_to_buffer(bytes, suffix, &buf, &len, nullptr), 0);
  std::string out(static_cast<const char*>(buf), len);
  g_free(buf);
  for (VipsImage* im : {base, band, bytes}) g_object_unref(im);
  return out;
}

class Media : public ApiTest {
 protected:
  static std::string Reason(const http::Response& r) {
    auto j = Json::parse(r.body, nullptr, false);
    return j.is_object() ? j.value("error", Json::object()).value("reason", "") : "";
  }
  // Multipart upload of `bytes` as the `file` part (a text field before it, as browsers send).
  http::Response UploadMultipart(const std::string& token, const std::string& bytes, const std::string& filename = "a.jpg",
                                 const std::string& path = "/api/v1/merchant/media") {
    const std::string b = "----xdBoundary7MA4YWxk";
    std::string body = "--" + b + "\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n" + "--" + b +
                       "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + filename +
                       "\"\r\nContent-Type: image/jpeg\r\n\r\n" + bytes + "\r\n--" + b + "--\r\n";
    return NewClient()->Send("POST", path, body,
                             {{"Authorization", "Bearer " + token}, {"Content-Type", "multipart/form-data; boundary=" + b}});
  }
  http::Response UploadRaw(const std::string& token, const std::string& bytes, const std::string& type = "image/png",
                           const std::string& path = "/api/v1/merchant/media") {
    std::vector<std::pair<std::string, std::string>> h{{"Content-Type", type}};
    if (!token.empty()) h.emplace_back("Authorization", "Bearer " + token);
    return NewClient()->Send("POST", path, bytes, h);
  }
  // A buyer's photo (POST /api/v1/media): its media id.
  std::string UploadBuyerPhoto(const std::string& token, int w, int h) {
    http::Response r = UploadRaw(token, MakeImage(w, h, ".png"), "image/png", "/api/v1/media");
    EXPECT_EQ(r.status, 201) << r.body;
    return r.status == 201 ? Json::parse(r.body)["id"].get<std::string>() : "";
  }
  // Pays, ships, delivers and confirms the buyer's order of `sku`: the completed order's item.
  std::string CompletedItem(const Shop& shop, const std::string& buyer, const std::string& sku) {
    std::string oid = Buy(buyer, sku)["id"];
    PayAndWait(buyer, oid);
    EXPECT_EQ(Call("POST", "/api/v1/merchant/orders/" + oid + "/ship", Json{{"carrier", "顺丰"}, {"tracking_no", "SF1"}},
                   shop.owner_token)
                  .status,
              200);
    EXPECT_EQ(Call("POST", "/api/v1/merchant/orders/" + oid + "/tracking", Json{{"description", "已签收"}, {"delivered", true}},
                   shop.owner_token)
                  .status,
              200);
    EXPECT_EQ(Call("POST", "/api/v1/orders/" + oid + "/confirm", nullptr, buyer).status, 200);
    return Call("GET", "/api/v1/orders/" + oid + "/reviews", nullptr, buyer).body["items"][0]["order_item_id"];
  }
  static std::string HeaderOf(const http::Response& r, const std::string& name) {
    for (auto& [k, v] : r.headers)
      if (strcasecmp(k.c_str(), name.c_str()) == 0) return v;
    return "";
  }
};

TEST_F(Media, UploadedPhotoBecomesTheProductsImageAndIsServedCacheable) {
  Shop shop = OpenShop("c2c", "照片小店");
  std::string jpeg = MakeImage(1600, 1200, ".jpg");
  http::Response up = UploadMultipart(shop.owner_token, jpeg);
  ASSERT_EQ(up.status, 201) << up.body;
  Json media = Json::parse(up.body);
  EXPECT_EQ(media["id"], Sha256Hex(jpeg));
  EXPECT_EQ(media["width"], 1600);
  EXPECT_EQ(media["height"], 1200);
  EXPECT_EQ(media["format"], "jpeg");
  std::string url = media["url"];
  EXPECT_EQ(url, "/media/" + Sha256Hex(jpeg) + "-l.jpg");
  EXPECT_EQ(media["urls"]["s"], "/media/" + Sha256Hex(jpeg) + "-s.jpg");

  // Anyone can fetch it: a JPEG, a year's cache, an ETag; a revalidation costs a 304.
  auto client = NewClient();
  http::Response got = client->Send("GET", url);
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(got.content_type, "image/jpeg");
  EXPECT_EQ(media::SniffImage(got.body), media::ImageFormat::kJpeg);
  EXPECT_NE(HeaderOf(got, "Cache-Control").find("max-age=31536000"), std::string::npos);
  std::string etag = HeaderOf(got, "ETag");
  ASSERT_FALSE(etag.empty());
  http::Response again = client->Send("GET", url, "", {{"If-None-Match", etag}});
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
  EXPECT_EQ(client->Send("GET", media["urls"]["m"].get<std::string>()).status, 200);

  // The same photo again (raw body this time): the same media, stored once.
  http::Response twice = UploadRaw(shop.owner_token, jpeg, "image/jpeg");
  ASSERT_EQ(twice.status, 201) << twice.body;
  EXPECT_EQ(Json::parse(twice.body)["id"], media["id"]);

  // A product shows it; the public page carries the URL.
  auto product = Call("POST", "/api/v1/merchant/products",
                      Json{{"title", "手冲壶"},
                           {"category", "咖啡器具"},
                           {"status", "on_sale"},
                           {"images", Json::array({url})},
                           {"skus", {{{"spec", {{"容量", "600ml"}}}, {"price_fen", 9900}, {"stock", 5}}}}},
                      shop.owner_token);
  ASSERT_EQ(product.status, 201) << product.body.dump();
  auto page = Call("GET", "/api/v1/products/" + product.body["id"].get<std::string>());
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(page.body["images"][0], url);

  // And the shop's banner.
  std::string png = MakeImage(1200, 400, ".png");
  http::Response banner = UploadRaw(shop.owner_token, png);
  ASSERT_EQ(banner.status, 201) << banner.body;
  EXPECT_EQ(Json::parse(banner.body)["format"], "png");
  std::string banner_url = Json::parse(banner.body)["url"];
  auto patched = Call("PATCH", "/api/v1/merchant", Json{{"banner", banner_url}}, shop.owner_token);
  ASSERT_EQ(patched.status, 200) << patched.body.dump();
  auto shop_page = Call("GET", "/api/v1/merchants/" + shop.id);
  EXPECT_EQ(shop_page.body["banner"], banner_url);
  auto bad_banner = Call("PATCH", "/api/v1/merchant", Json{{"banner", "javascript:alert(1)"}}, shop.owner_token);
  EXPECT_EQ(bad_banner.status, 400);
  ExpectInvariants();
}

TEST_F(Media, RefusesWhatIsNotAPhotoWithClearReasons) {
  Shop shop = OpenShop("c2c");
  // Not an image by its bytes, whatever the type says.
  http::Response svg = UploadRaw(shop.owner_token, "<svg xmlns='http://www.w3.org/2000/svg'/>", "image/png");
  EXPECT_EQ(svg.status, 415);
  EXPECT_EQ(Reason(svg), "MEDIA_NOT_IMAGE");
  EXPECT_NE(svg.body.find("JPEG"), std::string::npos);
  // Over the size limit: refused by the body limit (413) before anything is decoded.
  std::string big(limits::kMaxUploadBodyBytes + 1, 'x');
  big.replace(0, 3, "\xFF\xD8\xFF");
  http::Response too_big = UploadRaw(shop.owner_token, big, "image/jpeg");
  EXPECT_EQ(too_big.status, 413);
  std::string just_over(limits::kMaxMediaBytes + 1, 'x');
  just_over.replace(0, 3, "\xFF\xD8\xFF");
  http::Response over = UploadRaw(shop.owner_token, just_over, "image/jpeg");
  EXPECT_EQ(over.status, 413);
  EXPECT_EQ(Reason(over), "MEDIA_TOO_LARGE");
  // A multipart body without a file part, and a broken one.
  http::Response none = NewClient()->Send(
      "POST", "/api/v1/merchant/media", "--b\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nx\r\n--b--\r\n",
      {{"Authorization", "Bearer " + shop.owner_token}, {"Content-Type", "multipart/form-data; boundary=b"}});
  EXPECT_EQ(none.status, 400);
  EXPECT_EQ(Reason(none), "MEDIA_FILE_MISSING");
  http::Response broken = NewClient()->Send("POST", "/api/v1/merchant/media", "garbage",
                                            {{"Authorization", "Bearer " + shop.owner_token},
                                             {"Content-Type", "multipart/form-data; boundary=b"}});
  EXPECT_EQ(Reason(broken), "MULTIPART_MALFORMED");
  // Damaged: a JPEG cut in half.
  std::string jpeg = MakeImage(600, 600, ".jpg");
  http::Response cut = UploadRaw(shop.owner_token, jpeg.substr(0, jpeg.size() / 2), "image/jpeg");
  EXPECT_EQ(cut.status, 415);
  EXPECT_EQ(Reason(cut), "IMAGE_UNREADABLE");
  // In English when asked.
  http::Response en = NewClient()->Send("POST", "/api/v1/merchant/media", "hello",
                                        {{"Authorization", "Bearer " + shop.owner_token},
                                         {"Content-Type", "application/octet-stream"},
                                         {"Accept-Language", "en"}});
  EXPECT_NE(en.body.find("Only JPEG, PNG and WebP"), std::string::npos) << en.body;
}

TEST_F(Media, OnlyStaffUploadAndOnlyOurNamesAreServed) {
  Shop shop = OpenShop("c2c");
  std::string buyer = Register();
  std::string png = MakeImage(64, 64, ".png");
  EXPECT_EQ(UploadRaw(buyer, png).status, 403);
  EXPECT_EQ(UploadRaw("", png).status, 401);
  auto client = NewClient();
  EXPECT_EQ(client->Send("GET", "/media/" + std::string(64, 'a') + "-l.jpg").status, 404);
  EXPECT_EQ(client->Send("GET", "/media/" + std::string(64, 'a') + "-x.jpg").status, 404);
  EXPECT_EQ(client->Send("GET", "/media/..%2F..%2Fetc%2Fpasswd").status, 404);
  EXPECT_EQ(client->Send("GET", "/media/index.html").status, 404);  // not the shop's SPA fallback
}

// Review photos (issue 15): a buyer uploads photos and attaches up to 9 of them to a review;
// the product page's review shows each one's large and thumbnail URL. A photo someone else
// uploaded (seen on their review) cannot be attached, nor can a merchant's, nor an id that is
// no photo: the same refusal for each, so it says nothing about other people's uploads.
TEST_F(Media, BuyersAttachTheirOwnPhotosToAReview) {
  Shop shop = OpenShop("c2c", "晒图小店");
  auto [product, sku] = CreateProduct(shop, 3000, 20, "晒图咖啡");
  std::string buyer = Register("", "晒图买家"), other = Register("", "别人");
  std::string item = CompletedItem(shop, buyer, sku);
  std::string other_item = CompletedItem(shop, other, sku);

  std::string a = UploadBuyerPhoto(buyer, 800, 600), b = UploadBuyerPhoto(buyer, 300, 900);
  std::string theirs = UploadBuyerPhoto(other, 640, 640);
  http::Response shop_photo = UploadRaw(shop.owner_token, MakeImage(500, 500, ".png"));
  ASSERT_EQ(shop_photo.status, 201) << shop_photo.body;
  std::string merchants = Json::parse(shop_photo.body)["id"];
  // A buyer's upload answers like a merchant's; anonymous callers are refused.
  EXPECT_EQ(UploadRaw("", MakeImage(64, 64, ".png"), "image/png", "/api/v1/media").status, 401);
  EXPECT_EQ(UploadRaw(buyer, "not an image", "image/png", "/api/v1/media").status, 415);

  auto review = [&](const std::string& token, const std::string& it, Json photos) {
    return Call("POST", "/api/v1/reviews", Json{{"order_item_id", it}, {"rating", 5}, {"text", "有图有真相"}, {"photos", photos}},
                token);
  };
  for (const std::string& not_mine : {theirs, merchants, std::string(64, 'e')}) {
    auto refused = review(buyer, item, Json::array({a, not_mine}));
    EXPECT_EQ(refused.status, 422) << refused.body.dump();
    EXPECT_EQ(refused.body["error"]["reason"], "REVIEW_PHOTO_NOT_YOURS");
    EXPECT_EQ(refused.body["error"]["message"], "照片不存在或不是你上传的，请重新上传");
  }
  Json ten = Json::array();
  for (int i = 0; i < 10; ++i) ten.push_back(a);
  auto too_many = review(buyer, item, ten);
  EXPECT_EQ(too_many.status, 400);
  EXPECT_EQ(too_many.body["error"]["reason"], "FIELD_TOO_MANY");
  EXPECT_EQ(too_many.body["error"]["message"], "照片最多 9 项");
  EXPECT_EQ(review(buyer, item, Json::array({a, a})).body["error"]["reason"], "FIELD_DUPLICATES");
  EXPECT_EQ(review(buyer, item, Json::array({"/media/x.jpg"})).body["error"]["reason"], "FIELD_INVALID");

  auto made = review(buyer, item, Json::array({b, a}));
  ASSERT_EQ(made.status, 201) << made.body.dump();
  ASSERT_EQ(made.body["photos"].size(), 2u);
  EXPECT_EQ(made.body["photos"][0]["id"], b);
  EXPECT_EQ(made.body["photos"][0]["url"], "/media/" + b + "-l.jpg");
  EXPECT_EQ(made.body["photos"][0]["thumb"], "/media/" + b + "-s.jpg");
  // The other buyer reviews with their own photo; nine photos is the most, and allowed.
  auto theirs_made = review(other, other_item, Json::array({theirs}));
  ASSERT_EQ(theirs_made.status, 201) << theirs_made.body.dump();

  auto page = Call("GET", "/api/v1/products/" + product + "/reviews");
  ASSERT_EQ(page.status, 200) << page.body.dump();
  Json mine;
  for (auto& r : page.body["items"])
    if (r["photos"].size() == 2) mine = r;
  ASSERT_TRUE(mine.is_object()) << page.body.dump();
  EXPECT_EQ(mine["photos"][1]["thumb"], "/media/" + a + "-s.jpg");
  // The thumbnail is served, at most 160 px on its long side.
  http::Response thumb = NewClient()->Send("GET", mine["photos"][1]["thumb"].get<std::string>());
  ASSERT_EQ(thumb.status, 200);
  EXPECT_EQ(media::SniffImage(thumb.body), media::ImageFormat::kJpeg);
  ExpectInvariants();
}

// Upload slots are taken only by callers who are signed in: requests without a session (or
// with a made-up token) are answered 401 as their headers arrive, before any body is read,
// and hold none of the kMaxUploadsInFlight slots, so a signed-in upload still goes through
// while more of them than there are slots stay connected.
TEST_F(Media, AnonymousUploadsHoldNoUploadSlot) {
  Shop shop = OpenShop("c2c");
  std::string buyer = Register();
  std::vector<int> open_fds;
  for (size_t i = 0; i <= limits::kMaxUploadsInFlight; ++i) {
    for (const std::string& auth : {std::string(), std::string("Authorization: Bearer not-a-session-token\r\n")}) {
      for (const char* path : {"/api/v1/media", "/api/v1/merchant/media"}) {
        int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = htons(port_);
        ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
        open_fds.push_back(fd);
        // Headers that promise 8 MB, and no body: a slow upload that never ends.
        std::string head = std::string("POST ") + path + " HTTP/1.1\r\nHost: x\r\n" + auth +
                           "Content-Type: image/jpeg\r\nContent-Length: 8000000\r\n\r\n";
        ASSERT_EQ(::write(fd, head.data(), head.size()), static_cast<ssize_t>(head.size()));
        // The answer comes without the body. (The server's own read timeout ends the
        // connection if it waited for the body instead: the assertion then fails.)
        std::string got;
        while (got.find("\r\n\r\n") == std::string::npos) {
          pollfd pfd{fd, POLLIN, 0};
          if (::poll(&pfd, 1, 30'000) != 1) break;
          char buf[4096];
          ssize_t n = ::read(fd, buf, sizeof buf);
          if (n <= 0) break;
          got.append(buf, static_cast<size_t>(n));
        }
        EXPECT_EQ(got.rfind("HTTP/1.1 401", 0), 0u) << path << ": " << got;
      }
    }
  }
  // More refused uploads are still connected than there are slots; signed-in uploads pass.
  http::Response up = UploadRaw(buyer, MakeImage(64, 64, ".png"), "image/png", "/api/v1/media");
  EXPECT_EQ(up.status, 201) << up.body;
  http::Response shop_up = UploadRaw(shop.owner_token, MakeImage(80, 64, ".png"));
  EXPECT_EQ(shop_up.status, 201) << shop_up.body;
  for (int fd : open_fds) ::close(fd);
}

TEST_F(Media, EveryNodeServesEveryPhotoOnPostgres) {
  if (!OnPostgres()) GTEST_SKIP() << "one node on SQLite: the disk beside the database is the store";
  Shop shop = OpenShop("c2c");
  http::Response up = UploadRaw(shop.owner_token, MakeImage(800, 600, ".webp"), "image/webp");
  ASSERT_EQ(up.status, 201) << up.body;
  std::unique_ptr<App> second = OpenSecondNode();
  ASSERT_TRUE(second);
  http::Client other("127.0.0.1", second->port());
  for (const char* size : {"l", "m", "s"}) {
    http::Response got = other.Send("GET", Json::parse(up.body)["urls"][size].get<std::string>());
    EXPECT_EQ(got.status, 200) << size;
    EXPECT_EQ(media::SniffImage(got.body), media::ImageFormat::kJpeg);
  }
  second->Stop();
}

// ---- freight templates (运费模板) and region codes ----

class Freight : public ApiTest {
 protected:
  static Json To(const std::string& p, const std::string& c, const std::string& d) {
    return Json{{"name", "张三"}, {"phone", "13800000000"}, {"province_code", p}, {"city_code", c},
                {"district_code", d}, {"detail", "1 号"}};
  }
  static Json Beijing() { return To("110000", "110100", "110105"); }   // 北京市 朝阳区
  static Json Shanghai() { return To("310000", "310100", "310115"); }  // 上海市 浦东新区
  static Json Urumqi() { return To("650000", "650100", "650102"); }    // 新疆 乌鲁木齐 天山区
  // The shipping steps of a checkout's (or preview's) first order.
  static std::vector<Json> Shipping(const Json& order) {
    std::vector<Json> out;
    for (const Json& s : order["pricing"])
      if (s["step"] == "shipping") out.push_back(s);
    return out;
  }
  std::string Template(const Shop& shop, const Json& body) {
    auto r = Call("POST", "/api/v1/merchant/freight-templates", body, shop.owner_token);
    EXPECT_EQ(r.status, 201) << r.body.dump();
    return r.body.value("id", "");
  }
  std::string ProductWith(const Shop& shop, const std::string& template_id, int64_t price_fen, int64_t weight_g = 0,
                          const std::string& title = "运费测试商品") {
    Json body{{"title", title},
              {"status", "on_sale"},
              {"skus", {{{"price_fen", price_fen}, {"stock", 100}, {"weight_g", weight_g}}}}};
    if (!template_id.empty()) body["freight_template_id"] = template_id;
    auto r = Call("POST", "/api/v1/merchant/products", body, shop.owner_token);
    EXPECT_EQ(r.status, 201) << r.body.dump();
    return r.body["skus"][0]["id"];
  }
  http::Client::JsonResponse Checkout(const std::string& token, const std::string& sku, int64_t qty, const Json& address,
                                      bool preview = false) {
    return Call("POST", preview ? "/api/v1/checkout/preview" : "/api/v1/checkout",
                Json{{"items", {{{"sku_id", sku}, {"quantity", qty}}}}, {"address", address}}, token);
  }
};

TEST_F(Freight, TemplatePricesByRegionUnitsAndThresholdAndRefusesUndeliverable) {
  Shop shop = OpenShop("c2c", "运费小店");
  // ¥10 the first unit and ¥5 each more; 江浙沪 free; free everywhere from ¥300; not to 新疆.
  std::string tpl = Template(shop, Json{{"name", "标准快递"},
                                        {"rules",
                                         {{{"first_units", 1}, {"first_fen", 1000}, {"additional_units", 1}, {"additional_fen", 500}},
                                          {{"regions", {"310000", "320000", "330000"}}, {"first_fen", 0}}}},
                                        {"free_over_fen", 30000},
                                        {"undeliverable", {"650000"}}});
  std::string sku = ProductWith(shop, tpl, 2000, 0, "青花瓷碗");
  std::string buyer = Register();

  auto bj = Checkout(buyer, sku, 3, Beijing(), true);
  ASSERT_EQ(bj.status, 200) << bj.body.dump();
  auto steps = Shipping(bj.body["orders"][0]);
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_EQ(steps[0]["amount_fen"], 1000 + 2 * 500);
  EXPECT_EQ(steps[0]["label"], "运费（标准快递）");
  EXPECT_EQ(bj.body["orders"][0]["total_fen"], 3 * 2000 + 2000);

  auto sh = Checkout(buyer, sku, 3, Shanghai(), true);
  EXPECT_EQ(Shipping(sh.body["orders"][0])[0]["amount_fen"], 0);
  auto many = Checkout(buyer, sku, 15, Beijing(), true);  // ¥300 of goods
  EXPECT_EQ(Shipping(many.body["orders"][0])[0]["amount_fen"], 0);
  EXPECT_EQ(Shipping(many.body["orders"][0])[0]["label"], "标准快递·满300元包邮");

  // Not delivered to 新疆: refused at checkout, naming the item; nothing is created.
  auto xj = Checkout(buyer, sku, 1, Urumqi());
  EXPECT_EQ(xj.status, 422) << xj.body.dump();
  EXPECT_EQ(xj.body["error"]["reason"], "UNDELIVERABLE");
  EXPECT_NE(xj.body["error"]["message"].get<std::string>().find("青花瓷碗"), std::string::npos);
  EXPECT_NE(xj.body["error"]["message"].get<std::string>().find("新疆"), std::string::npos);
  // A free-text region cannot be priced by a template that names regions.
  auto typed = Checkout(buyer, sku, 1, Address());
  EXPECT_EQ(typed.status, 422);
  EXPECT_EQ(typed.body["error"]["reason"], "ADDRESS_REGION_NEEDED");

  // The order keeps what was charged and where it goes (codes and names).
  auto order = Checkout(buyer, sku, 2, Beijing());
  ASSERT_EQ(order.status, 201) << order.body.dump();
  EXPECT_EQ(order.body["orders"][0]["shipping_fen"], 1500);
  EXPECT_EQ(order.body["orders"][0]["address"]["district_code"], "110105");
  EXPECT_EQ(order.body["orders"][0]["address"]["region"], "北京市 朝阳区");
  ExpectInvariants();
}

TEST_F(Freight, ByWeightAndTheMerchantsDefaultTemplate) {
  Shop shop = OpenShop("c2c");
  // 1 kg for ¥8, each started 500 g more ¥3: the shop's default template.
  Template(shop, Json{{"name", "按重量"},
                      {"mode", "weight"},
                      {"is_default", true},
                      {"rules", {{{"first_units", 1000}, {"first_fen", 800}, {"additional_units", 500}, {"additional_fen", 300}}}}});
  std::string sku = ProductWith(shop, "", 1000, 600);  // no template of its own: the default applies
  std::string buyer = Register();
  auto two = Checkout(buyer, sku, 2, Beijing(), true);  // 1200 g: 800 + 300
  ASSERT_EQ(two.status, 200) << two.body.dump();
  EXPECT_EQ(Shipping(two.body["orders"][0])[0]["amount_fen"], 1100);
  auto four = Checkout(buyer, sku, 4, Beijing(), true);  // 2400 g: 800 + 3 × 300
  EXPECT_EQ(Shipping(four.body["orders"][0])[0]["amount_fen"], 1700);
  // No region rules: a typed region is fine.
  EXPECT_EQ(Checkout(buyer, sku, 1, Address()).status, 201);
}

TEST_F(Freight, WithoutTemplatesShippingIsThePlatformRule) {
  Shop shop = OpenShop("c2c");
  std::string sku = ProductWith(shop, "", 5000);
  std::string buyer = Register();
  auto one = Checkout(buyer, sku, 1, Beijing(), true);
  EXPECT_EQ(Shipping(one.body["orders"][0])[0]["amount_fen"], 800);
  auto two = Checkout(buyer, sku, 2, Beijing(), true);
  EXPECT_EQ(Shipping(two.body["orders"][0])[0]["amount_fen"], 0);
  EXPECT_EQ(Shipping(two.body["orders"][0])[0]["label"], "满99元包邮");
}

TEST_F(Freight, TemplatesAreCheckedAndStayTheMerchants) {
  Shop shop = OpenShop("c2c"), other = OpenShop("c2c", "别家");
  auto bad = [&](const Json& body, const std::string& reason) {
    auto r = Call("POST", "/api/v1/merchant/freight-templates", body, shop.owner_token);
    EXPECT_EQ(r.status, 400) << body.dump();
    EXPECT_EQ(r.body["error"]["reason"], reason) << r.body.dump();
  };
  bad(Json{{"name", "x"}, {"rules", Json::array()}}, "FREIGHT_RULES_RANGE");
  bad(Json{{"name", "x"}, {"rules", {{{"regions", {"110000"}}, {"first_fen", 1}}}}}, "FREIGHT_ONE_DEFAULT_RULE");
  bad(Json{{"name", "x"}, {"rules", {{{"first_fen", 1}}}}, {"undeliverable", {"999999"}}}, "REGION_CODE_UNKNOWN");
  bad(Json{{"name", "x"}, {"mode", "volume"}, {"rules", {{{"first_fen", 1}}}}}, "FREIGHT_MODE_INVALID");
  bad(Json{{"name", "x"},
           {"rules", {{{"first_fen", 1}}, {{"regions", {"110000"}}, {"first_fen", 2}}, {{"regions", {"110000"}}, {"first_fen", 3}}}}},
      "FREIGHT_REGION_TWICE");
  std::string theirs = Template(other, Json{{"name", "别家的"}, {"rules", {{{"first_fen", 1}}}}});
  auto use = Call("POST", "/api/v1/merchant/products",
                  Json{{"title", "借用模板"}, {"freight_template_id", theirs}, {"skus", {{{"price_fen", 100}, {"stock", 1}}}}},
                  shop.owner_token);
  EXPECT_EQ(use.status, 404);
  EXPECT_EQ(use.body["error"]["reason"], "FREIGHT_TEMPLATE_NOT_FOUND");
  EXPECT_EQ(Call("GET", "/api/v1/merchant/freight-templates/" + theirs, nullptr, shop.owner_token).status, 404);
  // Deleting a template leaves its products on the default again.
  std::string mine = Template(shop, Json{{"name", "贵"}, {"rules", {{{"first_fen", 5000}}}}});
  std::string sku = ProductWith(shop, mine, 100);
  std::string buyer = Register();
  EXPECT_EQ(Shipping(Checkout(buyer, sku, 1, Beijing(), true).body["orders"][0])[0]["amount_fen"], 5000);
  EXPECT_EQ(Call("DELETE", "/api/v1/merchant/freight-templates/" + mine, nullptr, shop.owner_token).status, 204);
  EXPECT_EQ(Shipping(Checkout(buyer, sku, 1, Beijing(), true).body["orders"][0])[0]["amount_fen"], 800);
  auto list = Call("GET", "/api/v1/merchant/freight-templates", nullptr, shop.owner_token);
  EXPECT_TRUE(list.body["items"].empty());
}

TEST_F(Freight, AddressRegionCodesAreValidatedAndNamed) {
  std::string buyer = Register();
  auto ok = Call("POST", "/api/v1/me/addresses", Shanghai(), buyer);
  ASSERT_EQ(ok.status, 201) << ok.body.dump();
  EXPECT_EQ(ok.body["region"], "上海市 浦东新区");
  EXPECT_EQ(ok.body["city_code"], "310100");
  // A district of another city, an unknown code: refused.
  auto mixed = Call("POST", "/api/v1/me/addresses", To("310000", "310100", "110105"), buyer);
  EXPECT_EQ(mixed.status, 400);
  EXPECT_EQ(mixed.body["error"]["reason"], "REGION_CODES_INVALID");
  EXPECT_EQ(Call("POST", "/api/v1/me/addresses", To("990000", "990100", "990101"), buyer).status, 400);
  auto regions = NewClient()->Send("GET", "/api/v1/regions");
  ASSERT_EQ(regions.status, 200);
  Json list = Json::parse(regions.body);
  EXPECT_EQ(list["province_list"]["440000"], "广东省");
  EXPECT_EQ(list["county_list"]["440305"], "南山区");
}

}  // namespace
}  // namespace xd::testing
