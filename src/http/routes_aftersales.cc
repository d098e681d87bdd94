// Routes of after-sales: a buyer's refund or return request, the goods sent back, and the
// merchant's answers (approve, reject, receive the return).
#include "http/api.h"

namespace xd::http {

using account::Perm;
using account::Principal;

namespace {

Status RequestAftersale(Call& c) {
  trade::TradeService& trade = c.app().trade;
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  ASSIGN_OR_RETURN(Json body, c.Body());
  ASSIGN_OR_RETURN(trade::AftersaleRequest req, trade::AftersaleRequestFromJson(body));
  c.Write(
      p,
      [&trade, id, req](Tx& tx, const Principal& p) -> Result<Json> {
        ASSIGN_OR_RETURN(trade::Aftersale a, trade.RequestAftersale(tx, p.user_id, id, req));
        return trade::ToJson(a);
      },
      201);
  return Ok();
}

Status GetMyAftersale(Call& c) {
  Store& store = c.app().store;
  trade::TradeService& trade = c.app().trade;
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  ASSIGN_OR_RETURN(trade::Aftersale a, store.Read([&](Reader& r) {
    return trade.GetAftersale(r, id, p.user_id, std::nullopt);
  }));
  c.Reply(trade::ToJson(a));
  return Ok();
}

Status ReturnGoods(Call& c) {
  trade::TradeService& trade = c.app().trade;
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  ASSIGN_OR_RETURN(Json body, c.Body());
  ObjectReader r(body);
  std::string carrier = r.String("carrier", {.min_len = 1, .max_len = limits::kMaxCarrierLen});
  std::string no = r.String("tracking_no", {.min_len = 1, .max_len = limits::kMaxTrackingNoLen});
  RETURN_IF_ERROR(r.Finish());
  c.Write(p, [&trade, id, carrier, no](Tx& tx, const Principal& p) -> Result<Json> {
    ASSIGN_OR_RETURN(trade::Aftersale a, trade.ReturnGoods(tx, id, p.user_id, carrier, no));
    return trade::ToJson(a);
  });
  return Ok();
}

Status ListMerchantAftersales(Call& c) {
  Store& store = c.app().store;
  trade::TradeService& trade = c.app().trade;
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kRead));
  ASSIGN_OR_RETURN(auto page, c.Page());
  std::string status = c.req().QueryParam("status").value_or("");
  ASSIGN_OR_RETURN(auto list, store.Read([&](Reader& r) {
    return trade.MerchantAftersales(r, s.merchant_id, status, page.first);
  }));
  Json items = Json::array();
  for (auto& a : list) items.push_back(trade::ToJson(a));
  c.Reply(ListJson(items, 0));
  return Ok();
}

// What a merchant does to an after-sales request `id` (with the optional reason sent).
using AftersaleAction = Result<trade::Aftersale> (*)(trade::TradeService& trade, Tx& tx, int64_t id,
                                                     int64_t merchant_id,
                                                     const std::string& reason);

// The merchant's after-sales actions share their shape: an optional {"reason"} body, then
// `act` as the merchant, answering with the request as it leaves.
Status ActOnAftersale(Call& c, AftersaleAction act) {
  trade::TradeService& trade = c.app().trade;
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kAftersales));
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  std::string reason;
  if (!c.req().body.empty()) {
    ASSIGN_OR_RETURN(Json body, c.Body());
    ObjectReader r(body);
    reason = r.OptString("reason", {.max_len = limits::kMaxRemarkLen}).value_or("");
    RETURN_IF_ERROR(r.Finish());
  }
  c.Write(s, [&trade, act, id, reason](Tx& tx, const StaffCaller& s) -> Result<Json> {
    ASSIGN_OR_RETURN(trade::Aftersale a, act(trade, tx, id, s.merchant_id, reason));
    return trade::ToJson(a);
  });
  return Ok();
}

Status ApproveAftersale(Call& c) {
  return ActOnAftersale(c, [](trade::TradeService& trade, Tx& tx, int64_t id, int64_t m,
                              const std::string&) { return trade.ApproveAftersale(tx, id, m); });
}

Status RejectAftersale(Call& c) {
  return ActOnAftersale(
      c, [](trade::TradeService& trade, Tx& tx, int64_t id, int64_t m, const std::string& reason) {
        return trade.RejectAftersale(tx, id, m, reason);
      });
}

Status ReceiveReturn(Call& c) {
  return ActOnAftersale(c, [](trade::TradeService& trade, Tx& tx, int64_t id, int64_t m,
                              const std::string&) { return trade.ReceiveReturn(tx, id, m); });
}

}  // namespace

void AddAftersaleRoutes(Api& api) {
  // One entry per route, laid out by hand as an index of the module's API.
  // clang-format off
  api.AddTable({
      // ---- after-sales ----
      {{"POST", "/api/v1/orders/{id}/aftersales",
        "Request a refund or a return and refund; a return may name its items (default: every unit not yet returned)",
        "aftersales", AuthKind::kUser, 201,
        Json{{"type", "refund_only"}, {"amount_fen", 6800}, {"reason", "不想要了"}}}, RequestAftersale},
      {{"GET", "/api/v1/aftersales/{id}", "An after-sales request (its buyer)", "aftersales",
        AuthKind::kUser}, GetMyAftersale},
      {{"POST", "/api/v1/aftersales/{id}/return", "Send the goods back (buyer)", "aftersales",
        AuthKind::kUser, 200, Json{{"carrier", "中通"}, {"tracking_no", "ZT998877"}}}, ReturnGoods},
      {{"GET", "/api/v1/merchant/aftersales", "The merchant's after-sales requests (staff)",
        "aftersales", AuthKind::kStaff, 200, nullptr, {"status", "limit"}}, ListMerchantAftersales},
      {{"POST", "/api/v1/merchant/aftersales/{id}/approve",
        "Approve an after-sales request (staff)", "aftersales", AuthKind::kStaff, 200, nullptr},
       ApproveAftersale},
      {{"POST", "/api/v1/merchant/aftersales/{id}/reject", "Reject an after-sales request (staff)",
        "aftersales", AuthKind::kStaff, 200, Json{{"reason", "商品已使用"}}}, RejectAftersale},
      {{"POST", "/api/v1/merchant/aftersales/{id}/receive",
        "Confirm returned goods arrived; refunds and restocks (staff)", "aftersales",
        AuthKind::kStaff, 200, nullptr}, ReceiveReturn},
  });
  // clang-format on
}

}  // namespace xd::http
