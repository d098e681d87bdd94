// Demo data: a living shop world seeded through the real domain functions, so every row
// obeys the same invariants as production traffic (xiaodian check passes on it).
//
// Accounts (password demo123 unless noted): admin 13800000000 / admin123 (created by
// EnsureAdmin), merchant owners 13900000001..13900000009 (c2c 1-3, b2c 4-6, ka 7-9),
// buyers 13700000001..13700000010.
#include <random>

#include "account/account.h"
#include "app/app.h"
#include "base/id.h"
#include "catalog/catalog.h"
#include "logistics/logistics.h"
#include "promo/promo.h"

namespace xd {

namespace {

struct Theme {
  const char* kind;
  const char* shop;
  const char* category;
  std::vector<const char*> items;
  std::vector<const char*> adjectives;
  const char* spec_key;
  std::vector<const char*> spec_values;
  int64_t base_price_fen;
};

const std::vector<Theme>& Themes() {
  static const std::vector<Theme> themes = {
      {"c2c", "小王的咖啡铺", "食品", {"咖啡豆", "挂耳咖啡", "冷萃咖啡", "咖啡粉", "手冲咖啡套装"}, {"云南保山", "埃塞俄比亚", "哥伦比亚", "深烘", "浅烘"}, "重量", {"250g", "500g"}, 4800},
      {"c2c", "阿花手作", "家居", {"手工香薰蜡烛", "编织收纳篮", "陶瓷马克杯", "布艺抱枕", "木质托盘"}, {"北欧风", "森系", "复古", "日式", "简约"}, "颜色", {"米白", "雾蓝", "墨绿"}, 3900},
      {"c2c", "老李家茶园", "食品", {"明前龙井", "安吉白茶", "正山小种", "凤凰单丛", "普洱熟茶"}, {"特级", "一级", "古树", "高山", "传统"}, "规格", {"100g", "250g"}, 9800},
      {"b2c", "小店自营·数码", "数码", {"蓝牙耳机", "充电宝", "机械键盘", "智能手环", "无线鼠标"}, {"降噪", "快充", "轻薄", "长续航", "静音"}, "颜色", {"黑色", "白色"}, 12900},
      {"b2c", "小店自营·家居", "家居", {"四件套", "记忆枕", "收纳箱", "保温杯", "不粘锅"}, {"纯棉", "加厚", "大容量", "不锈钢", "家用"}, "尺寸", {"标准", "加大"}, 8900},
      {"b2c", "小店自营·生鲜", "生鲜", {"赣南脐橙", "丹东草莓", "阳澄湖大闸蟹", "五常大米", "海南芒果"}, {"新鲜", "当季", "产地直发", "精选", "礼盒装"}, "规格", {"2.5kg", "5kg"}, 5900},
      {"ka", "云岭咖啡旗舰店", "食品", {"速溶咖啡", "咖啡胶囊", "即饮咖啡", "拿铁咖啡", "美式咖啡"}, {"0糖", "经典", "醇香", "限定", "家庭装"}, "数量", {"12杯", "24杯"}, 6900},
      {"ka", "山野运动旗舰店", "运动", {"跑步鞋", "速干T恤", "瑜伽垫", "登山包", "运动袜"}, {"轻量", "透气", "防滑", "专业", "缓震"}, "尺码", {"S", "M", "L"}, 19900},
      {"ka", "花漾美妆旗舰店", "美妆", {"保湿面霜", "氨基酸洗面奶", "防晒霜", "口红", "精华液"}, {"补水", "温和", "清爽", "持妆", "修护"}, "规格", {"30ml", "50ml"}, 15900},
  };
  return themes;
}

Result<int64_t> MakeUser(App& app, const std::string& phone, const std::string& password, const std::string& nickname) {
  // Demo accounts only, created in a fresh store: cheap hashes keep seeding fast. Every other
  // account, even on a demo server, is hashed at the server's cost.
  ASSIGN_OR_RETURN(std::string hash, account::HashPassword(password, account::HashCost::kFast));
  return app.store().ExecuteFor<int64_t>([&](Tx& tx) -> Result<int64_t> {
    ASSIGN_OR_RETURN(account::User u, account::CreateUser(tx, phone, hash, nickname, false));
    return u.id;
  });
}

}  // namespace

Status SeedDemoData(App& app) {
  Store& store = app.store();
  trade::TradeService& trade = app.trade();
  std::mt19937 rng(20261122);
  ASSIGN_OR_RETURN(int64_t admin_id, store.Read([](Reader& r) { return r.QueryInt("SELECT id FROM users WHERE is_admin=1 LIMIT 1"); }));
  account::Principal admin{admin_id, true};

  // Merchants and their products.
  std::vector<int64_t> sku_ids;
  std::vector<int64_t> merchant_ids;
  int owner_no = 1;
  for (const Theme& t : Themes()) {
    char phone[16];
    std::snprintf(phone, sizeof phone, "139%08d", owner_no++);
    ASSIGN_OR_RETURN(int64_t owner, MakeUser(app, phone, "demo123", std::string(t.shop) + "店主"));
    ASSIGN_OR_RETURN(int64_t merchant_id, store.ExecuteFor<int64_t>([&](Tx& tx) -> Result<int64_t> {
      account::Principal who = std::string(t.kind) == "c2c" ? account::Principal{owner, false} : admin;
      std::optional<int64_t> owner_opt;
      if (std::string(t.kind) != "c2c") owner_opt = owner;
      ASSIGN_OR_RETURN(account::Merchant m, account::OpenMerchant(tx, who, t.kind, t.shop, owner_opt));
      account::MerchantPatch patch;
      patch.description = std::string(t.shop) + "：用心挑选每一件" + t.category + "好物。";
      RETURN_IF_ERROR(account::PatchMerchant(tx, who, m.id, patch));
      return m.id;
    }));
    merchant_ids.push_back(merchant_id);
    int n = 0;
    for (const char* adj : t.adjectives) {
      for (const char* item : t.items) {
        catalog::ProductInput in;
        in.title = std::string(adj) + item;
        in.description = std::string("精选") + adj + item + "，" + t.shop + "出品，七天无理由退换。";
        in.category = t.category;
        in.status = "on_sale";
        in.attributes = Json{{"品牌", t.shop}, {"风格", adj}};
        in.images = Json::array({"/img/" + std::to_string(owner_no * 100 + n) + ".svg"});
        for (size_t v = 0; v < t.spec_values.size(); ++v) {
          catalog::SkuInput s;
          s.spec = Json{{t.spec_key, t.spec_values[v]}};
          s.price_fen = t.base_price_fen + static_cast<int64_t>(rng() % 50) * 100 + static_cast<int64_t>(v) * t.base_price_fen / 2 - 1;
          s.stock = 50 + static_cast<int64_t>(rng() % 200);
          s.code = std::string("SKU-") + std::to_string(owner_no) + "-" + std::to_string(n) + "-" + std::to_string(v);
          in.skus.push_back(s);
        }
        ASSIGN_OR_RETURN(catalog::Product p, store.ExecuteFor<catalog::Product>([&](Tx& tx) { return catalog::CreateProduct(tx, merchant_id, in); }));
        for (auto& s : p.skus) sku_ids.push_back(s.id);
        ++n;
      }
    }
  }

  // Social trading in the first shop (小王的咖啡铺): a group buy, a flash sale, a bargain,
  // a shop coupon; and a platform coupon for every shop.
  promo::PromoService& promo = app.promo();
  int64_t now = store.clock().NowMs();
  auto activity = [&](Json body) -> Status {
    ASSIGN_OR_RETURN(promo::ActivityInput in, promo::ActivityInputFromJson(body));
    return store.Execute([&](Tx& tx) { return ToStatus(promo.CreateActivity(tx, merchant_ids[0], in)); });
  };
  ASSIGN_OR_RETURN(catalog::Sku group_sku, store.Read([&](Reader& r) { return catalog::GetSku(r, sku_ids[0]); }));
  RETURN_IF_ERROR(activity(Json{{"type", "group_buy"}, {"sku_id", IdString(sku_ids[0])}, {"group_price_fen", group_sku.price_fen * 8 / 10},
                                {"group_size", 2}, {"group_ttl_s", 86400}}));
  ASSIGN_OR_RETURN(catalog::Sku flash_sku, store.Read([&](Reader& r) { return catalog::GetSku(r, sku_ids[2]); }));
  RETURN_IF_ERROR(activity(Json{{"type", "flash_sale"}, {"sku_id", IdString(sku_ids[2])}, {"price_fen", flash_sku.price_fen / 2},
                                {"stock", 20}, {"per_user_limit", 1}, {"starts_at", FormatRfc3339(now)},
                                {"ends_at", FormatRfc3339(now + 7LL * 86400000)}}));
  RETURN_IF_ERROR(activity(Json{{"type", "bargain"}, {"sku_id", IdString(sku_ids[4])}, {"floor_price_fen", 990}, {"helps_needed", 5},
                                {"ttl_s", 86400}}));
  promo::CouponInput shop_coupon;
  shop_coupon.title = "满100减10";
  shop_coupon.kind = "threshold";
  shop_coupon.amount_fen = 1000;
  shop_coupon.min_spend_fen = 10000;
  shop_coupon.total_quota = 500;
  shop_coupon.per_user_limit = 1;
  shop_coupon.scope = Json{{"type", "merchant"}};
  shop_coupon.valid_days = 30;
  RETURN_IF_ERROR(store.Execute([&](Tx& tx) { return ToStatus(promo.CreateCoupon(tx, merchant_ids[0], shop_coupon)); }));
  promo::CouponInput platform_coupon = shop_coupon;
  platform_coupon.title = "平台新人券 5 元";
  platform_coupon.kind = "fixed";
  platform_coupon.amount_fen = 500;
  platform_coupon.min_spend_fen = 3000;
  platform_coupon.total_quota = 10000;
  platform_coupon.scope = Json{{"type", "platform"}};
  RETURN_IF_ERROR(store.Execute([&](Tx& tx) { return ToStatus(promo.CreateCoupon(tx, std::nullopt, platform_coupon)); }));

  // Buyers, friends, store credit.
  const char* names[] = {"小明", "小红", "阿强", "丽丽", "大伟", "娜娜", "浩然", "思思", "老周", "晓雯"};
  std::vector<int64_t> buyers;
  for (int i = 1; i <= 10; ++i) {
    char phone[16];
    std::snprintf(phone, sizeof phone, "137%08d", i);
    ASSIGN_OR_RETURN(int64_t id, MakeUser(app, phone, "demo123", names[i - 1]));
    buyers.push_back(id);
  }
  for (int i = 0; i < 10; ++i) {
    for (int d : {1, 2, 5}) {
      char phone[16];
      std::snprintf(phone, sizeof phone, "137%08d", (i + d) % 10 + 1);
      int64_t from = buyers[i];
      RETURN_IF_ERROR(store.Execute([&](Tx& tx) -> Status {
        auto r = account::RequestFriend(tx, from, phone);
        if (!r && r.error().code == ErrorCode::ALREADY_EXISTS) return Ok();
        return ToStatus(r);
      }));
    }
  }
  for (int64_t b : buyers)
    RETURN_IF_ERROR(store.Execute([&](Tx& tx) { return ToStatus(pay::IssueCard(tx, b, 20000, "新人礼包", admin_id)); }));

  // Past orders through the real flows: checkout, pay (provider, or store credit), ship,
  // deliver, confirm; one refund after-sales.
  account::Address addr{0, "收件人", "13700000000", "上海市 浦东新区", "世纪大道 100 号"};
  int order_no = 0;
  for (int64_t buyer : buyers) {
    for (int k = 0; k < 4; ++k, ++order_no) {
      trade::CheckoutRequest req;
      req.address = addr;
      req.items.push_back({sku_ids[rng() % sku_ids.size()], 1 + static_cast<int64_t>(rng() % 2)});
      ASSIGN_OR_RETURN(auto orders, store.ExecuteFor<std::vector<trade::Order>>([&](Tx& tx) { return trade.Checkout(tx, buyer, req); }));
      trade::Order o = orders[0];
      if (k == 3) continue;  // left unpaid: the unpaid timer will cancel it
      int64_t card = (order_no % 3 == 0) ? std::min<int64_t>(o.total_fen, 5000) : 0;
      ASSIGN_OR_RETURN(pay::Payment pm, store.ExecuteFor<pay::Payment>([&](Tx& tx) { return trade.Pay(tx, buyer, o.id, card); }));
      if (!pm.prepay_id.empty()) {
        RETURN_IF_ERROR(store.Execute([&](Tx& tx) -> Status {
          RETURN_IF_ERROR(app.sandbox().Complete(tx, pm.prepay_id, true));
          return ToStatus(trade.QueryPayment(tx, pm.id));
        }));
      }
      if (k == 2 && order_no % 2 == 0) {
        RETURN_IF_ERROR(store.Execute([&](Tx& tx) -> Status {
          return ToStatus(trade.RequestAftersale(tx, buyer, o.id, {.type = "refund_only", .amount_fen = o.total_fen, .reason = "拍错了"}));
        }));
        continue;
      }
      if (k == 0 || k == 1) {
        RETURN_IF_ERROR(store.Execute([&](Tx& tx) -> Status {
          return ToStatus(logistics::Ship(tx, trade, o.merchant_id, o.id, "顺丰速运", "SF" + std::to_string(100000000 + order_no)));
        }));
      }
      if (k == 0) {
        RETURN_IF_ERROR(store.Execute([&](Tx& tx) -> Status {
          RETURN_IF_ERROR(logistics::Track(tx, trade, o.merchant_id, o.id, "已签收", true));
          return trade.Confirm(tx, o.id, buyer);
        }));
      }
    }
  }
  return Ok();
}

}  // namespace xd
