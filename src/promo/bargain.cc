// Bargain (砍一刀). A buyer starts a bargain on the activity's SKU at its list price; other
// users each help once (a UNIQUE index holds that under any race), each help cutting the
// next amount of a schedule derived from the bargain's seed: helps_needed cuts of at least
// 1 fen, largest first, summing exactly to list − floor, so the last help lands on the floor.
// The buyer may buy at the current price at any time (checkout with activity.bargain_id);
// a timer expires it. Helpers have a daily cap (calendar days in China time).
#include <algorithm>

#include "account/account.h"
#include "base/id.h"
#include "base/messages.h"
#include "base/money.h"
#include "catalog/catalog.h"
#include "promo/events.h"
#include "promo/internal/promo_internal.h"

namespace xd::promo {

namespace {

// splitmix64: a small, well-mixed, portable PRNG step; the schedule must not depend on the
// standard library's distributions (they differ between implementations).
uint64_t SplitMix(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

}  // namespace

Result<std::vector<int64_t>> BargainCuts(int64_t seed, int64_t total_fen, int64_t helps) {
  if (helps < 1 || helps > 10'000) return Fail(Msg::BARGAIN_HELPS_RANGE);
  if (total_fen < helps) return Fail(Msg::BARGAIN_CUT_TOO_SMALL);
  // Every help cuts 1 fen; the rest is split by random weights that fall steeply with the
  // help's position (and the first help gets a triple weight): early helps feel big.
  uint64_t state = static_cast<uint64_t>(seed);
  std::vector<int64_t> weights(static_cast<size_t>(helps));
  for (int64_t i = 0; i < helps; ++i) {
    int64_t rank = helps - i;
    weights[static_cast<size_t>(i)] = rank * rank * static_cast<int64_t>(700 + SplitMix(state) % 600) * (i == 0 ? 3 : 1);
  }
  ASSIGN_OR_RETURN(std::vector<Money> shares, SplitByWeights(Money::Fen(total_fen - helps), weights, 0));
  std::vector<int64_t> cuts;
  cuts.reserve(shares.size());
  for (auto& s : shares) cuts.push_back(1 + s.fen());
  // Jitter may put a later weight above an earlier one; sorting keeps the sum and makes the
  // schedule non-increasing.
  std::sort(cuts.begin(), cuts.end(), std::greater<int64_t>());
  return cuts;
}

namespace internal {

const char* const kBargainCols =
    "id, activity_id, user_id, sku_id, list_price_fen, floor_price_fen, current_price_fen, helps_needed, helps_done, seed, status, "
    "order_id, expires_at_ms, created_at_ms, merchant_id";

Bargain BargainFromRow(const Row& r) {
  Bargain b;
  b.id = r.Int(0);
  b.activity_id = r.Int(1);
  b.user_id = r.Int(2);
  b.sku_id = r.Int(3);
  b.list_price_fen = r.Int(4);
  b.floor_price_fen = r.Int(5);
  b.current_price_fen = r.Int(6);
  b.helps_needed = r.Int(7);
  b.helps_done = r.Int(8);
  b.seed = r.Int(9);
  b.status = StoredStatus(ParseBargainStatus(r.Str(10)));
  b.order_id = r.OptInt(11);
  b.expires_at_ms = r.Int(12);
  b.created_at_ms = r.Int(13);
  b.merchant_id = r.Int(14);
  return b;
}

Result<Bargain> LoadBargain(Reader& r, int64_t id) {
  ASSIGN_OR_RETURN(auto row, r.QueryOne(std::string("SELECT ") + kBargainCols + " FROM bargains WHERE id=?", {id}));
  if (!row) return Fail(Msg::BARGAIN_NOT_FOUND);
  return BargainFromRow(*row);
}

Result<Bargain> LockBargain(Tx& tx, int64_t id) {
  ASSIGN_OR_RETURN(auto row, tx.QueryOne(std::string("SELECT ") + kBargainCols + " FROM bargains WHERE id=?" +
                                             std::string(tx.dialect().ForUpdate()),
                                         {id}));
  if (!row) return Fail(Msg::BARGAIN_NOT_FOUND);
  return BargainFromRow(*row);
}

Result<BargainConfig> BargainConfigOf(const Activity& a) {
  ObjectReader r(a.config);
  BargainConfig c;
  c.floor_price_fen = r.Int("floor_price_fen", {.min = 1});
  c.helps_needed = r.Int("helps_needed", {.min = 1});
  c.ttl_s = r.Int("ttl_s", {.min = 1});
  RETURN_IF_ERROR(StoredConfigStatus(r, a));
  return c;
}

Status ExpireBargain(Tx& tx, int64_t bargain_id) {
  ASSIGN_OR_RETURN(std::string expired, Move(BargainStatus::kActive, BargainStatus::kExpired));
  ASSIGN_OR_RETURN(int64_t n, tx.Exec("UPDATE bargains SET status=? WHERE id=? AND status=" + internal::Sql(BargainStatus::kActive) + "", {expired, bargain_id}));
  if (n == 0) return Ok();  // bought (its order decides) or expired already
  ASSIGN_OR_RETURN(Bargain b, LoadBargain(tx, bargain_id));
  return Emit(tx, BargainChanged{.what = BargainChanged::What::kExpired, .bargain = b});
}

namespace {

Status PriceBargain(Reader& r, Tx* tx, const Activity& a, const ActivityRef& ref, trade::PricingContext& ctx) {
  if (!ref.bargain_id)
    return Fail(Msg::BARGAIN_ID_REQUIRED);
  ASSIGN_OR_RETURN(Bargain b, LoadBargain(r, *ref.bargain_id));
  if (b.activity_id != a.id || b.user_id != ctx.buyer_id) return Fail(Msg::BARGAIN_NOT_FOUND);
  if (b.status != BargainStatus::kActive)
    return Fail(Msg::BARGAIN_OVER, {{"status", Name(b.status)}});
  if (r.clock().NowMs() >= b.expires_at_ms) return Fail(Msg::BARGAIN_EXPIRED);
  if (ctx.lines.front().quantity != 1) return Fail(Msg::BARGAIN_ONE_UNIT);
  if (tx) {
    ASSIGN_OR_RETURN(std::string bought, Move(b.status, BargainStatus::kBought));
    ASSIGN_OR_RETURN(int64_t n, tx->Exec("UPDATE bargains SET status=? WHERE id=? AND status=" + internal::Sql(BargainStatus::kActive) + "", {bought, b.id}));
    if (n == 0) return Fail(Msg::BARGAIN_NOT_ACTIVE);
  }
  RETURN_IF_ERROR(ApplyActivityPrice(ctx, b.current_price_fen, "砍价后价格"));
  ctx.order_extra["bargain_id"] = IdString(b.id);
  return Ok();
}

Status BargainOrderCancelled(Tx& tx, int64_t bargain_id) {
  ASSIGN_OR_RETURN(Bargain b, LoadBargain(tx, bargain_id));
  if (b.status != BargainStatus::kBought) return Ok();
  // The bargain runs on unless it expired meanwhile or the buyer started another one (one
  // running bargain per buyer and activity).
  ASSIGN_OR_RETURN(int64_t other, tx.QueryInt("SELECT count(*) FROM bargains WHERE activity_id=? AND user_id=? AND status=" + internal::Sql(BargainStatus::kActive) + "",
                                              {b.activity_id, b.user_id}));
  BargainStatus next = (tx.NowMs() < b.expires_at_ms && other == 0) ? BargainStatus::kActive : BargainStatus::kExpired;
  ASSIGN_OR_RETURN(std::string to, Move(b.status, next));
  ASSIGN_OR_RETURN(int64_t changed, tx.Exec("UPDATE bargains SET status=?, order_id=NULL WHERE id=? AND status=?", {to, bargain_id, Name(b.status)}));
  return internal::Moved(changed);
}

Result<std::vector<std::string>> CheckBargains(Reader& r) {
  std::vector<std::string> problems;
  ASSIGN_OR_RETURN(Rows rows, r.Query(std::string("SELECT ") + kBargainCols + " FROM bargains ORDER BY id DESC LIMIT 100000"));
  for (auto& row : rows) {
    Bargain b = BargainFromRow(row);
    std::string name = "bargain " + IdString(b.id);
    ASSIGN_OR_RETURN(auto cuts, BargainCuts(b.seed, b.list_price_fen - b.floor_price_fen, b.helps_needed));
    int64_t schedule = 0;
    for (int64_t c : cuts) schedule += c;
    if (schedule != b.list_price_fen - b.floor_price_fen || cuts.back() < 1) problems.push_back(name + ": schedule does not sum to list - floor");
    ASSIGN_OR_RETURN(Rows helps, r.Query("SELECT seq, cut_fen FROM bargain_helps WHERE bargain_id=? ORDER BY seq", {b.id}));
    int64_t cut = 0;
    for (size_t i = 0; i < helps.size(); ++i) {
      if (helps[i].Int(0) != static_cast<int64_t>(i) || i >= cuts.size() || helps[i].Int(1) != cuts[i])
        problems.push_back(name + ": help " + std::to_string(i) + " is not the scheduled cut");
      cut += helps[i].Int(1);
    }
    if (static_cast<int64_t>(helps.size()) != b.helps_done) problems.push_back(name + ": helps_done disagrees with its helps");
    if (b.list_price_fen - cut != b.current_price_fen) problems.push_back(name + ": cuts do not sum to list - current price");
    if (b.helps_done == b.helps_needed && b.current_price_fen != b.floor_price_fen)
      problems.push_back(name + ": all helps done but the price is not the floor");
    if (problems.size() > 20) break;
  }
  return problems;
}

// Bargain (砍一刀): the buyer starts a bargain at the list price; friends' helps cut it
// toward the floor; the buyer buys one unit at the current price.
class BargainType final : public ActivityType {
 public:
  std::string_view name() const override { return "bargain"; }

  Status ReadInput(ObjectReader& r, ActivityInput& in) const override {
    in.floor_price_fen = r.Int("floor_price_fen", {.min = 1, .max = limits::kMaxActivityPriceFen});
    in.helps_needed = r.Int("helps_needed", {.min = 1, .max = limits::kMaxBargainHelps});
    in.ttl_s = r.Int("ttl_s", {.min = limits::kMinActivityTtlS, .max = limits::kMaxActivityTtlS});
    return Ok();
  }

  Status Configure(const ActivityInput& in, const catalog::Sku& sku, Activity& a) const override {
    if (in.floor_price_fen >= sku.price_fen)
      return Fail(Msg::FLOOR_NOT_BELOW, {Fen("sku_price", sku.price_fen)});
    // Every help cuts at least 1 fen and the last reaches the floor exactly.
    if (sku.price_fen - in.floor_price_fen < in.helps_needed)
      return Fail(Msg::FLOOR_TOO_CLOSE, {Fen("gap", sku.price_fen - in.floor_price_fen)});
    a.config = Json{{"floor_price_fen", in.floor_price_fen}, {"helps_needed", in.helps_needed}, {"ttl_s", in.ttl_s}};
    return Ok();
  }

  bool takes_bargain_id() const override { return true; }

  Status Price(Reader& r, Tx* tx, const Activity& a, const ActivityRef& ref, trade::PricingContext& ctx) const override {
    return PriceBargain(r, tx, a, ref, ctx);
  }

  Status OnCancelled(Tx& tx, const ActivityOrder& ao) const override {
    return ao.bargain_id ? BargainOrderCancelled(tx, *ao.bargain_id) : Ok();
  }

  Result<std::vector<std::string>> Check(Reader& r) const override { return CheckBargains(r); }
};

}  // namespace

std::unique_ptr<ActivityType> MakeBargainType() { return std::make_unique<BargainType>(); }

}  // namespace internal

Json ToJson(const Bargain& b) {
  return Json{{"id", IdString(b.id)},
              {"activity_id", IdString(b.activity_id)},
              {"user_id", IdString(b.user_id)},
              {"sku_id", IdString(b.sku_id)},
              {"list_price_fen", b.list_price_fen},
              {"floor_price_fen", b.floor_price_fen},
              {"current_price_fen", b.current_price_fen},
              {"cut_fen", b.list_price_fen - b.current_price_fen},
              {"helps_needed", b.helps_needed},
              {"helps_done", b.helps_done},
              {"status", Name(b.status)},
              {"order_id", b.order_id ? Json(IdString(*b.order_id)) : Json(nullptr)},
              {"expires_at", FormatRfc3339(b.expires_at_ms)},
              {"created_at", FormatRfc3339(b.created_at_ms)}};
}

Result<Bargain> PromoService::StartBargain(Tx& tx, int64_t user_id, int64_t activity_id) {
  ASSIGN_OR_RETURN(Activity a, GetActivity(tx, activity_id));
  if (a.type != "bargain") return Fail(Msg::ACTIVITY_NOT_BARGAIN, {{"type", a.type}});
  int64_t now = tx.NowMs();
  RETURN_IF_ERROR(internal::RequireRunning(a, now));
  ASSIGN_OR_RETURN(catalog::Sku sku, catalog::GetSku(tx, a.sku_id));
  RETURN_IF_ERROR(catalog::GetProduct(tx, sku.product_id, true, {}, false));
  ASSIGN_OR_RETURN(internal::BargainConfig config, internal::BargainConfigOf(a));
  Bargain b;
  b.floor_price_fen = config.floor_price_fen;
  b.helps_needed = config.helps_needed;
  if (sku.price_fen - b.floor_price_fen < b.helps_needed)
    return Fail(Msg::BARGAIN_PRICE_CHANGED);
  // The buyer's row, locked: a start on another node at this moment waits, then finds this
  // bargain running and is refused as any second start is (the unique index would refuse it
  // too, with a database error).
  RETURN_IF_ERROR(account::LockUser(tx, user_id));
  ASSIGN_OR_RETURN(int64_t running, tx.QueryInt("SELECT count(*) FROM bargains WHERE activity_id=? AND user_id=? AND status=" + internal::Sql(BargainStatus::kActive) + "",
                                                {activity_id, user_id}));
  if (running > 0) return Fail(Msg::BARGAIN_RUNNING);
  b.id = tx.NewId();
  uint64_t state = static_cast<uint64_t>(b.id);
  b.seed = static_cast<int64_t>(SplitMix(state));
  b.activity_id = activity_id;
  b.merchant_id = a.merchant_id;
  b.user_id = user_id;
  b.sku_id = sku.id;
  b.list_price_fen = b.current_price_fen = sku.price_fen;
  b.status = BargainStatus::kActive;
  b.created_at_ms = now;
  b.expires_at_ms = now + config.ttl_s * 1000;
  RETURN_IF_ERROR(tx.Run("INSERT INTO bargains(id, activity_id, merchant_id, user_id, sku_id, list_price_fen, floor_price_fen, current_price_fen, "
                         "helps_needed, helps_done, seed, status, expires_at_ms, created_at_ms) VALUES(?,?,?,?,?,?,?,?,?,0,?," + internal::Sql(BargainStatus::kActive) + ",?,?)",
                         {b.id, activity_id, a.merchant_id, user_id, sku.id, b.list_price_fen, b.floor_price_fen, b.current_price_fen, b.helps_needed,
                          b.seed, b.expires_at_ms, now}));
  RETURN_IF_ERROR(tx.AddTimer(kTimerBargainExpire, b.expires_at_ms, Json{{"bargain_id", b.id}}));
  RETURN_IF_ERROR(Emit(tx, BargainChanged{.what = BargainChanged::What::kStarted, .bargain = b}));
  return b;
}

Result<Bargain> PromoService::GetBargain(Reader& r, int64_t id) { return internal::LoadBargain(r, id); }

Result<HelpResult> PromoService::HelpBargain(Tx& tx, int64_t helper_id, int64_t bargain_id) {
  // Locked to commit: helps from other nodes wait and then take the next cut, instead of
  // reading the same helps_done and failing on the guarded UPDATE below.
  ASSIGN_OR_RETURN(Bargain b, internal::LockBargain(tx, bargain_id));
  int64_t now = tx.NowMs();
  if (b.user_id == helper_id) return Fail(Msg::BARGAIN_SELF_HELP);
  if (b.status != BargainStatus::kActive)
    return Fail(Msg::BARGAIN_OVER, {{"status", Name(b.status)}});
  if (now >= b.expires_at_ms) return Fail(Msg::BARGAIN_EXPIRED);
  ASSIGN_OR_RETURN(int64_t helped, tx.QueryInt("SELECT count(*) FROM bargain_helps WHERE bargain_id=? AND helper_id=?", {bargain_id, helper_id}));
  if (helped > 0) return Fail(Msg::BARGAIN_HELPED);
  if (b.helps_done >= b.helps_needed) return Fail(Msg::BARGAIN_AT_FLOOR);
  int64_t day = (now + config_.day_offset_ms) / internal::kDayMs;
  // The cap counts the helper's helps on every bargain: their row, locked, makes a help on
  // another node wait and then be counted.
  RETURN_IF_ERROR(account::LockUser(tx, helper_id));
  ASSIGN_OR_RETURN(int64_t today, tx.QueryInt("SELECT count(*) FROM bargain_helps WHERE helper_id=? AND day=?", {helper_id, day}));
  if (today >= config_.bargain_daily_help_cap)
    return Fail(Msg::BARGAIN_DAILY_CAP, {{"max", config_.bargain_daily_help_cap}});
  ASSIGN_OR_RETURN(auto cuts, BargainCuts(b.seed, b.list_price_fen - b.floor_price_fen, b.helps_needed));
  int64_t cut = cuts[static_cast<size_t>(b.helps_done)];
  // UNIQUE(bargain_id, helper_id) refuses a second help even if the check above were raced.
  RETURN_IF_ERROR(tx.Run("INSERT INTO bargain_helps(id, bargain_id, merchant_id, helper_id, seq, cut_fen, day, created_at_ms) VALUES(?,?,?,?,?,?,?,?)",
                         {tx.NewId(), bargain_id, b.merchant_id, helper_id, b.helps_done, cut, day, now}));
  ASSIGN_OR_RETURN(int64_t n, tx.Exec("UPDATE bargains SET helps_done = helps_done + 1, current_price_fen = current_price_fen - ? "
                                      "WHERE id=? AND helps_done=? AND status=" + internal::Sql(BargainStatus::kActive) + "",
                                      {cut, bargain_id, b.helps_done}));
  if (n == 0) return Fail(Msg::BARGAIN_CHANGED);
  b.helps_done += 1;
  b.current_price_fen -= cut;
  RETURN_IF_ERROR(Emit(tx, BargainChanged{.what = BargainChanged::What::kHelped, .bargain = b, .helper_id = helper_id, .cut_fen = cut}));
  return HelpResult{cut, b};
}

Result<std::vector<Json>> PromoService::BargainHelps(Reader& r, int64_t bargain_id) {
  ASSIGN_OR_RETURN(Rows rows, r.Query("SELECT h.helper_id, u.nickname, h.cut_fen, h.created_at_ms FROM bargain_helps h "
                                      "LEFT JOIN users u ON u.id = h.helper_id WHERE h.bargain_id=? ORDER BY h.seq",
                                      {bargain_id}));
  std::vector<Json> out;
  for (auto& row : rows)
    out.push_back(Json{{"helper_id", IdString(row.Int(0))}, {"nickname", row.Str(1)}, {"cut_fen", row.Int(2)},
                       {"created_at", FormatRfc3339(row.Int(3))}});
  return out;
}

}  // namespace xd::promo
