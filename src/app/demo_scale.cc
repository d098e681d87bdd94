// The demo world at scale (demo.h): seeded, deterministic, through the domain functions.
#include "app/demo.h"

#include <cmath>
#include <cstdio>
#include <random>

#include "account/account.h"
#include "base/id.h"
#include "buyer/buyer.h"
#include "catalog/catalog.h"
#include "promo/promo.h"

namespace xd {

namespace {

struct Category {
  const char* name;
  std::vector<const char*> items;
  int64_t base_price_fen;
};

const std::vector<Category>& Categories() {
  static const std::vector<Category> c = {
      {"食品", {"咖啡豆", "挂耳咖啡", "红茶", "绿茶", "坚果礼盒", "手工饼干", "蜂蜜", "辣椒酱"}, 3900},
      {"家居", {"香薰蜡烛", "收纳篮", "马克杯", "抱枕", "木托盘", "四件套", "保温杯", "毛巾"}, 4900},
      {"数码", {"蓝牙耳机", "充电宝", "数据线", "手机壳", "键盘", "鼠标", "支架", "读卡器"}, 8900},
      {"生鲜", {"脐橙", "草莓", "大米", "芒果", "土鸡蛋", "苹果", "猕猴桃", "牛肉"}, 5900},
      {"运动", {"跑步鞋", "速干T恤", "瑜伽垫", "登山包", "运动袜", "跳绳", "护膝", "水壶"}, 9900},
      {"美妆", {"面霜", "洗面奶", "防晒霜", "口红", "精华液", "面膜", "护手霜", "卸妆油"}, 7900},
  };
  return c;
}

const char* kAdjectives[] = {"手工", "精选", "产地直发", "经典", "新款", "家庭装", "限定", "轻便"};

// Products of the merchant at Zipf rank `rank` (1 = the biggest): a head with many, a long tail
// of small shops with a few (10,000 merchants: about 39,000 products).
int64_t ProductsAt(int64_t rank) { return rank <= 100 ? 30 : rank <= 1000 ? 10 : 3; }

std::string Phone(const char* prefix, int64_t n) {
  char digits[24];
  std::snprintf(digits, sizeof digits, "%08lld", static_cast<long long>(n));
  return std::string(prefix) + digits;
}

}  // namespace

Status SeedScaledWorld(App& app, const ScaleOptions& opt) {
  Store& store = app.store();
  std::mt19937 rng(opt.seed);
  ASSIGN_OR_RETURN(int64_t admin_id, store.Read([](Reader& r) {
    return r.QueryInt("SELECT id FROM users WHERE is_admin=1 ORDER BY id LIMIT 1");
  }));
  const account::Principal admin{admin_id, true};
  // One hash for every scaled account (all "demo123"): hashing 11,000 passwords would take
  // longer than the rest of the world.
  ASSIGN_OR_RETURN(std::string hash, account::HashPassword("demo123", account::HashCost::kFast));

  // Merchants, 25 to a transaction, each with its owner, its products (one SKU each).
  ASSIGN_OR_RETURN(int64_t have, store.Read([](Reader& r) { return r.QueryInt("SELECT count(*) FROM merchants"); }));
  const auto& cats = Categories();
  constexpr int64_t kBatch = 25;
  for (int64_t i = have; i < opt.merchants; i += kBatch) {
    const int64_t end = std::min(opt.merchants, i + kBatch);
    RETURN_IF_ERROR(store.Execute([&](Tx& tx) -> Status {
      for (int64_t k = i; k < end; ++k) {
        const int64_t rank = k + 1;
        const Category& cat = cats[static_cast<size_t>(k) % cats.size()];
        const std::string kind = rank <= 30 ? "ka" : rank <= 300 ? "b2c" : "c2c";
        const std::string name = std::string(cat.name) + "小铺" + std::to_string(rank);
        ASSIGN_OR_RETURN(account::User owner,
                         account::CreateUser(tx, Phone("135", rank), hash, name + "店主", false));
        const account::Principal who = kind == "c2c" ? account::Principal{owner.id, false} : admin;
        std::optional<int64_t> owner_opt;
        if (kind != "c2c") owner_opt = owner.id;
        ASSIGN_OR_RETURN(account::Merchant m, account::OpenMerchant(tx, who, kind, name, owner_opt));
        for (int64_t n = 0; n < ProductsAt(rank); ++n) {
          catalog::ProductInput in;
          const char* adj = kAdjectives[rng() % std::size(kAdjectives)];
          const char* item = cat.items[rng() % cat.items.size()];
          in.title = std::string(adj) + item + " " + std::to_string(n + 1) + "号";
          in.description = name + "出品：" + adj + item + "。";
          in.category = cat.name;
          in.status = "on_sale";
          in.images = Json::array({"/img/" + std::to_string(100 + (k * 7 + n) % 900) + ".svg"});
          catalog::SkuInput s;
          s.spec = Json{{"规格", "标准"}};
          s.price_fen = cat.base_price_fen / 2 + static_cast<int64_t>(rng() % 200) * 50;
          s.stock = 1000;
          in.skus.push_back(s);
          ASSIGN_OR_RETURN(catalog::Product p, catalog::CreateProduct(tx, m.id, in));
          (void)p;
        }
      }
      return Ok();
    }));
    if ((i / kBatch) % 40 == 0) std::fprintf(stderr, "scale: %lld merchants\n", static_cast<long long>(end));
  }

  // Buyers (skipped when the first one exists: a second run adds nothing).
  ASSIGN_OR_RETURN(bool taken, store.Read([&](Reader& r) { return account::PhoneTaken(r, Phone("136", 1)); }));
  if (taken || opt.buyers <= 0) return Ok();
  // Merchants in id order are the Zipf ranks; their on-sale SKUs, for follows and orders.
  struct Shop {
    int64_t id;
    std::vector<std::pair<int64_t, int64_t>> skus;  // product, sku
  };
  std::vector<Shop> shops;
  RETURN_IF_ERROR(store.Read([&](Reader& r) -> Status {
    ASSIGN_OR_RETURN(Rows rows, r.Query("SELECT p.merchant_id, p.id, s.id FROM products p JOIN skus s ON "
                                        "s.product_id = p.id JOIN merchants m ON m.id = p.merchant_id "
                                        "WHERE p.status='on_sale' AND m.status='active' "
                                        "ORDER BY p.merchant_id, p.id, s.id"));
    for (const Row& row : rows) {
      if (shops.empty() || shops.back().id != row.Int(0)) shops.push_back({row.Int(0), {}});
      shops.back().skus.emplace_back(row.Int(1), row.Int(2));
    }
    return Ok();
  }));
  if (shops.empty()) return Ok();
  std::vector<double> weights;
  for (size_t k = 0; k < shops.size(); ++k) weights.push_back(1.0 / std::pow(static_cast<double>(k + 1), 0.9));
  std::discrete_distribution<size_t> zipf(weights.begin(), weights.end());
  std::vector<int64_t> buyers;
  for (int64_t b = 1; b <= opt.buyers; b += 50) {
    const int64_t end = std::min(opt.buyers + 1, b + 50);
    RETURN_IF_ERROR(store.Execute([&](Tx& tx) -> Status {
      for (int64_t n = b; n < end; ++n) {
        ASSIGN_OR_RETURN(account::User u, account::CreateUser(tx, Phone("136", n), hash, "买家" + std::to_string(n), false));
        buyers.push_back(u.id);
        for (int f = 0; f < 5; ++f)
          RETURN_IF_ERROR(buyer::SetFavorite(tx, u.id, buyer::FavoriteKind::kShop, shops[zipf(rng)].id, true));
        RETURN_IF_ERROR(ToStatus(pay::IssueCard(tx, u.id, 100000, "压测礼包", admin_id)));
      }
      return Ok();
    }));
  }
  // Friends: buyer n with n+1 and n+7 (a ring), each recommending one product.
  promo::PromoService& promo = app.promo();
  for (size_t n = 0; n < buyers.size(); ++n) {
    RETURN_IF_ERROR(store.Execute([&](Tx& tx) -> Status {
      for (size_t d : {size_t{1}, size_t{7}}) {
        const size_t to = (n + d) % buyers.size();
        if (to == n) continue;
        auto req = account::RequestFriend(tx, buyers[n], Phone("136", static_cast<int64_t>(to) + 1));
        if (!req) {
          if (req.error().code == ErrorCode::ALREADY_EXISTS) continue;
          return ToStatus(req);
        }
        // A request the other way was accepted by RequestFriend itself.
        if (Status ok = account::AcceptFriend(tx, buyers[to], *req); !ok && ok.error().code != ErrorCode::INVALID_STATE)
          return ok;
      }
      const Shop& s = shops[zipf(rng)];
      return ToStatus(promo.Recommend(tx, buyers[n], s.skus[rng() % s.skus.size()].first, "好物推荐，回购了"));
    }));
  }
  std::fprintf(stderr, "scale: %zu buyers with follows, friends and recommendations\n", buyers.size());
  // Paid orders through the real flow (store credit covers them), Zipf over the shops.
  trade::TradeService& trade = app.trade();
  account::Address addr{0, "收件人", "13700000000", "上海市 浦东新区", "世纪大道 100 号"};
  for (int64_t buyer : buyers) {
    for (int64_t k = 0; k < opt.orders_per_buyer; ++k) {
      const Shop& s = shops[zipf(rng)];
      trade::CheckoutRequest req;
      req.address = addr;
      req.items.push_back({s.skus[rng() % s.skus.size()].second, 1});
      RETURN_IF_ERROR(store.Execute([&](Tx& tx) -> Status {
        ASSIGN_OR_RETURN(std::vector<trade::Order> orders, trade.Checkout(tx, buyer, req));
        ASSIGN_OR_RETURN(pay::Payment pm, trade.Pay(tx, buyer, orders[0].id, orders[0].total_fen));
        if (!pm.prepay_id.empty()) return Fail(Msg::INTERNAL);  // store credit covers it
        return Ok();
      }));
    }
  }
  std::fprintf(stderr, "scale: %lld paid orders\n", static_cast<long long>(buyers.size()) * opt.orders_per_buyer);
  return Ok();
}

}  // namespace xd
