// Distribution (分销 / 分享员). A merchant sets a commission rate on a product; any buyer
// creates a share link; a viewer who opens it gets the sharer as their last touch for the
// product. An order line of that product created within the attribution window (default 7
// days) owes the sharer rate × the line's share of what the buyer kept, paid out of the
// merchant's share when the order completes (trade's OnCompleting postings move it from
// escrow to "sharer:<id>"). A cancelled or fully refunded order owes nothing; a partial
// refund shrinks the base. One row per order and product: never a commission paid twice.
#include <algorithm>
#include <array>

#include "account/account.h"
#include <sodium.h>

#include "base/id.h"
#include "base/messages.h"
#include "base/money.h"
#include "catalog/catalog.h"
#include "promo/events.h"
#include "promo/internal/promo_internal.h"

namespace xd::promo {

std::string SharerAccount(int64_t user_id) { return "sharer:" + IdString(user_id); }

namespace {

constexpr std::array<std::string_view, 5> kTargetNames{"product", "activity", "group", "bargain", "shop"};
constexpr std::array<std::string_view, 5> kChannels{"link", "qr", "poster", "chat", "moments"};

}  // namespace

std::string_view Name(ShareTarget t) { return kTargetNames[static_cast<size_t>(t)]; }

std::optional<ShareTarget> ParseShareTarget(std::string_view name) {
  for (size_t i = 0; i < kTargetNames.size(); ++i)
    if (kTargetNames[i] == name) return static_cast<ShareTarget>(i);
  return std::nullopt;
}

bool IsShareChannel(std::string_view channel) {
  return std::find(kChannels.begin(), kChannels.end(), channel) != kChannels.end();
}

Json ToJson(const Share& s, bool for_sharer) {
  // The code is the link's public id; the internal id never leaves the server, and the
  // sharer's id only to the sharer.
  Json j{{"id", s.code},
         {"code", s.code},
         {"target", {{"kind", Name(s.target)}, {"id", IdString(s.target_id)}}},
         {"product_id", s.product_id ? Json(IdString(s.product_id)) : Json(nullptr)},
         {"activity_id", s.activity_id ? Json(IdString(*s.activity_id)) : Json(nullptr)},
         {"merchant_id", IdString(s.merchant_id)},
         {"channel", s.channel},
         {"chat_group", for_sharer && s.chat_group ? Json(*s.chat_group) : Json(nullptr)},
         {"opens", s.opens},
         {"friend_opens", s.friend_opens},
         {"link", "/s/" + s.code},
         {"created_at", FormatRfc3339(s.created_at_ms)}};
  if (for_sharer) j["sharer_id"] = IdString(s.sharer_id);
  return j;
}

namespace {

constexpr const char* kShareSelect =
    "SELECT id, sharer_id, product_id, activity_id, opens, created_at_ms, "
    "(SELECT count(*) FROM share_opens o WHERE o.share_id = shares.id AND o.is_friend=1), chat_group, code, "
    "target_kind, target_id, channel, merchant_id FROM shares ";

Result<Share> ShareFromRow(const std::optional<Row>& row) {
  if (!row) return Fail(Msg::SHARE_NOT_FOUND);
  Share s{row->Int(0), row->Int(1), row->Int(2), row->Str(8), row->OptInt(3), std::nullopt, row->Int(4), row->Int(6), row->Int(5)};
  if (!row->IsNull(7)) s.chat_group = row->Str(7);
  std::optional<ShareTarget> target = ParseShareTarget(row->Str(9));
  if (!target) return Fail(ErrorCode::INTERNAL, "share " + IdString(s.id) + " has an unknown target kind " + row->Str(9));
  s.target = *target;
  s.target_id = row->Int(10);
  s.channel = row->Str(11);
  s.merchant_id = row->Int(12);
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

// What a link of `req` lands on, resolved against the store: its product (0 for a shop), its
// activity, its shop. NOT_FOUND when the target does not exist or is not open to buyers.
struct ResolvedTarget {
  int64_t product_id = 0, merchant_id = 0;
  std::optional<int64_t> activity_id;
};

Result<ResolvedTarget> ResolveTarget(PromoService& promo, Reader& r, const ShareRequest& req) {
  ResolvedTarget t;
  switch (req.target) {
    case ShareTarget::kProduct:
      t.product_id = req.target_id;
      break;
    case ShareTarget::kActivity: {
      ASSIGN_OR_RETURN(Activity a, promo.GetActivity(r, req.target_id));
      t.product_id = a.product_id;
      t.activity_id = a.id;
      break;
    }
    case ShareTarget::kGroup: {
      ASSIGN_OR_RETURN(Group g, internal::LoadGroup(r, req.target_id));
      t.product_id = g.product_id;
      t.activity_id = g.activity_id;
      break;
    }
    case ShareTarget::kBargain: {
      ASSIGN_OR_RETURN(Bargain b, internal::LoadBargain(r, req.target_id));
      ASSIGN_OR_RETURN(Activity a, promo.GetActivity(r, b.activity_id));
      t.product_id = a.product_id;
      t.activity_id = a.id;
      break;
    }
    case ShareTarget::kShop: {
      ASSIGN_OR_RETURN(account::Merchant m, account::GetMerchant(r, req.target_id));
      if (m.status != "active") return Fail(Msg::MERCHANT_NOT_FOUND);
      t.merchant_id = m.id;
      return t;
    }
  }
  ASSIGN_OR_RETURN(catalog::Product p, catalog::GetProduct(r, t.product_id, true, {}, false));
  t.merchant_id = p.merchant_id;
  return t;
}

// The chat group's part of the idempotency key: '' for none (NULL is kept for links made
// before migration 026, which never match).
std::string ChatKey(const ShareRequest& req) { return req.chat_group.value_or(""); }

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
  // The buyer's latest touch on the shop as a whole (a shop link), within the window; a line's
  // own product touch wins when it is later. A touch by the buyer's own link never got here
  // (OpenShare records none), and the queries refuse one anyway: nobody earns on themselves.
  struct Touch {
    int64_t share_id = 0, sharer_id = 0, at_ms = 0;
    std::optional<std::string> chat_group;
  };
  auto touch_of = [](const std::optional<Row>& row) -> std::optional<Touch> {
    if (!row) return std::nullopt;
    Touch t{row->Int(0), row->Int(1), row->Int(2), std::nullopt};
    if (!row->IsNull(3)) t.chat_group = row->Str(3);
    return t;
  };
  ASSIGN_OR_RETURN(auto shop_row, tx.QueryOne("SELECT share_id, sharer_id, touched_at_ms, chat_group FROM share_shop_touches "
                                              "WHERE buyer_id=? AND merchant_id=? AND touched_at_ms > ? AND sharer_id <> buyer_id",
                                              {ctx.buyer_id, ctx.merchant_id, now - window_ms}));
  std::optional<Touch> shop_touch = touch_of(shop_row);
  std::vector<std::optional<Touch>> line_touch;
  for (auto& l : ctx.lines) {
    ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT share_id, sharer_id, touched_at_ms, chat_group FROM share_touches "
                                           "WHERE buyer_id=? AND product_id=? AND touched_at_ms > ? AND sharer_id <> buyer_id",
                                           {ctx.buyer_id, l.product_id, now - window_ms}));
    std::optional<Touch> t = touch_of(row);
    if (shop_touch && (!t || shop_touch->at_ms > t->at_ms)) t = shop_touch;
    line_touch.push_back(t);
  }
  // The chat group of the latest touch that came through one.
  const Touch* chat = nullptr;
  for (auto& t : line_touch)
    if (t && t->chat_group && (!chat || t->at_ms >= chat->at_ms)) chat = &*t;
  if (chat)
    RETURN_IF_ERROR(tx.Run("INSERT INTO chat_group_orders(order_id, merchant_id, chat_group, buyer_id, created_at_ms) VALUES(?,?,?,?,?)",
                           {order_id, ctx.merchant_id, *chat->chat_group, ctx.buyer_id, now}));
  for (size_t i = 0; i < ctx.lines.size(); ++i) {
    const auto& l = ctx.lines[i];
    if (!line_touch[i]) continue;
    ASSIGN_OR_RETURN(auto rate, tx.QueryOne("SELECT commission_bps FROM product_distribution WHERE product_id=? AND merchant_id=? "
                                            "AND commission_bps > 0",
                                            {l.product_id, ctx.merchant_id}));
    if (!rate) continue;
    // One row per order and product (a product on two lines, two SKUs, adds up).
    RETURN_IF_ERROR(tx.Run("INSERT INTO order_commissions(order_id, product_id, merchant_id, sharer_id, share_id, commission_bps, line_fen, "
                           "status, created_at_ms) VALUES(?,?,?,?,?,?,?,?,?) ON CONFLICT(order_id, product_id) DO UPDATE SET "
                           "line_fen = order_commissions.line_fen + excluded.line_fen",
                           {order_id, l.product_id, ctx.merchant_id, line_touch[i]->sharer_id, line_touch[i]->share_id, rate->Int(0),
                            l.unit_price_fen * l.quantity, Name(CommissionStatus::kPending), now}));
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
  // A sharer account holds what its commissions paid less what the sharer withdrew to store
  // credit, and never less than nothing: every sharer with a commission or a withdrawal, and
  // every sharer account with a balance row.
  ASSIGN_OR_RETURN(Rows sharers, r.Query("SELECT sharer_id, SUM(paid) FROM ("
                                         "SELECT sharer_id, CASE WHEN status=" + Sql(M::kPaid) + " THEN amount_fen ELSE 0 END AS paid "
                                         "FROM order_commissions UNION ALL "
                                         "SELECT sharer_id, -amount_fen AS paid FROM sharer_withdrawals) t "
                                         "GROUP BY sharer_id LIMIT 100000"));
  for (auto& row : sharers) {
    ASSIGN_OR_RETURN(int64_t balance, pay::Balance(r, SharerAccount(row.Int(0))));
    if (balance != row.Int(1))
      problems.push_back("sharer " + IdString(row.Int(0)) + " holds " + std::to_string(balance) + " fen but earned less withdrawn " +
                         std::to_string(row.Int(1)));
    if (problems.size() > 10) break;
  }
  ASSIGN_OR_RETURN(Rows negative, r.Query("SELECT account, balance_fen FROM balances WHERE " + pay::AccountInFamily("account", "sharer:") +
                                          " AND balance_fen < 0 LIMIT 10"));
  for (auto& row : negative)
    problems.push_back("sharer account " + row.Str(0) + " is negative: " + std::to_string(row.Int(1)) + " fen");
  ASSIGN_OR_RETURN(Rows wrong, r.Query("SELECT c.order_id FROM order_commissions c JOIN orders o ON o.id = c.order_id "
                                       "WHERE (c.status=" + Sql(M::kPaid) + " AND o.status <> " + Sql(O::kCompleted) + ") "
                                       "OR (c.status=" + Sql(M::kPending) + " AND o.status IN (" +
                                           trade::OrderStatusSql(OwesNoPendingCommission) + ")) LIMIT 10"));
  for (auto& row : wrong) problems.push_back("order " + IdString(row.Int(0)) + " has a commission that disagrees with its status");
  // An attributed line names a share that exists, is that share's sharer's, and is not the
  // buyer's own (nobody earns on their own purchase).
  ASSIGN_OR_RETURN(Rows unattributable, r.Query("SELECT c.order_id, c.product_id FROM order_commissions c JOIN orders o ON o.id = c.order_id "
                                                "LEFT JOIN shares s ON s.id = c.share_id "
                                                "WHERE s.id IS NULL OR s.sharer_id <> c.sharer_id OR c.sharer_id = o.buyer_id LIMIT 10"));
  for (auto& row : unattributable)
    problems.push_back("order " + IdString(row.Int(0)) + " pays a commission on product " + IdString(row.Int(1)) +
                       " through a share that is missing, someone else's, or the buyer's own");
  // A last touch (per product, per shop) names its share's sharer and never the buyer.
  for (const char* table : {"share_touches", "share_shop_touches"}) {
    ASSIGN_OR_RETURN(Rows touches, r.Query(std::string("SELECT t.buyer_id, t.share_id FROM ") + table +
                                           " t LEFT JOIN shares s ON s.id = t.share_id "
                                           "WHERE s.id IS NULL OR s.sharer_id <> t.sharer_id OR t.sharer_id = t.buyer_id LIMIT 10"));
    for (auto& row : touches)
      problems.push_back(std::string(table) + ": buyer " + IdString(row.Int(0)) + "'s touch names share " + IdString(row.Int(1)) +
                         ", which is missing, someone else's, or the buyer's own");
  }
  return problems;
}

}  // namespace internal

Result<Json> PromoService::SetDistribution(Tx& tx, int64_t merchant_id, int64_t product_id, int64_t commission_bps) {
  if (commission_bps < 0 || commission_bps > limits::kMaxDistributionBps)
    return Fail(Msg::COMMISSION_BPS_RANGE, {{"max_percent", limits::kMaxDistributionBps / 100}, {"max_bps", limits::kMaxDistributionBps}});
  RETURN_IF_ERROR(catalog::GetProduct(tx, product_id, false, merchant_id, false));
  RETURN_IF_ERROR(tx.Run("INSERT INTO product_distribution(product_id, merchant_id, commission_bps, updated_at_ms) VALUES(?,?,?,?) "
                         "ON CONFLICT(product_id) DO UPDATE SET commission_bps=excluded.commission_bps, updated_at_ms=excluded.updated_at_ms",
                         {product_id, merchant_id, commission_bps, tx.NowMs()}));
  return Json{{"product_id", IdString(product_id)}, {"commission_bps", commission_bps}};
}

Result<std::optional<Share>> PromoService::FindShare(Reader& r, int64_t sharer_id, const ShareRequest& req) {
  ASSIGN_OR_RETURN(auto row, r.QueryOne(std::string(kShareSelect) +
                                            "WHERE sharer_id=? AND target_kind=? AND target_id=? AND channel=? AND chat_key=?",
                                        {sharer_id, Name(req.target), req.target_id, req.channel, ChatKey(req)}));
  if (!row) return std::optional<Share>();
  ASSIGN_OR_RETURN(Share s, ShareFromRow(row));
  return std::optional<Share>(std::move(s));
}

Result<Share> PromoService::CreateShare(Tx& tx, int64_t sharer_id, const ShareRequest& req) {
  if (req.chat_group && (req.chat_group->empty() || req.chat_group->size() > limits::kMaxChatGroupKeyLen))
    return Fail(Msg::FIELD_LENGTH, {Field("chat_group"), {"min", 1}, {"max", limits::kMaxChatGroupKeyLen}});
  if (!IsShareChannel(req.channel)) return Fail(Msg::FIELD_ONE_OF, {Field("channel"), {"value", req.channel}});
  ASSIGN_OR_RETURN(ResolvedTarget t, ResolveTarget(*this, tx, req));
  // Chat groups are free text, so one account could otherwise make links (rows) without end.
  // Counted up to the cap only, under the sharer's row lock (one node at a time); a link asked
  // for again is answered before this (FindShare).
  RETURN_IF_ERROR(account::LockUser(tx, sharer_id));
  ASSIGN_OR_RETURN(int64_t recent, tx.QueryInt("SELECT count(*) FROM (SELECT 1 FROM shares WHERE sharer_id=? AND created_at_ms > ? "
                                               "LIMIT ?) recent",
                                               {sharer_id, static_cast<int64_t>(tx.NowMs() - int64_t{24} * 3600 * 1000), limits::kMaxNewSharesPerDay}));
  if (recent >= limits::kMaxNewSharesPerDay) {
    ASSIGN_OR_RETURN(std::optional<Share> existing, FindShare(tx, sharer_id, req));
    if (existing) return *existing;
    return Fail(Msg::SHARE_DAILY_LIMIT, {{"max", limits::kMaxNewSharesPerDay}});
  }
  Share s{tx.NewId(), sharer_id, t.product_id, RandomCode(), t.activity_id, req.chat_group, 0, 0, tx.NowMs(),
          req.target, req.target_id, req.channel, t.merchant_id};
  // The tuple is unique (shares_tuple): a racing twin of this request that committed first
  // makes this insert a no-op, and both answer its link.
  ASSIGN_OR_RETURN(int64_t inserted,
                   tx.Exec("INSERT INTO shares(id, sharer_id, product_id, activity_id, chat_group, opens, created_at_ms, code, "
                           "target_kind, target_id, channel, chat_key, merchant_id) VALUES(?,?,?,?,?,0,?,?,?,?,?,?,?) "
                           "ON CONFLICT DO NOTHING",
                           {s.id, sharer_id, s.product_id, s.activity_id, req.chat_group, s.created_at_ms, s.code, Name(req.target),
                            req.target_id, req.channel, ChatKey(req), s.merchant_id}));
  if (inserted == 0) {
    ASSIGN_OR_RETURN(std::optional<Share> existing, FindShare(tx, sharer_id, req));
    if (!existing) return Fail(Msg::SHARE_CODE_COLLISION);
    return *existing;
  }
  RETURN_IF_ERROR(Emit(tx, ShareChanged{false, s.id, sharer_id, s.product_id, 0, s.activity_id}));
  return s;
}

Result<Share> PromoService::GetShare(Reader& r, int64_t id) { return LoadShare(r, id); }

Result<Share> PromoService::ShareByCode(Reader& r, const std::string& code) {
  if (code.size() != 12) return Fail(Msg::SHARE_NOT_FOUND);
  ASSIGN_OR_RETURN(auto row, r.QueryOne(std::string(kShareSelect) + "WHERE code=?", {code}));
  return ShareFromRow(row);
}

Result<Share> PromoService::OpenShare(Tx& tx, int64_t viewer_id, int64_t share_id, bool via_signup) {
  ASSIGN_OR_RETURN(Share s, LoadShare(tx, share_id));
  RETURN_IF_ERROR(Emit(tx, ShareChanged{true, s.id, s.sharer_id, s.product_id, viewer_id, s.activity_id}));
  if (viewer_id == s.sharer_id) return s;  // (a sharer's own opens count nowhere)
  // Distinct viewers only: a second open by the same viewer changes no count. A viewer who
  // registered through the link was invited by the sharer: that open counts as a friend's
  // (share-to-drop), though no friendship is made for them (decision 019).
  ASSIGN_OR_RETURN(bool friends, account::AreFriends(tx, viewer_id, s.sharer_id));
  friends = friends || via_signup;
  ASSIGN_OR_RETURN(int64_t first, tx.Exec("INSERT INTO share_opens(share_id, sharer_id, viewer_id, is_friend, opened_at_ms, via_signup) "
                                          "VALUES(?,?,?,?,?,?) ON CONFLICT(share_id, viewer_id) DO NOTHING",
                                          {s.id, s.sharer_id, viewer_id, friends, tx.NowMs(), via_signup}));
  if (first > 0) {
    RETURN_IF_ERROR(tx.Run("UPDATE shares SET opens = opens + 1 WHERE id=?", {s.id}));
    s.opens += 1;
    s.friend_opens += friends ? 1 : 0;
  }
  if (s.target == ShareTarget::kShop) {
    RETURN_IF_ERROR(tx.Run("INSERT INTO share_shop_touches(buyer_id, merchant_id, share_id, sharer_id, chat_group, touched_at_ms) "
                           "VALUES(?,?,?,?,?,?) ON CONFLICT(buyer_id, merchant_id) DO UPDATE SET share_id=excluded.share_id, "
                           "sharer_id=excluded.sharer_id, chat_group=excluded.chat_group, touched_at_ms=excluded.touched_at_ms",
                           {viewer_id, s.merchant_id, s.id, s.sharer_id, s.chat_group, tx.NowMs()}));
    return s;
  }
  RETURN_IF_ERROR(tx.Run("INSERT INTO share_touches(buyer_id, product_id, share_id, sharer_id, chat_group, touched_at_ms) "
                         "VALUES(?,?,?,?,?,?) ON CONFLICT(buyer_id, product_id) DO UPDATE SET share_id=excluded.share_id, "
                         "sharer_id=excluded.sharer_id, chat_group=excluded.chat_group, touched_at_ms=excluded.touched_at_ms",
                         {viewer_id, s.product_id, s.id, s.sharer_id, s.chat_group, tx.NowMs()}));
  return s;
}

Result<Json> PromoService::SharerCommissions(Reader& r, int64_t sharer_id, int64_t limit) {
  using M = CommissionStatus;
  ASSIGN_OR_RETURN(int64_t balance, pay::Balance(r, SharerAccount(sharer_id)));
  ASSIGN_OR_RETURN(int64_t card, pay::Balance(r, pay::CardAccount(sharer_id)));
  // Pending and cancelled lines have no amount yet (it is fixed at completion): shown at the
  // rate on the line as ordered.
  ASSIGN_OR_RETURN(auto sums, r.QueryOne("SELECT "
                                         "COALESCE(SUM(CASE WHEN status=" + internal::Sql(M::kPending) + " THEN line_fen * commission_bps / 10000 END), 0), "
                                         "COALESCE(SUM(CASE WHEN status=" + internal::Sql(M::kPaid) + " THEN amount_fen END), 0), "
                                         "COALESCE(SUM(CASE WHEN status=" + internal::Sql(M::kCancelled) + " THEN line_fen * commission_bps / 10000 END), 0) "
                                         "FROM order_commissions WHERE sharer_id=?",
                                         {sharer_id}));
  ASSIGN_OR_RETURN(int64_t withdrawn, r.QueryInt("SELECT COALESCE(SUM(amount_fen), 0) FROM sharer_withdrawals WHERE sharer_id=?",
                                                 {sharer_id}));
  ASSIGN_OR_RETURN(Rows rows, r.Query("SELECT c.order_id, c.product_id, c.commission_bps, c.line_fen, c.amount_fen, c.status, "
                                      "c.created_at_ms, p.title FROM order_commissions c LEFT JOIN products p ON p.id = c.product_id "
                                      "WHERE c.sharer_id=? ORDER BY c.created_at_ms DESC, c.order_id DESC LIMIT ?",
                                      {sharer_id, limit}));
  Json items = Json::array();
  for (auto& row : rows) {
    int64_t estimate = row.Int(3) * row.Int(2) / 10000;
    bool paid = row.Str(5) == Name(M::kPaid);
    items.push_back(Json{{"order_id", IdString(row.Int(0))}, {"product_id", IdString(row.Int(1))},
                         {"title", row.IsNull(7) ? std::string() : row.Str(7)}, {"commission_bps", row.Int(2)},
                         {"line_fen", row.Int(3)}, {"amount_fen", paid ? row.Int(4) : estimate}, {"status", row.Str(5)},
                         {"created_at", FormatRfc3339(row.Int(6))}});
  }
  ASSIGN_OR_RETURN(Rows ws, r.Query("SELECT id, amount_fen, created_at_ms FROM sharer_withdrawals WHERE sharer_id=? "
                                    "ORDER BY id DESC LIMIT ?",
                                    {sharer_id, limit}));
  Json withdrawals = Json::array();
  for (auto& row : ws)
    withdrawals.push_back(Json{{"id", IdString(row.Int(0))}, {"amount_fen", row.Int(1)}, {"created_at", FormatRfc3339(row.Int(2))}});
  return Json{{"balance_fen", balance},       {"pending_fen", sums->Int(0)},   {"paid_fen", sums->Int(1)},
              {"cancelled_fen", sums->Int(2)}, {"withdrawn_fen", withdrawn},    {"card_balance_fen", card},
              {"items", items},                {"withdrawals", withdrawals}};
}

Result<Json> PromoService::MerchantDistribution(Reader& r, int64_t merchant_id, int64_t limit) {
  using M = CommissionStatus;
  const std::string pending = internal::Sql(M::kPending), paid = internal::Sql(M::kPaid), cancelled = internal::Sql(M::kCancelled);
  ASSIGN_OR_RETURN(Rows rates, r.Query("SELECT d.product_id, p.title, d.commission_bps FROM product_distribution d "
                                       "JOIN products p ON p.id = d.product_id WHERE d.merchant_id=? AND d.commission_bps > 0 "
                                       "ORDER BY d.commission_bps DESC, d.product_id LIMIT 500",
                                       {merchant_id}));
  Json products = Json::array();
  for (auto& row : rates)
    products.push_back(Json{{"product_id", IdString(row.Int(0))}, {"title", row.Str(1)}, {"commission_bps", row.Int(2)}});
  ASSIGN_OR_RETURN(auto totals, r.QueryOne("SELECT "
                                           "COALESCE(SUM(CASE WHEN status=" + pending + " THEN line_fen * commission_bps / 10000 END), 0), "
                                           "COALESCE(SUM(CASE WHEN status=" + paid + " THEN amount_fen END), 0), "
                                           "COALESCE(SUM(CASE WHEN status=" + cancelled + " THEN line_fen * commission_bps / 10000 END), 0), "
                                           "count(DISTINCT order_id) FROM order_commissions WHERE merchant_id=?",
                                           {merchant_id}));
  ASSIGN_OR_RETURN(Rows board, r.Query("SELECT c.sharer_id, u.nickname, count(DISTINCT c.order_id), "
                                       "COALESCE(SUM(CASE WHEN c.status=" + paid + " THEN c.amount_fen END), 0) AS earned, "
                                       "COALESCE(SUM(CASE WHEN c.status=" + pending + " THEN c.line_fen * c.commission_bps / 10000 END), 0) "
                                       "FROM order_commissions c LEFT JOIN users u ON u.id = c.sharer_id WHERE c.merchant_id=? "
                                       "GROUP BY c.sharer_id, u.nickname ORDER BY earned DESC, c.sharer_id LIMIT ?",
                                       {merchant_id, limit}));
  Json leaderboard = Json::array();
  int64_t rank = 0;
  for (auto& row : board)
    leaderboard.push_back(Json{{"rank", ++rank}, {"sharer", row.IsNull(1) ? std::string() : row.Str(1)}, {"orders", row.Int(2)},
                               {"paid_fen", row.Int(3)}, {"pending_fen", row.Int(4)}});
  return Json{{"products", products},
              {"totals", {{"pending_fen", totals->Int(0)}, {"paid_fen", totals->Int(1)}, {"cancelled_fen", totals->Int(2)}, {"orders", totals->Int(3)}}},
              {"leaderboard", leaderboard}};
}

Result<Json> PromoService::ShareDropProgress(Reader& r, int64_t activity_id, int64_t buyer_id) {
  ASSIGN_OR_RETURN(Activity a, GetActivity(r, activity_id));
  if (a.type != "share_drop") return Fail(Msg::FIELD_ONE_OF, {Field("type"), {"value", a.type}});
  ASSIGN_OR_RETURN(catalog::Sku sku, catalog::GetSku(r, a.sku_id));
  return internal::ShareDropProgress(r, a, buyer_id, sku.price_fen);
}

Result<Json> PromoService::WithdrawSharerEarnings(Tx& tx, int64_t sharer_id, int64_t amount_fen) {
  if (amount_fen < 1 || amount_fen > limits::kMaxSharerWithdrawalFen)
    return Fail(Msg::AMOUNT_RANGE, {Fen("max", limits::kMaxSharerWithdrawalFen)});
  // Decided on the locked balance (FOR UPDATE on PostgreSQL; the single writer on SQLite): a
  // commission landing or another withdrawal commits before or after this one, never between
  // the read and the debit.
  ASSIGN_OR_RETURN(int64_t available, pay::BalanceForDebit(tx, SharerAccount(sharer_id)));
  if (available < amount_fen) return Fail(Msg::SHARER_BALANCE_LOW, {Fen("available", available)});
  int64_t id = tx.NewId();
  RETURN_IF_ERROR(tx.Run("INSERT INTO sharer_withdrawals(id, sharer_id, amount_fen, created_at_ms) VALUES(?,?,?,?)",
                         {id, sharer_id, amount_fen, tx.NowMs()}));
  RETURN_IF_ERROR(pay::Post(tx, "sharer.withdraw", id, {{SharerAccount(sharer_id), -amount_fen}, {pay::CardAccount(sharer_id), amount_fen}},
                            "分享收益提现到余额"));
  RETURN_IF_ERROR(Emit(tx, SharerWithdrawal{id, sharer_id, amount_fen, available - amount_fen}));
  ASSIGN_OR_RETURN(int64_t card, pay::Balance(tx, pay::CardAccount(sharer_id)));
  return Json{{"withdrawal", {{"id", IdString(id)}, {"amount_fen", amount_fen}, {"created_at", FormatRfc3339(tx.NowMs())}}},
              {"balance_fen", available - amount_fen},
              {"card_balance_fen", card}};
}

}  // namespace xd::promo
