// Group buy (拼团). A group holds `size` seats; a seat is taken by a member order when it is
// created and given back when that order is cancelled unpaid, so seats_taken counts the
// created + paid member orders and can never pass `size` (the joining UPDATE is guarded and
// the schema CHECKs it). At `size` paid members the group succeeds and its orders lose
// their "grouping" wait; at its deadline a forming group fails: unpaid member orders are
// cancelled and paid ones refunded in full.
#include <algorithm>
#include <string>
#include <vector>

#include "base/id.h"
#include "base/messages.h"
#include "pay/pay.h"
#include "promo/events.h"
#include "promo/internal/promo_internal.h"

namespace xd::promo {

namespace internal {

const char* const kGroupCols =
    "id, activity_id, product_id, leader_id, size, seats_taken, paid_members, status, expires_at_ms, created_at_ms, ended_at_ms";

Group GroupFromRow(const Row& r) {
  Group g;
  g.id = r.Int(0);
  g.activity_id = r.Int(1);
  g.product_id = r.Int(2);
  g.leader_id = r.Int(3);
  g.size = r.Int(4);
  g.seats_taken = r.Int(5);
  g.paid_members = r.Int(6);
  g.status = StoredStatus(ParseGroupStatus(r.Str(7)));
  g.expires_at_ms = r.Int(8);
  g.created_at_ms = r.Int(9);
  g.ended_at_ms = r.OptInt(10);
  return g;
}

Result<Group> LoadGroup(Reader& r, int64_t id) {
  ASSIGN_OR_RETURN(auto row, r.QueryOne(std::string("SELECT ") + kGroupCols + " FROM promo_groups WHERE id=?", {id}));
  if (!row) return Fail(Msg::GROUP_NOT_FOUND);
  return GroupFromRow(*row);
}

Result<Group> LockGroup(Tx& tx, int64_t id) {
  ASSIGN_OR_RETURN(auto row, tx.QueryOne(std::string("SELECT ") + kGroupCols + " FROM promo_groups WHERE id=?" +
                                             std::string(tx.dialect().ForUpdate()),
                                         {id}));
  if (!row) return Fail(Msg::GROUP_NOT_FOUND);
  return GroupFromRow(*row);
}

Result<GroupBuyConfig> GroupBuyConfigOf(const Activity& a) {
  ObjectReader r(a.config);
  GroupBuyConfig c;
  c.group_price_fen = r.Int("group_price_fen", {.min = 1});
  c.group_size = r.Int("group_size", {.min = 2});
  c.group_ttl_s = r.Int("group_ttl_s", {.min = 1});
  c.leader_price_fen = r.OptInt("leader_price_fen", {.min = 1});
  c.new_user_only = r.Bool("new_user_only", false);
  RETURN_IF_ERROR(StoredConfigStatus(r, a));
  return c;
}

namespace {

// The merchant whose activity the group is of (for its events).
Result<int64_t> MerchantOfGroup(Reader& r, int64_t group_id) {
  return r.QueryInt("SELECT merchant_id FROM promo_groups WHERE id=?", {group_id});
}

Status PriceGroupBuy(Reader& r, Tx* tx, const Activity& a, const ActivityRef& ref, trade::PricingContext& ctx) {
  int64_t now = r.clock().NowMs();
  ASSIGN_OR_RETURN(GroupBuyConfig c, GroupBuyConfigOf(a));
  int64_t size = c.group_size;
  if (!ref.group_id) {
    // Opening a group: the buyer is its leader.
    RETURN_IF_ERROR(RequireRunning(a, now));
    RETURN_IF_ERROR(ApplyActivityPrice(ctx, c.leader_price_fen.value_or(c.group_price_fen), c.leader_price_fen ? "团长价" : "拼团价"));
    if (!tx) return Ok();  // a preview opens nothing
    int64_t group_id = tx->NewId();
    int64_t expires = now + c.group_ttl_s * 1000;
    ASSIGN_OR_RETURN(int64_t timer_id, tx->AddTimer(kTimerGroupExpire, expires, Json{{"group_id", group_id}}));
    RETURN_IF_ERROR(tx->Run("INSERT INTO promo_groups(id, activity_id, merchant_id, product_id, leader_id, size, seats_taken, paid_members, "
                            "status, expires_at_ms, timer_id, created_at_ms) VALUES(?,?,?,?,?,?,1,0," + Sql(GroupStatus::kForming) + ",?,?,?)",
                            {group_id, a.id, a.merchant_id, a.product_id, ctx.buyer_id, size, expires, timer_id, now}));
    RETURN_IF_ERROR(Emit(*tx, GroupChanged{.what = GroupChanged::What::kOpened, .group_id = group_id, .activity_id = a.id,
                                           .merchant_id = a.merchant_id, .leader_id = ctx.buyer_id, .size = size}));
    ctx.order_extra["group_id"] = IdString(group_id);
    return Ok();
  }
  // Joining a group. A join locks the group's row before it looks (the seat UPDATE below would
  // lock it anyway): a buyer joining on two nodes at once then finds their own seat and is
  // told so, rather than tripping the one-seat unique index with a database error.
  ASSIGN_OR_RETURN(Group g, tx ? LockGroup(*tx, *ref.group_id) : LoadGroup(r, *ref.group_id));
  if (g.activity_id != a.id) return Fail(Msg::GROUP_NOT_FOUND);
  if (g.status != GroupStatus::kForming)
    return Fail(Msg::GROUP_OVER, {{"status", Name(g.status)}});
  if (now >= g.expires_at_ms) return Fail(Msg::GROUP_EXPIRED);
  ASSIGN_OR_RETURN(int64_t mine, r.QueryInt("SELECT count(*) FROM activity_orders WHERE group_id=? AND buyer_id=? "
                                            "AND state IN (" + ActivityOrderStateSql(HoldsClaim) + ")",
                                            {g.id, ctx.buyer_id}));
  if (mine > 0) return Fail(Msg::GROUP_SEAT_HELD);
  if (c.new_user_only) {
    ASSIGN_OR_RETURN(int64_t paid_before, r.QueryInt("SELECT count(*) FROM orders WHERE buyer_id=? AND paid_at_ms IS NOT NULL", {ctx.buyer_id}));
    if (paid_before > 0) return Fail(Msg::GROUP_NEW_USERS_ONLY);
  }
  if (tx) {
    // The check and the increment are one statement in the single writer: never over-filled.
    ASSIGN_OR_RETURN(int64_t n, tx->Exec("UPDATE promo_groups SET seats_taken = seats_taken + 1 "
                                         "WHERE id=? AND status=? AND seats_taken < size",
                                         {g.id, Name(GroupStatus::kForming)}));
    if (n == 0) return Fail(Msg::GROUP_FULL);
  } else if (g.seats_taken >= g.size) {
    return Fail(Msg::GROUP_FULL);
  }
  RETURN_IF_ERROR(ApplyActivityPrice(ctx, c.group_price_fen, "拼团价"));
  ctx.order_extra["group_id"] = IdString(g.id);
  return Ok();
}

Status GroupOrderPaid(trade::TradeService& trade, Tx& tx, int64_t group_id, trade::Order& order) {
  RETURN_IF_ERROR(tx.Run("UPDATE promo_groups SET paid_members = paid_members + 1 WHERE id=?", {group_id}));
  ASSIGN_OR_RETURN(Group g, LoadGroup(tx, group_id));
  if (g.status == GroupStatus::kFailed) {
    // Cannot happen while the deadline cancels every unpaid member order; should a payment
    // still land, the order waits and the expiry handler (run at once) refunds it.
    order.sub_status = trade::OrderSubStatus::kGrouping;
    return ToStatus(tx.AddTimer(kTimerGroupExpire, tx.NowMs(), Json{{"group_id", group_id}}));
  }
  if (g.status == GroupStatus::kSucceeded || g.paid_members < g.size) {
    order.sub_status = g.status == GroupStatus::kSucceeded ? trade::OrderSubStatus::kNone : trade::OrderSubStatus::kGrouping;
    return Ok();
  }
  // The N-th paid member: the group succeeds and all its orders become shippable.
  int64_t now = tx.NowMs();
  ASSIGN_OR_RETURN(std::string succeeded, Move(g.status, GroupStatus::kSucceeded));
  ASSIGN_OR_RETURN(int64_t changed, tx.Exec("UPDATE promo_groups SET status=?, ended_at_ms=? WHERE id=? AND status=?",
                                            {succeeded, now, group_id, Name(g.status)}));
  RETURN_IF_ERROR(internal::Moved(changed));
  ASSIGN_OR_RETURN(auto timer, tx.QueryOne("SELECT timer_id FROM promo_groups WHERE id=?", {group_id}));
  if (timer && !timer->IsNull(0)) RETURN_IF_ERROR(tx.CancelTimer(timer->Int(0)));
  // The other paid members were waiting; this order is being marked paid right now.
  ASSIGN_OR_RETURN(Rows members, tx.Query("SELECT order_id FROM activity_orders WHERE group_id=? AND state=? AND order_id<>?",
                                          {group_id, Name(ActivityOrderState::kPaid), order.id}));
  for (auto& m : members) RETURN_IF_ERROR(trade.ReleaseWait(tx, m.Int(0), trade::OrderSubStatus::kGrouping));
  order.sub_status = trade::OrderSubStatus::kNone;
  ASSIGN_OR_RETURN(int64_t merchant_id, MerchantOfGroup(tx, group_id));
  return Emit(tx, GroupChanged{.what = GroupChanged::What::kSucceeded, .group_id = group_id, .activity_id = g.activity_id,
                               .merchant_id = merchant_id, .leader_id = g.leader_id, .size = g.size, .paid_members = g.size});
}

Status GroupSeatFreed(Tx& tx, int64_t group_id) {
  RETURN_IF_ERROR(tx.Run("UPDATE promo_groups SET seats_taken = seats_taken - 1 WHERE id=?", {group_id}));
  ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT seats_taken, status, timer_id, activity_id, size, merchant_id FROM promo_groups WHERE id=?", {group_id}));
  if (!row || row->Int(0) > 0 || row->Str(1) != Name(GroupStatus::kForming)) return Ok();
  ASSIGN_OR_RETURN(std::string failed, Move(GroupStatus::kForming, GroupStatus::kFailed));
  ASSIGN_OR_RETURN(int64_t changed, tx.Exec("UPDATE promo_groups SET status=?, ended_at_ms=? WHERE id=? AND status=?",
                                            {failed, tx.NowMs(), group_id, Name(GroupStatus::kForming)}));
  RETURN_IF_ERROR(internal::Moved(changed));
  if (!row->IsNull(2)) RETURN_IF_ERROR(tx.CancelTimer(row->Int(2)));
  return Emit(tx, GroupChanged{.what = GroupChanged::What::kFailed, .group_id = group_id, .activity_id = row->Int(3),
                               .merchant_id = row->Int(5), .size = row->Int(4), .paid_members = 0, .reason = "empty"});
}

// The rows the members' cancels and refunds below will take, before the first of them, in the
// one lock order (decision 031; the members' orders and the group's row are already held): their
// stock rows ascending by SKU, then the ledger balances ascending by account — the buyers' store
// credit and its hold, the shop's escrow and provider balances. Taken member by member, one
// member's refund held the shop's `escrow:` balance while the next member's `card:` balance (it
// sorts first) was still to come: a store-credit payment of that buyer in the shop at the same
// moment takes them the other way round.
Status LockMembersStockAndLedger(Tx& tx, int64_t group_id) {
  const std::string for_update(tx.dialect().ForUpdate());
  RETURN_IF_ERROR(ToStatus(tx.Query("SELECT s.id FROM skus s WHERE s.id IN (SELECT i.sku_id FROM order_items i JOIN activity_orders m "
                                    "ON m.order_id = i.order_id WHERE m.group_id=?) ORDER BY s.id" + for_update,
                                    {group_id})));
  ASSIGN_OR_RETURN(Rows owners, tx.Query("SELECT DISTINCT o.buyer_id, o.merchant_id FROM orders o JOIN activity_orders m "
                                         "ON m.order_id = o.id WHERE m.group_id=?",
                                         {group_id}));
  std::vector<std::string> accounts;
  for (const Row& row : owners) {
    accounts.push_back(pay::CardAccount(row.Int(0)));
    accounts.push_back(pay::CardHoldAccount(row.Int(0)));
    accounts.push_back(pay::EscrowAccount(row.Int(1)));
    accounts.push_back(pay::ProviderAccount(row.Int(1)));
  }
  std::sort(accounts.begin(), accounts.end());
  accounts.erase(std::unique(accounts.begin(), accounts.end()), accounts.end());
  for (const std::string& account : accounts) RETURN_IF_ERROR(ToStatus(pay::BalanceForDebit(tx, account)));
  return Ok();
}

}  // namespace

Status ExpireGroup(trade::TradeService& trade, Tx& tx, int64_t group_id) {
  // The members' orders before the group's row, as a member's payment or cancel takes them
  // (trade::OrderObserver::LockRows); locking the group first deadlocked with a payment.
  ASSIGN_OR_RETURN(Rows held, tx.Query("SELECT order_id FROM activity_orders WHERE group_id=?", {group_id}));
  std::vector<int64_t> member_orders;
  for (auto& m : held) member_orders.push_back(m.Int(0));
  RETURN_IF_ERROR(trade.LockOrders(tx, std::move(member_orders)));
  ASSIGN_OR_RETURN(Group g, LockGroup(tx, group_id));
  if (g.status == GroupStatus::kSucceeded) return Ok();
  if (g.status == GroupStatus::kForming) {
    ASSIGN_OR_RETURN(std::string failed, Move(g.status, GroupStatus::kFailed));
    ASSIGN_OR_RETURN(int64_t changed, tx.Exec("UPDATE promo_groups SET status=?, ended_at_ms=? WHERE id=? AND status=?",
                                              {failed, tx.NowMs(), group_id, Name(g.status)}));
    RETURN_IF_ERROR(internal::Moved(changed));
    ASSIGN_OR_RETURN(int64_t merchant_id, MerchantOfGroup(tx, group_id));
    RETURN_IF_ERROR(Emit(tx, GroupChanged{.what = GroupChanged::What::kFailed, .group_id = group_id, .activity_id = g.activity_id,
                                          .merchant_id = merchant_id, .leader_id = g.leader_id, .size = g.size, .paid_members = g.paid_members,
                                          .reason = "expired"}));
  }
  ASSIGN_OR_RETURN(Rows members, tx.Query("SELECT order_id FROM activity_orders WHERE group_id=? "
                                          "AND state IN (" + ActivityOrderStateSql(HoldsClaim) + ") ORDER BY order_id",
                                          {group_id}));
  RETURN_IF_ERROR(LockMembersStockAndLedger(tx, group_id));
  for (auto& m : members) {
    int64_t order_id = m.Int(0);
    ASSIGN_OR_RETURN(trade::Order o, trade.GetOrder(tx, order_id, std::nullopt, std::nullopt));
    if (o.status == trade::OrderStatus::kCreated) {
      // As trade's unpaid timeout does: a buyer who paid a moment ago is found by asking the
      // provider, and is then refunded below rather than losing the payment to a cancel.
      ASSIGN_OR_RETURN(auto pending, pay::PendingPaymentOf(tx, order_id));
      if (pending) {
        ASSIGN_OR_RETURN(pay::PaymentStatus state, trade.QueryPayment(tx, pending->id));
        if (pay::Charged(state)) {
          ASSIGN_OR_RETURN(o, trade.GetOrder(tx, order_id, std::nullopt, std::nullopt));
        }
      }
    }
    if (o.status == trade::OrderStatus::kCreated) {
      RETURN_IF_ERROR(trade.Cancel(tx, order_id, std::nullopt, "拼团失败 (group failed)"));
    } else if (o.status == trade::OrderStatus::kPaid) {
      int64_t refundable = o.provider_paid_fen + o.card_paid_fen - o.refunded_fen;
      if (refundable > 0) RETURN_IF_ERROR(trade.RefundOrder(tx, order_id, refundable, "拼团失败自动退款 (group failed)"));
    }
  }
  return Ok();
}

namespace {

// An order in this status still stands (unpaid, or paid and kept): a failed group's member
// order must be in none of them (cancelled, or refunded).
bool OrderStands(trade::OrderStatus s) { return s == trade::OrderStatus::kCreated || trade::PaidInFull(s); }

Result<std::vector<std::string>> CheckGroups(Reader& r) {
  std::vector<std::string> problems;
  auto add = [&](const Rows& rows, const std::string& what) {
    for (auto& row : rows) problems.push_back("group " + IdString(row.Int(0)) + " " + what);
  };
  ASSIGN_OR_RETURN(Rows over, r.Query("SELECT id FROM promo_groups WHERE seats_taken > size OR paid_members > size LIMIT 10"));
  add(over, "is over-filled");
  ASSIGN_OR_RETURN(Rows seats, r.Query("SELECT g.id FROM promo_groups g WHERE g.seats_taken <> "
                                       "(SELECT count(*) FROM activity_orders m WHERE m.group_id = g.id "
                                       "AND m.state IN (" + ActivityOrderStateSql(HoldsClaim) + ")) "
                                       "OR g.paid_members <> (SELECT count(*) FROM activity_orders m WHERE m.group_id = g.id "
                                       "AND m.state = " + Sql(ActivityOrderState::kPaid) + ") "
                                       "LIMIT 10"));
  add(seats, "counts seats or paid members that disagree with its orders");
  using G = GroupStatus;
  ASSIGN_OR_RETURN(Rows succeeded, r.Query("SELECT id FROM promo_groups WHERE (status=" + internal::Sql(G::kSucceeded) +
                                           " AND paid_members <> size) OR (status=" + internal::Sql(G::kForming) +
                                           " AND paid_members >= size) LIMIT 10"));
  add(succeeded, "has a status that disagrees with its paid members");
  ASSIGN_OR_RETURN(Rows waiting, r.Query("SELECT g.id FROM promo_groups g JOIN activity_orders m ON m.group_id = g.id "
                                         "JOIN orders o ON o.id = m.order_id WHERE o.sub_status=" + internal::Sql(trade::OrderSubStatus::kGrouping) +
                                         " AND g.status <> " + internal::Sql(G::kForming) + " "
                                         "LIMIT 10"));
  add(waiting, "has ended but an order still waits in grouping");
  ASSIGN_OR_RETURN(Rows failed_kept, r.Query("SELECT g.id FROM promo_groups g JOIN activity_orders m ON m.group_id = g.id "
                                             "JOIN orders o ON o.id = m.order_id WHERE g.status=" + internal::Sql(G::kFailed) +
                                             " AND o.status IN (" + trade::OrderStatusSql(OrderStands) + ") LIMIT 10"));
  add(failed_kept, "failed but a member order was neither cancelled nor refunded");
  return problems;
}

// Group buy (拼团): a leader opens a group of `group_size` seats; the members' orders wait
// ("grouping") until all have paid, or are refunded when the group's deadline passes.
class GroupBuyType final : public ActivityType {
 public:
  std::string_view name() const override { return "group_buy"; }

  Status ReadInput(ObjectReader& r, ActivityInput& in) const override {
    in.group_price_fen = r.Int("group_price_fen", {.min = 1, .max = limits::kMaxActivityPriceFen});
    in.group_size = r.Int("group_size", {.min = limits::kMinGroupSize, .max = limits::kMaxGroupSize});
    in.group_ttl_s = r.Int("group_ttl_s", {.min = limits::kMinActivityTtlS, .max = limits::kMaxActivityTtlS});
    in.leader_price_fen = r.OptInt("leader_price_fen", {.min = 1, .max = limits::kMaxActivityPriceFen});
    in.new_user_only = r.Bool("new_user_only", false);
    return Ok();
  }

  Status ValidateInput(const ActivityInput& in) const override {
    if (in.leader_price_fen && *in.leader_price_fen > in.group_price_fen)
      return Fail(Msg::LEADER_PRICE_ABOVE_GROUP);
    return Ok();
  }

  Status Configure(const ActivityInput& in, const catalog::Sku& sku, Activity& a) const override {
    if (in.group_price_fen >= sku.price_fen)
      return Fail(Msg::GROUP_PRICE_NOT_BELOW, {Fen("sku_price", sku.price_fen)});
    a.config = Json{{"group_price_fen", in.group_price_fen}, {"group_size", in.group_size}, {"group_ttl_s", in.group_ttl_s},
                    {"new_user_only", in.new_user_only}};
    if (in.leader_price_fen) a.config["leader_price_fen"] = *in.leader_price_fen;
    return Ok();
  }

  bool takes_group_id() const override { return true; }
  // A gift has one recipient and waits for them; a group order waits for its group.
  bool allows_gift() const override { return false; }

  Status Price(Reader& r, Tx* tx, const Activity& a, const ActivityRef& ref, trade::PricingContext& ctx) const override {
    return PriceGroupBuy(r, tx, a, ref, ctx);
  }

  Status OnPaid(trade::TradeService& trade, Tx& tx, const ActivityOrder& ao, trade::Order& order) const override {
    return ao.group_id ? GroupOrderPaid(trade, tx, *ao.group_id, order) : Ok();
  }

  Status OnCancelled(Tx& tx, const ActivityOrder& ao) const override { return ao.group_id ? GroupSeatFreed(tx, *ao.group_id) : Ok(); }

  // A payment counts a paid member and a cancel frees a seat: both change the group's row,
  // which a join locks before it reserves stock.
  Status LockRows(Tx& tx, const ActivityOrder& ao, trade::OrderChange) const override {
    return ao.group_id ? ToStatus(LockGroup(tx, *ao.group_id)) : Ok();
  }

  Result<std::vector<std::string>> Check(Reader& r) const override { return CheckGroups(r); }
};

}  // namespace

std::unique_ptr<ActivityType> MakeGroupBuyType() { return std::make_unique<GroupBuyType>(); }

}  // namespace internal

Json ToJson(const Group& g) {
  return Json{{"id", IdString(g.id)},
              {"activity_id", IdString(g.activity_id)},
              {"product_id", IdString(g.product_id)},
              {"leader_id", IdString(g.leader_id)},
              {"status", Name(g.status)},
              {"size", g.size},
              {"seats_taken", g.seats_taken},
              {"seats_left", g.size - g.seats_taken},
              {"paid_members", g.paid_members},
              {"missing_members", g.size - g.paid_members},  // "还差 N 人成团"
              {"expires_at", FormatRfc3339(g.expires_at_ms)},
              {"created_at", FormatRfc3339(g.created_at_ms)},
              {"ended_at", g.ended_at_ms ? Json(FormatRfc3339(*g.ended_at_ms)) : Json(nullptr)}};
}

Result<Group> PromoService::GetGroup(Reader& r, int64_t id) { return internal::LoadGroup(r, id); }

Result<std::vector<Group>> PromoService::JoinableGroups(Reader& r, int64_t product_id, int64_t limit) {
  ASSIGN_OR_RETURN(Rows rows, r.Query(std::string("SELECT ") + internal::kGroupCols +
                                          " FROM promo_groups WHERE product_id=? AND status=" + internal::Sql(GroupStatus::kForming) + " AND expires_at_ms > ? "
                                          "AND seats_taken < size ORDER BY size - seats_taken, expires_at_ms LIMIT ?",
                                      {product_id, r.clock().NowMs(), limit}));
  std::vector<Group> out;
  for (auto& row : rows) out.push_back(internal::GroupFromRow(row));
  return out;
}

}  // namespace xd::promo
