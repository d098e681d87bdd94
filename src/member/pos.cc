// Offline purchases (the POS API, issue 16): a store's POS scans the member code and reports the
// sale; the card earns its points and growth at once. One purchase per (merchant, receipt id)
// by a unique index, so a replay — concurrent, on another node, or a day later — finds the first
// and earns nothing; a refund takes the points back once (a debt when they were spent).
// A refund may be partial: points and growth come back in proportion, cumulatively, so the parts
// add up to exactly what the purchase gave. Refused member codes are limited per API key in the
// store (member_pos_code_failures: every node counts into one row; AdmitRefusedCode).
#include "base/id.h"
#include "base/limits.h"
#include "base/messages.h"
#include "member/internal/member_internal.h"

namespace xd::member {

namespace {

constexpr std::string_view Name(PosStatus s) {
  return s == PosStatus::kCompleted ? "completed" : "refunded";
}

constexpr const char* kPosCols =
    "id, merchant_id, store_id, card_id, user_id, receipt_id, amount_fen, items, points, growth, "
    "status, created_at_ms, refunded_at_ms, refunded_fen";

Json ItemsJson(const std::vector<PosItem>& items) {
  Json out = Json::array();
  for (const PosItem& i : items)
    out.push_back(Json{{"name", i.name}, {"quantity", i.quantity}, {"amount_fen", i.amount_fen}});
  return out;
}

Result<std::vector<PosItem>> ReadItems(const Json& arr) {
  std::vector<PosItem> items;
  for (size_t i = 0; i < arr.size(); ++i) {
    if (!arr[i].is_object())
      return Fail(Msg::FIELD_NOT_OBJECT, {Field("items[" + std::to_string(i) + "]")});
    ObjectReader r(arr[i], "items[" + std::to_string(i) + "].");
    PosItem item;
    item.name = r.String("name", {.min_len = 1, .max_len = 200});
    item.quantity = r.OptInt("quantity", {.min = 1, .max = 1'000'000}).value_or(1);
    item.amount_fen =
        r.OptInt("amount_fen", {.min = 0, .max = limits::kMaxPosAmountFen}).value_or(0);
    RETURN_IF_ERROR(r.Finish());
    items.push_back(std::move(item));
  }
  return items;
}

Result<PosPurchase> PurchaseFromRow(const Row& r) {
  PosPurchase p;
  p.id = r.Int(0);
  p.merchant_id = r.Int(1);
  p.store_id = r.Int(2);
  p.card_id = r.Int(3);
  p.user_id = r.Int(4);
  p.receipt_id = r.Str(5);
  p.amount_fen = r.Int(6);
  ASSIGN_OR_RETURN(Json items, ParseJson(r.Str(7)));
  for (auto& i : items)
    p.items.push_back(PosItem{i.value("name", ""), i.value("quantity", int64_t{0}),
                              i.value("amount_fen", int64_t{0})});
  p.points = r.Int(8);
  p.growth = r.Int(9);
  p.status = r.Str(10) == Name(PosStatus::kRefunded) ? PosStatus::kRefunded : PosStatus::kCompleted;
  p.created_at_ms = r.Int(11);
  p.refunded_at_ms = r.OptInt(12);
  p.refunded_fen = r.Int(13);
  return p;
}

Result<std::optional<PosPurchase>> ByReceipt(Reader& r, int64_t merchant_id,
                                             const std::string& receipt_id) {
  ASSIGN_OR_RETURN(auto row, r.QueryOne(std::string("SELECT ") + kPosCols +
                                            " FROM member_pos_purchases WHERE merchant_id=? AND "
                                            "receipt_id=?",
                                        {merchant_id, receipt_id}));
  if (!row) return std::optional<PosPurchase>();
  ASSIGN_OR_RETURN(PosPurchase p, PurchaseFromRow(*row));
  return std::optional<PosPurchase>(std::move(p));
}

Result<int64_t> Balance(Reader& r, int64_t card_id) {
  return r.QueryInt("SELECT points FROM member_cards WHERE id=?", {card_id});
}

}  // namespace

Result<PosPurchaseInput> PosPurchaseFromJson(const Json& body) {
  ObjectReader r(body);
  PosPurchaseInput in;
  in.store_id = r.Id("store_id");
  in.member_code = r.String("member_code", {.min_len = 1, .max_len = 64});
  in.receipt_id = r.String("receipt_id", {.min_len = 1, .max_len = limits::kMaxPosReceiptIdLen});
  in.amount_fen = r.Int("amount_fen", {.min = 1, .max = limits::kMaxPosAmountFen});
  const Json* items = r.Raw("items");
  RETURN_IF_ERROR(r.Finish());
  if (items) {
    if (!items->is_array() || items->size() > limits::kMaxPosItems)
      return Fail(Msg::FIELD_TOO_MANY, {Field("items"), {"max", limits::kMaxPosItems}});
    ASSIGN_OR_RETURN(in.items, ReadItems(*items));
  }
  return in;
}

Json ToJson(const PosPurchase& p) {
  return Json{
      {"id", IdString(p.id)},
      {"merchant_id", IdString(p.merchant_id)},
      {"store_id", IdString(p.store_id)},
      {"card_id", IdString(p.card_id)},
      {"receipt_id", p.receipt_id},
      {"amount_fen", p.amount_fen},
      {"items", ItemsJson(p.items)},
      {"points", p.points},
      {"growth", p.growth},
      {"status", std::string(Name(p.status))},
      {"refunded_fen", p.refunded_fen},
      {"refundable_fen", p.amount_fen - p.refunded_fen},
      {"created_at", FormatRfc3339(p.created_at_ms)},
      {"refunded_at", p.refunded_at_ms ? Json(FormatRfc3339(*p.refunded_at_ms)) : Json(nullptr)}};
}

Result<PosRefundInput> PosRefundFromJson(const Json& body) {
  PosRefundInput in;
  if (body.is_null()) return in;  // no body: the rest
  ObjectReader r(body);
  in.amount_fen = r.OptInt("amount_fen", {.min = 1, .max = limits::kMaxPosAmountFen});
  in.refund_id = r.String("refund_id", {.min_len = 1, .max_len = limits::kMaxPosReceiptIdLen});
  RETURN_IF_ERROR(r.Finish());
  return in;
}

Result<int64_t> MemberService::RefusedCodes(Reader& r, const std::string& key, int64_t now_ms) {
  return r.QueryInt(
      "SELECT COALESCE(SUM(failures), 0) FROM member_pos_code_failures WHERE limiter_key=? AND "
      "window_no=?",
      {key, now_ms / kPosCodeWindowMs});
}

Result<bool> MemberService::AdmitRefusedCode(Tx& tx, int64_t merchant_id,
                                             const std::string& limiter_key,
                                             const std::string& receipt_id) {
  ASSIGN_OR_RETURN(std::optional<PosPurchase> first, ByReceipt(tx, merchant_id, receipt_id));
  if (first) return true;
  const int64_t now = tx.NowMs(), window = now / kPosCodeWindowMs;
  // One statement: concurrent attempts on any node each count, and none counts past the limit.
  ASSIGN_OR_RETURN(
      int64_t counted,
      tx.Exec("INSERT INTO member_pos_code_failures(limiter_key, window_no, failures) "
              "VALUES(?1,?2,1) ON CONFLICT(limiter_key) DO UPDATE SET "
              "failures = CASE WHEN member_pos_code_failures.window_no = excluded.window_no "
              "THEN member_pos_code_failures.failures + 1 ELSE 1 END, window_no = "
              "excluded.window_no WHERE member_pos_code_failures.window_no <> excluded.window_no "
              "OR member_pos_code_failures.failures < ?3",
              {limiter_key, window, limits::kMaxPosCodeFailures}));
  // Rows of windows gone by are forgotten a few at a time (the table holds live counts).
  RETURN_IF_ERROR(
      tx.Run("DELETE FROM member_pos_code_failures WHERE limiter_key IN (SELECT "
             "limiter_key FROM member_pos_code_failures WHERE window_no < ? LIMIT 8)",
             {window}));
  return counted > 0;
}

Result<PosResult> MemberService::RecordPosPurchase(Tx& tx, int64_t merchant_id,
                                                   const std::string& limiter_key,
                                                   std::optional<int64_t> api_key_id,
                                                   const PosPurchaseInput& in, bool admitted) {
  // A replay first: the first result, whatever the code is worth by now.
  ASSIGN_OR_RETURN(std::optional<PosPurchase> first, ByReceipt(tx, merchant_id, in.receipt_id));
  if (first) {
    ASSIGN_OR_RETURN(int64_t balance, Balance(tx, first->card_id));
    return PosResult{std::move(*first), true, balance};
  }
  ASSIGN_OR_RETURN(MemberStore store, GetStore(tx, merchant_id, in.store_id));
  (void)store;
  const int64_t now = tx.NowMs();
  if (!admitted) {
    ASSIGN_OR_RETURN(int64_t refused, RefusedCodes(tx, limiter_key, now));
    if (refused >= limits::kMaxPosCodeFailures) return Fail(Msg::MEMBER_POS_CODE_RATE_LIMITED);
  }
  ASSIGN_OR_RETURN(Card found, CardByCode(tx, merchant_id, in.member_code));
  // The card locked first: two POS posts of one receipt wait here, and the second's insert
  // below then finds the first's row.
  ASSIGN_OR_RETURN(Card card, internal::LockCard(tx, found.id));
  ASSIGN_OR_RETURN(Programme p, internal::ProgrammeById(tx, card.programme_id));
  const Level& level = internal::ShownLevel(card, p);
  PosPurchase purchase;
  purchase.id = tx.NewId();
  purchase.merchant_id = merchant_id;
  purchase.store_id = in.store_id;
  purchase.card_id = card.id;
  purchase.user_id = card.user_id;
  purchase.receipt_id = in.receipt_id;
  purchase.amount_fen = in.amount_fen;
  purchase.items = in.items;
  purchase.points =
      internal::PointsFor(in.amount_fen, p.config.points_per_yuan, level.points_multiplier_bps);
  purchase.growth = in.amount_fen / 100;
  purchase.created_at_ms = now;
  ASSIGN_OR_RETURN(
      int64_t inserted,
      tx.Exec("INSERT INTO member_pos_purchases(id, merchant_id, store_id, card_id, user_id, "
              "receipt_id, amount_fen, items, points, growth, status, api_key_id, created_at_ms) "
              "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(merchant_id, receipt_id) DO NOTHING",
              {purchase.id, merchant_id, in.store_id, card.id, card.user_id, in.receipt_id,
               in.amount_fen, DumpJson(ItemsJson(in.items)), purchase.points, purchase.growth,
               Name(PosStatus::kCompleted), api_key_id, now}));
  if (inserted == 0) {
    ASSIGN_OR_RETURN(first, ByReceipt(tx, merchant_id, in.receipt_id));
    if (!first) return Fail(ErrorCode::ABORTED, "POS receipt conflict; retry");
    ASSIGN_OR_RETURN(int64_t balance, Balance(tx, first->card_id));
    return PosResult{std::move(*first), true, balance};
  }
  internal::Posting e =
      internal::Earning(card, p, now, internal::kPosPurchase, purchase.points, purchase.growth);
  e.ref_id = purchase.id;
  e.offline_spend_fen = in.amount_fen;
  RETURN_IF_ERROR(internal::Post(tx, card, p, e));
  return PosResult{std::move(purchase), false, card.points};
}

Result<PosPurchase> MemberService::RefundPosPurchase(Tx& tx, int64_t merchant_id,
                                                     int64_t purchase_id,
                                                     const PosRefundInput& in) {
  ASSIGN_OR_RETURN(auto row, tx.QueryOne(std::string("SELECT ") + kPosCols +
                                             " FROM member_pos_purchases WHERE id=? AND "
                                             "merchant_id=?" +
                                             std::string(tx.dialect().ForUpdate()),
                                         {purchase_id, merchant_id}));
  if (!row) return Fail(Msg::MEMBER_POS_PURCHASE_NOT_FOUND);
  ASSIGN_OR_RETURN(PosPurchase purchase, PurchaseFromRow(*row));
  const int64_t left = purchase.amount_fen - purchase.refunded_fen;
  const std::string refund_id = in.amount_fen ? in.refund_id : "rest";
  // A repeat of a refund id, or the rest when nothing is left: the purchase as it is.
  ASSIGN_OR_RETURN(int64_t seen, tx.QueryInt("SELECT count(*) FROM member_pos_refunds WHERE "
                                             "purchase_id=? AND refund_id=?",
                                             {purchase.id, refund_id}));
  if (seen > 0 || left == 0) return purchase;
  const int64_t amount = in.amount_fen.value_or(left);
  if (amount > left) return Fail(Msg::MEMBER_POS_REFUND_TOO_MUCH, {{"refundable_fen", left}});
  ASSIGN_OR_RETURN(Card card, internal::LockCard(tx, purchase.card_id));
  ASSIGN_OR_RETURN(Programme p, internal::ProgrammeById(tx, card.programme_id));
  // What the purchase gave: its entry's points − debt (a debt it paid off is owed again).
  ASSIGN_OR_RETURN(int64_t given,
                   tx.QueryInt("SELECT COALESCE(SUM(points - debt), 0) FROM member_points_journal "
                               "WHERE ref_id=? AND merchant_id=? AND kind=?",
                               {purchase.id, merchant_id, internal::kPosPurchase}));
  // Cumulative shares: what refunds of `fen` in all give back, so the parts sum to the whole.
  auto share = [&](int64_t whole, int64_t fen) {
    return static_cast<int64_t>(static_cast<__int128>(whole) * fen / purchase.amount_fen);
  };
  const int64_t after = purchase.refunded_fen + amount;
  const int64_t points = share(given, after) - share(given, purchase.refunded_fen);
  const int64_t growth =
      share(purchase.growth, after) - share(purchase.growth, purchase.refunded_fen);
  internal::Posting e = internal::Taking(card, internal::kPosRefunded, points, growth);
  e.ref_id = purchase.id;
  e.offline_spend_fen = -amount;
  RETURN_IF_ERROR(internal::Post(tx, card, p, e));
  const int64_t now = tx.NowMs();
  RETURN_IF_ERROR(
      tx.Run("INSERT INTO member_pos_refunds(id, merchant_id, purchase_id, refund_id, "
             "amount_fen, points, growth, created_at_ms) VALUES(?,?,?,?,?,?,?,?)",
             {tx.NewId(), merchant_id, purchase.id, refund_id, amount, points, growth, now}));
  purchase.refunded_fen = after;
  if (after == purchase.amount_fen) purchase.status = PosStatus::kRefunded;
  purchase.refunded_at_ms = now;
  RETURN_IF_ERROR(
      tx.Run("UPDATE member_pos_purchases SET status=?, refunded_fen=?, "
             "refunded_at_ms=? WHERE id=?",
             {Name(purchase.status), purchase.refunded_fen, now, purchase.id}));
  return purchase;
}

Result<PosPurchase> MemberService::GetPosPurchase(Reader& r, int64_t merchant_id,
                                                  int64_t purchase_id) {
  ASSIGN_OR_RETURN(auto row, r.QueryOne(std::string("SELECT ") + kPosCols +
                                            " FROM member_pos_purchases WHERE id=? AND "
                                            "merchant_id=?",
                                        {purchase_id, merchant_id}));
  if (!row) return Fail(Msg::MEMBER_POS_PURCHASE_NOT_FOUND);
  return PurchaseFromRow(*row);
}

}  // namespace xd::member
