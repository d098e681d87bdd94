// Member prices and points online (decision 018): the pricing rules at stage 200 (the buyer's
// level discount and per-SKU member prices at the order's merchant) and 450 (points redeemed
// at checkout, funded by the merchant), the observer that posts a completed order's points and
// growth to the buyer's card, reverses each refund's share (a debt when the points were spent)
// and returns redeemed points on cancellation and refund, the journal's one writer (Post), the
// sweep's expiry and yearly level reviews, manual adjustments, and the invariants `xiaodian
// check` runs.
#include <algorithm>
#include <limits>

#include "base/id.h"
#include "base/messages.h"
#include "base/money.h"
#include "member/events.h"
#include "member/internal/member_internal.h"

namespace xd::member {

namespace internal {

int64_t PointsFor(int64_t goods_fen, int64_t points_per_yuan, int64_t multiplier_bps) {
  if (goods_fen <= 0 || points_per_yuan <= 0 || multiplier_bps <= 0) return 0;
  // Points are not money; 128 bits hold every product of the limits (fen ≤ 2^63, rate ≤ 100,
  // multiplier ≤ 100,000), and the result is capped rather than wrapped.
  __int128 p = static_cast<__int128>(goods_fen) * points_per_yuan * multiplier_bps / 1'000'000;
  return p > std::numeric_limits<int64_t>::max() ? std::numeric_limits<int64_t>::max()
                                                 : static_cast<int64_t>(p);
}

const char* const kEntryCols =
    "id, card_id, kind, order_id, points, growth, expires_at_ms, created_at_ms, debt, ref_id, "
    "note";

PointsEntry EntryFromRow(const Row& row) {
  return PointsEntry{row.Int(0),    row.Int(1), row.Str(2), row.OptInt(3), row.Int(4), row.Int(5),
                     row.OptInt(6), row.Int(7), row.Int(8), row.OptInt(9), row.Str(10)};
}

Result<std::optional<Card>> LockCardOf(Tx& tx, int64_t user_id, int64_t merchant_id) {
  ASSIGN_OR_RETURN(auto row,
                   tx.QueryOne(std::string("SELECT ") + kCardCols +
                                   " FROM member_cards WHERE user_id=? AND merchant_id=?" +
                                   std::string(tx.dialect().ForUpdate()),
                               {user_id, merchant_id}));
  if (!row) return std::optional<Card>();
  return std::optional<Card>(CardFromRow(*row));
}

Result<Card> LockCard(Tx& tx, int64_t card_id) {
  ASSIGN_OR_RETURN(
      auto row, tx.QueryOne(std::string("SELECT ") + kCardCols + " FROM member_cards WHERE id=?" +
                                std::string(tx.dialect().ForUpdate()),
                            {card_id}));
  if (!row) return Fail(ErrorCode::INTERNAL, "member card " + IdString(card_id) + " is missing");
  return CardFromRow(*row);
}

Posting Earning(const Card& c, const Programme& p, int64_t now_ms, const char* kind, int64_t points,
                int64_t growth) {
  Posting e;
  e.kind = kind;
  int64_t paid = std::min(c.points_debt, std::max<int64_t>(0, points));
  e.points = points - paid;
  e.debt = -paid;
  e.growth = growth;
  if (e.points > 0 && p.config.points_validity_days > 0)
    e.expires_at_ms = now_ms + p.config.points_validity_days * kDayMs;
  return e;
}

Posting Taking(const Card& c, const char* kind, int64_t points, int64_t growth) {
  Posting e;
  e.kind = kind;
  int64_t take = std::min(c.points, std::max<int64_t>(0, points));
  e.points = -take;
  e.debt = std::max<int64_t>(0, points) - take;
  e.growth = -std::min(c.growth, std::max<int64_t>(0, growth));
  return e;
}

namespace {

// Appends one journal row (no card move).
Result<PointsEntry> Append(Tx& tx, const Card& c, const Posting& e) {
  PointsEntry entry{tx.NewId(),      c.id,       e.kind, e.order_id, e.points, e.growth,
                    e.expires_at_ms, tx.NowMs(), e.debt, e.ref_id,   e.note};
  RETURN_IF_ERROR(
      tx.Run("INSERT INTO member_points_journal(id, merchant_id, card_id, user_id, kind, order_id, "
             "points, growth, expires_at_ms, created_at_ms, debt, ref_id, note, actor_id) "
             "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
             {entry.id, c.merchant_id, c.id, c.user_id, e.kind, e.order_id, e.points, e.growth,
              e.expires_at_ms, entry.created_at_ms, e.debt, e.ref_id, e.note, e.actor_id}));
  return entry;
}

}  // namespace

Status Post(Tx& tx, Card& c, const Programme& p, const Posting& e) {
  ASSIGN_OR_RETURN(PointsEntry entry, Append(tx, c, e));
  Card after = c;
  after.points += e.points;
  after.points_debt += e.debt;
  after.growth += e.growth;
  after.online_spend_fen = std::max<int64_t>(0, c.online_spend_fen + e.online_spend_fen);
  after.offline_spend_fen = std::max<int64_t>(0, c.offline_spend_fen + e.offline_spend_fen);
  after.level = std::max(c.level, LevelForGrowth(p.config.levels, after.growth - c.growth_base));
  // Guarded by the totals read: a card moved by another command since fails rather than drifts.
  ASSIGN_OR_RETURN(
      int64_t n,
      tx.Exec("UPDATE member_cards SET points=?, points_debt=?, growth=?, level=?, "
              "online_spend_fen=?, offline_spend_fen=? WHERE id=? AND points=? AND growth=? AND "
              "points_debt=?",
              {after.points, after.points_debt, after.growth, after.level, after.online_spend_fen,
               after.offline_spend_fen, c.id, c.points, c.growth, c.points_debt}));
  if (n != 1)
    return Fail(ErrorCode::ABORTED, "member card " + IdString(c.id) + " changed meanwhile");
  c = after;
  return Emit(tx, PointsPosted{entry, c.merchant_id, c.user_id, c.points, c.growth, c.level});
}

namespace {

// Stage 200: the member price. Lines an activity already priced (below their list price) keep
// that price: a member discount does not stack on a flash sale or a group price. A line whose
// SKU has a member price pays that (when lower) instead of the level discount.
class MemberPricingRule final : public trade::PricingRule {
 public:
  int stage() const override { return 200; }

  Status Apply(Reader& r, Tx*, trade::PricingContext& ctx) override {
    if (ctx.buyer_id == 0) return Ok();
    ASSIGN_OR_RETURN(std::optional<Card> card, CardOf(r, ctx.buyer_id, ctx.merchant_id));
    if (!card) return Ok();
    ASSIGN_OR_RETURN(Programme p, ProgrammeById(r, card->programme_id));
    const Level& level = ShownLevel(*card, p);
    Money base, sku_off;
    for (const trade::PriceLine& l : ctx.lines) {
      if (l.unit_price_fen < l.list_price_fen) continue;
      ASSIGN_OR_RETURN(auto price, r.QueryOne("SELECT price_fen FROM member_sku_prices WHERE "
                                              "sku_id=? AND merchant_id=?",
                                              {l.sku_id, ctx.merchant_id}));
      if (price && price->Int(0) < l.unit_price_fen) {
        ASSIGN_OR_RETURN(Money off, Money::Fen(l.unit_price_fen - price->Int(0)).Mul(l.quantity));
        ASSIGN_OR_RETURN(sku_off, sku_off.Add(off));
        continue;
      }
      ASSIGN_OR_RETURN(Money line, Money::Fen(l.unit_price_fen).Mul(l.quantity));
      ASSIGN_OR_RETURN(base, base.Add(line));
    }
    Money level_off;
    if (level.discount_bps > 0) {
      ASSIGN_OR_RETURN(level_off, base.ApplyBps(level.discount_bps));
    }
    ASSIGN_OR_RETURN(Money off, sku_off.Add(level_off));
    if (off.fen() <= 0) return Ok();
    std::string label = "会员价 · " + level.name;
    if (level_off.fen() > 0) label += " " + DiscountLabel(level.discount_bps);
    ctx.AddStep("member", std::move(label), -off.fen());
    ctx.order_extra["member_card_id"] = IdString(card->id);
    return Ok();
  }
};

// Stage 450 (after coupons, before shipping): points the buyer redeems, at the programme's
// rate, within its cap of the goods after discounts. Funded by the merchant: the step lowers
// what the buyer pays and so what the merchant is paid. Checked against the card locked in the
// order's transaction (a preview reads it): concurrent redemptions never overspend, and the
// CHECK (points >= 0) refuses a balance below zero even if this check were wrong.
class PointsRedemptionRule final : public trade::PricingRule {
 public:
  int stage() const override { return 450; }

  Status Apply(Reader& r, Tx* tx, trade::PricingContext& ctx) override {
    if (ctx.redeem_points <= 0) return Ok();
    std::optional<Card> card;
    if (tx) {
      ASSIGN_OR_RETURN(card, LockCardOf(*tx, ctx.buyer_id, ctx.merchant_id));
    } else {
      ASSIGN_OR_RETURN(card, CardOf(r, ctx.buyer_id, ctx.merchant_id));
    }
    if (!card) return Fail(Msg::MEMBER_POINTS_NO_CARD);
    ASSIGN_OR_RETURN(Programme p, ProgrammeById(r, card->programme_id));
    const int64_t rate = p.config.redeem_points_per_yuan;
    if (rate <= 0 || p.config.redeem_cap_bps <= 0) return Fail(Msg::MEMBER_POINTS_REDEEM_OFF);
    const int64_t points = ctx.redeem_points;
    if (points > card->points)
      return Fail(Msg::MEMBER_POINTS_OVER_BALANCE, {{"points", points}, {"balance", card->points}});
    int64_t value_fen = static_cast<int64_t>(static_cast<__int128>(points) * 100 / rate);
    if (value_fen < 1) return Fail(Msg::MEMBER_POINTS_TOO_FEW, {{"min", (rate + 99) / 100}});
    ASSIGN_OR_RETURN(
        Money cap,
        Money::Fen(std::max<int64_t>(0, ctx.subtotal_fen)).ApplyBps(p.config.redeem_cap_bps));
    if (value_fen > cap.fen()) {
      int64_t max_points = static_cast<int64_t>(static_cast<__int128>(cap.fen()) * rate / 100);
      return Fail(Msg::MEMBER_POINTS_OVER_CAP, {{"points", points}, {"max", max_points}});
    }
    ctx.AddStep("points", "积分抵扣 · " + std::to_string(points) + " 积分", -value_fen);
    ctx.order_extra["member_points"] = points;
    return Ok();
  }

  Status AfterOrderCreated(Tx& tx, const trade::PricingContext& ctx, int64_t order_id) override {
    if (ctx.redeem_points <= 0 || !ctx.order_extra.contains("member_points")) return Ok();
    ASSIGN_OR_RETURN(std::optional<Card> card, LockCardOf(tx, ctx.buyer_id, ctx.merchant_id));
    if (!card) return Fail(Msg::MEMBER_POINTS_NO_CARD);
    ASSIGN_OR_RETURN(Programme p, ProgrammeById(tx, card->programme_id));
    if (ctx.redeem_points > card->points)
      return Fail(Msg::MEMBER_POINTS_OVER_BALANCE,
                  {{"points", ctx.redeem_points}, {"balance", card->points}});
    Posting e;
    e.kind = kRedeemed;
    e.order_id = order_id;
    e.points = -ctx.redeem_points;
    return Post(tx, *card, p, e);
  }
};

// The sum of points - debt (what the entries gave the member) of an order's entries of a kind.
Result<int64_t> OrderSum(Reader& r, int64_t order_id, int64_t merchant_id, const char* kind) {
  return r.QueryInt(
      "SELECT COALESCE(SUM(points - debt), 0) FROM member_points_journal WHERE "
      "order_id=? AND merchant_id=? AND kind=?",
      {order_id, merchant_id, kind});
}

// The earn entry of an order, if it earned (at completion, or at payment before 018).
struct Earned {
  int64_t card_id = 0, points = 0, growth = 0;
};
Result<std::optional<Earned>> EarnedBy(Reader& r, int64_t order_id, int64_t merchant_id) {
  ASSIGN_OR_RETURN(auto row,
                   r.QueryOne("SELECT card_id, points - debt, growth FROM member_points_journal "
                              "WHERE order_id=? AND merchant_id=? AND kind IN (?, ?)",
                              {order_id, merchant_id, kEarned, kEarnedAtPayment}));
  if (!row) return std::optional<Earned>();
  return std::optional<Earned>(Earned{row->Int(0), row->Int(1), row->Int(2)});
}

// v × kept / paid, in 128 bits.
int64_t Share(int64_t v, int64_t kept, int64_t paid) {
  if (paid <= 0) return 0;
  return static_cast<int64_t>(static_cast<__int128>(v) * kept / paid);
}

// Brings an order's earn reversal to its refunded share: the order keeps earning in
// proportion to what the buyer kept; the difference from what was already taken back is taken
// now (from the balance, the rest as debt). Partial refunds sum exactly.
Status ReverseEarned(Tx& tx, const trade::Order& order, int64_t refund_fen) {
  ASSIGN_OR_RETURN(std::optional<Earned> earned, EarnedBy(tx, order.id, order.merchant_id));
  if (!earned) return Ok();
  ASSIGN_OR_RETURN(
      auto row, tx.QueryOne("SELECT COALESCE(SUM(points - debt), 0), COALESCE(SUM(growth), 0) FROM "
                            "member_points_journal WHERE order_id=? AND merchant_id=? AND kind=?",
                            {order.id, order.merchant_id, kReversed}));
  if (!row) return Fail(ErrorCode::INTERNAL, "no sum of order " + IdString(order.id));
  int64_t reversed_points = -row->Int(0), reversed_growth = -row->Int(1);
  int64_t kept = std::max<int64_t>(0, order.total_fen - order.refunded_fen);
  int64_t points =
      (earned->points - Share(earned->points, kept, order.total_fen)) - reversed_points;
  int64_t growth =
      (earned->growth - Share(earned->growth, kept, order.total_fen)) - reversed_growth;
  if (points <= 0 && growth <= 0) return Ok();
  ASSIGN_OR_RETURN(Card card, LockCard(tx, earned->card_id));
  ASSIGN_OR_RETURN(Programme p, ProgrammeById(tx, card.programme_id));
  Posting e = Taking(card, kReversed, std::max<int64_t>(0, points), std::max<int64_t>(0, growth));
  e.order_id = order.id;
  e.online_spend_fen = -refund_fen;
  return Post(tx, card, p, e);
}

// Returns redeemed points up to `share_num / share_den` of what the order redeemed (1/1 on a
// cancellation, refunded/total on a refund), less what was already returned.
Status ReturnRedeemed(Tx& tx, const trade::Order& order, int64_t share_num, int64_t share_den) {
  ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT card_id, -points FROM member_points_journal "
                                         "WHERE order_id=? AND merchant_id=? AND kind=?",
                                         {order.id, order.merchant_id, kRedeemed}));
  if (!row) return Ok();
  int64_t redeemed = row->Int(1);
  ASSIGN_OR_RETURN(int64_t returned, OrderSum(tx, order.id, order.merchant_id, kRedeemReturned));
  int64_t target = share_num >= share_den ? redeemed : Share(redeemed, share_num, share_den);
  int64_t points = target - returned;
  if (points <= 0) return Ok();
  ASSIGN_OR_RETURN(Card card, LockCard(tx, row->Int(0)));
  ASSIGN_OR_RETURN(Programme p, ProgrammeById(tx, card.programme_id));
  Posting e = Earning(card, p, tx.NowMs(), kRedeemReturned, points, 0);
  e.order_id = order.id;
  return Post(tx, card, p, e);
}

// Orders earn when they complete (decision 018: a completed order will not be refunded by
// default, a paid one often is); refunds take back their share; cancellations and refunds
// give redeemed points back.
class PointsObserver final : public trade::OrderObserver {
 public:
  Status OnCompleted(Tx& tx, const trade::Order& order) override {
    ASSIGN_OR_RETURN(std::optional<Card> card, LockCardOf(tx, order.buyer_id, order.merchant_id));
    if (!card) return Ok();
    ASSIGN_OR_RETURN(std::optional<Earned> earned, EarnedBy(tx, order.id, order.merchant_id));
    if (earned) return Ok();  // earned at payment, before decision 018
    ASSIGN_OR_RETURN(Programme p, ProgrammeById(tx, card->programme_id));
    const Level& level = ShownLevel(*card, p);
    // What the buyer paid for the goods (shipping earns nothing), 1 growth per whole yuan.
    int64_t goods_fen = std::max<int64_t>(0, order.total_fen - order.shipping_fen);
    int64_t points = PointsFor(goods_fen, p.config.points_per_yuan, level.points_multiplier_bps);
    int64_t growth = goods_fen / 100;
    Posting e = Earning(*card, p, tx.NowMs(), kEarned, points, growth);
    e.order_id = order.id;
    e.online_spend_fen = std::max<int64_t>(0, order.total_fen);
    RETURN_IF_ERROR(Post(tx, *card, p, e));
    // Refunded in part before it completed: it earns on what the buyer kept.
    if (order.refunded_fen > 0) return ReverseEarned(tx, order, order.refunded_fen);
    return Ok();
  }

  Status OnRefunded(Tx& tx, const trade::Order& order, int64_t refunded_fen) override {
    RETURN_IF_ERROR(ReverseEarned(tx, order, refunded_fen));
    return ReturnRedeemed(tx, order, order.refunded_fen, order.total_fen);
  }

  Status OnCancelled(Tx& tx, const trade::Order& order) override {
    return ReturnRedeemed(tx, order, 1, 1);
  }
};

}  // namespace

std::shared_ptr<trade::PricingRule> NewMemberPricingRule() {
  return std::make_shared<MemberPricingRule>();
}
std::shared_ptr<trade::PricingRule> NewPointsRedemptionRule() {
  return std::make_shared<PointsRedemptionRule>();
}
std::shared_ptr<trade::OrderObserver> NewPointsObserver() {
  return std::make_shared<PointsObserver>();
}

// Points lapse first in, first out: every point spent, taken back or lapsed consumed the
// lot that lapses first, so what lapses by now is what the lots due by now earned beyond
// everything the card ever gave up (decision 018).
Result<int64_t> ExpirePoints(Tx& tx) {
  const int64_t now = tx.NowMs();
  ASSIGN_OR_RETURN(
      Rows cards,
      tx.Query("SELECT DISTINCT j.card_id FROM member_points_journal j JOIN member_cards c ON "
               "c.id = j.card_id WHERE j.expires_at_ms IS NOT NULL AND j.expires_at_ms <= ? AND "
               "j.expires_at_ms > c.expiry_swept_at_ms AND j.points > 0 LIMIT ?",
               {now, kSweepBatch}));
  int64_t moved = 0;
  for (auto& row : cards) {
    ASSIGN_OR_RETURN(Card card, LockCard(tx, row.Int(0)));
    ASSIGN_OR_RETURN(
        auto sums,
        tx.QueryOne("SELECT COALESCE(SUM(CASE WHEN points > 0 AND expires_at_ms IS NOT NULL AND "
                    "expires_at_ms <= ? THEN points ELSE 0 END), 0), COALESCE(SUM(CASE WHEN "
                    "points < 0 THEN -points ELSE 0 END), 0) FROM member_points_journal WHERE "
                    "card_id=?",
                    {now, card.id}));
    if (!sums) return Fail(ErrorCode::INTERNAL, "no sums of card " + IdString(card.id));
    int64_t lapse = std::min(card.points, std::max<int64_t>(0, sums->Int(0) - sums->Int(1)));
    if (lapse > 0) {
      ASSIGN_OR_RETURN(Programme p, ProgrammeById(tx, card.programme_id));
      Posting e;
      e.kind = kExpired;
      e.points = -lapse;
      RETURN_IF_ERROR(Post(tx, card, p, e));
      ++moved;
    }
    RETURN_IF_ERROR(
        tx.Run("UPDATE member_cards SET expiry_swept_at_ms=? WHERE id=?", {now, card.id}));
  }
  return moved;
}

// The yearly review: the level the year's growth reaches (lower or not), and a new year.
Result<int64_t> ReviewLevels(Tx& tx) {
  const int64_t now = tx.NowMs();
  ASSIGN_OR_RETURN(Rows cards, tx.Query("SELECT id FROM member_cards WHERE review_at_ms <= ? "
                                        "ORDER BY review_at_ms LIMIT ?",
                                        {now, kSweepBatch}));
  for (auto& row : cards) {
    ASSIGN_OR_RETURN(Card card, LockCard(tx, row.Int(0)));
    ASSIGN_OR_RETURN(Programme p, ProgrammeById(tx, card.programme_id));
    int64_t year_growth = card.growth - card.growth_base;
    int64_t level = LevelForGrowth(p.config.levels, year_growth);
    int64_t next_review = card.review_at_ms;
    while (next_review <= now) next_review += kYearMs;
    const Level& before = ShownLevel(card, p);
    Posting e;
    e.kind = kLevelReview;
    e.note = before.name + " → " + p.config.levels[static_cast<size_t>(level)].name + " (" +
             std::to_string(year_growth) + ")";
    ASSIGN_OR_RETURN(PointsEntry entry, Append(tx, card, e));
    (void)entry;
    RETURN_IF_ERROR(
        tx.Run("UPDATE member_cards SET level=?, growth_base=?, review_at_ms=? WHERE id=?",
               {level, card.growth, next_review, card.id}));
  }
  return static_cast<int64_t>(cards.size());
}

}  // namespace internal

Result<Card> MemberService::AdjustPoints(Tx& tx, int64_t merchant_id, int64_t card_id,
                                         int64_t points, const std::string& reason,
                                         int64_t actor_id) {
  ASSIGN_OR_RETURN(auto row, tx.QueryOne(std::string("SELECT ") + internal::kCardCols +
                                             " FROM member_cards WHERE id=? AND merchant_id=?" +
                                             std::string(tx.dialect().ForUpdate()),
                                         {card_id, merchant_id}));
  if (!row) return Fail(Msg::MEMBER_CARD_NOT_FOUND);
  Card card = internal::CardFromRow(*row);
  ASSIGN_OR_RETURN(Programme p, internal::ProgrammeById(tx, card.programme_id));
  if (points < 0 && -points > card.points)
    return Fail(Msg::MEMBER_ADJUST_BELOW_ZERO, {{"balance", card.points}});
  internal::Posting e;
  if (points >= 0) {
    e = internal::Earning(card, p, tx.NowMs(), internal::kAdjusted, points, 0);
  } else {
    e.kind = internal::kAdjusted;
    e.points = points;
  }
  e.note = reason;
  e.actor_id = actor_id;
  RETURN_IF_ERROR(internal::Post(tx, card, p, e));
  return card;
}

Result<std::vector<std::string>> MemberService::Check(Reader& r) {
  std::vector<std::string> problems;
  ASSIGN_OR_RETURN(
      Rows sums,
      r.Query(
          "SELECT c.id, c.points, c.growth, COALESCE(SUM(j.points), 0), "
          "COALESCE(SUM(j.growth), 0), c.points_debt, COALESCE(SUM(j.debt), 0) "
          "FROM member_cards c LEFT JOIN member_points_journal j ON j.card_id = c.id "
          "GROUP BY c.id, c.points, c.growth, c.points_debt "
          "HAVING c.points <> COALESCE(SUM(j.points), 0) OR c.growth <> COALESCE(SUM(j.growth), "
          "0) OR c.points_debt <> COALESCE(SUM(j.debt), 0) LIMIT 10"));
  for (auto& row : sums)
    problems.push_back("member card " + IdString(row.Int(0)) + " holds " +
                       std::to_string(row.Int(1)) + " points, " + std::to_string(row.Int(2)) +
                       " growth and " + std::to_string(row.Int(5)) +
                       " debt but its journal sums to " + std::to_string(row.Int(3)) + ", " +
                       std::to_string(row.Int(4)) + " and " + std::to_string(row.Int(6)));
  ASSIGN_OR_RETURN(Rows negative, r.Query("SELECT id FROM member_cards WHERE points < 0 OR growth "
                                          "< 0 OR points_debt < 0 LIMIT 10"));
  for (auto& row : negative)
    problems.push_back("member card " + IdString(row.Int(0)) + " has a negative balance");
  ASSIGN_OR_RETURN(Rows issued,
                   r.Query("SELECT p.id, p.issued, p.issue_limit, (SELECT count(*) FROM "
                           "member_cards c WHERE c.programme_id = p.id) "
                           "FROM member_programmes p WHERE p.issued <> (SELECT count(*) FROM "
                           "member_cards c WHERE c.programme_id = p.id) "
                           "OR (p.issue_limit IS NOT NULL AND p.issued > p.issue_limit) LIMIT 10"));
  for (auto& row : issued)
    problems.push_back("member programme " + IdString(row.Int(0)) + " counts " +
                       std::to_string(row.Int(1)) + " cards issued (limit " +
                       (row.IsNull(2) ? std::string("none") : std::to_string(row.Int(2))) +
                       ") but holds " + std::to_string(row.Int(3)));
  // What an order earned less what its refunds took back (points - debt: a debt is taken too).
  ASSIGN_OR_RETURN(
      Rows over,
      r.Query("SELECT order_id FROM member_points_journal WHERE order_id IS NOT NULL AND kind IN "
              "('order_paid','order_completed','order_refunded') GROUP BY order_id HAVING "
              "SUM(points - debt) < 0 OR SUM(growth) < 0 LIMIT 10"));
  for (auto& row : over)
    problems.push_back("order " + IdString(row.Int(0)) +
                       " took back more member points than it earned");
  ASSIGN_OR_RETURN(
      Rows over_returned,
      r.Query("SELECT order_id FROM member_points_journal WHERE order_id IS NOT NULL AND kind IN "
              "('redeemed','redeem_returned') GROUP BY order_id HAVING SUM(points - debt) > 0 "
              "LIMIT 10"));
  for (auto& row : over_returned)
    problems.push_back("order " + IdString(row.Int(0)) +
                       " gave back more member points than it redeemed");
  ASSIGN_OR_RETURN(
      Rows strays,
      r.Query("SELECT j.id FROM member_points_journal j JOIN member_cards c ON c.id = j.card_id "
              "WHERE j.user_id <> c.user_id LIMIT 10"));
  for (auto& row : strays)
    problems.push_back("points entry " + IdString(row.Int(0)) +
                       " names another member than its card");
  // POS receipts: one purchase per (merchant, receipt), earning once.
  ASSIGN_OR_RETURN(Rows receipts,
                   r.Query("SELECT merchant_id, receipt_id FROM member_pos_purchases GROUP BY "
                           "merchant_id, receipt_id HAVING count(*) > 1 LIMIT 10"));
  for (auto& row : receipts)
    problems.push_back("POS receipt " + row.Str(1) + " of merchant " + IdString(row.Int(0)) +
                       " is recorded more than once");
  ASSIGN_OR_RETURN(
      Rows pos_twice,
      r.Query("SELECT ref_id FROM member_points_journal WHERE kind = 'pos_purchase' GROUP BY "
              "ref_id HAVING count(*) > 1 LIMIT 10"));
  for (auto& row : pos_twice)
    problems.push_back("POS purchase " + IdString(row.Int(0)) + " posted points more than once");
  // Partial refunds: each purchase's refunded amount is its refunds' sum, within its amount, it
  // is 'refunded' exactly when all of it is, each refund took points back once, and the points
  // taken back never exceed what the purchase gave.
  ASSIGN_OR_RETURN(
      Rows pos_refunds,
      r.Query("SELECT p.id FROM member_pos_purchases p WHERE p.refunded_fen > p.amount_fen OR "
              "p.refunded_fen <> (SELECT COALESCE(SUM(f.amount_fen), 0) FROM member_pos_refunds f "
              "WHERE f.purchase_id = p.id) OR (p.status = 'refunded') <> (p.refunded_fen = "
              "p.amount_fen) OR (SELECT count(*) FROM member_pos_refunds f WHERE f.purchase_id = "
              "p.id) <> (SELECT count(*) FROM member_points_journal j WHERE j.kind = "
              "'pos_refunded' AND j.ref_id = p.id) OR (SELECT COALESCE(SUM(j.debt - j.points), 0) "
              "FROM member_points_journal j WHERE j.kind = 'pos_refunded' AND j.ref_id = p.id) > "
              "(SELECT COALESCE(SUM(j.points - j.debt), 0) FROM member_points_journal j WHERE "
              "j.kind = 'pos_purchase' AND j.ref_id = p.id) LIMIT 10"));
  for (auto& row : pos_refunds)
    problems.push_back("POS purchase " + IdString(row.Int(0)) +
                       " disagrees with its refunds (amounts, status or points)");
  // A tag push reaches only its own merchant's cards.
  ASSIGN_OR_RETURN(Rows foreign_targets,
                   r.Query("SELECT t.push_id FROM member_push_targets t JOIN member_pushes p ON "
                           "p.id = t.push_id JOIN member_cards c ON c.id = t.card_id WHERE "
                           "c.merchant_id <> p.merchant_id LIMIT 10"));
  for (auto& row : foreign_targets)
    problems.push_back("push " + IdString(row.Int(0)) + " targets another merchant's member");
  // Pushes: no card received more than its cap in any 7 days (each delivery counts the ones
  // in the 7 days up to it), and each push's counts add up to its deliveries.
  ASSIGN_OR_RETURN(
      Rows capped,
      r.Query("SELECT a.id, a.card_id, a.cap, count(*) FROM member_inbox a JOIN member_inbox b ON "
              "b.card_id = a.card_id AND b.delivered_at_ms <= a.delivered_at_ms AND "
              "b.delivered_at_ms > a.delivered_at_ms - ? GROUP BY a.id, a.card_id, a.cap HAVING "
              "count(*) > a.cap LIMIT 10",
              {internal::kWeekMs}));
  for (auto& row : capped)
    problems.push_back("member card " + IdString(row.Int(1)) + " received " +
                       std::to_string(row.Int(3)) + " pushes in 7 days (cap " +
                       std::to_string(row.Int(2)) + ")");
  ASSIGN_OR_RETURN(Rows counts,
                   r.Query("SELECT p.id FROM member_pushes p WHERE p.delivered <> (SELECT count(*) "
                           "FROM member_inbox i WHERE i.push_id = p.id) LIMIT 10"));
  for (auto& row : counts)
    problems.push_back("push " + IdString(row.Int(0)) + " counts other deliveries than its inbox");
  return problems;
}

}  // namespace xd::member
