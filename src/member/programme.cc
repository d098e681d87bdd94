// The card programme and the merchant's stores: typed settings read and validated from request
// bodies (and from stored levels, without throwing), the programme's one row per merchant, the
// stores' CRUD, and the claim tokens both carry.
#include <cctype>
#include <cmath>
#include <set>

#include "account/account.h"
#include "base/crypto.h"
#include "base/id.h"
#include "base/limits.h"
#include "base/messages.h"
#include "member/events.h"
#include "member/internal/member_internal.h"

namespace xd::member {

namespace {

// A claim token: 16 random bytes, base64url (22 characters). Unguessable; it is the whole
// secret of a claim link.
std::string NewClaimToken() { return RandomBase64Url(16); }

bool IsColor(const std::string& s) {
  if (s.size() != 7 || s[0] != '#') return false;
  for (size_t i = 1; i < s.size(); ++i)
    if (!std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
  return true;
}

// Reads one level object; errors stay in the reader (prefixed with the level's position).
Result<Level> ReadLevel(const Json& j, const std::string& prefix) {
  if (!j.is_object()) return Fail(Msg::FIELD_NOT_OBJECT, {Field(prefix)});
  ObjectReader r(j, prefix + ".");
  Level l;
  l.name = r.String("name", {.min_len = 1, .max_len = limits::kMaxMemberLevelNameLen});
  l.growth_threshold = r.Int("growth_threshold", {.min = 0, .max = limits::kMaxMemberGrowth});
  l.discount_bps =
      r.OptInt("discount_bps", {.min = 0, .max = limits::kMaxMemberDiscountBps}).value_or(0);
  l.points_multiplier_bps =
      r.OptInt("points_multiplier_bps", {.min = 0, .max = limits::kMaxPointsMultiplierBps})
          .value_or(10'000);
  l.benefits = r.OptString("benefits", {.max_len = limits::kMaxMemberBenefitsLen}).value_or("");
  RETURN_IF_ERROR(r.Finish());
  return l;
}

// Levels from a JSON array: 1..kMaxMemberLevels, the first at threshold 0 (a new member's),
// thresholds strictly rising, names unique.
Result<std::vector<Level>> ReadLevels(const Json& arr) {
  if (!arr.is_array() || arr.empty() || arr.size() > limits::kMaxMemberLevels)
    return Fail(Msg::MEMBER_LEVELS_RANGE, {{"max", limits::kMaxMemberLevels}});
  std::vector<Level> levels;
  std::set<std::string> names;
  for (size_t i = 0; i < arr.size(); ++i) {
    ASSIGN_OR_RETURN(Level l, ReadLevel(arr[i], "levels[" + std::to_string(i) + "]"));
    if (i == 0 && l.growth_threshold != 0)
      return Fail(Msg::MEMBER_FIRST_LEVEL_ZERO, {{"field", "levels[0].growth_threshold"}});
    if (i > 0 && l.growth_threshold <= levels.back().growth_threshold)
      return Fail(Msg::MEMBER_LEVELS_RISE,
                  {{"field", "levels[" + std::to_string(i) + "].growth_threshold"}});
    if (!names.insert(l.name).second) return Fail(Msg::MEMBER_LEVEL_NAME_TWICE, {{"name", l.name}});
    levels.push_back(std::move(l));
  }
  return levels;
}

Json TimeJson(int64_t ms) { return FormatRfc3339(ms); }

}  // namespace

// ---- programme settings ----

Result<ProgrammeConfig> ProgrammeConfigFromJson(const Json& body) {
  ObjectReader r(body);
  ProgrammeConfig c;
  c.title = r.String("title", {.min_len = 1, .max_len = limits::kMaxMemberTitleLen});
  c.cover_color = r.OptString("cover_color", {.min_len = 7, .max_len = 7}).value_or(c.cover_color);
  const Json* levels = r.RequireArray("levels", limits::kMaxMemberLevels);
  c.points_per_yuan =
      r.OptInt("points_per_yuan", {.min = 0, .max = limits::kMaxPointsPerYuan}).value_or(1);
  c.points_validity_days =
      r.OptInt("points_validity_days", {.min = 0, .max = limits::kMaxPointsValidityDays})
          .value_or(0);
  c.redeem_points_per_yuan =
      r.OptInt("redeem_points_per_yuan", {.min = 0, .max = limits::kMaxRedeemPointsPerYuan})
          .value_or(0);
  c.redeem_cap_bps = r.OptInt("redeem_cap_bps", {.min = 0, .max = 10'000}).value_or(0);
  c.push_cap_per_week = r.OptInt("push_cap_per_week", {.min = 0, .max = limits::kMaxPushCapPerWeek})
                            .value_or(limits::kDefaultPushCapPerWeek);
  c.referral_bonus_points =
      r.OptInt("referral_bonus_points", {.min = 0, .max = limits::kMaxReferralBonusPoints})
          .value_or(0);
  const Json* limit = r.Raw("issue_limit");
  if (limit && !limit->is_null()) {
    if (!limit->is_number_integer() || limit->get<int64_t>() < 1 ||
        limit->get<int64_t>() > limits::kMaxMemberIssueLimit)
      r.Invalid("issue_limit", Msg::ISSUE_LIMIT_RANGE, {{"max", limits::kMaxMemberIssueLimit}});
    else
      c.issue_limit = limit->get<int64_t>();
  }
  RETURN_IF_ERROR(r.Finish());
  if (!IsColor(c.cover_color)) return Fail(Msg::MEMBER_COVER_COLOR);
  ASSIGN_OR_RETURN(c.levels, ReadLevels(*levels));
  return c;
}

Json LevelsToJson(const std::vector<Level>& levels) {
  Json out = Json::array();
  for (const Level& l : levels)
    out.push_back(Json{{"name", l.name},
                       {"growth_threshold", l.growth_threshold},
                       {"discount_bps", l.discount_bps},
                       {"points_multiplier_bps", l.points_multiplier_bps},
                       {"benefits", l.benefits}});
  return out;
}

Result<std::vector<Level>> StoredLevels(const std::string& text) {
  auto parsed = ParseJson(text);
  if (!parsed)
    return Fail(ErrorCode::INTERNAL,
                "stored member levels are not JSON: " + parsed.error().message);
  auto levels = ReadLevels(*parsed);
  if (!levels)
    return Fail(ErrorCode::INTERNAL,
                "stored member levels are malformed: " + levels.error().message);
  return levels;
}

int64_t LevelForGrowth(const std::vector<Level>& levels, int64_t growth) {
  int64_t level = 0;
  for (size_t i = 0; i < levels.size(); ++i)
    if (growth >= levels[i].growth_threshold) level = static_cast<int64_t>(i);
  return level;
}

std::string DiscountLabel(int64_t discount_bps) {
  if (discount_bps <= 0) return "";
  // 10000 - bps of the price, in 折 (tenths): 500 off → 9.5折, 1000 → 9折, 1250 → 8.75折.
  int64_t pay = 10'000 - discount_bps;
  std::string s = std::to_string(pay / 1000);
  int64_t rest = pay % 1000;
  if (rest != 0) {
    std::string frac = std::to_string(rest + 1000).substr(1);  // three digits
    while (!frac.empty() && frac.back() == '0') frac.pop_back();
    s += "." + frac;
  }
  return s + "折";
}

std::string ClaimPath(const std::string& token) { return "/#/c/" + token; }

Json ToJson(const Programme& p, bool for_staff) {
  Json j{{"id", IdString(p.id)},
         {"merchant_id", IdString(p.merchant_id)},
         {"title", p.config.title},
         {"cover_color", p.config.cover_color},
         {"levels", LevelsToJson(p.config.levels)},
         {"points_per_yuan", p.config.points_per_yuan},
         {"points_validity_days", p.config.points_validity_days},
         {"issue_limit", p.config.issue_limit ? Json(*p.config.issue_limit) : Json(nullptr)},
         {"redeem_points_per_yuan", p.config.redeem_points_per_yuan},
         {"redeem_cap_bps", p.config.redeem_cap_bps},
         {"referral_bonus_points", p.config.referral_bonus_points},
         {"sold_out", p.config.issue_limit && p.issued >= *p.config.issue_limit}};
  if (for_staff) {
    j["issued"] = p.issued;
    j["push_cap_per_week"] = p.config.push_cap_per_week;
    j["claim_token"] = p.claim_token;
    j["claim_link"] = ClaimPath(p.claim_token);
    j["created_at"] = TimeJson(p.created_at_ms);
    j["updated_at"] = TimeJson(p.updated_at_ms);
  }
  return j;
}

// ---- stores ----

namespace {

// Degrees as a JSON number → millionths of a degree, within ±max_deg.
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
  // Coordinates are not money: a double in, rounded once to integer millionths, kept as such.
  double deg = v->get<double>();
  if (!std::isfinite(deg) || deg < -static_cast<double>(max_deg) ||
      deg > static_cast<double>(max_deg)) {
    r.Invalid(key, Msg::FIELD_DEGREES_RANGE, {{"max", max_deg}});
    return std::nullopt;
  }
  return static_cast<int64_t>(std::llround(deg * 1e6));
}

Json Degrees(int64_t e6) { return static_cast<double>(e6) / 1e6; }

constexpr std::string_view Name(StoreStatus s) {
  return s == StoreStatus::kOpen ? "open" : "deleted";
}

}  // namespace

Result<StoreInput> StoreInputFromJson(const Json& body) {
  ObjectReader r(body);
  StoreInput in;
  in.name = r.String("name", {.min_len = 1, .max_len = limits::kMaxStoreNameLen});
  in.address = r.String("address", {.min_len = 1, .max_len = limits::kMaxStoreAddressLen});
  in.opening_hours =
      r.OptString("opening_hours", {.max_len = limits::kMaxOpeningHoursLen}).value_or("");
  in.latitude_e6 = ReadDegrees(r, "latitude", 90).value_or(0);
  in.longitude_e6 = ReadDegrees(r, "longitude", 180).value_or(0);
  RETURN_IF_ERROR(r.Finish());
  return in;
}

Json ToJson(const MemberStore& s, bool for_staff) {
  Json j{{"id", IdString(s.id)},
         {"merchant_id", IdString(s.merchant_id)},
         {"name", s.info.name},
         {"address", s.info.address},
         {"opening_hours", s.info.opening_hours},
         {"latitude", Degrees(s.info.latitude_e6)},
         {"longitude", Degrees(s.info.longitude_e6)}};
  if (for_staff) {
    j["status"] = std::string(Name(s.status));
    j["claim_token"] = s.claim_token;
    j["claim_link"] = ClaimPath(s.claim_token);
    j["created_at"] = TimeJson(s.created_at_ms);
    j["updated_at"] = TimeJson(s.updated_at_ms);
  }
  return j;
}

namespace internal {

const char* const kProgrammeCols =
    "id, merchant_id, title, cover_color, levels, points_per_yuan, points_validity_days, "
    "issue_limit, issued, claim_token, "
    "created_at_ms, updated_at_ms, redeem_points_per_yuan, redeem_cap_bps, push_cap_per_week, "
    "referral_bonus_points";

Result<Programme> ProgrammeFromRow(const Row& r) {
  Programme p;
  p.id = r.Int(0);
  p.merchant_id = r.Int(1);
  p.config.title = r.Str(2);
  p.config.cover_color = r.Str(3);
  ASSIGN_OR_RETURN(p.config.levels, StoredLevels(r.Str(4)));
  p.config.points_per_yuan = r.Int(5);
  p.config.points_validity_days = r.Int(6);
  p.config.issue_limit = r.OptInt(7);
  p.issued = r.Int(8);
  p.claim_token = r.Str(9);
  p.created_at_ms = r.Int(10);
  p.updated_at_ms = r.Int(11);
  p.config.redeem_points_per_yuan = r.Int(12);
  p.config.redeem_cap_bps = r.Int(13);
  p.config.push_cap_per_week = r.Int(14);
  p.config.referral_bonus_points = r.Int(15);
  return p;
}

const char* const kStoreCols =
    "id, merchant_id, name, address, opening_hours, latitude_e6, longitude_e6, claim_token, "
    "status, created_at_ms, updated_at_ms";

Result<MemberStore> StoreFromRow(const Row& r) {
  MemberStore s;
  s.id = r.Int(0);
  s.merchant_id = r.Int(1);
  s.info.name = r.Str(2);
  s.info.address = r.Str(3);
  s.info.opening_hours = r.Str(4);
  s.info.latitude_e6 = r.Int(5);
  s.info.longitude_e6 = r.Int(6);
  s.claim_token = r.Str(7);
  if (r.Str(8) == Name(StoreStatus::kOpen))
    s.status = StoreStatus::kOpen;
  else if (r.Str(8) == Name(StoreStatus::kDeleted))
    s.status = StoreStatus::kDeleted;
  else
    return Fail(ErrorCode::INTERNAL,
                "store " + IdString(s.id) + " has an unknown status " + r.Str(8));
  s.created_at_ms = r.Int(9);
  s.updated_at_ms = r.Int(10);
  return s;
}

Result<Programme> ProgrammeById(Reader& r, int64_t id) {
  ASSIGN_OR_RETURN(auto row, r.QueryOne(std::string("SELECT ") + kProgrammeCols +
                                            " FROM member_programmes WHERE id=?",
                                        {id}));
  if (!row) return Fail(ErrorCode::INTERNAL, "member programme " + IdString(id) + " is missing");
  return ProgrammeFromRow(*row);
}

}  // namespace internal

// ---- MemberService: programme and stores ----

MemberService::MemberService(trade::TradeService& trade, std::string code_secret)
    : trade_(trade), code_secret_(std::move(code_secret)) {}

void MemberService::Install() {
  trade_.AddPricingRule(internal::NewMemberPricingRule());
  trade_.AddPricingRule(internal::NewPointsRedemptionRule());
  trade_.AddObserver(internal::NewPointsObserver());
}

Status MemberService::InstallTimers(Store& store, TimerService& timers) {
  // One sweep pending at a time: it reschedules itself, sooner while it has more to do.
  timers.Register(internal::kTimerSweep, [](Tx& tx, const Json&) -> Status {
    ASSIGN_OR_RETURN(int64_t expired, internal::ExpirePoints(tx));
    ASSIGN_OR_RETURN(int64_t reviewed, internal::ReviewLevels(tx));
    bool more = expired >= internal::kSweepBatch || reviewed >= internal::kSweepBatch;
    return ToStatus(tx.AddTimer(internal::kTimerSweep,
                                tx.NowMs() + (more ? 1 : internal::kSweepIntervalMs),
                                Json::object()));
  });
  RegisterPushTimer(timers);
  return store.Execute([](Tx& tx) -> Status {
    ASSIGN_OR_RETURN(int64_t pending,
                     tx.QueryInt("SELECT count(*) FROM timers WHERE kind=? AND dead_at_ms IS NULL",
                                 {internal::kTimerSweep}));
    if (pending > 0) return Ok();
    return ToStatus(tx.AddTimer(internal::kTimerSweep, tx.NowMs() + internal::kSweepIntervalMs,
                                Json::object()));
  });
}

Status MemberService::PutSkuPrice(Tx& tx, int64_t merchant_id, int64_t sku_id, int64_t price_fen) {
  ASSIGN_OR_RETURN(auto sku, tx.QueryOne("SELECT price_fen FROM skus WHERE id=? AND merchant_id=?",
                                         {sku_id, merchant_id}));
  if (!sku) return Fail(Msg::SKU_NOT_FOUND);
  if (price_fen <= 0 || price_fen >= sku->Int(0))
    return Fail(Msg::MEMBER_SKU_PRICE_NOT_BELOW, {Fen("price", sku->Int(0))});
  RETURN_IF_ERROR(account::LockMerchant(tx, merchant_id));  // the limit is a count: one node at a time
  ASSIGN_OR_RETURN(int64_t n, tx.QueryInt("SELECT count(*) FROM member_sku_prices WHERE "
                                          "merchant_id=? AND sku_id<>?",
                                          {merchant_id, sku_id}));
  if (n >= limits::kMaxMemberSkuPrices)
    return Fail(Msg::MEMBER_TOO_MANY_SKU_PRICES, {{"max", limits::kMaxMemberSkuPrices}});
  return tx.Run(
      "INSERT INTO member_sku_prices(sku_id, merchant_id, price_fen, updated_at_ms) "
      "VALUES(?,?,?,?) ON CONFLICT(sku_id) DO UPDATE SET price_fen=excluded.price_fen, "
      "updated_at_ms=excluded.updated_at_ms",
      {sku_id, merchant_id, price_fen, tx.NowMs()});
}

Status MemberService::DeleteSkuPrice(Tx& tx, int64_t merchant_id, int64_t sku_id) {
  ASSIGN_OR_RETURN(int64_t n, tx.Exec("DELETE FROM member_sku_prices WHERE sku_id=? AND "
                                      "merchant_id=?",
                                      {sku_id, merchant_id}));
  if (n == 0) return Fail(Msg::SKU_NOT_FOUND);
  return Ok();
}

Result<Json> MemberService::SkuPrices(Reader& r, int64_t merchant_id) {
  ASSIGN_OR_RETURN(
      Rows rows,
      r.Query("SELECT m.sku_id, m.price_fen, s.price_fen, p.title, s.spec FROM member_sku_prices m "
              "JOIN skus s ON s.id = m.sku_id JOIN products p ON p.id = s.product_id WHERE "
              "m.merchant_id=? ORDER BY m.sku_id LIMIT ?",
              {merchant_id, limits::kMaxMemberSkuPrices}));
  Json items = Json::array();
  for (auto& row : rows)
    items.push_back(Json{{"sku_id", IdString(row.Int(0))},
                         {"price_fen", row.Int(1)},
                         {"list_price_fen", row.Int(2)},
                         {"title", row.Str(3)},
                         {"spec", ParseJson(row.Str(4)).value_or(Json::object())}});
  return Json{{"items", std::move(items)}};
}

Result<Programme> MemberService::GetProgramme(Reader& r, int64_t merchant_id) {
  ASSIGN_OR_RETURN(auto row, r.QueryOne(std::string("SELECT ") + internal::kProgrammeCols +
                                            " FROM member_programmes WHERE merchant_id=?",
                                        {merchant_id}));
  if (!row) return Fail(Msg::MEMBER_PROGRAMME_NOT_FOUND);
  return internal::ProgrammeFromRow(*row);
}

Result<Programme> MemberService::PutProgramme(Tx& tx, int64_t merchant_id,
                                              const ProgrammeConfig& config) {
  int64_t now = tx.NowMs();
  // The row stays locked to commit: a claim on another node waits, then sees the new limit.
  ASSIGN_OR_RETURN(auto row, tx.QueryOne(std::string("SELECT ") + internal::kProgrammeCols +
                                             " FROM member_programmes WHERE merchant_id=?" +
                                             std::string(tx.dialect().ForUpdate()),
                                         {merchant_id}));
  Programme p;
  if (row) {
    ASSIGN_OR_RETURN(p, internal::ProgrammeFromRow(*row));
    if (config.issue_limit && *config.issue_limit < p.issued)
      return Fail(Msg::MEMBER_ISSUE_LIMIT_BELOW_ISSUED, {{"issued", p.issued}});
  } else {
    p.id = tx.NewId();
    p.merchant_id = merchant_id;
    p.claim_token = NewClaimToken();
    p.created_at_ms = now;
  }
  p.config = config;
  p.updated_at_ms = now;
  const std::string levels = DumpJson(LevelsToJson(config.levels));
  if (row) {
    RETURN_IF_ERROR(tx.Run(
        "UPDATE member_programmes SET title=?, cover_color=?, levels=?, points_per_yuan=?, "
        "points_validity_days=?, issue_limit=?, updated_at_ms=?, redeem_points_per_yuan=?, "
        "redeem_cap_bps=?, push_cap_per_week=?, referral_bonus_points=? WHERE id=?",
        {config.title, config.cover_color, levels, config.points_per_yuan,
         config.points_validity_days, config.issue_limit, now, config.redeem_points_per_yuan,
         config.redeem_cap_bps, config.push_cap_per_week, config.referral_bonus_points, p.id}));
  } else {
    RETURN_IF_ERROR(tx.Run(
        "INSERT INTO member_programmes(id, merchant_id, title, cover_color, levels, "
        "points_per_yuan, "
        "points_validity_days, issue_limit, issued, claim_token, created_at_ms, updated_at_ms, "
        "redeem_points_per_yuan, redeem_cap_bps, push_cap_per_week, referral_bonus_points) "
        "VALUES(?,?,?,?,?,?,?,?,0,?,?,?,?,?,?,?)",
        {p.id, merchant_id, config.title, config.cover_color, levels, config.points_per_yuan,
         config.points_validity_days, config.issue_limit, p.claim_token, now, now,
         config.redeem_points_per_yuan, config.redeem_cap_bps, config.push_cap_per_week,
         config.referral_bonus_points}));
  }
  RETURN_IF_ERROR(Emit(tx, ProgrammeSaved{p}));
  return p;
}

Result<MemberStore> MemberService::CreateStore(Tx& tx, int64_t merchant_id, const StoreInput& in) {
  RETURN_IF_ERROR(account::LockMerchant(tx, merchant_id));  // the limit is a count: one node at a time
  ASSIGN_OR_RETURN(
      int64_t open,
      tx.QueryInt("SELECT count(*) FROM member_stores WHERE merchant_id=? AND status=?",
                  {merchant_id, Name(StoreStatus::kOpen)}));
  if (open >= limits::kMaxMemberStores)
    return Fail(Msg::MEMBER_TOO_MANY_STORES, {{"max", limits::kMaxMemberStores}});
  MemberStore s;
  s.id = tx.NewId();
  s.merchant_id = merchant_id;
  s.info = in;
  s.claim_token = NewClaimToken();
  s.created_at_ms = s.updated_at_ms = tx.NowMs();
  RETURN_IF_ERROR(
      tx.Run("INSERT INTO member_stores(id, merchant_id, name, address, opening_hours, "
             "latitude_e6, longitude_e6, claim_token, "
             "status, created_at_ms, updated_at_ms) VALUES(?,?,?,?,?,?,?,?,?,?,?)",
             {s.id, merchant_id, in.name, in.address, in.opening_hours, in.latitude_e6,
              in.longitude_e6, s.claim_token, Name(s.status), s.created_at_ms, s.updated_at_ms}));
  RETURN_IF_ERROR(Emit(tx, StoreChanged{false, s}));
  return s;
}

Result<MemberStore> MemberService::GetStore(Reader& r, int64_t merchant_id, int64_t store_id) {
  ASSIGN_OR_RETURN(auto row,
                   r.QueryOne(std::string("SELECT ") + internal::kStoreCols +
                                  " FROM member_stores WHERE id=? AND merchant_id=? AND status=?",
                              {store_id, merchant_id, Name(StoreStatus::kOpen)}));
  if (!row) return Fail(Msg::MEMBER_STORE_NOT_FOUND);
  return internal::StoreFromRow(*row);
}

Result<MemberStore> MemberService::UpdateStore(Tx& tx, int64_t merchant_id, int64_t store_id,
                                               const StoreInput& in) {
  ASSIGN_OR_RETURN(MemberStore s, GetStore(tx, merchant_id, store_id));
  s.info = in;
  s.updated_at_ms = tx.NowMs();
  ASSIGN_OR_RETURN(int64_t n,
                   tx.Exec("UPDATE member_stores SET name=?, address=?, opening_hours=?, "
                           "latitude_e6=?, longitude_e6=?, "
                           "updated_at_ms=? WHERE id=? AND merchant_id=? AND status=?",
                           {in.name, in.address, in.opening_hours, in.latitude_e6, in.longitude_e6,
                            s.updated_at_ms, store_id, merchant_id, Name(StoreStatus::kOpen)}));
  if (n != 1) return Fail(Msg::MEMBER_STORE_NOT_FOUND);
  RETURN_IF_ERROR(Emit(tx, StoreChanged{false, s}));
  return s;
}

Status MemberService::DeleteStore(Tx& tx, int64_t merchant_id, int64_t store_id) {
  ASSIGN_OR_RETURN(MemberStore s, GetStore(tx, merchant_id, store_id));
  ASSIGN_OR_RETURN(int64_t n, tx.Exec("UPDATE member_stores SET status=?, updated_at_ms=? WHERE "
                                      "id=? AND merchant_id=? AND status=?",
                                      {Name(StoreStatus::kDeleted), tx.NowMs(), store_id,
                                       merchant_id, Name(StoreStatus::kOpen)}));
  if (n != 1) return Fail(Msg::MEMBER_STORE_NOT_FOUND);
  s.status = StoreStatus::kDeleted;
  return Emit(tx, StoreChanged{true, s});
}

Result<std::vector<MemberStore>> MemberService::Stores(Reader& r, int64_t merchant_id) {
  ASSIGN_OR_RETURN(
      Rows rows,
      r.Query(std::string("SELECT ") + internal::kStoreCols +
                  " FROM member_stores WHERE merchant_id=? AND status=? ORDER BY id LIMIT ?",
              {merchant_id, Name(StoreStatus::kOpen), limits::kMaxMemberStores}));
  std::vector<MemberStore> out;
  for (auto& row : rows) {
    ASSIGN_OR_RETURN(MemberStore s, internal::StoreFromRow(row));
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace xd::member
