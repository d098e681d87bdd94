// Ingestion (insight.h, stage 1): server events from the outbox through Insight::Feed (an
// OutboxConsumer), client events from POST /events, and the background thread that runs
// ingestion and projection rounds. The few reads of the trading store (a product's merchant
// and category, an order's attribution, whether its buyer is the shop's own) are
// backend-neutral.
#include "insight/insight.h"
#include "insight/internal/buyer_days.h"
#include "insight/internal/common.h"
#include "insight/internal/copurchase.h"

#include <algorithm>
#include <bit>
#include <map>
#include <optional>
#include <set>

#include "base/clock.h"
#include "base/log.h"
#include "base/messages.h"
#include "base/thread_name.h"

namespace xd::insight {

using internal::JsonId;
using internal::JsonInt;
using internal::JsonStr;
using internal::kIngestCursor;

namespace {

// The client event types the shop sends; anything else is refused (that event only).
const std::set<std::string>& ClientTypes() {
  static const std::set<std::string> types{"impression", "view",        "click",
                                           "share",      "add_to_cart", "search"};
  return types;
}
// Where a client says it came from (traffic sources); anything else becomes "".
const std::set<std::string>& Sources() {
  static const std::set<std::string> sources{"search", "feed", "share", "chat_group", "live",
                                             "leader", "qr",   "store", "direct"};
  return sources;
}
// The outbox events that are interactions; the rest (a product edited, a key created) are not.
const std::set<std::string>& ServerTypes() {
  static const std::set<std::string> types{
      "user.registered",      "cart.added",      "order.created",       "order.paid",
      "order.cancelled",      "order.completed", "order.refunded",      "refund.succeeded",
      "share.created",        "share.opened",    "commission.paid",     "member.card_claimed",
      "member.points_posted", "coupon.claimed",  "product.recommended", "group.opened",
      "group.succeeded",      "group.failed",    "gift.sent",           "gift.accepted",
      "live.view",            "live.like",       "live.comment"};
  return types;
}

bool IdChars(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '-' || ch == '_';
  });
}

// One row of the log, before it is written.
struct LogRow {
  std::string source_key, type;
  int64_t user_id = 0;
  std::string device_id;
  int64_t merchant_id = 0, product_id = 0, order_id = 0, amount_fen = 0;
  std::string category, channel;
  int64_t occurred_at_ms = 0, received_at_ms = 0;
  Json data = Json::object();
};

// The log's INSERT for `n` rows at once (n a power of two up to kLogInsertRows): a batch of 100
// client events is three statements (64 + 32 + 4) instead of a hundred statement lookups, binds,
// steps and resets, and the statement cache holds at most seven texts of it (about 4% less
// server CPU per client event: bench/README, issue 19).
constexpr size_t kLogInsertRows = 64;  // 13 parameters a row: 832, far below either backend's limit
const std::string& LogInsert(size_t n) {
  static const std::vector<std::string> texts = [] {
    std::vector<std::string> out;
    for (size_t rows = 1; rows <= kLogInsertRows; rows *= 2) {
      std::string sql =
          "INSERT INTO log(source_key, type, user_id, device_id, merchant_id, product_id, "
          "order_id, amount_fen, category, channel, occurred_at_ms, received_at_ms, data) VALUES";
      for (size_t i = 0; i < rows; ++i) sql += i ? ",(?,?,?,?,?,?,?,?,?,?,?,?,?)" : "(?,?,?,?,?,?,?,?,?,?,?,?,?)";
      sql += " ON CONFLICT(source_key) DO NOTHING";
      out.push_back(std::move(sql));
    }
    return out;
  }();
  return texts[static_cast<size_t>(std::countr_zero(n))];
}

// Inserts rows that are not there yet; how many were new.
Result<int> WriteLog(Tx& tx, const std::vector<LogRow>& rows) {
  int added = 0;
  std::vector<Param> params;
  std::vector<std::string> data;  // the params borrow these texts
  for (size_t at = 0; at < rows.size();) {
    size_t n = kLogInsertRows;
    while (n > rows.size() - at) n /= 2;
    params.clear();
    params.reserve(n * 13);
    data.clear();
    data.reserve(n);
    for (size_t i = at; i < at + n; ++i) {
      const LogRow& row = rows[i];
      data.push_back(DumpJson(row.data));
      params.insert(params.end(),
                    {row.source_key, row.type, row.user_id, row.device_id, row.merchant_id,
                     row.product_id, row.order_id, row.amount_fen, row.category, row.channel,
                     row.occurred_at_ms, row.received_at_ms, data.back()});
    }
    ASSIGN_OR_RETURN(int64_t inserted, tx.Exec(LogInsert(n), params));
    added += static_cast<int>(inserted);
    at += n;
  }
  return added;
}

struct ProductInfo {
  int64_t merchant_id = 0;
  std::string category;
};
// Products' merchants and categories from the trading store (one query).
Result<std::map<int64_t, ProductInfo>> LoadProducts(Reader& r, const std::set<int64_t>& ids) {
  std::map<int64_t, ProductInfo> out;
  if (ids.empty()) return out;
  std::vector<int64_t> list(ids.begin(), ids.end());
  ASSIGN_OR_RETURN(Rows rows,
                   r.Query("SELECT id, merchant_id, category FROM products WHERE id IN " +
                               r.dialect().IdsIn("?"),
                           {IdListParam(list)}));
  for (const Row& row : rows) out[row.Int(0)] = ProductInfo{row.Int(1), row.Str(2)};
  return out;
}

// Where a paid order came from: what its activity says, else the attribution checkout made
// (a sharer's link, a chat group), else "direct".
std::string ChannelOf(const Json& order, const std::set<int64_t>& shared,
                      const std::set<int64_t>& chat, int64_t order_id) {
  const Json* activity =
      order.is_object() && order.contains("activity") ? &order["activity"] : nullptr;
  if (activity && activity->is_object()) {
    if (activity->contains("community")) return "community";
    if (activity->contains("gift")) return "gift";
    if (activity->contains("group_id")) return "group_buy";
    if (activity->contains("bargain_id")) return "bargain";
  }
  if (chat.count(order_id)) return "chat_group";
  if (shared.count(order_id)) return "share";
  return "direct";
}

}  // namespace

// ---- stage 1: server events from the outbox ----

class Insight::Feed final : public OutboxConsumer {
 public:
  explicit Feed(Store& analytics) : analytics_(analytics) {}
  std::string_view name() const override { return kIngestCursor; }
  // Only the interactions: the rest (payments, ledger and stock movements, a product edited…)
  // are skipped in SQL, their payloads never parsed (decision 038: most of a paid order's
  // outbox events are not interactions, and parsing them was most of this consumer's CPU).
  std::vector<std::string> EventTypes() const override {
    return std::vector<std::string>(ServerTypes().begin(), ServerTypes().end());
  }
  // The order snapshots' members no log row takes (decision 039): dropped while parsing, at any
  // depth of any event this consumer reads — none of these names is read above or below.
  PayloadRead Payloads() const override {
    return {.skip = {"address", "pricing", "title", "image", "spec", "shipment", "sku_id",
                     "merchant_kind", "status", "sub_status", "items_fen", "discount_fen",
                     "shipping_fen", "paid_fen", "card_paid_fen", "refunded_fen", "commission_fen",
                     "payment_id", "created_at", "paid_at", "shipped_at", "delivered_at",
                     "completed_at", "cancelled_at"}};
  }

  // Maps the batch to log rows (reading what the payloads do not say from the same trading
  // snapshot) and writes them to the analytics store before the runner moves the cursor.
  Result<Command> Prepare(Reader& r, const std::vector<Store::Event>& events) override {
    std::set<int64_t> product_ids, order_ids, pos_ids;
    std::set<std::pair<int64_t, int64_t>> merchant_buyers;  // of the paid orders
    for (const Store::Event& e : events) {
      if (!ServerTypes().count(e.head.type)) continue;
      const Json& p = e.payload;
      if (int64_t id = JsonId(p, "product_id")) product_ids.insert(id);
      if (p.contains("order") && p["order"].is_object() && p["order"].contains("items"))
        for (const Json& it : p["order"]["items"]) product_ids.insert(JsonId(it, "product_id"));
      if (e.head.type == "order.paid") {
        order_ids.insert(e.head.aggregate_id);
        if (p.contains("order")) merchant_buyers.emplace(JsonId(p, "merchant_id"), JsonId(p["order"], "buyer_id"));
      }
      if (e.head.type == "member.points_posted" && JsonStr(p, "kind") == "pos_purchase")
        pos_ids.insert(JsonId(p, "ref_id"));
    }
    ASSIGN_OR_RETURN(auto products, LoadProducts(r, product_ids));
    // A paid order of the shop's owner or staff is marked (data.self): it pairs no products
    // (co_purchases, decision 040), decided here so that a replay of the log decides the same.
    ASSIGN_OR_RETURN(auto self, internal::SelfPurchases(r, merchant_buyers));
    // A paid order of a buyer holding the shop's member card by then is marked (data.member: the
    // breakdowns' members vs non-members, decision 042).
    ASSIGN_OR_RETURN(auto cards, internal::CardsClaimed(r, merchant_buyers));
    std::set<int64_t> shared, chat;
    std::map<int64_t, int64_t> pos_amounts;
    if (!order_ids.empty()) {
      const std::string ids = IdListParam(std::vector<int64_t>(order_ids.begin(), order_ids.end()));
      ASSIGN_OR_RETURN(
          Rows s, r.Query("SELECT DISTINCT order_id FROM order_commissions WHERE order_id IN " +
                              r.dialect().IdsIn("?"),
                          {ids}));
      for (const Row& row : s) shared.insert(row.Int(0));
      ASSIGN_OR_RETURN(Rows c, r.Query("SELECT order_id FROM chat_group_orders WHERE order_id IN " +
                                           r.dialect().IdsIn("?"),
                                       {ids}));
      for (const Row& row : c) chat.insert(row.Int(0));
    }
    if (!pos_ids.empty()) {
      ASSIGN_OR_RETURN(
          Rows rows, r.Query("SELECT id, amount_fen FROM member_pos_purchases WHERE id IN " +
                                 r.dialect().IdsIn("?"),
                             {IdListParam(std::vector<int64_t>(pos_ids.begin(), pos_ids.end()))}));
      for (const Row& row : rows) pos_amounts[row.Int(0)] = row.Int(1);
    }
    const int64_t now = r.clock().NowMs();
    std::vector<LogRow> rows;
    for (const Store::Event& e : events) {
      if (!ServerTypes().count(e.head.type)) continue;
      const Json& p = e.payload;
      LogRow row;
      row.source_key = "o:" + std::to_string(e.seq);
      row.type = e.head.type;
      row.merchant_id = e.head.merchant_id;
      row.occurred_at_ms = e.occurred_at_ms;
      row.received_at_ms = now;
      row.user_id = e.actor.kind == Actor::Kind::kUser ? e.actor.id : 0;
      const std::string& t = e.head.type;
      if (t.rfind("order.", 0) == 0 || t == "refund.succeeded") {
        static const Json kNoOrder = Json::object();
        const Json& order = p.contains("order") ? p["order"] : kNoOrder;
        row.order_id = JsonId(p, "order_id");
        row.user_id = JsonId(order, "buyer_id");
        row.merchant_id = JsonId(p, "merchant_id");
        row.amount_fen =
            t == "refund.succeeded" ? JsonInt(p, "amount_fen") : JsonInt(p, "total_fen");
        Json items = Json::array();
        if (order.contains("items"))
          for (const Json& it : order["items"]) {
            int64_t pid = JsonId(it, "product_id");
            auto found = products.find(pid);
            items.push_back({{"product_id", pid},
                             {"category", found == products.end() ? "" : found->second.category},
                             {"quantity", JsonInt(it, "quantity")},
                             {"line_fen", JsonInt(it, "line_fen")}});
          }
        if (t == "order.paid" || t == "order.created") row.data["items"] = std::move(items);
        if (t == "order.paid") {
          row.channel = ChannelOf(order, shared, chat, row.order_id);
          if (self.count({row.merchant_id, row.user_id})) row.data["self"] = true;
          auto card = cards.find({row.merchant_id, row.user_id});
          if (card != cards.end() && card->second <= row.occurred_at_ms) row.data["member"] = true;
        }
      } else if (t == "cart.added") {
        row.user_id = JsonId(p, "user_id");
        row.product_id = JsonId(p, "product_id");
        row.amount_fen = JsonInt(p, "unit_price_fen") * JsonInt(p, "quantity");
      } else if (t == "share.created" || t == "share.opened") {
        row.product_id = JsonId(p, "product_id");
        row.user_id = t == "share.created" ? JsonId(p, "sharer_id") : JsonId(p, "viewer_id");
        row.data["sharer_id"] = JsonId(p, "sharer_id");
      } else if (t == "commission.paid") {
        row.user_id = JsonId(p, "sharer_id");
        row.order_id = JsonId(p, "order_id");
        row.product_id = JsonId(p, "product_id");
        row.amount_fen = JsonInt(p, "amount_fen");
      } else if (t == "member.points_posted" || t == "member.card_claimed") {
        row.user_id = JsonId(p, "user_id");
        row.data["kind"] = JsonStr(p, "kind");
        row.data["level_after"] = JsonInt(p, "level_after");
        if (JsonStr(p, "kind") == "pos_purchase") {
          row.type = "offline.purchase";
          auto found = pos_amounts.find(JsonId(p, "ref_id"));
          row.amount_fen = found == pos_amounts.end() ? 0 : found->second;
        }
      } else if (t == "live.view" || t == "live.like" || t == "live.comment") {
        // A live room's viewer (a signed-in user, or an anonymous device for a view); the room in
        // data for the per-room traffic, a like's taps in data.count.
        row.user_id = JsonId(p, "user_id");
        row.device_id = JsonStr(p, "device_id");
        row.channel = "live";
        row.data["room_id"] = IdString(JsonId(p, "room_id"));  // a string, as client events'
        if (t == "live.like") row.data["count"] = JsonInt(p, "count");
        if (t == "live.comment") row.data["comment_id"] = IdString(JsonId(p, "comment_id"));
      } else if (t == "user.registered") {
        row.user_id = e.head.aggregate_id;
      } else if (int64_t pid = JsonId(p, "product_id")) {
        row.product_id = pid;
      }
      if (row.product_id) {
        auto found = products.find(row.product_id);
        if (found != products.end()) {
          row.category = found->second.category;
          if (row.merchant_id == 0) row.merchant_id = found->second.merchant_id;
        }
      }
      rows.push_back(std::move(row));
    }
    if (!rows.empty()) {
      // Idempotent by source_key: written again after a crash before the cursor moved, or by a
      // runner that then finds the cursor moved, it adds nothing.
      RETURN_IF_ERROR(
          analytics_.Execute([&](Tx& tx) -> Status { return ToStatus(WriteLog(tx, rows)); }));
    }
    return Command();  // nothing to write in the trading store beyond the cursor
  }

 private:
  Store& analytics_;
};

Insight::Insight(Store& trading, Store& analytics)
    : trading_(trading),
      analytics_(analytics),
      feed_(std::make_unique<Feed>(analytics)),
      runner_(std::make_unique<ConsumerRunner>(trading, *feed_, config::kIngestBatch)),
      ranking_(std::make_unique<RankingTrainer>(trading, analytics)) {}

Insight::~Insight() { Stop(); }

void Insight::Start(int poll_ms) {
  std::lock_guard lock(mu_);
  if (running_) return;
  running_ = true;
  thread_ = std::thread([this, poll_ms] {
    SetThreadName("xd-insight");
    // The ranking model trained before a restart ranks until the next training.
    if (auto loaded = ranking_->Load(); !loaded)
      spdlog::warn("event=ranking_model_load_failed error=\"{}\"", loaded.error().message);
    for (;;) {
      {
        std::lock_guard l(mu_);
        if (!running_) return;
      }
      auto in = IngestOutboxOnce();
      if (!in && in.error().code != ErrorCode::CONFLICT)
        spdlog::warn("event=insight_ingest_failed error=\"{}\"", in.error().message);
      auto out = ProjectOnce();
      if (!out) spdlog::warn("event=insight_project_failed error=\"{}\"", out.error().message);
      // Straight on only while behind (a full batch): a round's cost is mostly per round (the
      // outbox read, two analytics commits, the cursor's trading write) and its upserts are per
      // key, so under a steady trickle of orders rounds every poll_ms gather many events each
      // instead of one or two (decision 038). BI lags by up to poll_ms more.
      if ((in && *in >= config::kIngestBatch) || (out && *out >= config::kProjectBatch)) continue;
      if ((in && *in > 0) || (out && *out > 0)) {
        std::unique_lock l(mu_);
        cv_.wait_for(l, std::chrono::milliseconds(poll_ms), [this] { return !running_; });
        continue;
      }
      // Caught up: retrain the ranking model when its period has passed (a few seconds at most
      // for ranking_config::kMaxScanRows rows; ingestion waits meanwhile, nothing is lost).
      auto trained = ranking_->MaybeTrain();
      if (!trained) spdlog::warn("event=ranking_train_failed error=\"{}\"", trained.error().message);
      std::unique_lock l(mu_);
      cv_.wait_for(l, std::chrono::milliseconds(poll_ms), [this] { return !running_; });
    }
  });
}

void Insight::Stop() {
  {
    std::lock_guard lock(mu_);
    if (!running_) return;
    running_ = false;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Result<int> Insight::IngestOutboxOnce() { return runner_->RunOnce(); }

// ---- client events ----

Status Insight::CheckClientBatch(const Json& body) const {
  if (!body.is_object()) return Fail(Msg::INVALID_JSON);
  if (!body.contains("events") || !body["events"].is_array())
    return Fail(Msg::FIELD_REQUIRED, {Field("events")});
  if (body["events"].size() > static_cast<size_t>(config::kMaxClientEvents))
    return Fail(Msg::PAYLOAD_TOO_LARGE);
  for (auto& [key, value] : body.items()) {
    if (key != "events" && key != "device_id") return Fail(Msg::FIELD_UNKNOWN, {Field(key)});
  }
  if (body.contains("device_id")) {
    const Json& d = body["device_id"];
    if (!d.is_string() || d.get<std::string>().empty() ||
        d.get<std::string>().size() > config::kMaxClientIdLen || !IdChars(d.get<std::string>()))
      return Fail(Msg::FIELD_INVALID, {Field("device_id")});
  }
  return Ok();
}

void Insight::IngestClientEvents(const ClientSource& source, const Json& body,
                                 std::function<void(Result<IngestReport>)> done) {
  IngestReport report;
  const int64_t now = analytics_.clock().NowMs();
  std::string device = source.device_id;
  if (device.empty() && source.user_id == 0) {
    done(Fail(Msg::FIELD_REQUIRED, {Field("device_id")}));
    return;
  }
  const std::string who = device.empty() ? "u" + std::to_string(source.user_id) : device;
  std::vector<LogRow> rows;
  std::set<int64_t> product_ids, room_ids;
  const Json& events = body["events"];
  for (size_t i = 0; i < events.size(); ++i) {
    const Json& e = events[i];
    auto refuse = [&](const std::string& field) {
      report.rejected.push_back(
          {{"index", static_cast<int64_t>(i)}, {"code", "INVALID_FIELD"}, {"field", field}});
    };
    if (!e.is_object()) {
      refuse("");
      continue;
    }
    LogRow row;
    std::string bad;
    for (auto& [key, value] : e.items()) {
      // Read in place: a batch is up to 100 events of up to 10 fields each.
      const std::string* text = value.get_ptr<const std::string*>();
      const int64_t* number = value.get_ptr<const int64_t*>();
      const uint64_t* unsigned_number = value.get_ptr<const uint64_t*>();
      std::optional<int64_t> integer;
      if (number) integer = *number;
      else if (unsigned_number && *unsigned_number <= uint64_t{INT64_MAX})
        integer = static_cast<int64_t>(*unsigned_number);
      auto id_text = [&] {
        return text && !text->empty() && text->size() <= config::kMaxClientIdLen && IdChars(*text);
      };
      if (key == "id" && id_text()) {
        row.source_key.reserve(3 + who.size() + text->size());
        row.source_key.append("c:").append(who).append(":").append(*text);
      } else if (key == "type" && text && ClientTypes().count(*text)) {
        row.type = *text;
      } else if (key == "product_id" && text && ParseId(*text)) {
        row.product_id = *ParseId(*text);
      } else if (key == "at_ms" && integer) {
        row.occurred_at_ms = std::clamp<int64_t>(*integer, now - config::kMaxClientPastMs, now);
      } else if (key == "source" && text && text->size() <= 20) {
        row.channel = Sources().count(*text) ? *text : "";
      } else if (key == "query" && text && text->size() <= config::kMaxQueryLen) {
        row.data["query"] = value;
      } else if (key == "result_count" && integer && *integer >= 0 && *integer <= 1'000'000) {
        row.data["result_count"] = value;
      } else if (key == "feed_id" && id_text()) {
        row.data["feed_id"] = value;  // the feed request that showed it (GET /feed's feed_id)
      } else if (key == "feed_source" && text && text->size() <= 20 && IdChars(*text)) {
        row.data["feed_source"] = value;  // the candidate source (feed/rank.h SourceName)
      } else if (key == "room_id" && text && ParseId(*text)) {
        // A live room's card (GET /feed): it counts for the room's merchant, looked up below.
        row.data["room_id"] = value;
        room_ids.insert(*ParseId(*text));
      } else if (key == "position" && integer && *integer >= 0 && *integer <= 10'000) {
        row.data["position"] = value;
      } else if (bad.empty()) {
        bad = key;
      }
    }
    if (bad.empty() && row.source_key.empty()) bad = "id";
    if (bad.empty() && row.type.empty()) bad = "type";
    if (!bad.empty()) {
      refuse(bad);
      continue;
    }
    if (row.occurred_at_ms == 0) row.occurred_at_ms = now;
    row.user_id = source.user_id;
    row.device_id = device;
    row.received_at_ms = now;
    if (row.product_id) product_ids.insert(row.product_id);
    rows.push_back(std::move(row));
  }
  // The merchant is the product's (else the live room's), never what a client says: another
  // shop's product viewed counts for that shop's page, and an unknown product for nobody.
  std::map<int64_t, int64_t> room_merchants;
  auto products = trading_.Read([&](Reader& r) -> Result<std::map<int64_t, ProductInfo>> {
    if (!room_ids.empty()) {
      ASSIGN_OR_RETURN(Rows rooms, r.Query("SELECT id, merchant_id FROM live_rooms WHERE id IN " +
                                               r.dialect().IdsIn("?"),
                                           {IdListParam(std::vector<int64_t>(room_ids.begin(),
                                                                             room_ids.end()))}));
      for (const Row& room : rooms) room_merchants[room.Int(0)] = room.Int(1);
    }
    return LoadProducts(r, product_ids);
  });
  if (!products) {
    done(std::unexpected(products.error()));
    return;
  }
  for (LogRow& row : rows) {
    auto found = products->find(row.product_id);
    if (found == products->end()) {
      if (row.product_id == 0 && row.data.contains("room_id")) {
        auto room = room_merchants.find(ParseId(row.data["room_id"].get<std::string>()).value_or(0));
        if (room != room_merchants.end()) row.merchant_id = room->second;
      }
      continue;
    }
    row.merchant_id = found->second.merchant_id;
    row.category = found->second.category;
  }
  if (source.user_id > 0 && !device.empty()) {
    LogRow link;
    link.source_key = "l:" + device;  // the first sign-in on a device links it, once
    link.type = "identify";
    link.user_id = source.user_id;
    link.device_id = device;
    link.occurred_at_ms = now;
    link.received_at_ms = now;
    rows.push_back(std::move(link));
  }
  const int valid = static_cast<int>(rows.size()) - (source.user_id > 0 && !device.empty() ? 1 : 0);
  auto shared = std::make_shared<std::vector<LogRow>>(std::move(rows));
  auto added = std::make_shared<int>(0);
  analytics_.Submit(
      [shared, added](Tx& tx) -> Status {
        ASSIGN_OR_RETURN(*added, WriteLog(tx, *shared));
        return Ok();
      },
      [report = std::move(report), added, valid, link = source.user_id > 0 && !device.empty(),
       done = std::move(done)](Status s) mutable {
        if (!s) {
          done(std::unexpected(s.error()));
          return;
        }
        // The link row counts in `added` the first time only; the events are what the caller asked
        // about.
        int events_added = *added;
        if (link && events_added > valid) events_added = valid;
        report.accepted = events_added;
        report.duplicates = valid - events_added;
        done(std::move(report));
      });
}

}  // namespace xd::insight
