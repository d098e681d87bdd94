// Distribution (分销 / 分享员). A merchant sets a commission rate on a product; any buyer
// creates a share link; a viewer who opens it gets the sharer as their last touch for the
// product. An order line of that product created within the attribution window (default 7
// days) owes the sharer rate × the line's share of what the buyer kept, paid out of the
// merchant's share when the order completes (trade's OnCompleting postings move it from
// escrow to "sharer:<id>"). A cancelled or fully refunded order owes nothing; a partial
// refund shrinks the base. One row per order and product: never a commission paid twice.
#include <algorithm>

#include "account/account.h"
#include <sodium.h>

#include "base/id.h"
#include "base/money.h"
#include "catalog/catalog.h"
#include "promo/events.h"
#include "promo/internal/promo_internal.h"

namespace xd::promo {

std::string SharerAccount(int64_t user_id) { return "sharer:" + IdString(user_id); }

Json ToJson(const Share& s, bool for_sharer) {
  // The code is the link's public id; the internal id never leaves the server.
  return Json{{"id", s.code},
              {"sharer_id", IdString(s.sharer_id)},
              {"product_id", IdString(s.product_id)},
              {"activity_id", s.activity_id ? Json(IdString(*s.activity_id)) : Json(nullptr)},
              {"chat_group", for_sharer && s.chat_group ? Json(*s.chat_group) : Json(nullptr)},
              {"opens", s.opens},
              {"friend_opens", s.friend_opens},
              {"link", "/#/product/" + IdString(s.product_id) + "?share=" + s.code},
              {"created_at", FormatRfc3339(s.created_at_ms)}};
}

namespace {

constexpr const char* kShareSelect =
    "SELECT id, sharer_id, product_id, activity_id, opens, created_at_ms, "
    "(SELECT count(*) FROM share_opens o WHERE o.share_id = shares.id AND o.is_friend=1), chat_group, code FROM shares ";

Result<Share> ShareFromRow(const std::optional<Row>& row) {
  if (!row) return Fail(ErrorCode::NOT_FOUND, "share not found");
  Share s{row->Int(0), row->Int(1), row->Int(2), row->Str(8), row->OptInt(3), std::nullopt, row->Int(4), row->Int(6), row->Int(5)};
  if (!row->IsNull(7)) s.chat_group = row->Str(7);
  return s;
}

Result<Share> LoadShare(Reader& r, int64_t id) {
  ASSIGN_OR_RETURN(auto row, r.QueryOne(std::string(kShareSelect) + "WHERE id=?", {id}));
  return ShareFromRow(row);
}

// 12 characters of base62 from libsodium's CSPRNG: about 71 bits, not enumerable.
std::string RandomCode() {
  static constexpr char kAlphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::string code(12, '0');
  for (auto& ch : code) ch = kAlphabet[randombytes_uniform(62)];
  return code;
}

}  // namespace

namespace {
// An order in this status has settled its commissions: paid on completion, cancelled when
// the order was cancelled or refunded in full. A pending one there is a broken invariant.
bool OwesNoPendingCommission(trade::OrderStatus s) {
  using O = trade::OrderStatus;
  return s == O::kCompleted || s == O::kCancelled || s == O::kRefunded;
}
}  // namespace

namespace internal {

Status AttributeOrder(Tx& tx, const trade::PricingContext& ctx, int64_t order_id, int64_t window_ms) {
  int64_t now = tx.NowMs();
  // The chat group of the latest touch on any of the order's products, within the window.
  std::optional<std::string> chat_group;
  int64_t chat_touch_ms = 0;
  for (auto& l : ctx.lines) {
    ASSIGN_OR_RETURN(auto t, tx.QueryOne("SELECT chat_group, touched_at_ms FROM share_touches WHERE buyer_id=? AND product_id=? "
                                         "AND touched_at_ms > ? AND chat_group IS NOT NULL",
                                         {ctx.buyer_id, l.product_id, now - window_ms}));
    if (t && t->Int(1) >= chat_touch_ms) {
      chat_group = t->Str(0);
      chat_touch_ms = t->Int(1);
    }
  }
  if (chat_group)
    RETURN_IF_ERROR(tx.Run("INSERT INTO chat_group_orders(order_id, merchant_id, chat_group, buyer_id, created_at_ms) VALUES(?,?,?,?,?)",
                           {order_id, ctx.merchant_id, *chat_group, ctx.buyer_id, now}));
  for (auto& l : ctx.lines) {
    ASSIGN_OR_RETURN(auto rate, tx.QueryOne("SELECT commission_bps FROM product_distribution WHERE product_id=? AND merchant_id=? "
                                            "AND commission_bps > 0",
                                            {l.product_id, ctx.merchant_id}));
    if (!rate) continue;
    ASSIGN_OR_RETURN(auto touch, tx.QueryOne("SELECT share_id, sharer_id FROM share_touches WHERE buyer_id=? AND product_id=? "
                                             "AND touched_at_ms > ? AND sharer_id <> buyer_id",
                                             {ctx.buyer_id, l.product_id, now - window_ms}));
    if (!touch) continue;
    RETURN_IF_ERROR(tx.Run("INSERT INTO order_commissions(order_id, product_id, merchant_id, sharer_id, share_id, commission_bps, line_fen, "
                           "status, created_at_ms) VALUES(?,?,?,?,?,?,?,?,?)",
                           {order_id, l.product_id, ctx.merchant_id, touch->Int(1), touch->Int(0), rate->Int(0), l.unit_price_fen * l.quantity,
                            Name(CommissionStatus::kPending), now}));
  }
  return Ok();
}

Status PayCommissions(Tx& tx, const trade::Order& order, std::vector<pay::Posting>* shares) {
  constexpr CommissionStatus kFrom = CommissionStatus::kPending;
  ASSIGN_OR_RETURN(Rows rows, tx.Query("SELECT product_id, sharer_id, commission_bps, line_fen FROM order_commissions "
                                       "WHERE order_id=? AND status=? ORDER BY product_id",
                                       {order.id, Name(kFrom)}));
  if (rows.empty()) return Ok();
  ASSIGN_OR_RETURN(std::string paid, Move(kFrom, CommissionStatus::kPaid));
  int64_t kept = order.provider_paid_fen + order.card_paid_fen - order.refunded_fen;
  // What the merchant nets after the platform's commission and other observers' shares.
  int64_t room = kept - order.commission_fen;
  for (auto& p : *shares) room -= p.amount_fen;
  for (auto& row : rows) {
    // The line's part of what the buyer kept (discounts and partial refunds shrink it).
    int64_t base = order.total_fen > 0
                       ? static_cast<int64_t>(static_cast<__int128>(row.Int(3)) * std::max<int64_t>(kept, 0) / order.total_fen)
                       : 0;
    ASSIGN_OR_RETURN(Money due, Money::Fen(std::min(base, row.Int(3))).ApplyBps(row.Int(2)));
    int64_t amount = std::clamp<int64_t>(due.fen(), 0, std::max<int64_t>(room, 0));
    room -= amount;
    if (amount > 0) shares->push_back({SharerAccount(row.Int(1)), amount});
    ASSIGN_OR_RETURN(int64_t changed, tx.Exec("UPDATE order_commissions SET status=?, amount_fen=? WHERE order_id=? AND product_id=? "
                                              "AND status=?",
                                              {paid, amount, order.id, row.Int(0), Name(kFrom)}));
    RETURN_IF_ERROR(Moved(changed));
    RETURN_IF_ERROR(Emit(tx, CommissionPaid{order.id, order.merchant_id, row.Int(1), row.Int(0), amount}));
  }
  return Ok();
}

Status CancelCommissions(Tx& tx, int64_t order_id) {
  ASSIGN_OR_RETURN(std::string cancelled, Move(CommissionStatus::kPending, CommissionStatus::kCancelled));
  return tx.Run("UPDATE order_commissions SET status=? WHERE order_id=? AND status=?",
                {cancelled, order_id, Name(CommissionStatus::kPending)});
}

Result<std::vector<std::string>> CheckDistribution(Reader& r) {
  std::vector<std::string> problems;
  using M = CommissionStatus;
  using O = trade::OrderStatus;
  ASSIGN_OR_RETURN(Rows sharers, r.Query("SELECT sharer_id, SUM(CASE WHEN status=" + Sql(M::kPaid) + " THEN amount_fen ELSE 0 END) "
                                         "FROM order_commissions GROUP BY sharer_id LIMIT 100000"));
  for (auto& row : sharers) {
    ASSIGN_OR_RETURN(int64_t balance, pay::Balance(r, SharerAccount(row.Int(0))));
    if (balance != row.Int(1))
      problems.push_back("sharer " + IdString(row.Int(0)) + " holds " + std::to_string(balance) + " fen but earned " +
                         std::to_string(row.Int(1)));
    if (problems.size() > 10) break;
  }
  ASSIGN_OR_RETURN(Rows wrong, r.Query("SELECT c.order_id FROM order_commissions c JOIN orders o ON o.id = c.order_id "
                                       "WHERE (c.status=" + Sql(M::kPaid) + " AND o.status <> " + Sql(O::kCompleted) + ") "
                                       "OR (c.status=" + Sql(M::kPending) + " AND o.status IN (" +
                                           trade::OrderStatusSql(OwesNoPendingCommission) + ")) LIMIT 10"));
  for (auto& row : wrong) problems.push_back("order " + IdString(row.Int(0)) + " has a commission that disagrees with its status");
  return problems;
}

}  // namespace internal

Result<Json> PromoService::SetDistribution(Tx& tx, int64_t merchant_id, int64_t product_id, int64_t commission_bps) {
  if (commission_bps < 0 || commission_bps > limits::kMaxDistributionBps)
    return Fail(ErrorCode::INVALID_FIELD, "commission_bps must be 0.." + std::to_string(limits::kMaxDistributionBps));
  RETURN_IF_ERROR(catalog::GetProduct(tx, product_id, false, merchant_id, false));
  RETURN_IF_ERROR(tx.Run("INSERT INTO product_distribution(product_id, merchant_id, commission_bps, updated_at_ms) VALUES(?,?,?,?) "
                         "ON CONFLICT(product_id) DO UPDATE SET commission_bps=excluded.commission_bps, updated_at_ms=excluded.updated_at_ms",
                         {product_id, merchant_id, commission_bps, tx.NowMs()}));
  return Json{{"product_id", IdString(product_id)}, {"commission_bps", commission_bps}};
}

Result<Share> PromoService::CreateShare(Tx& tx, int64_t sharer_id, std::optional<int64_t> product_id,
                                        std::optional<int64_t> activity_id, std::optional<std::string> chat_group) {
  if (chat_group && (chat_group->empty() || chat_group->size() > limits::kMaxChatGroupKeyLen))
    return Fail(ErrorCode::INVALID_FIELD, "chat_group must be 1.." + std::to_string(limits::kMaxChatGroupKeyLen) + " bytes");
  if (activity_id) {
    ASSIGN_OR_RETURN(Activity a, GetActivity(tx, *activity_id));
    if (product_id && *product_id != a.product_id) return Fail(ErrorCode::INVALID_FIELD, "product_id is not the activity's product");
    product_id = a.product_id;
  }
  if (!product_id) return Fail(ErrorCode::MISSING_FIELD, "product_id or activity_id is required");
  RETURN_IF_ERROR(catalog::GetProduct(tx, *product_id, true, {}, false));
  Share s{tx.NewId(), sharer_id, *product_id, RandomCode(), activity_id, chat_group, 0, 0, tx.NowMs()};
  RETURN_IF_ERROR(tx.Run("INSERT INTO shares(id, sharer_id, product_id, activity_id, chat_group, opens, created_at_ms, code) "
                         "VALUES(?,?,?,?,?,0,?,?)",
                         {s.id, sharer_id, s.product_id, activity_id, chat_group, s.created_at_ms, s.code}));
  RETURN_IF_ERROR(Emit(tx, ShareChanged{false, s.id, sharer_id, s.product_id, 0, s.activity_id}));
  return s;
}

Result<Share> PromoService::GetShare(Reader& r, int64_t id) { return LoadShare(r, id); }

Result<Share> PromoService::ShareByCode(Reader& r, const std::string& code) {
  if (code.size() != 12) return Fail(ErrorCode::NOT_FOUND, "share not found");
  ASSIGN_OR_RETURN(auto row, r.QueryOne(std::string(kShareSelect) + "WHERE code=?", {code}));
  return ShareFromRow(row);
}

Result<Share> PromoService::OpenShare(Tx& tx, int64_t viewer_id, int64_t share_id) {
  ASSIGN_OR_RETURN(Share s, LoadShare(tx, share_id));
  RETURN_IF_ERROR(Emit(tx, ShareChanged{true, s.id, s.sharer_id, s.product_id, viewer_id, s.activity_id}));
  if (viewer_id == s.sharer_id) return s;  // (a sharer's own opens count nowhere)
  // Distinct viewers only: a second open by the same viewer changes no count.
  ASSIGN_OR_RETURN(bool friends, account::AreFriends(tx, viewer_id, s.sharer_id));
  ASSIGN_OR_RETURN(int64_t first, tx.Exec("INSERT INTO share_opens(share_id, sharer_id, viewer_id, is_friend, opened_at_ms) "
                                          "VALUES(?,?,?,?,?) ON CONFLICT(share_id, viewer_id) DO NOTHING",
                                          {s.id, s.sharer_id, viewer_id, friends, tx.NowMs()}));
  if (first > 0) {
    RETURN_IF_ERROR(tx.Run("UPDATE shares SET opens = opens + 1 WHERE id=?", {s.id}));
    s.opens += 1;
    s.friend_opens += friends ? 1 : 0;
  }
  RETURN_IF_ERROR(tx.Run("INSERT INTO share_touches(buyer_id, product_id, share_id, sharer_id, chat_group, touched_at_ms) "
                         "VALUES(?,?,?,?,?,?) ON CONFLICT(buyer_id, product_id) DO UPDATE SET share_id=excluded.share_id, "
                         "sharer_id=excluded.sharer_id, chat_group=excluded.chat_group, touched_at_ms=excluded.touched_at_ms",
                         {viewer_id, s.product_id, s.id, s.sharer_id, s.chat_group, tx.NowMs()}));
  return s;
}

Result<Json> PromoService::SharerCommissions(Reader& r, int64_t sharer_id, int64_t limit) {
  ASSIGN_OR_RETURN(int64_t balance, pay::Balance(r, SharerAccount(sharer_id)));
  ASSIGN_OR_RETURN(Rows rows, r.Query("SELECT order_id, product_id, commission_bps, line_fen, amount_fen, status, created_at_ms "
                                      "FROM order_commissions WHERE sharer_id=? ORDER BY created_at_ms DESC, order_id DESC LIMIT ?",
                                      {sharer_id, limit}));
  Json items = Json::array();
  for (auto& row : rows)
    items.push_back(Json{{"order_id", IdString(row.Int(0))}, {"product_id", IdString(row.Int(1))}, {"commission_bps", row.Int(2)},
                         {"line_fen", row.Int(3)}, {"amount_fen", row.Int(4)}, {"status", row.Str(5)},
                         {"created_at", FormatRfc3339(row.Int(6))}});
  return Json{{"balance_fen", balance}, {"items", items}};
}

}  // namespace xd::promo
