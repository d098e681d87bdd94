// Fuzz target: the pricing pipeline over the demo world (products of every kind, a group
// buy, a flash sale, a bargain, a shop and a platform coupon). The input chooses SKUs,
// quantities, an activity and coupons; the checkout is priced (preview). Properties: every
// step's subtotal is the previous one plus its amount; no subtotal is negative; the last
// step is the total; discounts never raise the price and shipping never lowers it; a
// refusal is a rule error, never INTERNAL.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>

#include "account/account.h"
#include "app/app.h"
#include "base/log.h"

namespace {

struct World {
  std::unique_ptr<xd::App> app;
  xd::FakeClock clock;
  std::vector<int64_t> skus, activities, user_coupons;
  int64_t buyer = 0;
};

World& TheWorld() {
  static World* w = [] {
    auto* world = new World();
    xd::SetLogLevel("off");
    static char dir[] = "/tmp/xd_pricing_fuzz_XXXXXX";
    if (!mkdtemp(dir)) std::abort();
    std::atexit([] { std::filesystem::remove_all(dir); });  // the store is disposable
    xd::AppOptions o;
    o.db_path = std::string(dir) + "/db";
    o.background = false;
    o.hasher.cost = xd::account::HashCost::kFast;
    auto app = xd::App::Create(o, world->clock);
    if (!app || !(*app)->EnsureAdmin("13800000000", "admin123") || !xd::SeedDemoData(**app)) std::abort();
    world->app = std::move(*app);
    auto& store = world->app->store();
    auto ids = [&](const char* sql) {
      std::vector<int64_t> out;
      auto rows = store.Read([&](xd::Reader& r) { return r.Query(sql); });
      for (auto& row : *rows) out.push_back(row.Int(0));
      return out;
    };
    world->skus = ids("SELECT id FROM skus ORDER BY id LIMIT 400");
    world->activities = ids("SELECT id FROM activities ORDER BY id");
    world->buyer = ids("SELECT id FROM users WHERE phone='13700000001'").at(0);
    for (int64_t coupon : ids("SELECT id FROM coupons ORDER BY id")) {
      auto uc = store.ExecuteFor<xd::promo::UserCoupon>(
          [&](xd::Tx& tx) { return world->app->promo().ClaimCoupon(tx, world->buyer, coupon); });
      if (uc) world->user_coupons.push_back(uc->id);
    }
    return world;
  }();
  return *w;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  World& w = TheWorld();
  if (size < 4) return 0;
  size_t at = 0;
  auto next = [&]() -> uint8_t { return at < size ? data[at++] : 0; };
  xd::trade::CheckoutRequest req;
  req.address = xd::account::Address{0, "张三", "13800000000", "上海", "世纪大道"};
  int lines = 1 + next() % 3;
  for (int i = 0; i < lines; ++i) {
    uint16_t pick = static_cast<uint16_t>(next() << 8 | next());
    req.items.push_back({w.skus[pick % w.skus.size()], 1 + next() % 5});
  }
  uint8_t extra = next();
  if ((extra & 1) && !w.activities.empty()) {
    req.activity = xd::Json{{"id", xd::IdString(w.activities[next() % w.activities.size()])}};
  }
  for (size_t c = 0; c < w.user_coupons.size(); ++c)
    if (extra & (2 << c)) req.coupon_ids.push_back(w.user_coupons[c]);
  auto priced = w.app->store().Read([&](xd::Reader& r) { return w.app->trade().Preview(r, w.buyer, req); });
  if (!priced) {
    if (priced.error().code == xd::ErrorCode::INTERNAL) __builtin_trap();
    return 0;
  }
  for (auto& order : (*priced)["orders"]) {
    const auto& steps = order["pricing"];
    if (steps.empty() || steps.front()["step"] != "list" || steps.back()["step"] != "total") __builtin_trap();
    int64_t running = 0;
    for (auto& s : steps) {
      int64_t amount = s["amount_fen"], subtotal = s["subtotal_fen"];
      if (subtotal != running + amount || subtotal < 0) __builtin_trap();
      std::string step = s["step"];
      if (step == "shipping" && amount < 0) __builtin_trap();
      if (step != "list" && step != "shipping" && amount > 0) __builtin_trap();
      running = subtotal;
    }
    if (order["total_fen"].get<int64_t>() != running) __builtin_trap();
  }
  return 0;
}
