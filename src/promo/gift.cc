// Gifting (送礼). The sender checks out with "activity":{"gift":{...}} and pays; the order
// then waits in paid/gift_pending. The gift link carries a random 128-bit token (ids are
// time-ordered and guessable, tokens are not). Whoever opens it — anyone but the sender —
// accepts with an address: the order takes that address and becomes shippable. A gift not
// accepted within the deadline is refunded to the sender in full by a durable timer.
#include <sodium.h>

#include "account/account.h"
#include "base/id.h"
#include "base/messages.h"
#include "promo/events.h"
#include "promo/internal/promo_internal.h"

namespace xd::promo {

namespace {

constexpr const char* kGiftCols =
    "id, order_id, sender_id, quantity, token, message, title, image, status, recipient_id, expires_at_ms, accepted_at_ms, created_at_ms";

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
         {"created_at", FormatRfc3339(g.created_at_ms)}};
  if (for_sender) {
    j["order_id"] = IdString(g.order_id);
    j["token"] = g.token;
    j["link"] = "/gift/" + g.token;
    j["recipient_id"] = g.recipient_id ? Json(IdString(*g.recipient_id)) : Json(nullptr);
  }
  return j;
}

namespace internal {

Status CreateGift(Tx& tx, const trade::PricingContext& ctx, int64_t order_id, const std::string& message) {
  int64_t quantity = 0;
  for (auto& l : ctx.lines) quantity += l.quantity;
  const trade::PriceLine& first = ctx.lines.front();
  std::string title = ctx.lines.size() > 1 ? first.title + " 等" + std::to_string(ctx.lines.size()) + "件" : first.title;
  return tx.Run("INSERT INTO gifts(id, order_id, merchant_id, sender_id, token, message, title, image, quantity, status, created_at_ms) "
                "VALUES(?,?,?,?,?,?,?,?,?," + Sql(GiftStatus::kUnpaid) + ",?)",
                {tx.NewId(), order_id, ctx.merchant_id, ctx.buyer_id, RandomToken(), message, title, first.image, quantity, tx.NowMs()});
}

Status GiftOrderPaid(Tx& tx, trade::Order& order, int64_t ttl_ms) {
  ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT id FROM gifts WHERE order_id=? AND status=?", {order.id, Name(GiftStatus::kUnpaid)}));
  if (!row) return Ok();
  int64_t gift_id = row->Int(0), expires = tx.NowMs() + ttl_ms;
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
  ASSIGN_OR_RETURN(auto row, tx.QueryOne(std::string("SELECT ") + kGiftCols + " FROM gifts WHERE id=?", {gift_id}));
  if (!row) return Ok();
  Gift g = GiftFromRow(*row);
  if (g.status != GiftStatus::kWaiting) return Ok();  // accepted (or ended) meanwhile
  ASSIGN_OR_RETURN(trade::Order o, trade.GetOrder(tx, g.order_id, std::nullopt, std::nullopt));
  ASSIGN_OR_RETURN(std::string refunded, Move(g.status, GiftStatus::kRefunded));
  ASSIGN_OR_RETURN(int64_t changed, tx.Exec("UPDATE gifts SET status=? WHERE id=? AND status=?", {refunded, gift_id, Name(g.status)}));
  RETURN_IF_ERROR(Moved(changed));
  int64_t refundable = o.provider_paid_fen + o.card_paid_fen - o.refunded_fen;
  if (o.status == trade::OrderStatus::kPaid && refundable > 0)
    RETURN_IF_ERROR(trade.RefundOrder(tx, o.id, refundable, "礼物未被领取，自动退款 (gift not accepted)"));
  return Emit(tx, GiftChanged{.what = GiftChanged::What::kExpired, .gift_id = gift_id, .order_id = g.order_id, .sender_id = g.sender_id});
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
  for (auto& row : rows) out.push_back(GiftFromRow(row));
  return out;
}

Result<Gift> PromoService::AcceptGift(Tx& tx, int64_t recipient_id, const std::string& token, const Json& address) {
  ASSIGN_OR_RETURN(account::Address addr, account::AddressFromJson(address));
  ASSIGN_OR_RETURN(Gift g, GiftByToken(tx, token));
  int64_t now = tx.NowMs();
  if (g.sender_id == recipient_id) return Fail(Msg::GIFT_SELF_ACCEPT);
  if (g.status != GiftStatus::kWaiting)
    return Fail(g.status == GiftStatus::kAccepted ? Msg::GIFT_ACCEPTED : Msg::GIFT_INVALID, {{"status", Name(g.status)}});
  if (g.expires_at_ms && now >= *g.expires_at_ms) return Fail(Msg::GIFT_EXPIRED);
  Json address_json = account::ToJson(addr);
  address_json.erase("id");
  RETURN_IF_ERROR(trade_.ReleaseWait(tx, g.order_id, trade::OrderSubStatus::kGiftPending, &address_json));
  ASSIGN_OR_RETURN(auto timer, tx.QueryOne("SELECT timer_id FROM gifts WHERE id=?", {g.id}));
  if (timer && !timer->IsNull(0)) RETURN_IF_ERROR(tx.CancelTimer(timer->Int(0)));
  ASSIGN_OR_RETURN(std::string accepted, internal::Move(g.status, GiftStatus::kAccepted));
  ASSIGN_OR_RETURN(int64_t changed, tx.Exec("UPDATE gifts SET status=?, recipient_id=?, accepted_at_ms=? WHERE id=? AND status=?",
                                            {accepted, recipient_id, now, g.id, Name(g.status)}));
  RETURN_IF_ERROR(internal::Moved(changed));
  RETURN_IF_ERROR(Emit(tx, GiftChanged{.what = GiftChanged::What::kAccepted, .gift_id = g.id, .order_id = g.order_id,
                                        .sender_id = g.sender_id, .recipient_id = recipient_id}));
  g.status = GiftStatus::kAccepted;
  g.recipient_id = recipient_id;
  g.accepted_at_ms = now;
  return g;
}

}  // namespace xd::promo
