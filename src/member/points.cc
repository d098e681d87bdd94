// Member prices and points online: the pricing rule at stage 200 (the buyer's level discount at
// the order's merchant), the observer that posts a paid order's points and growth to the
// buyer's card and reverses each refund's share, and the invariants `xiaodian check` runs.
#include <algorithm>
#include <limits>

#include "base/id.h"
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

namespace {

// Stage 200: the member price. Lines an activity already priced (below their list price) keep
// that price: a member discount does not stack on a flash sale or a group price.
class MemberPricingRule final : public trade::PricingRule {
 public:
  int stage() const override { return 200; }

  Status Apply(Reader& r, Tx*, trade::PricingContext& ctx) override {
    if (ctx.buyer_id == 0) return Ok();
    ASSIGN_OR_RETURN(std::optional<Card> card, CardOf(r, ctx.buyer_id, ctx.merchant_id));
    if (!card) return Ok();
    ASSIGN_OR_RETURN(Programme p, ProgrammeById(r, card->programme_id));
    const Level& level = ShownLevel(*card, p);
    if (level.discount_bps <= 0) return Ok();
    Money base;
    for (const trade::PriceLine& l : ctx.lines) {
      if (l.unit_price_fen < l.list_price_fen) continue;
      ASSIGN_OR_RETURN(Money line, Money::Fen(l.unit_price_fen).Mul(l.quantity));
      ASSIGN_OR_RETURN(base, base.Add(line));
    }
    ASSIGN_OR_RETURN(Money off, base.ApplyBps(level.discount_bps));
    if (off.fen() <= 0) return Ok();
    ctx.AddStep("member", "会员价 · " + level.name + " " + DiscountLabel(level.discount_bps),
                -off.fen());
    ctx.order_extra["member_card_id"] = IdString(card->id);
    return Ok();
  }
};

// The earn entry of an order, if it earned.
struct Earned {
  int64_t card_id = 0, points = 0, growth = 0;
};

Result<std::optional<Earned>> EarnedBy(Reader& r, int64_t order_id, int64_t merchant_id) {
  ASSIGN_OR_RETURN(auto row, r.QueryOne("SELECT card_id, points, growth FROM member_points_journal "
                                        "WHERE order_id=? AND merchant_id=? AND kind=?",
                                        {order_id, merchant_id, kEarned}));
  if (!row) return std::optional<Earned>();
  return std::optional<Earned>(Earned{row->Int(0), row->Int(1), row->Int(2)});
}

// Appends one journal entry and moves the card's totals by it; the level only rises.
Status Post(Tx& tx, const Card& card, const Programme& p, const char* kind, int64_t order_id,
            int64_t points, int64_t growth, std::optional<int64_t> expires_at_ms) {
  PointsEntry e{tx.NewId(), card.id, kind, order_id, points, growth, expires_at_ms, tx.NowMs()};
  RETURN_IF_ERROR(
      tx.Run("INSERT INTO member_points_journal(id, merchant_id, card_id, user_id, kind, order_id, "
             "points, growth, "
             "expires_at_ms, created_at_ms) VALUES(?,?,?,?,?,?,?,?,?,?)",
             {e.id, card.merchant_id, card.id, card.user_id, kind, order_id, points, growth,
              expires_at_ms, e.created_at_ms}));
  int64_t points_after = card.points + points, growth_after = card.growth + growth;
  int64_t level_after = std::max(card.level, LevelForGrowth(p.config.levels, growth_after));
  // Guarded by the totals read: a card moved by another command since fails rather than drifts.
  ASSIGN_OR_RETURN(int64_t n, tx.Exec("UPDATE member_cards SET points=?, growth=?, level=? WHERE "
                                      "id=? AND points=? AND growth=?",
                                      {points_after, growth_after, level_after, card.id,
                                       card.points, card.growth}));
  if (n != 1)
    return Fail(ErrorCode::ABORTED, "member card " + IdString(card.id) + " changed meanwhile");
  return Emit(
      tx, PointsPosted{e, card.merchant_id, card.user_id, points_after, growth_after, level_after});
}

// The buyer's card at the order's merchant, locked to commit (Dialect::ForUpdate): two orders
// of one member paid on two nodes post one after the other.
Result<std::optional<Card>> LockCard(Tx& tx, int64_t user_id, int64_t merchant_id) {
  ASSIGN_OR_RETURN(auto row,
                   tx.QueryOne(std::string("SELECT ") + kCardCols +
                                   " FROM member_cards WHERE user_id=? AND merchant_id=?" +
                                   std::string(tx.dialect().ForUpdate()),
                               {user_id, merchant_id}));
  if (!row) return std::optional<Card>();
  return std::optional<Card>(CardFromRow(*row));
}

// Paid orders earn on the buyer's card at that merchant; refunds take back their share.
class PointsObserver final : public trade::OrderObserver {
 public:
  Status OnPaid(Tx& tx, trade::Order& order) override {
    ASSIGN_OR_RETURN(std::optional<Card> card, LockCard(tx, order.buyer_id, order.merchant_id));
    if (!card) return Ok();
    ASSIGN_OR_RETURN(Programme p, ProgrammeById(tx, card->programme_id));
    const Level& level = ShownLevel(*card, p);
    // What the buyer paid for the goods (shipping earns nothing), 1 growth per whole yuan.
    int64_t goods_fen = std::max<int64_t>(0, order.total_fen - order.shipping_fen);
    int64_t points = PointsFor(goods_fen, p.config.points_per_yuan, level.points_multiplier_bps);
    int64_t growth = goods_fen / 100;
    if (points == 0 && growth == 0) return Ok();
    std::optional<int64_t> expires;
    if (p.config.points_validity_days > 0)
      expires = tx.NowMs() + p.config.points_validity_days * kDayMs;
    return Post(tx, *card, p, kEarned, order.id, points, growth, expires);
  }

  // Each refund leaves the order earning in proportion to what the buyer kept; the difference
  // from what was already taken back is reversed now (so partial refunds sum exactly). Never
  // below zero: a balance already spent keeps what is left (redemption, the next slice, will
  // record the rest as a debt). The level stays (downgrades wait for the yearly review).
  Status OnRefunded(Tx& tx, const trade::Order& order, int64_t) override {
    ASSIGN_OR_RETURN(std::optional<Earned> earned, EarnedBy(tx, order.id, order.merchant_id));
    if (!earned) return Ok();
    ASSIGN_OR_RETURN(
        auto row,
        tx.QueryOne(
            "SELECT COALESCE(SUM(points), 0), COALESCE(SUM(growth), 0) FROM member_points_journal "
            "WHERE order_id=? AND merchant_id=? AND kind=?",
            {order.id, order.merchant_id, kReversed}));
    int64_t reversed_points = row ? -row->Int(0) : 0, reversed_growth = row ? -row->Int(1) : 0;
    int64_t paid = order.total_fen,
            kept = std::max<int64_t>(0, order.total_fen - order.refunded_fen);
    auto share = [&](int64_t v) -> int64_t {
      if (paid <= 0) return 0;
      return static_cast<int64_t>(static_cast<__int128>(v) * kept / paid);
    };
    int64_t points = (earned->points - share(earned->points)) - reversed_points;
    int64_t growth = (earned->growth - share(earned->growth)) - reversed_growth;
    if (points <= 0 && growth <= 0) return Ok();
    ASSIGN_OR_RETURN(auto locked, tx.QueryOne(std::string("SELECT ") + kCardCols +
                                                  " FROM member_cards WHERE id=?" +
                                                  std::string(tx.dialect().ForUpdate()),
                                              {earned->card_id}));
    if (!locked)
      return Fail(ErrorCode::INTERNAL, "member card " + IdString(earned->card_id) + " is missing");
    Card card = CardFromRow(*locked);
    ASSIGN_OR_RETURN(Programme p, ProgrammeById(tx, card.programme_id));
    points = std::clamp<int64_t>(points, 0, card.points);
    growth = std::clamp<int64_t>(growth, 0, card.growth);
    return Post(tx, card, p, kReversed, order.id, -points, -growth, std::nullopt);
  }
};

}  // namespace

std::shared_ptr<trade::PricingRule> NewMemberPricingRule() {
  return std::make_shared<MemberPricingRule>();
}
std::shared_ptr<trade::OrderObserver> NewPointsObserver() {
  return std::make_shared<PointsObserver>();
}

}  // namespace internal

Result<std::vector<std::string>> MemberService::Check(Reader& r) {
  std::vector<std::string> problems;
  ASSIGN_OR_RETURN(
      Rows sums,
      r.Query(
          "SELECT c.id, c.points, c.growth, COALESCE(SUM(j.points), 0), COALESCE(SUM(j.growth), 0) "
          "FROM member_cards c LEFT JOIN member_points_journal j ON j.card_id = c.id "
          "GROUP BY c.id, c.points, c.growth "
          "HAVING c.points <> COALESCE(SUM(j.points), 0) OR c.growth <> COALESCE(SUM(j.growth), 0) "
          "LIMIT 10"));
  for (auto& row : sums)
    problems.push_back("member card " + IdString(row.Int(0)) + " holds " +
                       std::to_string(row.Int(1)) + " points and " + std::to_string(row.Int(2)) +
                       " growth but its journal sums to " + std::to_string(row.Int(3)) + " and " +
                       std::to_string(row.Int(4)));
  ASSIGN_OR_RETURN(Rows negative,
                   r.Query("SELECT id FROM member_cards WHERE points < 0 OR growth < 0 LIMIT 10"));
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
  ASSIGN_OR_RETURN(Rows over,
                   r.Query("SELECT order_id FROM member_points_journal WHERE order_id IS NOT NULL "
                           "GROUP BY order_id HAVING SUM(points) < 0 OR SUM(growth) < 0 LIMIT 10"));
  for (auto& row : over)
    problems.push_back("order " + IdString(row.Int(0)) +
                       " took back more member points than it earned");
  ASSIGN_OR_RETURN(
      Rows strays,
      r.Query("SELECT j.id FROM member_points_journal j JOIN member_cards c ON c.id = j.card_id "
              "WHERE j.user_id <> c.user_id LIMIT 10"));
  for (auto& row : strays)
    problems.push_back("points entry " + IdString(row.Int(0)) +
                       " names another member than its card");
  return problems;
}

}  // namespace xd::member
