// Gifting (送礼). The sender checks out with "activity":{"gift":{...,"parts"?}} and pays; the
// order then waits in paid/gift_pending. The gift link carries a random 128-bit token (ids are
// time-ordered and guessable, tokens are not). Whoever opens it — anyone but the sender —
// accepts one part with an address (one part per recipient; a gift of one part is the whole
// order). When no part waits any more the order becomes shippable, to the first part's address,
// with every part's address in the order (gift_parts, decision 019). At the deadline a durable
// timer refunds what nobody accepted: the whole order, or the waiting parts' share of it.
#include <algorithm>

#include <sodium.h>

#include "account/account.h"
#include "base/id.h"
#include "base/messages.h"
#include "promo/events.h"
#include "promo/internal/promo_internal.h"

namespace xd::promo {

namespace {

constexpr const char* kGiftCols =
    "id, order_id, sender_id, quantity, token, message, title, image, status, recipient_id, expires_at_ms, accepted_at_ms, created_at_ms, "
    "parts, (SELECT count(*) FROM gift_parts p WHERE p.gift_id = gifts.id AND p.status = 'accepted'), "
    "(SELECT nickname FROM users u WHERE u.id = gifts.sender_id)";

Gift GiftFromRow(const Row& r) {
  Gift g;
  g.id = r.Int(0);
  g.order_id = r.Int(1);
  g.sender_id = r.Int(2);
  g.quantity = r.Int(3);
  g.token = r.Str(4);
  g.message = r.Str(5);
  g.title = r.Str(6);
  g.image = r.Str(7);
  g.status = internal::StoredStatus(ParseGiftStatus(r.Str(8)));
  g.recipient_id = r.OptInt(9);
  g.expires_at_ms = r.OptInt(10);
  g.accepted_at_ms = r.OptInt(11);
  g.created_at_ms = r.Int(12);
  g.parts = r.Int(13);
  g.accepted_parts = r.Int(14);
  g.sender_nickname = r.IsNull(15) ? "" : r.Str(15);
  return g;
}

std::string RandomToken() {
  unsigned char raw[16];
  randombytes_buf(raw, sizeof raw);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

Json TimeOrNull(const std::optional<int64_t>& ms) { return ms ? Json(FormatRfc3339(*ms)) : Json(nullptr); }

// Locks the gift's row to this transaction's end (Dialect::ForUpdate; the single writer on
// SQLite) before anything about its parts is read. Acceptances and the expiry of one gift then
// take turns: each reads the parts and the accepted count after the previous one committed.
// Without it, under READ COMMITTED two recipients read the same lowest waiting part (the loser's
// guarded UPDATE matched nothing: "all accepted" while parts waited), and two taking the last
// two parts each counted one accepted part too few, so neither released the order.
Status LockGift(Tx& tx, std::string_view where, const Params& params) {
  return ToStatus(tx.QueryOne("SELECT id FROM gifts WHERE " + std::string(where) + std::string(tx.dialect().ForUpdate()), params));
}

}  // namespace

Json ToJson(const Gift& g, bool for_sender) {
  Json j{{"id", IdString(g.id)},
         {"message", g.message},
         {"title", g.title},
         {"image", g.image},
         {"quantity", g.quantity},
         {"status", Name(g.status)},
         {"sender_id", IdString(g.sender_id)},
         {"expires_at", TimeOrNull(g.expires_at_ms)},
         {"accepted_at", TimeOrNull(g.accepted_at_ms)},
         {"created_at", FormatRfc3339(g.created_at_ms)},
         {"sender_nickname", g.sender_nickname},
         {"parts", g.parts},
         {"accepted_parts", g.accepted_parts},
         {"parts_left", g.status == GiftStatus::kWaiting ? g.parts - g.accepted_parts : 0}};
  if (g.my_part) j["my_part"] = *g.my_part;
  if (for_sender) {
    j["parts_detail"] = g.parts_detail;
    j["order_id"] = IdString(g.order_id);
    j["token"] = g.token;
    j["link"] = "/gift/" + g.token;
    j["recipient_id"] = g.recipient_id ? Json(IdString(*g.recipient_id)) : Json(nullptr);
  }
  return j;
}

namespace internal {

Status CreateGift(Tx& tx, const trade::PricingContext& ctx, int64_t order_id, const std::string& message, int64_t parts) {
  int64_t quantity = 0;
  for (auto& l : ctx.lines) quantity += l.quantity;
  const trade::PriceLine& first = ctx.lines.front();
  std::string title = ctx.lines.size() > 1 ? first.title + " 等" + std::to_string(ctx.lines.size()) + "件" : first.title;
  return tx.Run("INSERT INTO gifts(id, order_id, merchant_id, sender_id, token, message, title, image, quantity, status, created_at_ms, "
                "parts) VALUES(?,?,?,?,?,?,?,?,?," + Sql(GiftStatus::kUnpaid) + ",?,?)",
                {tx.NewId(), order_id, ctx.merchant_id, ctx.buyer_id, RandomToken(), message, title, first.image, quantity, tx.NowMs(),
                 parts});
}

Status GiftOrderPaid(Tx& tx, trade::Order& order, int64_t ttl_ms) {
  ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT id, parts FROM gifts WHERE order_id=? AND status=?", {order.id, Name(GiftStatus::kUnpaid)}));
  if (!row) return Ok();
  int64_t gift_id = row->Int(0), expires = tx.NowMs() + ttl_ms;
  for (int64_t part = 1; part <= row->Int(1); ++part)
    RETURN_IF_ERROR(tx.Run("INSERT INTO gift_parts(gift_id, part_no, merchant_id, status) VALUES(?,?,?,'waiting')",
                           {gift_id, part, order.merchant_id}));
  ASSIGN_OR_RETURN(int64_t timer_id, tx.AddTimer(kTimerGiftExpire, expires, Json{{"gift_id", gift_id}}));
  ASSIGN_OR_RETURN(std::string waiting, Move(GiftStatus::kUnpaid, GiftStatus::kWaiting));
  ASSIGN_OR_RETURN(int64_t changed, tx.Exec("UPDATE gifts SET status=?, expires_at_ms=?, timer_id=? WHERE id=? AND status=?",
                                            {waiting, expires, timer_id, gift_id, Name(GiftStatus::kUnpaid)}));
  RETURN_IF_ERROR(Moved(changed));
  order.sub_status = trade::OrderSubStatus::kGiftPending;
  return Emit(tx, GiftChanged{.what = GiftChanged::What::kSent, .gift_id = gift_id, .order_id = order.id, .sender_id = order.buyer_id});
}

Status GiftOrderCancelled(Tx& tx, int64_t order_id) {
  ASSIGN_OR_RETURN(std::string cancelled, Move(GiftStatus::kUnpaid, GiftStatus::kCancelled));
  return tx.Run("UPDATE gifts SET status=? WHERE order_id=? AND status=?", {cancelled, order_id, Name(GiftStatus::kUnpaid)});
}

Status ExpireGift(trade::TradeService& trade, Tx& tx, int64_t gift_id) {
  RETURN_IF_ERROR(LockGift(tx, "id=?", {gift_id}));
  ASSIGN_OR_RETURN(auto row, tx.QueryOne(std::string("SELECT ") + kGiftCols + " FROM gifts WHERE id=?", {gift_id}));
  if (!row) return Ok();
  Gift g = GiftFromRow(*row);
  if (g.status != GiftStatus::kWaiting) return Ok();  // accepted (or ended) meanwhile
  ASSIGN_OR_RETURN(trade::Order o, trade.GetOrder(tx, g.order_id, std::nullopt, std::nullopt));
  ASSIGN_OR_RETURN(Rows waiting, tx.Query("SELECT part_no FROM gift_parts WHERE gift_id=? AND status='waiting' ORDER BY part_no",
                                          {gift_id}));
  int64_t left = static_cast<int64_t>(waiting.size());
  bool none_taken = g.accepted_parts == 0;
  ASSIGN_OR_RETURN(std::string ended, Move(g.status, none_taken ? GiftStatus::kRefunded : GiftStatus::kAccepted));
  ASSIGN_OR_RETURN(int64_t changed, tx.Exec("UPDATE gifts SET status=? WHERE id=? AND status=?", {ended, gift_id, Name(g.status)}));
  RETURN_IF_ERROR(Moved(changed));
  int64_t paid = o.provider_paid_fen + o.card_paid_fen;
  int64_t refundable = paid - o.refunded_fen;
  // Nobody took any: the whole order back, as a one-part gift always was. Else the waiting
  // parts' share of what was paid (shipping stays with the merchant, who ships the rest).
  int64_t refund = none_taken ? refundable
                              : std::min<int64_t>(refundable, static_cast<int64_t>(static_cast<__int128>(paid) * left / std::max<int64_t>(g.parts, 1)));
  for (size_t i = 0; i < waiting.size(); ++i) {
    int64_t share = refund / left + (static_cast<int64_t>(i) < refund % left ? 1 : 0);
    ASSIGN_OR_RETURN(int64_t moved, tx.Exec("UPDATE gift_parts SET status='refunded', refunded_fen=? WHERE gift_id=? AND part_no=? "
                                            "AND status='waiting'",
                                            {share, gift_id, waiting[i].Int(0)}));
    RETURN_IF_ERROR(Moved(moved));
  }
  if (!none_taken) {
    // The order ships to the parts taken: released with the first part's address.
    ASSIGN_OR_RETURN(auto first, tx.QueryOne("SELECT address FROM gift_parts WHERE gift_id=? AND status='accepted' ORDER BY part_no LIMIT 1",
                                             {gift_id}));
    ASSIGN_OR_RETURN(Json address, ParseJson(first->Str(0)));
    RETURN_IF_ERROR(trade.ReleaseWait(tx, o.id, trade::OrderSubStatus::kGiftPending, &address));
  }
  if (o.status == trade::OrderStatus::kPaid && refund > 0)
    RETURN_IF_ERROR(trade.RefundOrder(tx, o.id, refund, none_taken ? "礼物未被领取，自动退款 (gift not accepted)"
                                                                   : "礼物有 " + std::to_string(left) + " 份未被领取，退回这部分 (parts not accepted)"));
  return Emit(tx, GiftChanged{.what = GiftChanged::What::kExpired, .gift_id = gift_id, .order_id = g.order_id, .sender_id = g.sender_id});
}

Status DescribeGiftParts(Reader& r, const trade::Order& o, JsonWriter& w) {
  if (!o.activity.is_object() || !o.activity.value("gift", false)) return Ok();
  ASSIGN_OR_RETURN(Json parts, GiftPartsOfOrder(r, o.id));
  w.Key("gift_parts").Value(parts);
  return Ok();
}

Result<Json> GiftPartsOfOrder(Reader& r, int64_t order_id) {
  ASSIGN_OR_RETURN(Rows rows, r.Query("SELECT p.part_no, p.status, p.address, p.accepted_at_ms, p.refunded_fen FROM gift_parts p "
                                      "JOIN gifts g ON g.id = p.gift_id WHERE g.order_id=? ORDER BY p.part_no",
                                      {order_id}));
  Json out = Json::array();
  for (auto& row : rows) {
    Json address = nullptr;
    if (!row.IsNull(2)) {
      ASSIGN_OR_RETURN(address, ParseJson(row.Str(2)));
    }
    out.push_back(Json{{"part_no", row.Int(0)},
                       {"status", row.Str(1)},
                       {"address", address},
                       {"accepted_at", row.IsNull(3) ? Json(nullptr) : Json(FormatRfc3339(row.Int(3)))},
                       {"refunded_fen", row.Int(4)}});
  }
  return out;
}

Result<std::vector<std::string>> CheckGifts(Reader& r) {
  std::vector<std::string> problems;
  using F = GiftStatus;
  using O = trade::OrderStatus;
  const std::string waiting_sub = Sql(trade::OrderSubStatus::kGiftPending);
  // A refunded gift's order must not keep the money: no status that is paid in full.
  ASSIGN_OR_RETURN(Rows rows, r.Query("SELECT g.id FROM gifts g JOIN orders o ON o.id = g.order_id "
                                      "WHERE (g.status=" + Sql(F::kWaiting) + " AND NOT (o.status=" + Sql(O::kPaid) +
                                      " AND o.sub_status=" + waiting_sub + ")) "
                                      "OR (g.status<>" + Sql(F::kWaiting) + " AND o.sub_status=" + waiting_sub + ") "
                                      "OR (g.status=" + Sql(F::kUnpaid) + " AND o.status <> " + Sql(O::kCreated) + ") "
                                      "OR (g.status=" + Sql(F::kRefunded) + " AND o.status IN (" + trade::OrderStatusSql(trade::PaidInFull) +
                                      ")) LIMIT 10"));
  for (auto& row : rows) problems.push_back("gift " + IdString(row.Int(0)) + " disagrees with its order");
  // Parts (decision 019): a paid gift has exactly its `parts`; an unpaid or cancelled one none;
  // a waiting gift has a waiting part and an ended one none; an accepted gift has an accepted
  // part and a refunded one none; refunded parts never exceed what the order refunded.
  ASSIGN_OR_RETURN(Rows parts, r.Query("SELECT g.id FROM gifts g JOIN orders o ON o.id = g.order_id "
                                       "LEFT JOIN (SELECT gift_id, count(*) AS n, "
                                       "SUM(CASE WHEN status='waiting' THEN 1 ELSE 0 END) AS waiting, "
                                       "SUM(CASE WHEN status='accepted' THEN 1 ELSE 0 END) AS accepted, "
                                       "SUM(refunded_fen) AS refunded FROM gift_parts GROUP BY gift_id) p ON p.gift_id = g.id "
                                       "WHERE (g.status IN (" + Sql(F::kUnpaid) + "," + Sql(F::kCancelled) + ") AND p.n IS NOT NULL) "
                                       "OR (g.status NOT IN (" + Sql(F::kUnpaid) + "," + Sql(F::kCancelled) + ") AND COALESCE(p.n, 0) <> g.parts) "
                                       "OR ((g.status = " + Sql(F::kWaiting) + ") <> (COALESCE(p.waiting, 0) > 0)) "
                                       "OR (g.status = " + Sql(F::kAccepted) + " AND COALESCE(p.accepted, 0) = 0) "
                                       "OR (g.status = " + Sql(F::kRefunded) + " AND COALESCE(p.accepted, 0) > 0) "
                                       "OR COALESCE(p.refunded, 0) > o.refunded_fen LIMIT 10"));
  for (auto& row : parts) problems.push_back("gift " + IdString(row.Int(0)) + "'s parts disagree with the gift or its order");
  return problems;
}

}  // namespace internal

Result<Gift> PromoService::GiftByToken(Reader& r, const std::string& token) {
  ASSIGN_OR_RETURN(auto row, r.QueryOne(std::string("SELECT ") + kGiftCols + " FROM gifts WHERE token=?", {token}));
  if (!row) return Fail(Msg::GIFT_NOT_FOUND);
  return GiftFromRow(*row);
}

Result<std::vector<Gift>> PromoService::SentGifts(Reader& r, int64_t sender_id, int64_t limit, int64_t before_id) {
  ASSIGN_OR_RETURN(Rows rows, r.Query(std::string("SELECT ") + kGiftCols +
                                          " FROM gifts WHERE sender_id=?1 AND (?2=0 OR id<?2) ORDER BY id DESC LIMIT ?3",
                                      {sender_id, before_id, limit}));
  std::vector<Gift> out;
  for (auto& row : rows) {
    out.push_back(GiftFromRow(row));
    ASSIGN_OR_RETURN(out.back().parts_detail, GiftPartsDetail(r, out.back().id));
  }
  return out;
}

Result<Gift> PromoService::AcceptGift(Tx& tx, int64_t recipient_id, const std::string& token, const Json& address) {
  ASSIGN_OR_RETURN(account::Address addr, account::AddressFromJson(address));
  RETURN_IF_ERROR(LockGift(tx, "token=?", {token}));
  ASSIGN_OR_RETURN(Gift g, GiftByToken(tx, token));
  int64_t now = tx.NowMs();
  if (g.sender_id == recipient_id) return Fail(Msg::GIFT_SELF_ACCEPT);
  ASSIGN_OR_RETURN(auto held, tx.QueryOne("SELECT part_no FROM gift_parts WHERE gift_id=? AND recipient_id=?", {g.id, recipient_id}));
  if (held) return Fail(Msg::GIFT_PART_HELD);
  if (g.status != GiftStatus::kWaiting) {
    if (g.status == GiftStatus::kAccepted) return Fail(g.parts > 1 ? Msg::GIFT_ALL_ACCEPTED : Msg::GIFT_ACCEPTED);
    return Fail(Msg::GIFT_INVALID, {{"status", Name(g.status)}});
  }
  if (g.expires_at_ms && now >= *g.expires_at_ms) return Fail(Msg::GIFT_EXPIRED);
  Json address_json = account::ToJson(addr);
  address_json.erase("id");
  // The lowest waiting part, read under the gift's lock (LockGift), so no other acceptance
  // can take it between this read and the UPDATE; the UPDATE stays guarded all the same.
  ASSIGN_OR_RETURN(auto part, tx.QueryOne("SELECT part_no FROM gift_parts WHERE gift_id=? AND status='waiting' ORDER BY part_no LIMIT 1",
                                          {g.id}));
  if (!part) return Fail(Msg::GIFT_ALL_ACCEPTED);
  ASSIGN_OR_RETURN(int64_t taken, tx.Exec("UPDATE gift_parts SET status='accepted', recipient_id=?, address=?, accepted_at_ms=? "
                                          "WHERE gift_id=? AND part_no=? AND status='waiting'",
                                          {recipient_id, DumpJson(address_json), now, g.id, part->Int(0)}));
  if (taken == 0) return Fail(Msg::GIFT_ALL_ACCEPTED);
  g.accepted_parts += 1;
  g.my_part = Json{{"part_no", part->Int(0)}, {"status", "accepted"}, {"accepted_at", FormatRfc3339(now)}};
  RETURN_IF_ERROR(Emit(tx, GiftChanged{.what = GiftChanged::What::kAccepted, .gift_id = g.id, .order_id = g.order_id,
                                        .sender_id = g.sender_id, .recipient_id = recipient_id}));
  if (g.accepted_parts < g.parts) return g;
  // The last part: the order ships, to the first part's address (every part's is in the order).
  ASSIGN_OR_RETURN(auto first, tx.QueryOne("SELECT address FROM gift_parts WHERE gift_id=? ORDER BY part_no LIMIT 1", {g.id}));
  ASSIGN_OR_RETURN(Json ship_to, ParseJson(first->Str(0)));
  RETURN_IF_ERROR(trade_.ReleaseWait(tx, g.order_id, trade::OrderSubStatus::kGiftPending, &ship_to));
  ASSIGN_OR_RETURN(auto timer, tx.QueryOne("SELECT timer_id FROM gifts WHERE id=?", {g.id}));
  if (timer && !timer->IsNull(0)) RETURN_IF_ERROR(tx.CancelTimer(timer->Int(0)));
  ASSIGN_OR_RETURN(std::string accepted, internal::Move(g.status, GiftStatus::kAccepted));
  ASSIGN_OR_RETURN(int64_t changed, tx.Exec("UPDATE gifts SET status=?, recipient_id=?, accepted_at_ms=? WHERE id=? AND status=?",
                                            {accepted, recipient_id, now, g.id, Name(g.status)}));
  RETURN_IF_ERROR(internal::Moved(changed));
  g.status = GiftStatus::kAccepted;
  g.recipient_id = recipient_id;
  g.accepted_at_ms = now;
  return g;
}

Result<Json> PromoService::GiftPartsDetail(Reader& r, int64_t gift_id) {
  ASSIGN_OR_RETURN(Rows rows, r.Query("SELECT p.part_no, p.status, u.nickname, p.accepted_at_ms, p.refunded_fen FROM gift_parts p "
                                      "LEFT JOIN users u ON u.id = p.recipient_id WHERE p.gift_id=? ORDER BY p.part_no",
                                      {gift_id}));
  Json out = Json::array();
  for (auto& row : rows)
    out.push_back(Json{{"part_no", row.Int(0)},
                       {"status", row.Str(1)},
                       {"recipient_nickname", row.IsNull(2) ? Json(nullptr) : Json(row.Str(2))},
                       {"accepted_at", row.IsNull(3) ? Json(nullptr) : Json(FormatRfc3339(row.Int(3)))},
                       {"refunded_fen", row.Int(4)}});
  return out;
}

Result<Json> PromoService::MerchantGiftParts(Reader& r, int64_t merchant_id, int64_t order_id) {
  RETURN_IF_ERROR(trade_.GetOrder(r, order_id, std::nullopt, merchant_id));
  ASSIGN_OR_RETURN(Json parts, internal::GiftPartsOfOrder(r, order_id));
  return Json{{"order_id", IdString(order_id)}, {"parts", parts}};
}

Result<std::optional<Json>> PromoService::MyGiftPart(Reader& r, int64_t gift_id, int64_t user_id) {
  ASSIGN_OR_RETURN(auto row, r.QueryOne("SELECT part_no, status, accepted_at_ms FROM gift_parts WHERE gift_id=? AND recipient_id=?",
                                        {gift_id, user_id}));
  if (!row) return std::optional<Json>();
  return std::optional<Json>(Json{{"part_no", row->Int(0)}, {"status", row->Str(1)}, {"accepted_at", FormatRfc3339(row->OptInt(2).value_or(0))}});
}

}  // namespace xd::promo
