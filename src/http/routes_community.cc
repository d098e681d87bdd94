// Routes of community group buying (community, issue 17): applying to lead, the leader centre
// (团长中心: roles, campaign links and QR codes, today's orders, batches with picking lists,
// arrival, pickup verification, earnings and withdrawals), the public campaign page of a leader's
// link and the nearest pickup points, the buyer's pickup code, and the merchant's leaders,
// campaigns and consolidated shipments. Ordering is POST /checkout with
// "activity":{"community":{...}}. Leaders act as buyers on their own roles: each command
// re-reads the role in its transaction.
#include <cctype>
#include <cmath>

#include "base/qr.h"
#include "community/community.h"
#include "http/api.h"

namespace xd::http {

using account::Perm;
using account::Principal;

namespace {

community::CommunityService& Community(Call& c) { return *c.app().community; }

// The origin a QR code's link starts with (the request's Host, as the member routes do).
std::string Origin(const Request& req) {
  std::string_view host = req.Header("host");
  if (host.empty() || host.size() > 255) return "";
  for (char ch : host)
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '.' && ch != '-' && ch != ':' &&
        ch != '[' && ch != ']')
      return "";
  return std::string(req.Header("x-forwarded-proto") == "https" ? "https" : "http") + "://" +
         std::string(host);
}

Json ApplicationExample() {
  return Json{{"merchant_id", "1234567890"},
              {"name", "王阿姨"},
              {"phone", "13800001234"},
              {"pickup_point",
               {{"name", "幸福小区 3 号楼便利店"},
                {"address", "上海市浦东新区幸福路 88 弄 3 号"},
                {"hours", "每天 9:00-21:00"},
                {"latitude", 31.2222},
                {"longitude", 121.5444},
                {"capacity", 200}}}};
}

Json CampaignExample() {
  return Json{
      {"title", "周三蔬果团"},
      {"cutoff_at", "2026-12-09T14:00:00Z"},
      {"pickup_date", "2026-12-10"},
      {"commission_bps", 1000},
      {"unpicked_days", 3},
      {"unpicked_rule", "refund"},
      {"items",
       {{{"sku_id", "1234567890"}, {"price_fen", 990}, {"stock", 500}, {"commission_bps", 1500}}}}};
}

// ---- applying and the leader centre ----

Status Apply(Call& c) {
  community::CommunityService& cs = Community(c);
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(Json body, c.Body());
  ASSIGN_OR_RETURN(community::Application app, community::ApplicationFromJson(body));
  c.Write(
      p,
      [&cs, app](Tx& tx, const Principal& p) -> Result<Json> {
        ASSIGN_OR_RETURN(community::Leader l, cs.Apply(tx, p.user_id, app));
        return community::ToJson(l, true);
      },
      201);
  return Ok();
}

Status MyRoles(Call& c) {
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(auto roles, c.app().store.Read(
                                   [&](Reader& r) { return Community(c).MyRoles(r, p.user_id); }));
  Json items = Json::array();
  for (auto& l : roles) items.push_back(community::ToJson(l, true));
  c.Reply(ListJson(std::move(items), 0));
  return Ok();
}

// A read of the caller's role `id` (404 for anyone else's) through `fn`.
Status LeaderRead(
    Call& c,
    std::function<Result<Json>(Reader&, community::CommunityService&, int64_t, int64_t)> fn) {
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  ASSIGN_OR_RETURN(
      Json out, c.app().store.Read([&](Reader& r) { return fn(r, Community(c), p.user_id, id); }));
  c.Reply(out);
  return Ok();
}

Status MyRole(Call& c) {
  return LeaderRead(
      c, [](Reader& r, community::CommunityService& cs, int64_t user, int64_t id) -> Result<Json> {
        ASSIGN_OR_RETURN(community::Leader l, cs.MyRole(r, user, id));
        return community::ToJson(l, true);
      });
}
// The campaigns with each open one's link as a QR code (SVG) for the poster: the shop's pages
// call the API with a bearer token, which an <img> of qr.svg cannot send.
Result<Json> WithQrCodes(Result<Json> campaigns, const std::string& origin) {
  if (!campaigns) return campaigns;
  for (auto& item : (*campaigns)["items"]) {
    if (!item["link"].is_string() || item["status"] != "open") continue;
    ASSIGN_OR_RETURN(QrCode qr, EncodeQr(origin + item["link"].get<std::string>()));
    item["qr_svg"] = QrSvg(qr, 6);
  }
  return campaigns;
}
Status LeaderCampaigns(Call& c) {
  std::string origin = Origin(c.req());
  return LeaderRead(
      c, [&origin](Reader& r, community::CommunityService& cs, int64_t user, int64_t id) {
        return WithQrCodes(cs.LeaderCampaigns(r, user, id), origin);
      });
}
Status LeaderOrders(Call& c) {
  return LeaderRead(c, [](Reader& r, community::CommunityService& cs, int64_t user, int64_t id) {
    return cs.LeaderOrders(r, user, id);
  });
}
Status LeaderBatches(Call& c) {
  return LeaderRead(c, [](Reader& r, community::CommunityService& cs, int64_t user, int64_t id) {
    return cs.LeaderBatches(r, user, id);
  });
}
Status LeaderEarnings(Call& c) {
  return LeaderRead(c, [](Reader& r, community::CommunityService& cs, int64_t user, int64_t id) {
    return cs.Earnings(r, user, id);
  });
}

// The leader's campaign link as a QR code (the poster's), for an active leader's own role.
Status LinkQr(Call& c) {
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  ASSIGN_OR_RETURN(int64_t campaign_id, c.PathId("campaign_id"));
  ASSIGN_OR_RETURN(std::string path, c.app().store.Read([&](Reader& r) -> Result<std::string> {
    ASSIGN_OR_RETURN(community::Leader l, Community(c).MyRole(r, p.user_id, id));
    ASSIGN_OR_RETURN(community::Campaign camp,
                     Community(c).GetCampaign(r, campaign_id, l.merchant_id));
    if (l.status != community::LeaderStatus::kActive) return Fail(Msg::LEADER_INACTIVE);
    return community::LinkPath(camp.id, l.code);
  }));
  ASSIGN_OR_RETURN(QrCode code, EncodeQr(Origin(c.req()) + path));
  c.ReplyText(QrSvg(code, 8), "image/svg+xml");
  return Ok();
}

Status Arrive(Call& c) {
  community::CommunityService& cs = Community(c);
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  ASSIGN_OR_RETURN(int64_t batch_id, c.PathId("batch_id"));
  c.Write(p, [&cs, id, batch_id](Tx& tx, const Principal& p) {
    return cs.MarkArrived(tx, p.user_id, id, batch_id);
  });
  return Ok();
}

Status PickupPreview(Call& c) {
  std::string code(c.req().Param("code"));
  if (code.empty() || code.size() > 16) return Fail(Msg::PICKUP_CODE_NOT_FOUND);
  return LeaderRead(c, [&code](Reader& r, community::CommunityService& cs, int64_t user,
                               int64_t id) { return cs.PickupPreview(r, user, id, code); });
}

Status VerifyPickup(Call& c) {
  community::CommunityService& cs = Community(c);
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  ASSIGN_OR_RETURN(Json body, c.Body());
  ObjectReader r(body);
  std::string code = r.String("pickup_code", {.min_len = 1, .max_len = 16});
  const Json* items = r.Raw("items");
  RETURN_IF_ERROR(r.Finish());
  std::vector<trade::LineRequest> lines;
  if (items) {
    if (!items->is_array() || items->size() > limits::kMaxOrderLines)
      return Fail(Msg::ORDER_LINES_RANGE, {{"max", limits::kMaxOrderLines}});
    for (size_t i = 0; i < items->size(); ++i) {
      ObjectReader lr((*items)[i], "items[" + std::to_string(i) + "].");
      trade::LineRequest l{lr.Id("sku_id"),
                           lr.Int("quantity", {.min = 1, .max = limits::kMaxLineQuantity})};
      RETURN_IF_ERROR(lr.Finish());
      lines.push_back(l);
    }
  }
  c.Write(p, [&cs, id, code, lines](Tx& tx, const Principal& p) {
    return cs.VerifyPickup(tx, p.user_id, id, code, lines);
  });
  return Ok();
}

Status Withdraw(Call& c) {
  community::CommunityService& cs = Community(c);
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  ASSIGN_OR_RETURN(Json body, c.Body());
  ObjectReader r(body);
  int64_t amount = r.Int("amount_fen", {.min = 1, .max = limits::kMaxSkuPriceFen});
  RETURN_IF_ERROR(r.Finish());
  c.Write(
      p,
      [&cs, id, amount](Tx& tx, const Principal& p) {
        return cs.Withdraw(tx, p.user_id, id, amount);
      },
      201);
  return Ok();
}

// ---- public: a leader's link, nearest pickup points; the buyer's pickup code ----

Status LinkView(Call& c) {
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  std::string code = c.req().QueryParam("leader").value_or("");
  if (code.size() > 32) return Fail(Msg::LEADER_NOT_FOUND);
  ASSIGN_OR_RETURN(
      Json out, c.app().store.Read([&](Reader& r) { return Community(c).LinkView(r, id, code); }));
  c.Reply(out);
  return Ok();
}

// A coordinate from the query (degrees), as integer millionths.
Result<int64_t> QueryDegrees(Call& c, const char* name, double max_deg) {
  std::string v = c.req().QueryParam(name).value_or("");
  char* end = nullptr;
  double d = v.empty() ? NAN : std::strtod(v.c_str(), &end);
  if (v.empty() || end != v.c_str() + v.size() || !std::isfinite(d) || std::fabs(d) > max_deg)
    return Fail(Msg::FIELD_DEGREES_RANGE, {Field(name), {"max", static_cast<int64_t>(max_deg)}});
  return static_cast<int64_t>(std::llround(d * 1e6));
}

Status NearestPoints(Call& c) {
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  ASSIGN_OR_RETURN(int64_t lat, QueryDegrees(c, "latitude", 90));
  ASSIGN_OR_RETURN(int64_t lng, QueryDegrees(c, "longitude", 180));
  ASSIGN_OR_RETURN(Json out, c.app().store.Read([&](Reader& r) {
    return Community(c).NearestPoints(r, id, lat, lng);
  }));
  c.Reply(out);
  return Ok();
}

Status PickupCode(Call& c) {
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  ASSIGN_OR_RETURN(Json out, c.app().store.Read([&](Reader& r) {
    return Community(c).PickupCodeOf(r, p.user_id, id);
  }));
  // The QR code holds the 6 digits the leader's scanner types in.
  ASSIGN_OR_RETURN(QrCode qr, EncodeQr(out["pickup_code"].get<std::string>()));
  out["qr_svg"] = QrSvg(qr, 8);
  c.Reply(out);
  return Ok();
}

// ---- the merchant ----

Status MerchantLeaders(Call& c) {
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kRead));
  std::string status = c.req().QueryParam("status").value_or("");
  ASSIGN_OR_RETURN(auto list, c.app().store.Read([&](Reader& r) {
    return Community(c).MerchantLeaders(r, s.merchant_id, status);
  }));
  Json items = Json::array();
  for (auto& l : list) {
    Json j = community::ToJson(l, false);
    j["phone"] = l.phone;  // the merchant contacts its leaders
    items.push_back(std::move(j));
  }
  c.Reply(ListJson(std::move(items), 0));
  return Ok();
}

Status LeaderAction(Call& c, std::string action) {
  community::CommunityService& cs = Community(c);
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kActivities));
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  c.Write(s, [&cs, id, action](Tx& tx, const StaffCaller& s) -> Result<Json> {
    ASSIGN_OR_RETURN(community::Leader l, cs.SetLeaderStatus(tx, s.merchant_id, id, action));
    Json j = community::ToJson(l, false);
    j["phone"] = l.phone;
    return j;
  });
  return Ok();
}
Status ApproveLeader(Call& c) { return LeaderAction(c, "approve"); }
Status RejectLeader(Call& c) { return LeaderAction(c, "reject"); }
Status SuspendLeader(Call& c) { return LeaderAction(c, "suspend"); }
Status EndLeader(Call& c) { return LeaderAction(c, "end"); }

Status CreateCampaign(Call& c) {
  community::CommunityService& cs = Community(c);
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kActivities));
  ASSIGN_OR_RETURN(Json body, c.Body());
  ASSIGN_OR_RETURN(community::CampaignInput in,
                   community::CampaignInputFromJson(body, c.app().store.clock().NowMs()));
  c.Write(
      s,
      [&cs, in](Tx& tx, const StaffCaller& s) -> Result<Json> {
        ASSIGN_OR_RETURN(community::Campaign camp, cs.CreateCampaign(tx, s.merchant_id, in));
        return community::ToJson(camp);
      },
      201);
  return Ok();
}

Status CloseCampaign(Call& c) {
  community::CommunityService& cs = Community(c);
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kActivities));
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  c.Write(s, [&cs, id](Tx& tx, const StaffCaller& s) -> Result<Json> {
    ASSIGN_OR_RETURN(community::Campaign camp, cs.CloseCampaign(tx, s.merchant_id, id));
    return community::ToJson(camp);
  });
  return Ok();
}

Status MerchantCampaigns(Call& c) {
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kRead));
  ASSIGN_OR_RETURN(auto list, c.app().store.Read([&](Reader& r) {
    return Community(c).MerchantCampaigns(r, s.merchant_id);
  }));
  Json items = Json::array();
  for (auto& camp : list) items.push_back(community::ToJson(camp));
  c.Reply(ListJson(std::move(items), 0));
  return Ok();
}

Status MerchantCampaign(Call& c) {
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kRead));
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  ASSIGN_OR_RETURN(community::Campaign camp, c.app().store.Read([&](Reader& r) {
    return Community(c).GetCampaign(r, id, s.merchant_id);
  }));
  c.Reply(community::ToJson(camp));
  return Ok();
}

Status MerchantBatches(Call& c) {
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kRead));
  std::optional<int64_t> campaign;
  if (auto v = c.req().QueryParam("campaign_id")) {
    campaign = ParseId(*v);
    if (!campaign) return Fail(Msg::FIELD_NOT_ID, {Field("campaign_id")});
  }
  ASSIGN_OR_RETURN(Json out, c.app().store.Read([&](Reader& r) {
    return Community(c).MerchantBatches(r, s.merchant_id, campaign);
  }));
  c.Reply(out);
  return Ok();
}

// Each active leader's link to the campaign with its QR code (SVG, for the console to show and
// print beside the leader).
Status LeaderLinks(Call& c) {
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kRead));
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  ASSIGN_OR_RETURN(Json out, c.app().store.Read([&](Reader& r) {
    return Community(c).LeaderLinks(r, s.merchant_id, id);
  }));
  std::string origin = Origin(c.req());
  for (auto& item : out["items"]) {
    ASSIGN_OR_RETURN(QrCode qr, EncodeQr(origin + item["link"].get<std::string>()));
    item["qr_svg"] = QrSvg(qr, 6);
  }
  c.Reply(out);
  return Ok();
}

Status Performance(Call& c) {
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kRead));
  std::optional<int64_t> campaign;
  if (auto v = c.req().QueryParam("campaign_id"); v && !v->empty()) {
    campaign = ParseId(*v);
    if (!campaign) return Fail(Msg::FIELD_NOT_ID, {Field("campaign_id")});
  }
  ASSIGN_OR_RETURN(Json out, c.app().store.Read([&](Reader& r) {
    return Community(c).Performance(r, s.merchant_id, campaign);
  }));
  c.Reply(out);
  return Ok();
}

Status MerchantBatch(Call& c) {
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kRead));
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  ASSIGN_OR_RETURN(Json out, c.app().store.Read([&](Reader& r) {
    return Community(c).MerchantBatch(r, s.merchant_id, id);
  }));
  c.Reply(out);
  return Ok();
}

Status BatchCsv(Call& c) {
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kRead));
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  ASSIGN_OR_RETURN(std::string csv, c.app().store.Read([&](Reader& r) {
    return Community(c).BatchCsv(r, s.merchant_id, id);
  }));
  Response resp;
  resp.body = std::move(csv);
  resp.content_type = "text/csv; charset=utf-8";
  resp.headers.emplace_back("Content-Disposition",
                            "attachment; filename=\"picking-list-" + IdString(id) + ".csv\"");
  c.responder()(std::move(resp));
  return Ok();
}

Status ShipBatch(Call& c) {
  community::CommunityService& cs = Community(c);
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kOrders));
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  ASSIGN_OR_RETURN(Json body, c.Body());
  ObjectReader r(body);
  std::string carrier = r.String("carrier", {.min_len = 1, .max_len = 40});
  std::string tracking = r.String("tracking_no", {.min_len = 1, .max_len = 64});
  RETURN_IF_ERROR(r.Finish());
  c.Write(s, [&cs, id, carrier, tracking](Tx& tx, const StaffCaller& s) {
    return cs.ShipBatch(tx, s.merchant_id, id, carrier, tracking);
  });
  return Ok();
}

}  // namespace

void AddCommunityRoutes(Api& api) {
  // One entry per route, laid out by hand as an index of the module's API.
  // clang-format off
  api.AddTable({
      // ---- applying and the leader centre (团长中心) ----
      {{"POST", "/api/v1/community/leaders", "Apply to lead for a shop with a pickup point (pending until the shop approves)",
        "community", AuthKind::kUser, 201, ApplicationExample()}, Apply},
      {{"GET", "/api/v1/me/leaders", "The caller's leader roles, with each attribution code", "community", AuthKind::kUser}, MyRoles},
      {{"GET", "/api/v1/me/leaders/{id}", "One of the caller's leader roles (404 for anyone else's)", "community", AuthKind::kUser}, MyRole},
      {{"GET", "/api/v1/me/leaders/{id}/campaigns", "The shop's campaigns with the leader's personal link (and, while open, its QR code as qr_svg)", "community",
        AuthKind::kUser}, LeaderCampaigns},
      {{"GET", "/api/v1/me/leaders/{id}/campaigns/{campaign_id}/qr.svg", "The leader's campaign link as a QR code (SVG)",
        "community", AuthKind::kUser}, LinkQr},
      {{"GET", "/api/v1/me/leaders/{id}/orders", "Today's orders: open campaigns' orders through this leader (phones masked)",
        "community", AuthKind::kUser}, LeaderOrders},
      {{"GET", "/api/v1/me/leaders/{id}/batches", "Consolidated shipments to the leader's pickup point: picking list, buyers",
        "community", AuthKind::kUser}, LeaderBatches},
      {{"POST", "/api/v1/me/leaders/{id}/batches/{batch_id}/arrive",
        "The batch arrived at the pickup point: buyers are told, the pickup window starts (404: another leader's)",
        "community", AuthKind::kUser}, Arrive},
      {{"POST", "/api/v1/me/leaders/{id}/pickups",
        "Verify a pickup code and hand over its items (all left, or those named); 404 unknown code, 409 used",
        "community", AuthKind::kUser, 200, Json{{"pickup_code", "123456"}}}, VerifyPickup},
      {{"GET", "/api/v1/me/leaders/{id}/pickups/{code}",
        "What a pickup code would hand over at the leader's point (the order's lines, picked counts, the buyer masked), "
        "for a partial pickup; nothing is handed over (404/409 as verification)", "community", AuthKind::kUser},
       PickupPreview},
      {{"GET", "/api/v1/me/leaders/{id}/earnings", "Commission held, withdrawable and withdrawn, per order", "community",
        AuthKind::kUser}, LeaderEarnings},
      {{"POST", "/api/v1/me/leaders/{id}/withdrawals", "Withdraw commission past the shop's hold", "community",
        AuthKind::kUser, 201, Json{{"amount_fen", 1000}}}, Withdraw},
      // ---- public: a leader's link, pickup points; the buyer's code ----
      {{"GET", "/api/v1/community/campaigns/{id}", "A campaign as a leader's link shows it (?leader=code): products, the pickup point (closed if the leader is not active); without ?leader the campaign alone",
        "community", AuthKind::kNone, 200, nullptr, {"leader"}}, LinkView},
      {{"GET", "/api/v1/community/campaigns/{id}/pickup-points", "The campaign's open pickup points, nearest first",
        "community", AuthKind::kNone, 200, nullptr, {"latitude", "longitude"}}, NearestPoints},
      {{"GET", "/api/v1/orders/{id}/pickup-code", "The buyer's pickup code (6 digits and QR) and where to collect",
        "community", AuthKind::kUser}, PickupCode},
      // ---- the merchant ----
      {{"GET", "/api/v1/merchant/community/leaders", "The shop's leaders and applications (staff)", "community",
        AuthKind::kStaff, 200, nullptr, {"status"}}, MerchantLeaders},
      {{"POST", "/api/v1/merchant/community/leaders/{id}/approve", "Approve an application or lift a suspension (staff)",
        "community", AuthKind::kStaff}, ApproveLeader},
      {{"POST", "/api/v1/merchant/community/leaders/{id}/reject", "Reject an application (staff)", "community",
        AuthKind::kStaff}, RejectLeader},
      {{"POST", "/api/v1/merchant/community/leaders/{id}/suspend", "Suspend a leader: the link stops selling (410) (staff)",
        "community", AuthKind::kStaff}, SuspendLeader},
      {{"POST", "/api/v1/merchant/community/leaders/{id}/end", "End a leader's role (staff)", "community",
        AuthKind::kStaff}, EndLeader},
      {{"POST", "/api/v1/merchant/community/campaigns", "Publish a campaign: community prices, stock, cutoff (staff)",
        "community", AuthKind::kStaff, 201, CampaignExample()}, CreateCampaign},
      {{"GET", "/api/v1/merchant/community/campaigns", "The shop's campaigns (staff)", "community", AuthKind::kStaff},
       MerchantCampaigns},
      {{"GET", "/api/v1/merchant/community/campaigns/{id}", "A campaign with its stock sold (staff)", "community",
        AuthKind::kStaff}, MerchantCampaign},
      {{"POST", "/api/v1/merchant/community/campaigns/{id}/close",
        "Close a campaign now (提前截单): the cutoff timer consolidates it at once (staff)", "community",
        AuthKind::kStaff}, CloseCampaign},
      {{"GET", "/api/v1/merchant/community/campaigns/{id}/leader-links",
        "Each active leader's own link to the campaign with its QR code (SVG) (staff)", "community", AuthKind::kStaff},
       LeaderLinks},
      {{"GET", "/api/v1/merchant/community/performance",
        "Leader performance: paid orders, GMV (paid − refunded) and commission per leader per campaign (staff)",
        "community", AuthKind::kStaff, 200, nullptr, {"campaign_id"}}, Performance},
      {{"GET", "/api/v1/merchant/community/batches", "Consolidated shipments, one per campaign and pickup point (staff)",
        "community", AuthKind::kStaff, 200, nullptr, {"campaign_id"}}, MerchantBatches},
      {{"GET", "/api/v1/merchant/community/batches/{id}", "A consolidated shipment: picking list and buyers (staff)",
        "community", AuthKind::kStaff}, MerchantBatch},
      {{"GET", "/api/v1/merchant/community/batches/{id}/picking-list.csv", "The picking list and buyers as CSV (staff)",
        "community", AuthKind::kStaff}, BatchCsv},
      {{"POST", "/api/v1/merchant/community/batches/{id}/ship",
        "Ship the batch with one tracking number: its paid orders ship, unpaid ones are cancelled (staff)",
        "community", AuthKind::kStaff, 200, Json{{"carrier", "顺丰"}, {"tracking_no", "SF1234567890"}}}, ShipBatch},
  });
  // clang-format on
}

}  // namespace xd::http
