#include "base/regions.h"

#include <algorithm>
#include <iterator>

namespace xd {

namespace {

struct RegionRow {
  const char* code;
  const char* name;
};

constexpr RegionRow kRegions[] = {
#include "base/regions_data.inc"
};

const RegionRow* Find(std::string_view code) {
  auto it = std::lower_bound(std::begin(kRegions), std::end(kRegions), code,
                             [](const RegionRow& r, std::string_view c) { return std::string_view(r.code) < c; });
  return it != std::end(kRegions) && std::string_view(it->code) == code ? &*it : nullptr;
}

bool SixDigits(std::string_view code) {
  return code.size() == 6 && std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool HasDistricts(std::string_view city) {
  // Districts of a city sort right after it and share its first four digits.
  auto it = std::upper_bound(std::begin(kRegions), std::end(kRegions), city,
                             [](std::string_view c, const RegionRow& r) { return c < std::string_view(r.code); });
  return it != std::end(kRegions) && std::string_view(it->code).substr(0, 4) == city.substr(0, 4);
}

}  // namespace

std::optional<std::string_view> RegionName(std::string_view code) {
  if (!SixDigits(code)) return std::nullopt;
  const RegionRow* r = Find(code);
  if (!r) return std::nullopt;
  return std::string_view(r->name);
}

RegionLevel RegionLevelOf(std::string_view code) {
  if (code.size() == 6 && code.substr(2) == "0000") return RegionLevel::kProvince;
  if (code.size() == 6 && code.substr(4) == "00") return RegionLevel::kCity;
  return RegionLevel::kDistrict;
}

std::string ProvinceOf(std::string_view code) { return std::string(code.substr(0, 2)) + "0000"; }
std::string CityOf(std::string_view code) { return std::string(code.substr(0, 4)) + "00"; }

bool RegionPathValid(std::string_view province, std::string_view city, std::string_view district) {
  if (!RegionName(province) || RegionLevelOf(province) != RegionLevel::kProvince) return false;
  if (!RegionName(city) || RegionLevelOf(city) != RegionLevel::kCity || ProvinceOf(city) != province) return false;
  if (district.empty()) return !HasDistricts(city);
  return RegionName(district) && RegionLevelOf(district) == RegionLevel::kDistrict && CityOf(district) == city;
}

std::string RegionPathText(std::string_view province, std::string_view city, std::string_view district) {
  std::string out(RegionName(province).value_or(""));
  std::string_view c = RegionName(city).value_or("");
  if (!c.empty() && c != out) out += " " + std::string(c);
  if (auto d = RegionName(district)) out += " " + std::string(*d);
  return out;
}

size_t RegionCount() { return std::size(kRegions); }

void ForEachRegion(const std::function<void(std::string_view code, std::string_view name)>& fn) {
  for (const RegionRow& r : kRegions) fn(r.code, r.name);
}

}  // namespace xd
