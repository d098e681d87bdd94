// Routes of trade and logistics: cart, checkout, orders, shipping. After-sales:
// routes_aftersales.cc.
#include "base/id.h"
#include "base/messages.h"
#include "http/api.h"
#include "logistics/logistics.h"

namespace xd::http {

using account::Perm;
using account::Principal;

namespace {

// An order with its shipment (logistics) and latest after-sales request, for the API.
Result<Json> OrderJson(Reader& r, trade::TradeService& trade, const trade::Order& o) {
  Json j = trade::ToJson(o);
  ASSIGN_OR_RETURN(auto shipment, logistics::ShipmentOf(r, o.id));
  j["shipment"] = shipment ? logistics::ToJson(*shipment) : Json(nullptr);
  ASSIGN_OR_RETURN(auto aftersale, trade.LatestAftersale(r, o.id));
  j["aftersale"] = aftersale ? trade::ToJson(*aftersale) : Json(nullptr);
  return j;
}

// A page of orders, each as OrderJson gives it; shipments and after-sales requests are read
// for the whole page at once (a constant number of queries, not a few per order).
Result<Json> OrderListJson(Reader& r, trade::TradeService& trade,
                           const std::vector<trade::Order>& orders, int64_t limit) {
  std::vector<int64_t> ids;
  ids.reserve(orders.size());
  for (auto& o : orders) ids.push_back(o.id);
  ASSIGN_OR_RETURN(auto shipments, logistics::ShipmentsOf(r, ids));
  ASSIGN_OR_RETURN(auto aftersales, trade.LatestAftersales(r, ids));
  Json items = Json::array();
  for (auto& o : orders) {
    Json j = trade::ToJson(o);
    auto shipment = shipments.find(o.id);
    j["shipment"] =
        shipment != shipments.end() ? logistics::ToJson(shipment->second) : Json(nullptr);
    auto aftersale = aftersales.find(o.id);
    j["aftersale"] =
        aftersale != aftersales.end() ? trade::ToJson(aftersale->second) : Json(nullptr);
    items.push_back(std::move(j));
  }
  return ListJson(items, NextCursor(orders, limit));
}

Status GetCart(Call& c) {
  Store& store = c.app().store;
  trade::TradeService& trade = c.app().trade;
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(Json out, store.Read([&](Reader& r) { return trade.Cart(r, p.user_id); }));
  c.Reply(out);
  return Ok();
}

Status AddCartItem(Call& c) {
  trade::TradeService& trade = c.app().trade;
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(Json body, c.Body());
  ObjectReader r(body);
  int64_t sku = r.Id("sku_id");
  int64_t qty = r.Int("quantity", {.min = 1, .max = limits::kMaxLineQuantity});
  RETURN_IF_ERROR(r.Finish());
  c.Write(
      p,
      [&trade, sku, qty](Tx& tx, const Principal& p) -> Result<Json> {
        RETURN_IF_ERROR(trade.AddToCart(tx, p.user_id, sku, qty));
        return trade.Cart(tx, p.user_id);
      },
      201);
  return Ok();
}

Status SetCartItemQuantity(Call& c) {
  trade::TradeService& trade = c.app().trade;
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  ASSIGN_OR_RETURN(Json body, c.Body());
  ObjectReader r(body);
  int64_t qty = r.Int("quantity", {.min = 1, .max = limits::kMaxLineQuantity});
  RETURN_IF_ERROR(r.Finish());
  c.Write(p, [&trade, id, qty](Tx& tx, const Principal& p) -> Result<Json> {
    RETURN_IF_ERROR(trade.SetCartQuantity(tx, p.user_id, id, qty));
    return trade.Cart(tx, p.user_id);
  });
  return Ok();
}

Status RemoveCartItem(Call& c) {
  trade::TradeService& trade = c.app().trade;
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  c.Write(
      p,
      [&trade, id](Tx& tx, const Principal& p) -> Result<Json> {
        RETURN_IF_ERROR(trade.RemoveFromCart(tx, p.user_id, id));
        return Json();
      },
      204);
  return Ok();
}

Json CheckoutExample() {
  return Json{{"items", {{{"sku_id", "123"}, {"quantity", 1}}}},
              {"address",
               {{"name", "张三"},
                {"phone", "13800000000"},
                {"region", "上海市 浦东新区"},
                {"detail", "世纪大道 100 号"}}}};
}

Status PreviewCheckout(Call& c) {
  Store& store = c.app().store;
  trade::TradeService& trade = c.app().trade;
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(Json body, c.Body());
  ASSIGN_OR_RETURN(trade::CheckoutRequest req, trade::CheckoutRequestFromJson(body));
  ASSIGN_OR_RETURN(Json out,
                   store.Read([&](Reader& r) { return trade.Preview(r, p.user_id, req); }));
  c.Reply(out);
  return Ok();
}

Status Checkout(Call& c) {
  Store& store = c.app().store;
  trade::TradeService& trade = c.app().trade;
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(Json body, c.Body());
  ASSIGN_OR_RETURN(trade::CheckoutRequest req, trade::CheckoutRequestFromJson(body));
  // Bursts on an activity (flash sales) are mostly refusals: price the checkout on
  // a reader first and turn away what is already sold out or over the limit, so the
  // writer only sees attempts that may succeed. The writer still decides. (Skipped
  // with an Idempotency-Key: a retry must get its first answer, not a fresh refusal.)
  if (!req.activity.is_null() && c.IdempotencyKey().empty()) {
    auto priced = store.Read([&](Reader& r) { return trade.Preview(r, p.user_id, req); });
    if (!priced && (priced.error().code == ErrorCode::OUT_OF_STOCK ||
                    priced.error().code == ErrorCode::LIMIT_EXCEEDED))
      return std::unexpected(priced.error());
  }
  // The reply is written as text inside the command (JsonWriter): checkout is the hottest
  // write, and a tree of its orders built on the single writer cost it ~5% (bench/README).
  c.WriteIdempotentText(
      p.user_id, "checkout",
      [&trade, p, req](Tx& tx) -> Result<std::string> {
        std::string out;
        JsonWriter w(out);
        w.BeginObject().Key("orders").BeginArray();
        if (req.pay) {
          ASSIGN_OR_RETURN(auto paying, trade.CheckoutAndPay(tx, p.user_id, req));
          for (auto& [o, pm] : paying) {
            w.BeginObject();
            trade::WriteOrderMembers(w, o);
            w.Key("payment").Value(pay::ToJson(pm));
            w.EndObject();
          }
        } else {
          ASSIGN_OR_RETURN(auto orders, trade.Checkout(tx, p.user_id, req));
          for (auto& o : orders) {
            w.BeginObject();
            trade::WriteOrderMembers(w, o);
            w.EndObject();
          }
        }
        w.EndArray().EndObject();
        return out;
      },
      201);
  return Ok();
}

Status ListMyOrders(Call& c) {
  Store& store = c.app().store;
  trade::TradeService& trade = c.app().trade;
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(auto page, c.Page());
  std::string status = c.req().QueryParam("status").value_or("");
  ASSIGN_OR_RETURN(Json out, store.Read([&](Reader& r) -> Result<Json> {
    ASSIGN_OR_RETURN(auto orders,
                     trade.ListOrders(r, p.user_id, std::nullopt, status, page.first, page.second));
    return OrderListJson(r, trade, orders, page.first);
  }));
  c.Reply(out);
  return Ok();
}

Status GetMyOrder(Call& c) {
  Store& store = c.app().store;
  trade::TradeService& trade = c.app().trade;
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  std::optional<std::string> wait_while = c.req().QueryParam("wait_while");
  int64_t wait_ms = 0;
  if (auto w = c.req().QueryParam("wait_ms")) {
    auto v = ParseId(*w);
    if (!v || *v > limits::kMaxOrderWaitMs)
      return Fail(Msg::WAIT_MS_RANGE, {{"max", limits::kMaxOrderWaitMs}});
    wait_ms = *v;
  }
  auto full = [&store, &trade, id, user = p.user_id]() -> Result<Json> {
    return store.Read([&](Reader& r) -> Result<Json> {
      ASSIGN_OR_RETURN(trade::Order o, trade.GetOrder(r, id, user, std::nullopt));
      return OrderJson(r, trade, o);
    });
  };
  if (!wait_while || wait_ms == 0 || !c.app().order_watch) {
    ASSIGN_OR_RETURN(Json out, full());
    c.Reply(out);
    return Ok();
  }
  auto send = [respond = c.responder(), lang = c.lang()](Result<Json> now) {
    Response resp;
    if (now) {
      resp.json = std::make_shared<const Json>(std::move(*now));
    } else {
      resp.status = ErrorCodeHttpStatus(now.error().code);
      resp.body = ErrorBody(now.error(), lang);
    }
    respond(std::move(resp));
  };
  OrderWatch& watch = *c.app().order_watch;
  auto status_now = [&store, &trade, id, user = p.user_id] {
    return store.Read([&](Reader& r) { return trade.BuyerOrderStatus(r, id, user); });
  };
  // The waiter fires when the order's row changes — on this node or another (Store::WatchRows)
  // — or at the deadline. Before the deadline it registers the next waiter, then reads the
  // order once (as the first look below does: a change committed after the registration fires
  // the new waiter, one before it shows in the read): still in the status waited on (the row
  // changed for another reason), it waits; otherwise that read is the answer, unless the new
  // waiter fired meanwhile and answers instead. (Registering after the read lost a payment
  // that landed in between: the page waited out its deadline.)
  struct Poll : std::enable_shared_from_this<Poll> {
    OrderWatch* watch = nullptr;
    int64_t order_id = 0;
    OrderWatch::Clock::time_point deadline;
    std::string wait_while;
    std::function<Result<Json>()> full;
    std::function<void(Result<Json>)> send;
    bool registering = false;  // Wait answers at once, calling Fire inside itself, when stopped or full
    void Fire() {
      if (registering || OrderWatch::Clock::now() >= deadline || watch->stopped()) return send(full());
      registering = true;
      auto next = watch->Wait(order_id, deadline, [self = shared_from_this()] { self->Fire(); });
      registering = false;
      auto now = full();
      if (now && (*now)["status"] == wait_while) return;
      if (!next->Claim()) return;  // fired meanwhile: that call answers
      watch->Cancel(next);
      send(std::move(now));
    }
  };
  auto poll = std::make_shared<Poll>();
  poll->watch = &watch;
  poll->order_id = id;
  poll->deadline = OrderWatch::Clock::now() + std::chrono::milliseconds(wait_ms);
  poll->wait_while = *wait_while;
  poll->full = full;
  poll->send = send;
  // Register, then look (a cheap status lookup; the order is built once): a change
  // committed after the registration fires the waiter, one before it shows here.
  auto waiter = watch.Wait(id, poll->deadline, [poll] { poll->Fire(); });
  auto status = status_now();
  if (status && trade::ToString(*status) == *wait_while) return Ok();
  if (!waiter->Claim()) return Ok();  // fired meanwhile
  watch.Cancel(waiter);
  if (!status) return std::unexpected(status.error());  // not found: no reply was sent
  send(full());
  return Ok();
}

Status CancelOrder(Call& c) {
  trade::TradeService& trade = c.app().trade;
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  c.Write(p, [&trade, id](Tx& tx, const Principal& p) -> Result<Json> {
    RETURN_IF_ERROR(trade.Cancel(tx, id, p.user_id, "cancelled by buyer"));
    ASSIGN_OR_RETURN(trade::Order o, trade.GetOrder(tx, id, p.user_id, std::nullopt));
    return trade::ToJson(o);
  });
  return Ok();
}

Status PayOrder(Call& c) {
  trade::TradeService& trade = c.app().trade;
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  int64_t card_fen = 0;
  if (!c.req().body.empty()) {
    ASSIGN_OR_RETURN(Json body, c.Body());
    ObjectReader r(body);
    card_fen = r.OptInt("card_fen", {.min = 0}).value_or(0);
    RETURN_IF_ERROR(r.Finish());
  }
  c.WriteIdempotent(
      p.user_id, "pay:" + IdString(id),
      [&trade, p, id, card_fen](Tx& tx) -> Result<Json> {
        ASSIGN_OR_RETURN(pay::Payment pm, trade.Pay(tx, p.user_id, id, card_fen));
        return pay::ToJson(pm);
      },
      200);
  return Ok();
}

Status ConfirmOrder(Call& c) {
  trade::TradeService& trade = c.app().trade;
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  c.Write(p, [&trade, id](Tx& tx, const Principal& p) -> Result<Json> {
    RETURN_IF_ERROR(trade.Confirm(tx, id, p.user_id));
    ASSIGN_OR_RETURN(trade::Order o, trade.GetOrder(tx, id, p.user_id, std::nullopt));
    return trade::ToJson(o);
  });
  return Ok();
}

Status ListMerchantOrders(Call& c) {
  Store& store = c.app().store;
  trade::TradeService& trade = c.app().trade;
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kRead));
  ASSIGN_OR_RETURN(auto page, c.Page());
  std::string status = c.req().QueryParam("status").value_or("");
  ASSIGN_OR_RETURN(Json out, store.Read([&](Reader& r) -> Result<Json> {
    ASSIGN_OR_RETURN(auto orders, trade.ListOrders(r, std::nullopt, s.merchant_id, status,
                                                   page.first, page.second));
    return OrderListJson(r, trade, orders, page.first);
  }));
  c.Reply(out);
  return Ok();
}

Status GetMerchantOrder(Call& c) {
  Store& store = c.app().store;
  trade::TradeService& trade = c.app().trade;
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kRead));
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  ASSIGN_OR_RETURN(Json out, store.Read([&](Reader& r) -> Result<Json> {
    ASSIGN_OR_RETURN(trade::Order o, trade.GetOrder(r, id, std::nullopt, s.merchant_id));
    return OrderJson(r, trade, o);
  }));
  c.Reply(out);
  return Ok();
}

Status ShipOrder(Call& c) {
  trade::TradeService& trade = c.app().trade;
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kOrders));
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  ASSIGN_OR_RETURN(Json body, c.Body());
  ObjectReader r(body);
  std::string carrier = r.String("carrier", {.min_len = 1, .max_len = limits::kMaxCarrierLen});
  std::string no = r.String("tracking_no", {.min_len = 1, .max_len = limits::kMaxTrackingNoLen});
  RETURN_IF_ERROR(r.Finish());
  c.Write(s, [&trade, id, carrier, no](Tx& tx, const StaffCaller& s) -> Result<Json> {
    ASSIGN_OR_RETURN(logistics::Shipment sh,
                     logistics::Ship(tx, trade, s.merchant_id, id, carrier, no));
    ASSIGN_OR_RETURN(trade::Order o, trade.GetOrder(tx, id, std::nullopt, s.merchant_id));
    Json j = trade::ToJson(o);
    j["shipment"] = logistics::ToJson(sh);
    return j;
  });
  return Ok();
}

Status TrackOrder(Call& c) {
  trade::TradeService& trade = c.app().trade;
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kOrders));
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  ASSIGN_OR_RETURN(Json body, c.Body());
  ObjectReader r(body);
  std::string desc = r.String("description", {.min_len = 1, .max_len = limits::kMaxRemarkLen});
  bool delivered = r.Bool("delivered", false);
  RETURN_IF_ERROR(r.Finish());
  c.Write(s, [&trade, id, desc, delivered](Tx& tx, const StaffCaller& s) -> Result<Json> {
    ASSIGN_OR_RETURN(logistics::Shipment sh,
                     logistics::Track(tx, trade, s.merchant_id, id, desc, delivered));
    return logistics::ToJson(sh);
  });
  return Ok();
}

}  // namespace

void AddTradeRoutes(Api& api) {
  // One entry per route, laid out by hand as an index of the module's API.
  // clang-format off
  api.AddTable({
      // ---- cart ----
      {{"GET", "/api/v1/cart", "The buyer's cart", "trade", AuthKind::kUser}, GetCart},
      {{"POST", "/api/v1/cart/items", "Add a SKU to the cart", "trade", AuthKind::kUser, 201,
        Json{{"sku_id", "123"}, {"quantity", 1}}}, AddCartItem},
      {{"PATCH", "/api/v1/cart/items/{id}", "Change a cart line's quantity", "trade",
        AuthKind::kUser, 200, Json{{"quantity", 2}}}, SetCartItemQuantity},
      {{"DELETE", "/api/v1/cart/items/{id}", "Remove a cart line", "trade", AuthKind::kUser, 204},
       RemoveCartItem},
      // ---- checkout ----
      {{"POST", "/api/v1/checkout/preview", "Price a checkout line by line without creating orders",
        "trade", AuthKind::kUser, 200, CheckoutExample()}, PreviewCheckout},
      {{"POST", "/api/v1/checkout",
        "Create one order per merchant, reserving stock; with \"pay\" also start paying each (Idempotency-Key)",
        "trade", AuthKind::kUser, 201, CheckoutExample()}, Checkout},
      // ---- buyer orders ----
      {{"GET", "/api/v1/orders", "The buyer's orders, newest first", "trade", AuthKind::kUser, 200,
        nullptr, {"status", "limit", "cursor"}}, ListMyOrders},
      {{"GET", "/api/v1/orders/{id}",
        "An order (its buyer only). Long poll: with wait_while=<status>&wait_ms=N (≤ 10000) the answer comes when the "
        "order leaves that status, or after N ms",
        "trade", AuthKind::kUser, 200, nullptr, {"wait_while", "wait_ms"}}, GetMyOrder},
      {{"POST", "/api/v1/orders/{id}/cancel", "Cancel an unpaid order", "trade", AuthKind::kUser},
       CancelOrder},
      {{"POST", "/api/v1/orders/{id}/pay",
        "Start payment (sandbox provider, optional store credit; Idempotency-Key)", "pay",
        AuthKind::kUser, 200, Json{{"card_fen", 0}}}, PayOrder},
      {{"POST", "/api/v1/orders/{id}/confirm", "Confirm receipt (completes the order)", "trade",
        AuthKind::kUser}, ConfirmOrder},
      // ---- merchant orders and logistics ----
      {{"GET", "/api/v1/merchant/orders", "The merchant's orders (staff)", "trade",
        AuthKind::kStaff, 200, nullptr, {"status", "limit", "cursor"}}, ListMerchantOrders},
      {{"GET", "/api/v1/merchant/orders/{id}", "One of the merchant's orders (staff)", "trade",
        AuthKind::kStaff}, GetMerchantOrder},
      {{"POST", "/api/v1/merchant/orders/{id}/ship",
        "Ship a paid order with carrier and tracking number (staff)", "logistics", AuthKind::kStaff,
        200, Json{{"carrier", "顺丰"}, {"tracking_no", "SF1234567890"}}}, ShipOrder},
      {{"POST", "/api/v1/merchant/orders/{id}/tracking",
        "Push a tracking event; delivered=true marks delivery (staff/ERP)", "logistics",
        AuthKind::kStaff, 200, Json{{"description", "已签收"}, {"delivered", true}}}, TrackOrder},
  });
  // clang-format on
}

}  // namespace xd::http
