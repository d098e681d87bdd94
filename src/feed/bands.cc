#include "feed/bands.h"

#include <algorithm>
#include <numeric>

namespace xd::feed {

const char* SizeBandName(SizeBand band) {
  switch (band) {
    case SizeBand::kHead: return "head";
    case SizeBand::kMiddle: return "middle";
    case SizeBand::kLongTail: break;
  }
  return "long_tail";
}

std::vector<SizeBand> SizeBands(const std::vector<std::pair<int64_t, int64_t>>& gmv,
                                int64_t active_merchants, int64_t head_merchants) {
  std::vector<size_t> order(gmv.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return gmv[a].second != gmv[b].second ? gmv[a].second > gmv[b].second
                                          : gmv[a].first < gmv[b].first;
  });
  const int64_t top20 = std::max<int64_t>(1, active_merchants / 5);
  std::vector<SizeBand> out(gmv.size(), SizeBand::kLongTail);
  int64_t ranked = 0;
  for (size_t i : order) {
    const int64_t rank = gmv[i].second > 0 ? ++ranked : 0;
    out[i] = rank > 0 && rank <= head_merchants ? SizeBand::kHead
             : rank > 0 && rank <= top20        ? SizeBand::kMiddle
                                                : SizeBand::kLongTail;
  }
  return out;
}

double Gini(std::vector<int64_t> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  double sum = 0, weighted = 0;
  const double n = static_cast<double>(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    sum += static_cast<double>(v[i]);
    weighted += static_cast<double>(i + 1) * static_cast<double>(v[i]);
  }
  if (sum <= 0) return 0;
  return (2 * weighted) / (n * sum) - (n + 1) / n;
}

double ExposureGini(std::vector<int64_t> impressions, int64_t active_merchants) {
  const int64_t silent =
      std::max<int64_t>(0, active_merchants - static_cast<int64_t>(impressions.size()));
  impressions.insert(impressions.end(), silent, 0);
  return Gini(std::move(impressions));
}

}  // namespace xd::feed
