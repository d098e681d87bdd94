// A seeded trading and event history at scale (demo.h, SeedHistory): orders with their lines
// and the data platform's log, written in large batches straight into the tables, then the
// projections applied by the data platform's own code (Insight::CatchUp). bench/bi.sh measures
// the BI routes and the exports on it.
//
// Rows, not flows: a checkout through the domain costs ~1 ms of the writer, so 1,000,000 orders
// would take a quarter of an hour; here an order is two or three INSERTs. What that leaves out:
// the history's orders have no payments, ledger postings, stock movements or outbox events (they
// are past: completed, refunded or cancelled, nothing open), and their log rows are written as
// the outbox consumer would have written them (insight/ingest.cc), keyed 'h:<n>'.
#include "app/demo.h"

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "base/id.h"
#include "insight/insight.h"

namespace xd {

namespace {

constexpr int64_t kIdEpochMs = 1'704'067'200'000;  // base/id.cc
// Node numbers of the history's ids (base/id.h layout: ms << 20 | node << 12 | seq), apart from
// every serving process's (a SQLite process is node 0, PostgreSQL nodes lease from 1 up).
constexpr int kOrderNode = 250, kItemNode = 251, kUserNode = 252;

int64_t HistoryId(int64_t ms, int node, int64_t seq) {
  return ((ms - kIdEpochMs) << 20) | (int64_t{node} << 12) | (seq & 4095);
}

struct Product {
  int64_t product_id, sku_id, price_fen;
  std::string category, title;
};
struct Shop {
  int64_t id;
  std::string kind;
  std::vector<Product> products;
};

struct LogRow {
  std::string type;
  int64_t user_id = 0;
  std::string device_id;
  int64_t merchant_id = 0, product_id = 0, order_id = 0, amount_fen = 0;
  std::string category, channel;
  int64_t at_ms = 0;
  std::string data = "{}";
};

}  // namespace

Status SeedHistory(App& app, const ScaleOptions& opt) {
  if (opt.history_orders <= 0) return Ok();
  Store& store = app.store();
  Store& analytics = app.analytics_store();
  ASSIGN_OR_RETURN(int64_t have, store.Read([](Reader& r) {
    return r.QueryInt("SELECT count(*) FROM orders WHERE (id >> 12) % 256 = 250");
  }));
  if (have > 0) {
    std::fprintf(stderr, "history: %" PRId64 " history orders already there, nothing added\n", have);
    return Ok();
  }
  std::vector<Shop> shops;
  RETURN_IF_ERROR(store.Read([&](Reader& r) -> Status {
    ASSIGN_OR_RETURN(Rows rows,
                     r.Query("SELECT m.id, m.kind, p.id, s.id, s.price_fen, p.category, p.title FROM "
                             "merchants m JOIN products p ON p.merchant_id = m.id JOIN skus s ON "
                             "s.product_id = p.id WHERE p.status='on_sale' AND m.status='active' "
                             "ORDER BY m.id, p.id, s.id"));
    for (const Row& row : rows) {
      if (shops.empty() || shops.back().id != row.Int(0)) shops.push_back({row.Int(0), row.Str(1), {}});
      shops.back().products.push_back({row.Int(2), row.Int(3), row.Int(4), row.Str(5), row.Str(6)});
    }
    return Ok();
  }));
  if (shops.empty()) return Fail(ErrorCode::INTERNAL, "history needs merchants with products (--scale)");
  // The head is the first shop in id order: the demo's own 小王的咖啡铺 (owner 13900000001).
  const size_t head = 0;

  std::mt19937_64 rng(opt.seed);
  auto uniform = [&](int64_t n) { return static_cast<int64_t>(rng() % static_cast<uint64_t>(n)); };
  auto chance = [&](double p) { return std::uniform_real_distribution<double>(0, 1)(rng) < p; };
  std::vector<double> weights;
  for (size_t k = 0; k < shops.size(); ++k) weights.push_back(1.0 / static_cast<double>(k + 1));
  weights[head] = 0;  // the head's share is its own
  std::discrete_distribution<size_t> zipf(weights.begin(), weights.end());
  auto pick_shop = [&]() -> const Shop& { return chance(opt.head_share) ? shops[head] : shops[zipf(rng)]; };

  const int64_t now = store.clock().NowMs();
  const int64_t start = now - opt.history_days * 24 * 3600 * 1000;
  const int64_t end = now - 3600 * 1000;  // everything settled an hour ago

  // Buyers: plain rows (one shared password hash; they never sign in in the bench).
  const int64_t buyers_n = opt.history_buyers > 0 ? opt.history_buyers : std::max<int64_t>(opt.history_orders / 10, 1);
  std::vector<int64_t> buyers;
  buyers.reserve(static_cast<size_t>(buyers_n));
  for (int64_t b = 0; b < buyers_n; b += 10'000) {
    const int64_t stop = std::min(buyers_n, b + 10'000);
    RETURN_IF_ERROR(store.Execute([&](Tx& tx) -> Status {
      for (int64_t n = b; n < stop; ++n) {
        const int64_t at = start - 24 * 3600 * 1000 + n;
        const int64_t id = HistoryId(at, kUserNode, n);
        char phone[32];
        std::snprintf(phone, sizeof phone, "147%08" PRId64, n + 1);
        RETURN_IF_ERROR(tx.Run("INSERT INTO users(id, phone, password_hash, nickname, created_at_ms) VALUES(?,?,?,?,?)",
                               {id, std::string(phone), std::string("!history"), "买家H" + std::to_string(n + 1), at}));
        buyers.push_back(id);
      }
      return Ok();
    }));
  }
  std::fprintf(stderr, "history: %" PRId64 " buyers\n", buyers_n);

  // Order times, sorted: ids then follow creation time as real ones do (the orders export pages
  // by id).
  std::vector<int64_t> times(static_cast<size_t>(opt.history_orders));
  for (auto& t : times) t = start + uniform(end - start);
  std::sort(times.begin(), times.end());

  const int64_t order_events_guess = opt.history_orders * 3;
  const double filler_per_order =
      std::max(0.0, static_cast<double>(opt.history_events - order_events_guess) / static_cast<double>(opt.history_orders));
  const std::string address = R"({"name":"收件人","phone":"13700000000","region":"上海市 浦东新区","detail":"世纪大道 100 号"})";
  const char* channels[] = {"direct", "share", "chat_group", "group_buy", "community"};
  const double channel_p[] = {0.80, 0.08, 0.05, 0.04, 0.03};

  int64_t log_seq = 0, events_written = 0, item_seq = 0;
  std::vector<LogRow> log;
  auto flush_log = [&]() -> Status {
    if (log.empty()) return Ok();
    RETURN_IF_ERROR(analytics.Execute([&](Tx& tx) -> Status {
      for (const LogRow& e : log) {
        char key[24];
        std::snprintf(key, sizeof key, "h:%012" PRId64, ++log_seq);
        RETURN_IF_ERROR(tx.Run("INSERT INTO log(source_key, type, user_id, device_id, merchant_id, product_id, order_id, "
                               "amount_fen, category, channel, occurred_at_ms, received_at_ms, data) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)",
                               {std::string(key), e.type, e.user_id, e.device_id, e.merchant_id, e.product_id, e.order_id,
                                e.amount_fen, e.category, e.channel, e.at_ms, e.at_ms, e.data}));
      }
      return Ok();
    }));
    events_written += static_cast<int64_t>(log.size());
    log.clear();
    return Ok();
  };

  constexpr int64_t kOrdersPerTx = 5'000;
  double filler_due = 0;
  for (int64_t i0 = 0; i0 < opt.history_orders; i0 += kOrdersPerTx) {
    const int64_t stop = std::min(opt.history_orders, i0 + kOrdersPerTx);
    RETURN_IF_ERROR(store.Execute([&](Tx& tx) -> Status {
      for (int64_t i = i0; i < stop; ++i) {
        const int64_t created = times[static_cast<size_t>(i)];
        const int64_t order_id = HistoryId(created, kOrderNode, i);
        const Shop& shop = pick_shop();
        const int64_t buyer = buyers[static_cast<size_t>(uniform(buyers_n))];
        const int lines = chance(0.3) ? 2 : 1;
        int64_t items_fen = 0;
        std::string items = "[";
        for (int l = 0; l < lines; ++l) {
          const Product& p = shop.products[static_cast<size_t>(uniform(static_cast<int64_t>(shop.products.size())))];
          const int64_t qty = chance(0.2) ? 2 : 1, line = p.price_fen * qty;
          items_fen += line;
          RETURN_IF_ERROR(tx.Run("INSERT INTO order_items(id, order_id, merchant_id, sku_id, product_id, title, spec, image, "
                                 "unit_price_fen, quantity, line_fen) VALUES(?,?,?,?,?,?,?,?,?,?,?)",
                                 {HistoryId(created, kItemNode, item_seq++), order_id, shop.id, p.sku_id, p.product_id, p.title,
                                  std::string(R"({"规格":"标准"})"), std::string(), p.price_fen, qty, line}));
          if (l) items += ",";
          items += R"({"product_id":)" + std::to_string(p.product_id) + R"(,"category":")" + p.category +
                   R"(","quantity":)" + std::to_string(qty) + R"(,"line_fen":)" + std::to_string(line) + "}";
          log.push_back({"cart.added", buyer, "", shop.id, p.product_id, 0, line, p.category, "", created - 60'000 - uniform(600'000)});
        }
        items += "]";
        const std::string data = R"({"items":)" + items + "}";
        const bool cancelled = chance(0.10), refunded = !cancelled && chance(0.05);
        const int64_t paid = created + 30'000 + uniform(600'000);
        const int64_t shipped = paid + 3600'000 + uniform(24 * 3600'000LL);
        const int64_t done = std::min<int64_t>(end, shipped + 2 * 24 * 3600'000LL);
        std::string channel = "direct";
        {
          double x = std::uniform_real_distribution<double>(0, 1)(rng), acc = 0;
          for (size_t c = 0; c < std::size(channels); ++c)
            if ((acc += channel_p[c]) >= x) {
              channel = channels[c];
              break;
            }
        }
        const char* status = cancelled ? "cancelled" : refunded ? "refunded" : "completed";
        const std::string pricing = R"([{"step":"list","amount_fen":)" + std::to_string(items_fen) +
                                    R"(},{"step":"total","amount_fen":)" + std::to_string(items_fen) + "}]";
        RETURN_IF_ERROR(tx.Run(
            "INSERT INTO orders(id, buyer_id, merchant_id, merchant_kind, status, items_fen, total_fen, provider_paid_fen, "
            "refunded_fen, address, pricing, checkout_id, created_at_ms, paid_at_ms, shipped_at_ms, delivered_at_ms, "
            "completed_at_ms, cancelled_at_ms, updated_at_ms) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            {order_id, buyer, shop.id, shop.kind, std::string(status), items_fen, items_fen, cancelled ? 0 : items_fen,
             refunded ? items_fen : 0, address, pricing, order_id, created, cancelled ? Param(nullptr) : Param(paid),
             cancelled || refunded ? Param(nullptr) : Param(shipped), cancelled || refunded ? Param(nullptr) : Param(done),
             cancelled || refunded ? Param(nullptr) : Param(done), cancelled ? Param(created + 15 * 60'000) : Param(nullptr),
             cancelled ? created + 15 * 60'000 : done}));
        log.push_back({"order.created", buyer, "", shop.id, 0, order_id, items_fen, "", "", created, data});
        if (cancelled) {
          log.push_back({"order.cancelled", buyer, "", shop.id, 0, order_id, items_fen, "", "", created + 15 * 60'000});
        } else {
          log.push_back({"order.paid", buyer, "", shop.id, 0, order_id, items_fen, "", channel, paid, data});
          if (refunded) log.push_back({"refund.succeeded", buyer, "", shop.id, 0, order_id, items_fen, "", "", paid + 3600'000});
        }
        // Views and impressions around the order's time: signed-in buyers and anonymous devices.
        for (filler_due += filler_per_order; filler_due >= 1; filler_due -= 1) {
          const Shop& s = pick_shop();
          const Product& p = s.products[static_cast<size_t>(uniform(static_cast<int64_t>(s.products.size())))];
          LogRow e;
          e.type = chance(0.4) ? "view" : "impression";
          if (chance(0.7)) e.user_id = buyers[static_cast<size_t>(uniform(buyers_n))];
          else e.device_id = "h" + std::to_string(uniform(std::max<int64_t>(buyers_n * 2, 1)));
          e.merchant_id = s.id, e.product_id = p.product_id, e.category = p.category;
          e.at_ms = std::clamp<int64_t>(created - 3600'000 + uniform(2 * 3600'000LL), start, end);
          log.push_back(std::move(e));
        }
      }
      return Ok();
    }));
    RETURN_IF_ERROR(flush_log());
    if ((i0 / kOrdersPerTx) % 20 == 0)
      std::fprintf(stderr, "history: %" PRId64 " orders, %" PRId64 " events\n", stop, events_written);
  }
  std::fprintf(stderr, "history: %" PRId64 " orders, %" PRId64 " events written; projecting\n", opt.history_orders,
               events_written);
  // The projections by the data platform's own code (Insight::CatchUp), on a connection of our
  // own to the analytics file that neither syncs each 2,000-row round nor checkpoints along the
  // way (synchronous=OFF: a bulk load; the file is synced and checkpointed when it closes). With
  // the app's store, which syncs every round, the projection waited on the disk most of the time.
  {
    StoreOptions bulk_options{.path = analytics.path(), .schema = StoreSchema::kAnalytics, .readers = 1,
                              .sync_full = false, .checkpoint_pages = 20'000, .restart_pages = 200'000};
    ASSIGN_OR_RETURN(std::unique_ptr<Store> bulk, Store::Open(bulk_options, store.clock()));
    insight::Insight projector(store, *bulk);
    RETURN_IF_ERROR(projector.CatchUp());
    bulk->Close();
  }
  std::fprintf(stderr, "history: projections caught up\n");
  return Ok();
}

}  // namespace xd
