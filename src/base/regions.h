// China's administrative regions as the shop's region picker offers them (GB/T 2260 codes from
// @vant/area-data, generated into regions_data.inc by scripts/gen-regions.mjs): 34 provinces,
// their cities and districts. Addresses and freight templates name regions by these codes; the
// server believes a code only if it is in this list.
//
// A code is six digits: a province ends in "0000", a city in "00"; a district's first four
// digits are its city's, a city's first two its province's.
//
//   if (!RegionPathValid(p, c, d)) return Fail(Msg::REGION_CODES_INVALID);
//
// Thread-safety: immutable.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace xd {

enum class RegionLevel { kProvince, kCity, kDistrict };

// The region's name, or nullopt for a code not in the list.
std::optional<std::string_view> RegionName(std::string_view code);
// The level the code's shape says (kDistrict for anything not ending in 00).
RegionLevel RegionLevelOf(std::string_view code);
// The province and city a code is in ("440305" → "440000", "440300"); the code itself at its level.
std::string ProvinceOf(std::string_view code);
std::string CityOf(std::string_view code);
// An address's codes: the province known; the city known and in the province; the district (may
// be empty only where the city has no districts) known and in the city.
bool RegionPathValid(std::string_view province, std::string_view city, std::string_view district);
// "广东省 深圳市 南山区" for the path (names joined by spaces, a city named as its province once).
std::string RegionPathText(std::string_view province, std::string_view city, std::string_view district);
// Number of regions in the list.
size_t RegionCount();
// Every region, in code order.
void ForEachRegion(const std::function<void(std::string_view code, std::string_view name)>& fn);

}  // namespace xd
