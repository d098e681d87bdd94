// Routes of the capital flow: the sandbox cashier and provider notifications, store
// credit, merchant finance, and the ledger check.
#include "base/id.h"
#include "base/messages.h"
#include "buyer/buyer.h"
#include "catalog/catalog.h"
#include "community/community.h"
#include "http/api.h"
#include "live/live.h"
#include "store/colocation.h"
#include "store/consumer.h"
#include "store/timers.h"

namespace xd::http {

using account::Perm;
using account::Principal;

Result<Json> RunInvariantChecks(AppContext& app) {
  // The data platform's store is another file: its check reads its own snapshot.
  std::vector<std::string> analytics_problems, feed_problems;
  if (app.insight) {
    ASSIGN_OR_RETURN(analytics_problems, app.insight->Check());
    ASSIGN_OR_RETURN(feed_problems, app.insight->CheckCoPurchases());
  }
  return app.store.Read([&](Reader& r) -> Result<Json> {
    ASSIGN_OR_RETURN(pay::LedgerReport ledger, pay::CheckLedger(r));
    ASSIGN_OR_RETURN(auto orders, app.trade.Check(r));
    ASSIGN_OR_RETURN(auto inventory, catalog::CheckInventory(r));
    ASSIGN_OR_RETURN(auto promo, app.promo.Check(r));
    ASSIGN_OR_RETURN(auto timers, CheckTimers(r));
    ASSIGN_OR_RETURN(auto events, CheckOutbox(r));
    ASSIGN_OR_RETURN(auto colocation, CheckColocation(r));
    std::vector<std::string> member_problems;
    if (app.member) {
      ASSIGN_OR_RETURN(member_problems, app.member->Check(r));
    }
    ASSIGN_OR_RETURN(auto buyer_problems, buyer::Check(r));
    ASSIGN_OR_RETURN(auto community_problems, community::CommunityService::Check(r));
    ASSIGN_OR_RETURN(auto live_problems, live::LiveService::Check(r));
    std::vector<std::string> open_problems;
    if (app.open) {
      ASSIGN_OR_RETURN(open_problems, app.open->Check(r));
    }
    Json j = ledger.ToJson();
    for (auto& p : orders) j["problems"].push_back(p);
    for (auto& p : inventory) j["problems"].push_back(p);
    for (auto& p : promo) j["problems"].push_back(p);
    for (auto& p : open_problems) j["problems"].push_back(p);
    for (auto& p : timers) j["problems"].push_back(p);
    for (auto& p : events) j["problems"].push_back(p);
    for (auto& p : colocation) j["problems"].push_back(p);
    for (auto& p : member_problems) j["problems"].push_back(p);
    for (auto& p : buyer_problems) j["problems"].push_back(p);
    for (auto& p : community_problems) j["problems"].push_back(p);
    for (auto& p : analytics_problems) j["problems"].push_back(p);
    for (auto& p : live_problems) j["problems"].push_back(p);
    for (auto& p : feed_problems) j["problems"].push_back(p);
    j["ok"] = j["problems"].empty();
    j["balanced"] = ledger.balanced && orders.empty();
    j["orders_ok"] = orders.empty();
    j["inventory_ok"] = inventory.empty();
    j["open_ok"] = open_problems.empty();  // webhook cursor and deliveries, API keys
    j["timers_ok"] = timers.empty();       // no timer given up on (dead)
    j["events_ok"] = events.empty();  // outbox: cursors within it, retention behind every consumer,
                                      // envelopes whole
    j["colocation_ok"] = colocation.empty();  // every child row's distribution column is its
                                              // parent's (docs/scale-out.md, Citus)
    j["member_ok"] = member_problems.empty();  // points equal their journal, none negative, cards
                                               // issued within the limit
    j["buyer_ok"] = buyer_problems.empty();  // every review agrees with its buyer's order item
    j["community_ok"] = community_problems.empty();  // leader commission = rate × picked-up amounts
                                                     // − refunds; paid orders each in one batch
    j["analytics_ok"] = analytics_problems.empty();  // projections' totals = a recount from the
                                                     // analytics log
    j["live_ok"] = live_problems.empty();  // live stock allocations conserve stock; room order
                                           // counts and sold units match their orders; no
                                           // comment of a muted viewer after the mute
    j["feed_ok"] = feed_problems.empty();  // bought-together pairs (analytics store): first
                                           // purchases are paid orders' products in the log; no
                                           // pair counts more buyers than bought it
    j["promo_ok"] = promo.empty();    // no over-filled group, over-issued coupon, flash oversell;
                                      // bargain cuts exact
    return j;
  });
}

namespace {

Status GetSandboxPayment(Call& c) {
  Store& store = c.app().store;
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(int64_t id, c.PathId("payment_id"));
  ASSIGN_OR_RETURN(pay::Payment pm, store.Read([&](Reader& r) { return pay::GetPayment(r, id); }));
  if (pm.buyer_id != p.user_id) return Fail(Msg::PAYMENT_NOT_FOUND);
  c.Reply(pay::ToJson(pm));
  return Ok();
}

// The buyer's answer on the sandbox cashier (paid, or failed): the provider records it and
// notifies asynchronously.
Status AnswerSandboxPayment(Call& c, bool success) {
  pay::SandboxProvider& sandbox = c.app().sandbox;
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(int64_t id, c.PathId("payment_id"));
  c.Write(p, [&sandbox, id, success](Tx& tx, const Principal& p) -> Result<Json> {
    ASSIGN_OR_RETURN(pay::Payment pm, pay::GetPayment(tx, id));
    if (pm.buyer_id != p.user_id) return Fail(Msg::PAYMENT_NOT_FOUND);
    if (pm.prepay_id.empty())
      return Fail(Msg::PAYMENT_NO_PROVIDER_STEP);
    // A closed or failed payment has released its store credit: completing it
    // would pay the order with the provider part alone.
    if (pm.status != pay::PaymentStatus::kPending)
      return Fail(Msg::PAYMENT_NOT_PENDING, {Term("status", std::string(pay::Name(pm.status)), "pay")});
    RETURN_IF_ERROR(sandbox.Complete(tx, pm.prepay_id, success));
    return Json{{"payment_id", IdString(id)},
                {"provider_status", success ? "SUCCESS" : "FAIL"},
                {"note", "the provider notifies the platform asynchronously"}};
  });
  return Ok();
}

Status CompleteSandboxPayment(Call& c) { return AnswerSandboxPayment(c, true); }

Status FailSandboxPayment(Call& c) { return AnswerSandboxPayment(c, false); }

Status SandboxNotify(Call& c) {
  Store& store = c.app().store;
  trade::TradeService& trade = c.app().trade;
  pay::SandboxProvider& sandbox = c.app().sandbox;
  std::string sig(c.req().Header("x-sandbox-signature"));
  ASSIGN_OR_RETURN(pay::Notification n,
                   pay::VerifyNotification(sandbox, store.clock(), c.req().body, sig));
  c.AnonymousWrite([&trade, n](Tx& tx) -> Result<Json> {
    ASSIGN_OR_RETURN(std::string outcome, trade.ApplyNotification(tx, n));
    return Json{{"code", "SUCCESS"}, {"outcome", outcome}};
  });
  return Ok();
}

Status QueryPayment(Call& c) {
  trade::TradeService& trade = c.app().trade;
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  c.Write(p, [&trade, id](Tx& tx, const Principal& p) -> Result<Json> {
    ASSIGN_OR_RETURN(pay::Payment pm, pay::GetPayment(tx, id));
    if (pm.buyer_id != p.user_id) return Fail(Msg::PAYMENT_NOT_FOUND);
    ASSIGN_OR_RETURN(pay::PaymentStatus state, trade.QueryPayment(tx, id));
    return Json{{"payment_id", IdString(id)}, {"status", std::string(pay::Name(state))}};
  });
  return Ok();
}

Status AdminSetSandboxMode(Call& c) {
  pay::SandboxProvider& sandbox = c.app().sandbox;
  RETURN_IF_ERROR(c.Admin());
  ASSIGN_OR_RETURN(Json body, c.Body());
  ObjectReader r(body);
  std::string mode = r.String("mode", {.max_len = 10});
  int64_t late_ms = r.OptInt("late_ms", {.min = 0, .max = 600000}).value_or(2000);
  RETURN_IF_ERROR(r.Finish());
  pay::NotifyMode m;
  if (mode == "normal")
    m = pay::NotifyMode::kNormal;
  else if (mode == "late")
    m = pay::NotifyMode::kLate;
  else if (mode == "twice")
    m = pay::NotifyMode::kTwice;
  else if (mode == "drop")
    m = pay::NotifyMode::kDrop;
  else
    return Fail(Msg::SANDBOX_MODE_INVALID);
  sandbox.SetMode(m, late_ms);
  c.Reply(Json{{"mode", mode}, {"late_ms", late_ms}});
  return Ok();
}

Status GetMyCardBalance(Call& c) {
  Store& store = c.app().store;
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(int64_t balance, store.Read([&](Reader& r) {
    return pay::Balance(r, pay::CardAccount(p.user_id));
  }));
  c.Reply(Json{{"balance_fen", balance}});
  return Ok();
}

Status AdminIssueCard(Call& c) {
  ASSIGN_OR_RETURN(AdminCaller admin, c.Admin());
  ASSIGN_OR_RETURN(Json body, c.Body());
  ObjectReader r(body);
  std::string phone = r.String("phone", {.max_len = limits::kMaxPhoneLen});
  int64_t amount = r.Int("amount_fen", {.min = 1, .max = limits::kMaxCardIssueFen});
  std::string reason = r.String("reason", {.min_len = 1, .max_len = limits::kMaxCardReasonLen});
  RETURN_IF_ERROR(r.Finish());
  c.Write(
      admin,
      [phone, amount, reason](Tx& tx, const AdminCaller& admin) -> Result<Json> {
        ASSIGN_OR_RETURN(account::User u, account::GetUserByPhone(tx, phone));
        ASSIGN_OR_RETURN(int64_t id,
                         pay::IssueCard(tx, u.id, amount, reason, admin.principal.user_id));
        ASSIGN_OR_RETURN(int64_t balance, pay::Balance(tx, pay::CardAccount(u.id)));
        return Json{{"id", IdString(id)},
                    {"user_id", IdString(u.id)},
                    {"amount_fen", amount},
                    {"balance_fen", balance}};
      },
      201);
  return Ok();
}

Status GetFinance(Call& c) {
  Store& store = c.app().store;
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kFinance));
  ASSIGN_OR_RETURN(pay::MerchantFinance f,
                   store.Read([&](Reader& r) { return pay::FinanceOf(r, s.merchant_id); }));
  c.Reply(Json{{"payable_fen", f.payable_fen},
               {"withdrawable_fen", f.withdrawable_fen},
               {"withdrawn_fen", f.withdrawn_fen},
               {"pending_settlement", f.pending}});
  return Ok();
}

Status ListLedgerEntries(Call& c) {
  Store& store = c.app().store;
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kFinance));
  ASSIGN_OR_RETURN(auto page, c.Page());
  std::string which = c.req().QueryParam("account").value_or("payable");
  if (which != "payable" && which != "withdrawable")
    return Fail(Msg::LEDGER_ACCOUNT_INVALID);
  std::string account = which == "payable" ? pay::MerchantPayable(s.merchant_id)
                                           : pay::MerchantWithdrawable(s.merchant_id);
  ASSIGN_OR_RETURN(auto entries, store.Read([&](Reader& r) {
    return pay::AccountEntries(r, account, page.first, page.second);
  }));
  Json items = Json::array();
  for (auto& e : entries)
    items.push_back(Json{{"journal_id", IdString(e.journal_id)},
                         {"kind", e.kind},
                         {"ref_id", IdString(e.ref_id)},
                         {"memo", e.memo},
                         {"amount_fen", e.amount_fen},
                         {"created_at", FormatRfc3339(e.created_at_ms)}});
  c.Reply(ListJson(
      items, static_cast<int64_t>(entries.size()) == page.first ? entries.back().journal_id : 0));
  return Ok();
}

Status Withdraw(Call& c) {
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kFinance));
  ASSIGN_OR_RETURN(Json body, c.Body());
  ObjectReader r(body);
  int64_t amount = r.Int("amount_fen", {.min = 1});
  RETURN_IF_ERROR(r.Finish());
  c.WriteIdempotent(
      s, "withdraw:" + IdString(s.merchant_id),
      [amount](Tx& tx, const StaffCaller& s) -> Result<Json> {
        ASSIGN_OR_RETURN(int64_t id, pay::Withdraw(tx, s.merchant_id, amount));
        return Json{{"id", IdString(id)}, {"amount_fen", amount}, {"status", "paid"}};
      },
      201);
  return Ok();
}

Status AdminCheckInvariants(Call& c) {
  AppContext& app = c.app();
  RETURN_IF_ERROR(c.Admin());
  ASSIGN_OR_RETURN(Json report, RunInvariantChecks(app));
  c.Reply(report);
  return Ok();
}

}  // namespace

void AddPayRoutes(Api& api) {
  // One entry per route, laid out by hand as an index of the module's API.
  // clang-format off
  api.AddTable({
      {{"GET", "/api/v1/pay/sandbox/{payment_id}",
        "Sandbox cashier: the payment to confirm (its buyer)", "pay", AuthKind::kUser},
       GetSandboxPayment},
      {{"POST", "/api/v1/pay/sandbox/{payment_id}/complete",
        "Sandbox: the buyer paid; the provider then notifies asynchronously", "pay",
        AuthKind::kUser}, CompleteSandboxPayment},
      {{"POST", "/api/v1/pay/sandbox/{payment_id}/fail", "Sandbox: the buyer's payment failed",
        "pay", AuthKind::kUser}, FailSandboxPayment},
      {{"POST", "/api/v1/pay/notify/sandbox",
        "The sandbox provider's signed asynchronous notification", "pay", AuthKind::kSignature, 200,
        Json{{"notify_id", "n…"}, {"event", "payment.succeeded"}, {"prepay_id", "wx…"},
             {"out_no", "…"}, {"amount_fen", 6800}, {"transaction_id", "4200…"},
             {"timestamp_ms", 0}}}, SandboxNotify},
      {{"POST", "/api/v1/payments/{id}/query",
        "Ask the provider about a pending payment and apply its answer (the order-query path)",
        "pay", AuthKind::kUser}, QueryPayment},
      {{"PUT", "/api/v1/admin/sandbox/mode",
        "Sandbox provider notification mode: normal, late, twice, drop (admin)", "admin",
        AuthKind::kAdmin, 200, Json{{"mode", "twice"}, {"late_ms", 2000}}}, AdminSetSandboxMode},
      // ---- store credit ----
      {{"GET", "/api/v1/me/cards", "The buyer's store credit balance", "pay", AuthKind::kUser},
       GetMyCardBalance},
      {{"POST", "/api/v1/admin/cards", "Issue store credit to a buyer (admin)", "admin",
        AuthKind::kAdmin, 201,
        Json{{"phone", "13700000001"}, {"amount_fen", 5000}, {"reason", "游戏奖励"}}}, AdminIssueCard},
      // ---- merchant finance ----
      {{"GET", "/api/v1/merchant/finance",
        "Balances: payable (held), withdrawable, withdrawn (owner)", "finance", AuthKind::kStaff},
       GetFinance},
      {{"GET", "/api/v1/merchant/ledger", "Ledger entries of the merchant's accounts (owner)",
        "finance", AuthKind::kStaff, 200, nullptr, {"account", "limit", "cursor"}},
       ListLedgerEntries},
      {{"POST", "/api/v1/merchant/withdrawals", "Withdraw from the withdrawable balance (owner)",
        "finance", AuthKind::kStaff, 201, Json{{"amount_fen", 10000}}}, Withdraw},
      {{"GET", "/api/v1/admin/ledger/check", "Ledger, order and inventory invariants (admin)",
        "admin", AuthKind::kAdmin}, AdminCheckInvariants},
  });
  // clang-format on
}

}  // namespace xd::http
