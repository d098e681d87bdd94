// Routes of freight templates (运费模板, issue 14) and the region list they and addresses use
// (issue 15's picker). Templates are the merchant's: every id is looked up with the caller's
// merchant, inside the command that acts.
#include <mutex>

#include "base/id.h"
#include "base/messages.h"
#include "base/regions.h"
#include "http/api.h"

namespace xd::http {

using account::Perm;

namespace {

Status ListTemplates(Call& c) {
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kRead));
  ASSIGN_OR_RETURN(auto list, c.app().store.Read([&](Reader& r) { return trade::ListFreightTemplates(r, s.merchant_id); }));
  Json items = Json::array();
  for (const auto& t : list) items.push_back(trade::ToJson(t));
  c.Reply(ListJson(std::move(items), 0));
  return Ok();
}

Status GetTemplate(Call& c) {
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kRead));
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  ASSIGN_OR_RETURN(auto t, c.app().store.Read([&](Reader& r) { return trade::GetFreightTemplate(r, s.merchant_id, id); }));
  c.Reply(trade::ToJson(t));
  return Ok();
}

Status CreateTemplate(Call& c) {
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kSettings));
  ASSIGN_OR_RETURN(Json body, c.Body());
  ASSIGN_OR_RETURN(trade::FreightTemplate t, trade::FreightTemplateFromJson(body));
  c.Write(
      s,
      [t](Tx& tx, const StaffCaller& s) -> Result<Json> {
        ASSIGN_OR_RETURN(trade::FreightTemplate created, trade::CreateFreightTemplate(tx, s.merchant_id, t));
        return trade::ToJson(created);
      },
      201);
  return Ok();
}

Status UpdateTemplate(Call& c) {
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kSettings));
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  ASSIGN_OR_RETURN(Json body, c.Body());
  ASSIGN_OR_RETURN(trade::FreightTemplate t, trade::FreightTemplateFromJson(body));
  c.Write(s, [id, t](Tx& tx, const StaffCaller& s) -> Result<Json> {
    ASSIGN_OR_RETURN(trade::FreightTemplate updated, trade::UpdateFreightTemplate(tx, s.merchant_id, id, t));
    return trade::ToJson(updated);
  });
  return Ok();
}

Status DeleteTemplate(Call& c) {
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kSettings));
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  c.Write(
      s,
      [id](Tx& tx, const StaffCaller& s) -> Result<Json> {
        RETURN_IF_ERROR(trade::DeleteFreightTemplate(tx, s.merchant_id, id));
        return Json(nullptr);
      },
      204);
  return Ok();
}

// The region list in @vant/area-data's shape ({province_list, city_list, county_list}: code →
// name), built once (~100 KB): the same bytes for everyone, nothing built per request.
Status Regions(Call& c) {
  static const std::string* body = [] {
    Json p = Json::object(), ci = Json::object(), co = Json::object();
    ForEachRegion([&](std::string_view code, std::string_view name) {
      Json& list = RegionLevelOf(code) == RegionLevel::kProvince ? p : RegionLevelOf(code) == RegionLevel::kCity ? ci : co;
      list[std::string(code)] = std::string(name);
    });
    return new std::string(DumpJson(Json{{"province_list", p}, {"city_list", ci}, {"county_list", co}}));
  }();
  Response r;
  r.body = *body;
  r.headers.emplace_back("Cache-Control", "public, max-age=86400");
  c.responder()(std::move(r));
  return Ok();
}

}  // namespace

void AddFreightRoutes(Api& api) {
  const Json example{{"name", "江浙沪包邮"},
                     {"mode", "unit"},
                     {"rules",
                      {{{"regions", Json::array()}, {"first_units", 1}, {"first_fen", 1000}, {"additional_units", 1},
                        {"additional_fen", 500}},
                       {{"regions", {"310000", "320000", "330000"}}, {"first_fen", 0}}}},
                     {"free_over_fen", 9900},
                     {"undeliverable", {"540000", "650000"}},
                     {"is_default", true}};
  // clang-format off
  api.AddTable({
      {{"GET", "/api/v1/regions",
        "China's provinces, cities and districts by code (GB/T 2260, as the shop's region picker lists them)", "logistics"},
       Regions},
      {{"GET", "/api/v1/merchant/freight-templates", "The merchant's freight templates (运费模板)", "logistics",
        AuthKind::kStaff}, ListTemplates},
      {{"POST", "/api/v1/merchant/freight-templates",
        "Create a freight template: rules by region (first unit/additional unit, or grams by weight), free-shipping "
        "thresholds, regions not delivered to; is_default makes it the template of products without one", "logistics",
        AuthKind::kStaff, 201, example}, CreateTemplate},
      {{"GET", "/api/v1/merchant/freight-templates/{id}", "One freight template", "logistics", AuthKind::kStaff},
       GetTemplate},
      {{"PUT", "/api/v1/merchant/freight-templates/{id}", "Replace a freight template", "logistics", AuthKind::kStaff,
        200, example}, UpdateTemplate},
      {{"DELETE", "/api/v1/merchant/freight-templates/{id}",
        "Delete a freight template (its products use the merchant's default again)", "logistics", AuthKind::kStaff, 204},
       DeleteTemplate},
  });
  // clang-format on
}

}  // namespace xd::http
