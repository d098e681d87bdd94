// Freight templates (运费模板): their validation and storage, and the shipping stage of the
// pricing pipeline that uses them (trade.h, "freight templates").
#include <algorithm>
#include <map>
#include <set>

#include "base/id.h"
#include "base/limits.h"
#include "base/messages.h"
#include "base/money.h"
#include "base/regions.h"
#include "trade/internal/trade_internal.h"
#include "trade/trade.h"

namespace xd::trade {

namespace {

constexpr size_t kMaxRules = 50;
constexpr size_t kMaxRegionsPerList = 500;
constexpr int64_t kMaxTemplatesPerMerchant = 50;
constexpr int64_t kMaxFeeFen = 100'000'00;      // ¥100,000 for one step of shipping
constexpr int64_t kMaxUnits = 1'000'000'000;    // units, or grams (a tonne is 1e6)

Result<std::vector<std::string>> RegionList(const Json* j, const std::string& field) {
  std::vector<std::string> out;
  if (!j) return out;
  if (!j->is_array() || j->size() > kMaxRegionsPerList)
    return Fail(Msg::FIELD_TOO_MANY, {Field(field), {"max", static_cast<int64_t>(kMaxRegionsPerList)}});
  for (const Json& c : *j) {
    if (!c.is_string()) return Fail(Msg::FIELD_NOT_TEXT, {Field(field)});
    const std::string& code = c.get_ref<const std::string&>();
    if (!RegionName(code)) return Fail(Msg::REGION_CODE_UNKNOWN, {{"code", code}});
    out.push_back(code);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Json CodesJson(const std::vector<std::string>& codes) {
  Json a = Json::array();
  for (const auto& c : codes) a.push_back(c);
  return a;
}

Json RulesJson(const std::vector<FreightRule>& rules) {
  Json a = Json::array();
  for (const FreightRule& r : rules) {
    Json j{{"regions", CodesJson(r.regions)},       {"first_units", r.first_units},
           {"first_fen", r.first_fen},              {"additional_units", r.additional_units},
           {"additional_fen", r.additional_fen}};
    j["free_over_fen"] = r.free_over_fen ? Json(*r.free_over_fen) : Json(nullptr);
    a.push_back(std::move(j));
  }
  return a;
}

std::vector<std::string> CodesFrom(const Json& j) {
  std::vector<std::string> out;
  if (j.is_array())
    for (const Json& c : j)
      if (c.is_string()) out.push_back(c.get<std::string>());
  return out;
}

FreightTemplate TemplateFromRow(const Row& r) {
  FreightTemplate t;
  t.id = r.Int(0);
  t.merchant_id = r.Int(1);
  t.name = r.Str(2);
  t.mode = r.Str(3);
  for (const Json& j : r.JsonAt(4)) {
    FreightRule rule;
    rule.regions = CodesFrom(j.value("regions", Json::array()));
    rule.first_units = j.value("first_units", int64_t{1});
    rule.first_fen = j.value("first_fen", int64_t{0});
    rule.additional_units = j.value("additional_units", int64_t{1});
    rule.additional_fen = j.value("additional_fen", int64_t{0});
    if (j.contains("free_over_fen") && j["free_over_fen"].is_number_integer()) rule.free_over_fen = j["free_over_fen"].get<int64_t>();
    t.rules.push_back(std::move(rule));
  }
  t.free_over_fen = r.OptInt(5);
  t.undeliverable = CodesFrom(r.JsonAt(6));
  t.is_default = r.Int(7) != 0;
  t.created_at_ms = r.Int(8);
  t.updated_at_ms = r.Int(9);
  return t;
}

constexpr const char* kTemplateCols =
    "id, merchant_id, name, mode, rules, free_over_fen, undeliverable, is_default, created_at_ms, updated_at_ms";

// Only one default per merchant: setting one clears the others.
Status ClearOtherDefaults(Tx& tx, const FreightTemplate& t) {
  if (!t.is_default) return Ok();
  return tx.Run("UPDATE freight_templates SET is_default=0 WHERE merchant_id=? AND id<>? AND is_default=1",
                {t.merchant_id, t.id});
}

// The rule for a destination: the most specific rule naming its district, city or province,
// else the rule without regions.
const FreightRule& RuleFor(const FreightTemplate& t, const account::Address* to) {
  const FreightRule* fallback = &t.rules.front();
  for (const FreightRule& r : t.rules)
    if (r.regions.empty()) fallback = &r;
  if (!to || to->province_code.empty()) return *fallback;
  for (const std::string* code : {&to->district_code, &to->city_code, &to->province_code}) {
    if (code->empty()) continue;
    for (const FreightRule& r : t.rules)
      if (std::binary_search(r.regions.begin(), r.regions.end(), *code)) return r;
  }
  return *fallback;
}

bool Undeliverable(const FreightTemplate& t, const account::Address& to) {
  for (const std::string& code : {to.district_code, to.city_code, to.province_code})
    if (!code.empty() && std::binary_search(t.undeliverable.begin(), t.undeliverable.end(), code)) return true;
  return false;
}

// 9900 → "99", 9950 → "99.5", 9905 → "99.05".
std::string Yuan(int64_t fen) {
  std::string out = std::to_string(fen / 100);
  int64_t cents = fen % 100;
  if (cents == 0) return out;
  std::string frac = (cents < 10 ? "0" : "") + std::to_string(cents);
  if (frac.back() == '0') frac.pop_back();
  return out + "." + frac;
}

bool NamesRegions(const FreightTemplate& t) {
  return !t.undeliverable.empty() || std::ranges::any_of(t.rules, [](const FreightRule& r) { return !r.regions.empty(); });
}

}  // namespace

Json ToJson(const FreightTemplate& t) {
  Json j{{"id", IdString(t.id)},
         {"merchant_id", IdString(t.merchant_id)},
         {"name", t.name},
         {"mode", t.mode},
         {"rules", RulesJson(t.rules)},
         {"undeliverable", CodesJson(t.undeliverable)},
         {"is_default", t.is_default},
         {"created_at", FormatRfc3339(t.created_at_ms)},
         {"updated_at", FormatRfc3339(t.updated_at_ms)}};
  j["free_over_fen"] = t.free_over_fen ? Json(*t.free_over_fen) : Json(nullptr);
  return j;
}

Result<FreightTemplate> FreightTemplateFromJson(const Json& body) {
  ObjectReader r(body);
  FreightTemplate t;
  t.name = r.String("name", {.min_len = 1, .max_len = 40});
  t.mode = r.OptString("mode", {.max_len = 8}).value_or("unit");
  const Json* rules = r.Raw("rules");
  t.free_over_fen = r.OptInt("free_over_fen", {.min = 0, .max = limits::kMaxSkuPriceFen});
  const Json* undeliverable = r.Raw("undeliverable");
  t.is_default = r.Bool("is_default", false);
  RETURN_IF_ERROR(r.Finish());
  if (t.mode != "unit" && t.mode != "weight") return Fail(Msg::FREIGHT_MODE_INVALID);
  if (!rules || !rules->is_array() || rules->empty() || rules->size() > kMaxRules)
    return Fail(Msg::FREIGHT_RULES_RANGE, {{"max", static_cast<int64_t>(kMaxRules)}});
  std::set<std::string> named;
  int defaults = 0;
  for (size_t i = 0; i < rules->size(); ++i) {
    std::string prefix = "rules[" + std::to_string(i) + "].";
    ObjectReader rr((*rules)[i], prefix);
    FreightRule rule;
    const Json* regions = rr.Raw("regions");
    rule.first_units = rr.OptInt("first_units", {.min = 1, .max = kMaxUnits}).value_or(1);
    rule.first_fen = rr.Int("first_fen", {.min = 0, .max = kMaxFeeFen});
    rule.additional_units = rr.OptInt("additional_units", {.min = 1, .max = kMaxUnits}).value_or(1);
    rule.additional_fen = rr.OptInt("additional_fen", {.min = 0, .max = kMaxFeeFen}).value_or(0);
    rule.free_over_fen = rr.OptInt("free_over_fen", {.min = 0, .max = limits::kMaxSkuPriceFen});
    RETURN_IF_ERROR(rr.Finish());
    ASSIGN_OR_RETURN(rule.regions, RegionList(regions, prefix + "regions"));
    if (rule.regions.empty()) ++defaults;
    for (const std::string& code : rule.regions)
      if (!named.insert(code).second) return Fail(Msg::FREIGHT_REGION_TWICE, {{"code", code}});
    t.rules.push_back(std::move(rule));
  }
  if (defaults != 1) return Fail(Msg::FREIGHT_ONE_DEFAULT_RULE);
  ASSIGN_OR_RETURN(t.undeliverable, RegionList(undeliverable, "undeliverable"));
  return t;
}

Result<FreightTemplate> CreateFreightTemplate(Tx& tx, int64_t merchant_id, FreightTemplate t) {
  ASSIGN_OR_RETURN(int64_t n, tx.QueryInt("SELECT COUNT(*) FROM freight_templates WHERE merchant_id=?", {merchant_id}));
  if (n >= kMaxTemplatesPerMerchant) return Fail(Msg::FREIGHT_TEMPLATES_LIMIT, {{"max", kMaxTemplatesPerMerchant}});
  t.id = tx.NewId();
  t.merchant_id = merchant_id;
  t.created_at_ms = t.updated_at_ms = tx.NowMs();
  RETURN_IF_ERROR(ClearOtherDefaults(tx, t));
  RETURN_IF_ERROR(tx.Run("INSERT INTO freight_templates(id, merchant_id, name, mode, rules, free_over_fen, undeliverable, "
                         "is_default, created_at_ms, updated_at_ms) VALUES(?,?,?,?,?,?,?,?,?,?)",
                         {t.id, merchant_id, t.name, t.mode, DumpJson(RulesJson(t.rules)), t.free_over_fen,
                          DumpJson(CodesJson(t.undeliverable)), t.is_default, t.created_at_ms, t.updated_at_ms}));
  return t;
}

Result<FreightTemplate> UpdateFreightTemplate(Tx& tx, int64_t merchant_id, int64_t id, FreightTemplate t) {
  ASSIGN_OR_RETURN(FreightTemplate old, GetFreightTemplate(tx, merchant_id, id));
  t.id = id;
  t.merchant_id = merchant_id;
  t.created_at_ms = old.created_at_ms;
  t.updated_at_ms = tx.NowMs();
  RETURN_IF_ERROR(ClearOtherDefaults(tx, t));
  RETURN_IF_ERROR(tx.Run("UPDATE freight_templates SET name=?, mode=?, rules=?, free_over_fen=?, undeliverable=?, is_default=?, "
                         "updated_at_ms=? WHERE id=? AND merchant_id=?",
                         {t.name, t.mode, DumpJson(RulesJson(t.rules)), t.free_over_fen, DumpJson(CodesJson(t.undeliverable)),
                          t.is_default, t.updated_at_ms, id, merchant_id}));
  return t;
}

Status DeleteFreightTemplate(Tx& tx, int64_t merchant_id, int64_t id) {
  RETURN_IF_ERROR(GetFreightTemplate(tx, merchant_id, id));
  RETURN_IF_ERROR(tx.Run("UPDATE products SET freight_template_id=NULL WHERE merchant_id=? AND freight_template_id=?",
                         {merchant_id, id}));
  return tx.Run("DELETE FROM freight_templates WHERE id=? AND merchant_id=?", {id, merchant_id});
}

Result<std::vector<FreightTemplate>> ListFreightTemplates(Reader& r, int64_t merchant_id) {
  ASSIGN_OR_RETURN(Rows rows, r.Query(std::string("SELECT ") + kTemplateCols +
                                          " FROM freight_templates WHERE merchant_id=? ORDER BY id LIMIT 100",
                                      {merchant_id}));
  std::vector<FreightTemplate> out;
  for (const Row& row : rows) out.push_back(TemplateFromRow(row));
  return out;
}

Result<FreightTemplate> GetFreightTemplate(Reader& r, int64_t merchant_id, int64_t id) {
  ASSIGN_OR_RETURN(auto row, r.QueryOne(std::string("SELECT ") + kTemplateCols +
                                            " FROM freight_templates WHERE id=? AND merchant_id=?",
                                        {id, merchant_id}));
  if (!row) return Fail(Msg::FREIGHT_TEMPLATE_NOT_FOUND);
  return TemplateFromRow(*row);
}

// ---- the shipping stage ----

Status PriceShipping(Reader& r, const TradeConfig& config, PricingContext& ctx) {
  // Which template each line ships under: its product's, else the merchant's default, else
  // none (0: the platform's rule).
  ASSIGN_OR_RETURN(auto default_row, r.QueryOne("SELECT id FROM freight_templates WHERE merchant_id=? AND is_default=1 "
                                                "ORDER BY id LIMIT 1",
                                                {ctx.merchant_id}));
  int64_t default_id = default_row ? default_row->Int(0) : 0;
  struct Group {
    int64_t units = 0, grams = 0, goods_fen = 0;
    std::string first_title;
  };
  std::map<int64_t, Group> groups;
  for (const PriceLine& l : ctx.lines) {
    Group& g = groups[l.freight_template_id.value_or(default_id)];
    ASSIGN_OR_RETURN(Money goods, Money::Fen(l.unit_price_fen).Mul(l.quantity));
    ASSIGN_OR_RETURN(Money grams, Money::Fen(l.weight_g).Mul(l.quantity));  // checked multiply, not money
    g.units += l.quantity;
    g.grams += grams.fen();
    g.goods_fen += goods.fen();
    if (g.first_title.empty()) g.first_title = l.title;
  }
  const account::Address* to = ctx.ship_to ? &*ctx.ship_to : nullptr;
  for (auto& [template_id, g] : groups) {
    if (template_id == 0) {
      // The platform's rule, as before templates: on the order's subtotal when every line
      // ships under it, else on this group's goods.
      int64_t basis = groups.size() == 1 ? ctx.subtotal_fen : g.goods_fen;
      if (basis >= config.free_shipping_over_fen)
        ctx.AddStep("shipping", "满" + std::to_string(config.free_shipping_over_fen / 100) + "元包邮", 0);
      else
        ctx.AddStep("shipping", "运费", config.shipping_fen);
      continue;
    }
    // A template deleted since the product named it: the row is gone, the product's column
    // cleared in the same transaction; a stale id here means the platform's rule.
    auto t = GetFreightTemplate(r, ctx.merchant_id, template_id);
    if (!t) {
      if (t.error().reason != Msg::FREIGHT_TEMPLATE_NOT_FOUND) return std::unexpected(t.error());
      ctx.AddStep("shipping", "运费", config.shipping_fen);
      continue;
    }
    if (to && !to->province_code.empty() && Undeliverable(*t, *to))
      return Fail(Msg::UNDELIVERABLE, {{"item", g.first_title}, {"region", to->region}});
    if (to && to->province_code.empty() && NamesRegions(*t))
      return Fail(Msg::ADDRESS_REGION_NEEDED, {{"item", g.first_title}});
    const FreightRule& rule = RuleFor(*t, to);
    std::optional<int64_t> free_over = rule.free_over_fen ? rule.free_over_fen : t->free_over_fen;
    if (free_over && g.goods_fen >= *free_over) {
      ctx.AddStep("shipping", t->name + "·满" + Yuan(*free_over) + "元包邮", 0);
      continue;
    }
    int64_t qty = t->mode == "weight" ? g.grams : g.units;
    int64_t extra_steps = qty > rule.first_units ? (qty - rule.first_units + rule.additional_units - 1) / rule.additional_units : 0;
    ASSIGN_OR_RETURN(Money extra, Money::Fen(rule.additional_fen).Mul(extra_steps));
    ASSIGN_OR_RETURN(Money fee, Money::Fen(rule.first_fen).Add(extra));
    ctx.AddStep("shipping", "运费（" + t->name + "）", fee.fen());
  }
  return Ok();
}

}  // namespace xd::trade
