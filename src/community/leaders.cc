// Leaders and their pickup points, campaigns, and what links and leaders read: the link's page,
// nearest pickup points, the leader's campaigns and orders.
#include <sodium.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "account/account.h"
#include "base/mask.h"
#include "base/id.h"
#include "base/limits.h"
#include "base/messages.h"
#include "catalog/catalog.h"
#include "community/community.h"
#include "community/events.h"
#include "community/internal/community_internal.h"

namespace xd::community {

using internal::TimeOrNull;

namespace {

constexpr size_t kMaxCampaignItems = 50;
constexpr size_t kMaxNameLen = 60;
constexpr size_t kMaxAddressLen = 200;

struct LeaderStatusRow {
  LeaderStatus s;
  const char* name;
};
constexpr LeaderStatusRow kLeaderStatuses[] = {{LeaderStatus::kPending, "pending"},
                                               {LeaderStatus::kActive, "active"},
                                               {LeaderStatus::kSuspended, "suspended"},
                                               {LeaderStatus::kEnded, "ended"},
                                               {LeaderStatus::kRejected, "rejected"}};

std::string RandomCode() {
  static constexpr char kAlphabet[] =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::string code(12, '0');
  for (auto& ch : code) ch = kAlphabet[randombytes_uniform(62)];
  return code;
}

std::optional<int64_t> ReadDegrees(ObjectReader& r, const char* key, int64_t max_deg) {
  const Json* v = r.Raw(key);
  if (!v) {
    r.Invalid(key, Msg::FIELD_NEEDED);
    return std::nullopt;
  }
  if (!v->is_number()) {
    r.Invalid(key, Msg::FIELD_NOT_DEGREES);
    return std::nullopt;
  }
  // Coordinates are not money: a double in, rounded once to integer millionths.
  double deg = v->get<double>();
  if (!std::isfinite(deg) || std::fabs(deg) > static_cast<double>(max_deg)) {
    r.Invalid(key, Msg::FIELD_DEGREES_RANGE, {{"max", max_deg}});
    return std::nullopt;
  }
  return static_cast<int64_t>(std::llround(deg * 1e6));
}

double Degrees(int64_t e6) { return static_cast<double>(e6) / 1e6; }

// Great-circle distance in metres (haversine); not money, so a double is fine.
int64_t DistanceM(int64_t lat1_e6, int64_t lng1_e6, int64_t lat2_e6, int64_t lng2_e6) {
  constexpr double kRad = 3.14159265358979323846 / 180.0, kEarthM = 6371000.0;
  double lat1 = Degrees(lat1_e6) * kRad, lat2 = Degrees(lat2_e6) * kRad;
  double dlat = lat2 - lat1, dlng = (Degrees(lng2_e6) - Degrees(lng1_e6)) * kRad;
  double a = std::sin(dlat / 2) * std::sin(dlat / 2) +
             std::cos(lat1) * std::cos(lat2) * std::sin(dlng / 2) * std::sin(dlng / 2);
  return static_cast<int64_t>(std::llround(2 * kEarthM * std::asin(std::min(1.0, std::sqrt(a)))));
}

Result<PickupPointInput> PointFromJson(const Json& j) {
  if (!j.is_object()) return Fail(Msg::FIELD_NOT_OBJECT, {Field("pickup_point")});
  ObjectReader r(j, "pickup_point.");
  PickupPointInput p;
  p.name = r.String("name", {.min_len = 1, .max_len = kMaxNameLen});
  p.address = r.String("address", {.min_len = 1, .max_len = kMaxAddressLen});
  p.hours = r.OptString("hours", {.max_len = 60}).value_or("");
  p.latitude_e6 = ReadDegrees(r, "latitude", 90).value_or(0);
  p.longitude_e6 = ReadDegrees(r, "longitude", 180).value_or(0);
  p.capacity = r.Int("capacity", {.min = 1, .max = 100000});
  RETURN_IF_ERROR(r.Finish());
  return p;
}

bool ValidDate(const std::string& d) {
  if (d.size() != 10 || d[4] != '-' || d[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (!std::isdigit(static_cast<unsigned char>(d[i]))) return false;
  int month = std::stoi(d.substr(5, 2)), day = std::stoi(d.substr(8, 2));
  return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

constexpr const char* kCampaignCols =
    "id, merchant_id, title, status, starts_at_ms, cutoff_at_ms, pickup_date, commission_bps, "
    "unpicked_days, unpicked_rule, "
    "(SELECT count(*) FROM community_orders co WHERE co.campaign_id = community_campaigns.id)";

Campaign CampaignFromRow(const Row& r) {
  Campaign c;
  c.id = r.Int(0);
  c.merchant_id = r.Int(1);
  c.title = r.Str(2);
  c.status = r.Str(3);
  c.starts_at_ms = r.Int(4);
  c.cutoff_at_ms = r.Int(5);
  c.pickup_date = r.Str(6);
  c.commission_bps = r.Int(7);
  c.unpicked_days = r.Int(8);
  c.unpicked_rule = r.Str(9);
  c.orders = r.Int(10);
  return c;
}

Status LoadItems(Reader& r, Campaign& c) {
  ASSIGN_OR_RETURN(
      Rows rows,
      r.Query("SELECT i.sku_id, i.product_id, i.price_fen, s.price_fen, i.stock, i.sold, "
              "i.commission_bps, p.title, "
              "p.images FROM community_campaign_items i JOIN skus s ON s.id = i.sku_id "
              "JOIN products p ON p.id = i.product_id WHERE i.campaign_id=? ORDER BY i.id",
              {c.id}));
  for (auto& row : rows) {
    CampaignItem it{row.Int(0), row.Int(1),    row.Int(2), row.Int(3), row.Int(4),
                    row.Int(5), row.OptInt(6), row.Str(7), ""};
    Json images = row.JsonAt(8);
    if (images.is_array() && !images.empty() && images[0].is_string())
      it.image = images[0].get<std::string>();
    c.items.push_back(std::move(it));
  }
  return Ok();
}

}  // namespace

std::string_view ToString(LeaderStatus s) { return kLeaderStatuses[static_cast<size_t>(s)].name; }

namespace internal {

std::string LeaderHoldAccount(int64_t leader_id) {
  return std::string(kLeaderHoldPrefix) + IdString(leader_id);
}
std::string LeaderAccount(int64_t leader_id) {
  return std::string(kLeaderPrefix) + IdString(leader_id);
}
std::string LeaderPayoutAccount(int64_t leader_id) {
  return "payout:leader:" + IdString(leader_id);
}

std::optional<LeaderStatus> LeaderStatusFromString(std::string_view s) {
  for (auto& row : kLeaderStatuses)
    if (s == row.name) return row.s;
  return std::nullopt;
}

const char* const kLeaderSelect =
    "SELECT l.id, l.merchant_id, l.user_id, l.pickup_point_id, l.name, l.phone, l.code, l.status, "
    "l.created_at_ms, l.updated_at_ms, "
    "p.leader_user_id, p.name, p.address, p.hours, p.latitude_e6, p.longitude_e6, p.capacity "
    "FROM community_leaders l JOIN community_pickup_points p ON p.id = l.pickup_point_id ";

Result<Leader> LeaderFromRow(const Row& r) {
  Leader l;
  l.id = r.Int(0);
  l.merchant_id = r.Int(1);
  l.user_id = r.Int(2);
  l.pickup_point_id = r.Int(3);
  l.name = r.Str(4);
  l.phone = r.Str(5);
  l.code = r.Str(6);
  std::optional<LeaderStatus> s = LeaderStatusFromString(r.Str(7));
  if (!s) return Fail(ErrorCode::INTERNAL, "unknown leader status '" + r.Str(7) + "' in the store");
  l.status = *s;
  l.created_at_ms = r.Int(8);
  l.updated_at_ms = r.Int(9);
  l.point.id = l.pickup_point_id;
  l.point.leader_user_id = r.Int(10);
  l.point.info = PickupPointInput{r.Str(11), r.Str(12), r.Str(13), r.Int(14), r.Int(15), r.Int(16)};
  return l;
}

Result<Leader> OwnLeader(Reader& r, int64_t user_id, int64_t leader_id, bool acting) {
  ASSIGN_OR_RETURN(auto row, r.QueryOne(std::string(kLeaderSelect) + "WHERE l.id=? AND l.user_id=?",
                                        {leader_id, user_id}));
  if (!row) return Fail(Msg::LEADER_NOT_FOUND);
  ASSIGN_OR_RETURN(Leader l, LeaderFromRow(*row));
  if (acting && l.status != LeaderStatus::kActive && l.status != LeaderStatus::kSuspended)
    return Fail(Msg::LEADER_NOT_FOUND);
  return l;
}

Json TimeOrNull(const std::optional<int64_t>& ms) {
  return ms ? Json(FormatRfc3339(*ms)) : Json(nullptr);
}

}  // namespace internal

Json ToJson(const PickupPoint& p) {
  return Json{{"id", IdString(p.id)},
              {"name", p.info.name},
              {"address", p.info.address},
              {"hours", p.info.hours},
              {"latitude", Degrees(p.info.latitude_e6)},
              {"longitude", Degrees(p.info.longitude_e6)},
              {"capacity", p.info.capacity}};
}

Json ToJson(const Leader& l, bool for_self) {
  Json j{{"id", IdString(l.id)},
         {"merchant_id", IdString(l.merchant_id)},
         {"name", l.name},
         {"phone", for_self ? l.phone : MaskPhone(l.phone)},
         {"status", std::string(ToString(l.status))},
         {"pickup_point", ToJson(l.point)},
         {"created_at", FormatRfc3339(l.created_at_ms)},
         {"updated_at", FormatRfc3339(l.updated_at_ms)}};
  if (for_self) j["code"] = l.code;
  return j;
}

std::string LinkPath(int64_t campaign_id, const std::string& code) {
  return "/#/tuan/" + IdString(campaign_id) + "/" + code;
}

Json ToJson(const Campaign& c) {
  Json items = Json::array();
  for (auto& it : c.items)
    items.push_back(Json{{"sku_id", IdString(it.sku_id)},
                         {"product_id", IdString(it.product_id)},
                         {"title", it.title},
                         {"image", it.image},
                         {"price_fen", it.price_fen},
                         {"list_price_fen", it.list_price_fen},
                         {"stock", it.stock},
                         {"sold", it.sold},
                         {"left", it.stock - it.sold},
                         {"commission_bps", it.commission_bps.value_or(c.commission_bps)}});
  return Json{{"id", IdString(c.id)},
              {"merchant_id", IdString(c.merchant_id)},
              {"title", c.title},
              {"status", c.status},
              {"starts_at", FormatRfc3339(c.starts_at_ms)},
              {"cutoff_at", FormatRfc3339(c.cutoff_at_ms)},
              {"pickup_date", c.pickup_date},
              {"commission_bps", c.commission_bps},
              {"unpicked_days", c.unpicked_days},
              {"unpicked_rule", c.unpicked_rule},
              {"orders", c.orders},
              {"items", items}};
}

Result<Application> ApplicationFromJson(const Json& body) {
  ObjectReader r(body);
  Application a;
  a.merchant_id = r.Id("merchant_id");
  a.name = r.String("name", {.min_len = 1, .max_len = kMaxNameLen});
  a.phone = r.String("phone", {.min_len = 5, .max_len = 20});
  const Json* point = r.Raw("pickup_point");
  a.pickup_point_id = r.OptId("pickup_point_id");
  RETURN_IF_ERROR(r.Finish());
  if ((point == nullptr) == !a.pickup_point_id) return Fail(Msg::LEADER_POINT_NEEDED);
  if (point) {
    ASSIGN_OR_RETURN(PickupPointInput p, PointFromJson(*point));
    a.pickup_point = p;
  }
  return a;
}

Result<CampaignInput> CampaignInputFromJson(const Json& body, int64_t now_ms) {
  ObjectReader r(body);
  CampaignInput in;
  in.title = r.String("title", {.min_len = 1, .max_len = 60});
  in.starts_at_ms = r.OptTime("starts_at").value_or(now_ms);
  std::optional<int64_t> cutoff = r.OptTime("cutoff_at");
  if (!cutoff) r.Invalid("cutoff_at", Msg::FIELD_NEEDED);
  in.pickup_date = r.String("pickup_date", {.min_len = 10, .max_len = 10});
  in.commission_bps = r.Int("commission_bps", {.min = 0, .max = 5000});
  in.unpicked_days = r.OptInt("unpicked_days", {.min = 1, .max = 30}).value_or(3);
  in.unpicked_rule = r.OptString("unpicked_rule", {.max_len = 10}).value_or("refund");
  const Json* items = r.RequireArray("items", kMaxCampaignItems);
  RETURN_IF_ERROR(r.Finish());
  in.cutoff_at_ms = *cutoff;
  if (in.cutoff_at_ms <= in.starts_at_ms) return Fail(Msg::CAMPAIGN_TIMES);
  if (!ValidDate(in.pickup_date)) return Fail(Msg::PICKUP_DATE_INVALID);
  if (in.unpicked_rule != "refund" && in.unpicked_rule != "complete")
    return Fail(Msg::UNPICKED_RULE_INVALID);
  if (items->empty() || items->size() > kMaxCampaignItems)
    return Fail(Msg::CAMPAIGN_ITEMS_RANGE, {{"max", int64_t{kMaxCampaignItems}}});
  std::set<int64_t> skus;
  for (size_t i = 0; i < items->size(); ++i) {
    ObjectReader ir((*items)[i], "items[" + std::to_string(i) + "].");
    CampaignItemInput it;
    it.sku_id = ir.Id("sku_id");
    it.price_fen = ir.Int("price_fen", {.min = 1, .max = limits::kMaxSkuPriceFen});
    it.stock = ir.Int("stock", {.min = 0, .max = 1'000'000});
    it.commission_bps = ir.OptInt("commission_bps", {.min = 0, .max = 5000});
    RETURN_IF_ERROR(ir.Finish());
    if (!skus.insert(it.sku_id).second) return Fail(Msg::CAMPAIGN_SKU_TWICE);
    in.items.push_back(it);
  }
  return in;
}

CommunityService::CommunityService(trade::TradeService& trade) : trade_(trade) {}

// ---- leaders ----

Result<Leader> CommunityService::Apply(Tx& tx, int64_t user_id, const Application& app) {
  ASSIGN_OR_RETURN(account::Merchant m, account::GetMerchant(tx, app.merchant_id));
  if (m.status != "active") return Fail(Msg::MERCHANT_NOT_FOUND);
  int64_t now = tx.NowMs();
  int64_t point_id = 0;
  if (app.pickup_point_id) {
    // One of the applicant's own points (another user's is not theirs to offer).
    ASSIGN_OR_RETURN(
        auto row,
        tx.QueryOne("SELECT id FROM community_pickup_points WHERE id=? AND leader_user_id=?",
                    {*app.pickup_point_id, user_id}));
    if (!row) return Fail(Msg::PICKUP_POINT_NOT_FOUND);
    point_id = *app.pickup_point_id;
  } else {
    const PickupPointInput& p = *app.pickup_point;
    point_id = tx.NewId();
    RETURN_IF_ERROR(
        tx.Run("INSERT INTO community_pickup_points(id, leader_user_id, name, address, hours, "
               "latitude_e6, longitude_e6, capacity, "
               "created_at_ms, updated_at_ms) VALUES(?,?,?,?,?,?,?,?,?,?)",
               {point_id, user_id, p.name, p.address, p.hours, p.latitude_e6, p.longitude_e6,
                p.capacity, now, now}));
  }
  ASSIGN_OR_RETURN(
      auto existing,
      tx.QueryOne("SELECT id, status FROM community_leaders WHERE user_id=? AND merchant_id=?" +
                      std::string(tx.dialect().ForUpdate()),
                  {user_id, app.merchant_id}));
  int64_t leader_id = 0;
  if (existing) {
    std::string st = existing->Str(1);
    if (st != "ended" && st != "rejected") return Fail(Msg::LEADER_ALREADY);
    leader_id = existing->Int(0);
    // Applying again reopens the role (its code and ledger accounts stay the leader's).
    ASSIGN_OR_RETURN(int64_t changed, tx.Exec("UPDATE community_leaders SET pickup_point_id=?, "
                                              "name=?, phone=?, status='pending', updated_at_ms=? "
                                              "WHERE id=? AND status=?",
                                              {point_id, app.name, app.phone, now, leader_id, st}));
    if (changed != 1) return Fail(Msg::LEADER_ALREADY);
  } else {
    leader_id = tx.NewId();
    // The unique (user, merchant) index: a racing twin of this application makes it a no-op.
    ASSIGN_OR_RETURN(int64_t inserted,
                     tx.Exec("INSERT INTO community_leaders(id, merchant_id, user_id, "
                             "pickup_point_id, name, phone, status, "
                             "code, created_at_ms, updated_at_ms) "
                             "VALUES(?,?,?,?,?,?,'pending',?,?,?) ON CONFLICT DO NOTHING",
                             {leader_id, app.merchant_id, user_id, point_id, app.name, app.phone,
                              RandomCode(), now, now}));
    if (inserted != 1) return Fail(Msg::LEADER_ALREADY);
  }
  ASSIGN_OR_RETURN(Leader l, internal::OwnLeader(tx, user_id, leader_id, false));
  RETURN_IF_ERROR(Emit(tx, LeaderChanged{l, "applied"}));
  return l;
}

Result<std::vector<Leader>> CommunityService::MyRoles(Reader& r, int64_t user_id) {
  ASSIGN_OR_RETURN(Rows rows, r.Query(std::string(internal::kLeaderSelect) +
                                          "WHERE l.user_id=? ORDER BY l.id DESC LIMIT 100",
                                      {user_id}));
  std::vector<Leader> out;
  for (auto& row : rows) {
    ASSIGN_OR_RETURN(Leader l, internal::LeaderFromRow(row));
    out.push_back(std::move(l));
  }
  return out;
}

Result<Leader> CommunityService::MyRole(Reader& r, int64_t user_id, int64_t leader_id) {
  return internal::OwnLeader(r, user_id, leader_id, false);
}

Result<std::vector<Leader>> CommunityService::MerchantLeaders(Reader& r, int64_t merchant_id,
                                                              const std::string& status) {
  ASSIGN_OR_RETURN(
      Rows rows,
      r.Query(std::string(internal::kLeaderSelect) +
                  "WHERE l.merchant_id=? AND (?='' OR l.status=?) ORDER BY l.id DESC LIMIT 500",
              {merchant_id, status, status}));
  std::vector<Leader> out;
  for (auto& row : rows) {
    ASSIGN_OR_RETURN(Leader l, internal::LeaderFromRow(row));
    out.push_back(std::move(l));
  }
  return out;
}

Result<Leader> CommunityService::SetLeaderStatus(Tx& tx, int64_t merchant_id, int64_t leader_id,
                                                 const std::string& action) {
  using S = LeaderStatus;
  ASSIGN_OR_RETURN(auto row, tx.QueryOne(std::string(internal::kLeaderSelect) +
                                             "WHERE l.id=? AND l.merchant_id=?",
                                         {leader_id, merchant_id}));
  if (!row) return Fail(Msg::LEADER_NOT_FOUND);
  ASSIGN_OR_RETURN(Leader l, internal::LeaderFromRow(*row));
  std::vector<S> from;
  S to;
  if (action == "approve")
    from = {S::kPending, S::kSuspended}, to = S::kActive;
  else if (action == "reject")
    from = {S::kPending}, to = S::kRejected;
  else if (action == "suspend")
    from = {S::kActive}, to = S::kSuspended;
  else if (action == "end")
    from = {S::kPending, S::kActive, S::kSuspended}, to = S::kEnded;
  else
    return Fail(Msg::LEADER_STATE);
  if (std::ranges::find(from, l.status) == from.end()) return Fail(Msg::LEADER_STATE);
  ASSIGN_OR_RETURN(
      int64_t changed,
      tx.Exec("UPDATE community_leaders SET status=?, updated_at_ms=? WHERE id=? AND status=?",
              {ToString(to), tx.NowMs(), leader_id, ToString(l.status)}));
  if (changed != 1) return Fail(Msg::LEADER_STATE);
  l.status = to;
  l.updated_at_ms = tx.NowMs();
  RETURN_IF_ERROR(Emit(tx, LeaderChanged{l, action}));
  return l;
}

// ---- campaigns ----

Result<Campaign> CommunityService::CreateCampaign(Tx& tx, int64_t merchant_id,
                                                  const CampaignInput& in) {
  int64_t now = tx.NowMs();
  if (in.cutoff_at_ms <= now) return Fail(Msg::CAMPAIGN_TIMES);
  int64_t id = tx.NewId();
  RETURN_IF_ERROR(
      tx.Run("INSERT INTO community_campaigns(id, merchant_id, title, status, starts_at_ms, "
             "cutoff_at_ms, pickup_date, commission_bps, "
             "unpicked_days, unpicked_rule, created_at_ms, updated_at_ms) "
             "VALUES(?,?,?,'open',?,?,?,?,?,?,?,?)",
             {id, merchant_id, in.title, in.starts_at_ms, in.cutoff_at_ms, in.pickup_date,
              in.commission_bps, in.unpicked_days, in.unpicked_rule, now, now}));
  for (size_t i = 0; i < in.items.size(); ++i) {
    const CampaignItemInput& it = in.items[i];
    auto sku = catalog::GetSku(tx, it.sku_id);
    if (!sku) return std::unexpected(AtItemError(i, sku.error()));
    ASSIGN_OR_RETURN(catalog::Product p,
                     catalog::GetProduct(tx, sku->product_id, false, merchant_id, false));
    if (it.price_fen > sku->price_fen)
      return std::unexpected(AtItemError(i, MakeError(Msg::CAMPAIGN_PRICE_ABOVE_LIST)));
    RETURN_IF_ERROR(tx.Run(
        "INSERT INTO community_campaign_items(id, merchant_id, campaign_id, sku_id, product_id, "
        "price_fen, stock, commission_bps) "
        "VALUES(?,?,?,?,?,?,?,?)",
        {tx.NewId(), merchant_id, id, it.sku_id, p.id, it.price_fen, it.stock, it.commission_bps}));
  }
  // Consolidation runs at the cutoff (decision 022).
  RETURN_IF_ERROR(ToStatus(tx.AddTimer(kTimerCutoff, in.cutoff_at_ms, Json{{"campaign_id", id}})));
  ASSIGN_OR_RETURN(Campaign c, GetCampaign(tx, id, merchant_id));
  RETURN_IF_ERROR(Emit(tx, CampaignSaved{c}));
  return c;
}

Result<Campaign> CommunityService::CloseCampaign(Tx& tx, int64_t merchant_id, int64_t campaign_id) {
  // The campaign's row first, locked (every order of it share-locks it: decisions 022, 026), and
  // the time read after the lock: an order that committed before it was created before `now`,
  // one waiting for the row sees the new cutoff and is refused.
  ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT merchant_id, status, cutoff_at_ms FROM "
                                         "community_campaigns WHERE id=?" +
                                             std::string(tx.dialect().ForUpdate()),
                                         {campaign_id}));
  if (!row || row->Int(0) != merchant_id) return Fail(Msg::CAMPAIGN_NOT_FOUND);
  const int64_t now = tx.NowMs();
  if (row->Str(1) == "consolidated" || now >= row->Int(2)) return Fail(Msg::CUTOFF_PASSED);
  if (row->Str(1) != "open") return Fail(Msg::CAMPAIGN_NOT_OPEN);
  // An order committing in this very millisecond is still in (created before the cutoff, as
  // `xiaodian check` demands); none is accepted at or after it.
  const int64_t cutoff = now + 1;
  ASSIGN_OR_RETURN(int64_t changed,
                   tx.Exec("UPDATE community_campaigns SET cutoff_at_ms=?, updated_at_ms=? "
                           "WHERE id=? AND status='open'",
                           {cutoff, now, campaign_id}));
  if (changed != 1) return Fail(Msg::CUTOFF_PASSED);
  // The timer of the old cutoff finds the campaign consolidated then, and does nothing.
  RETURN_IF_ERROR(ToStatus(tx.AddTimer(kTimerCutoff, cutoff, Json{{"campaign_id", campaign_id}})));
  ASSIGN_OR_RETURN(Campaign c, GetCampaign(tx, campaign_id, merchant_id));
  RETURN_IF_ERROR(Emit(tx, CampaignSaved{c}));
  return c;
}

Result<Campaign> CommunityService::GetCampaign(Reader& r, int64_t campaign_id,
                                               std::optional<int64_t> merchant_id) {
  ASSIGN_OR_RETURN(auto row, r.QueryOne(std::string("SELECT ") + kCampaignCols +
                                            " FROM community_campaigns WHERE id=?",
                                        {campaign_id}));
  if (!row) return Fail(Msg::CAMPAIGN_NOT_FOUND);
  Campaign c = CampaignFromRow(*row);
  if (merchant_id && c.merchant_id != *merchant_id) return Fail(Msg::CAMPAIGN_NOT_FOUND);
  RETURN_IF_ERROR(LoadItems(r, c));
  return c;
}

Result<std::vector<Campaign>> CommunityService::MerchantCampaigns(Reader& r, int64_t merchant_id) {
  ASSIGN_OR_RETURN(
      Rows rows,
      r.Query(std::string("SELECT ") + kCampaignCols +
                  " FROM community_campaigns WHERE merchant_id=? ORDER BY id DESC LIMIT 100",
              {merchant_id}));
  std::vector<Campaign> out;
  for (auto& row : rows) {
    Campaign c = CampaignFromRow(row);
    RETURN_IF_ERROR(LoadItems(r, c));
    out.push_back(std::move(c));
  }
  return out;
}

Result<Json> CommunityService::LinkView(Reader& r, int64_t campaign_id, const std::string& code) {
  ASSIGN_OR_RETURN(Campaign c, GetCampaign(r, campaign_id, std::nullopt));
  ASSIGN_OR_RETURN(account::Merchant m, account::GetMerchant(r, c.merchant_id));
  if (code.empty())  // the shop's own link: the buyer chooses a pickup point
    return Json{{"campaign", ToJson(c)},
                {"merchant", {{"id", IdString(m.id)}, {"name", m.name}}},
                {"now", FormatRfc3339(r.clock().NowMs())}};
  ASSIGN_OR_RETURN(auto row, r.QueryOne(std::string(internal::kLeaderSelect) +
                                            "WHERE l.code=? AND l.merchant_id=?",
                                        {code, c.merchant_id}));
  if (!row) return Fail(Msg::LEADER_NOT_FOUND);
  ASSIGN_OR_RETURN(Leader l, internal::LeaderFromRow(*row));
  Json point = ToJson(l.point);
  // A leader who is not active sells nothing: the point shows as closed (checkout: 410).
  point["status"] = l.status == LeaderStatus::kActive ? "open" : "closed";
  return Json{{"campaign", ToJson(c)},
              {"merchant", {{"id", IdString(m.id)}, {"name", m.name}}},
              {"leader", {{"name", l.name}, {"active", l.status == LeaderStatus::kActive}}},
              {"pickup_point", point},
              {"link", LinkPath(c.id, code)},
              {"now", FormatRfc3339(r.clock().NowMs())}};
}

Result<Json> CommunityService::NearestPoints(Reader& r, int64_t campaign_id, int64_t latitude_e6,
                                             int64_t longitude_e6) {
  ASSIGN_OR_RETURN(Campaign c, GetCampaign(r, campaign_id, std::nullopt));
  ASSIGN_OR_RETURN(Rows rows, r.Query(std::string(internal::kLeaderSelect) +
                                          "WHERE l.merchant_id=? AND l.status='active' LIMIT 5000",
                                      {c.merchant_id}));
  struct Near {
    int64_t distance_m;
    Json point;
  };
  std::vector<Near> near;
  for (auto& row : rows) {
    ASSIGN_OR_RETURN(Leader l, internal::LeaderFromRow(row));
    Json p = ToJson(l.point);
    int64_t d =
        DistanceM(latitude_e6, longitude_e6, l.point.info.latitude_e6, l.point.info.longitude_e6);
    p["distance_m"] = d;
    p["leader_name"] = l.name;
    p["status"] = "open";
    near.push_back({d, std::move(p)});
  }
  std::ranges::stable_sort(near, {}, &Near::distance_m);
  Json items = Json::array();
  for (size_t i = 0; i < near.size() && i < 50; ++i) items.push_back(std::move(near[i].point));
  return Json{{"items", items}};
}

Result<Json> CommunityService::LeaderCampaigns(Reader& r, int64_t user_id, int64_t leader_id) {
  ASSIGN_OR_RETURN(Leader l, internal::OwnLeader(r, user_id, leader_id, false));
  ASSIGN_OR_RETURN(std::vector<Campaign> list, MerchantCampaigns(r, l.merchant_id));
  Json items = Json::array();
  for (auto& c : list) {
    Json j = ToJson(c);
    // Only an active leader has a link that sells.
    j["link"] = l.status == LeaderStatus::kActive ? Json(LinkPath(c.id, l.code)) : Json(nullptr);
    ASSIGN_OR_RETURN(
        int64_t mine,
        r.QueryInt("SELECT count(*) FROM community_orders co JOIN orders o ON o.id = co.order_id "
                   "WHERE co.campaign_id=? AND co.leader_id=? AND o.status <> 'cancelled'",
                   {c.id, l.id}));
    j["my_orders"] = mine;
    items.push_back(std::move(j));
  }
  return Json{{"items", items}};
}

Result<Json> CommunityService::LeaderOrders(Reader& r, int64_t user_id, int64_t leader_id) {
  ASSIGN_OR_RETURN(Leader l, internal::OwnLeader(r, user_id, leader_id, false));
  ASSIGN_OR_RETURN(Rows rows, r.Query("SELECT co.order_id, co.campaign_id, c.title, o.status, "
                                      "o.total_fen, u.nickname, u.phone, o.created_at_ms "
                                      "FROM community_orders co JOIN orders o ON o.id = "
                                      "co.order_id JOIN users u ON u.id = co.buyer_id "
                                      "JOIN community_campaigns c ON c.id = co.campaign_id "
                                      "WHERE co.leader_id=? AND c.status='open' AND o.status <> "
                                      "'cancelled' ORDER BY co.order_id DESC LIMIT 500",
                                      {l.id}));
  Json items = Json::array();
  for (auto& row : rows) {
    ASSIGN_OR_RETURN(Rows lines,
                     r.Query("SELECT title, quantity FROM order_items WHERE order_id=? ORDER BY id",
                             {row.Int(0)}));
    Json li = Json::array();
    for (auto& x : lines) li.push_back(Json{{"title", x.Str(0)}, {"quantity", x.Int(1)}});
    items.push_back(Json{{"order_id", IdString(row.Int(0))},
                         {"campaign_id", IdString(row.Int(1))},
                         {"campaign_title", row.Str(2)},
                         {"status", row.Str(3)},
                         {"total_fen", row.Int(4)},
                         {"buyer", {{"nickname", row.Str(5)}, {"phone", MaskPhone(row.Str(6))}}},
                         {"items", li},
                         {"created_at", FormatRfc3339(row.Int(7))}});
  }
  return Json{{"items", items}};
}

// ---- the console's leader views ----

Result<Json> CommunityService::LeaderLinks(Reader& r, int64_t merchant_id, int64_t campaign_id) {
  ASSIGN_OR_RETURN(Campaign c, GetCampaign(r, campaign_id, merchant_id));
  ASSIGN_OR_RETURN(std::vector<Leader> active, MerchantLeaders(r, merchant_id, "active"));
  Json items = Json::array();
  for (const Leader& l : active)
    items.push_back(Json{{"leader", {{"id", IdString(l.id)}, {"name", l.name}}},
                         {"pickup_point", ToJson(l.point)},
                         {"link", LinkPath(c.id, l.code)}});
  return Json{{"campaign_id", IdString(c.id)}, {"items", std::move(items)}};
}

Result<Json> CommunityService::Performance(Reader& r, int64_t merchant_id,
                                           std::optional<int64_t> campaign_id) {
  // Paid orders and what the buyers kept (paid − refunded); commission as posted at completion
  // on orders that stayed completed (a refund afterwards cancels it).
  ASSIGN_OR_RETURN(
      Rows rows,
      r.Query("SELECT co.leader_id, l.name, p.name, co.campaign_id, c.title, "
              "SUM(CASE WHEN o.paid_at_ms IS NOT NULL THEN 1 ELSE 0 END), "
              "SUM(CASE WHEN o.paid_at_ms IS NOT NULL THEN o.provider_paid_fen + o.card_paid_fen "
              "- o.refunded_fen ELSE 0 END), "
              "SUM(CASE WHEN o.status = 'completed' THEN co.commission_fen ELSE 0 END), "
              "SUM(CASE WHEN co.picked_fen > 0 THEN 1 ELSE 0 END) "
              "FROM community_orders co JOIN orders o ON o.id = co.order_id "
              "JOIN community_leaders l ON l.id = co.leader_id "
              "JOIN community_pickup_points p ON p.id = l.pickup_point_id "
              "JOIN community_campaigns c ON c.id = co.campaign_id "
              "WHERE co.merchant_id=?1 AND (?2=0 OR co.campaign_id=?2) "
              "GROUP BY co.leader_id, l.name, p.name, co.campaign_id, c.title "
              "ORDER BY co.campaign_id DESC, co.leader_id LIMIT 1000",
              {merchant_id, campaign_id.value_or(0)}));
  Json items = Json::array();
  int64_t orders = 0, gmv = 0, commission = 0;
  for (const Row& row : rows) {
    items.push_back(Json{{"leader", {{"id", IdString(row.Int(0))}, {"name", row.Str(1)}}},
                         {"pickup_point", {{"name", row.Str(2)}}},
                         {"campaign", {{"id", IdString(row.Int(3))}, {"title", row.Str(4)}}},
                         {"orders", row.Int(5)},
                         {"gmv_fen", row.Int(6)},
                         {"commission_fen", row.Int(7)},
                         {"picked_up_orders", row.Int(8)}});
    orders += row.Int(5);
    gmv += row.Int(6);
    commission += row.Int(7);
  }
  return Json{{"items", std::move(items)},
              {"totals", {{"orders", orders}, {"gmv_fen", gmv}, {"commission_fen", commission}}}};
}

}  // namespace xd::community
