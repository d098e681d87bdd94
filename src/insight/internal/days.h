// Helpers the insight/ sources share (not part of the module's interface): China-time days
// as the reports show and check them.
#pragma once

#include <cstdint>
#include <string>

#include "base/result.h"

namespace xd::insight::internal {

inline constexpr int64_t kDayMs = 24LL * 3600 * 1000;

// Days since 1970-01-01 in China time (UTC+8) — the count DayOf (insight.h) turns into
// yyyymmdd — and back to that yyyymmdd.
int32_t EpochDayOf(int64_t ms);
int64_t DayOfEpochDay(int32_t epoch_day);

// yyyymmdd → "yyyy-mm-dd".
std::string DayText(int64_t day);

// A report's range of China-time days: both dates valid, from ≤ to, at most
// config::kMaxReportDays days (FIELD_INVALID naming "from" or "to"). The first instants (ms)
// of both days.
struct DayRange {
  int64_t start_ms = 0, end_ms = 0;
};
Result<DayRange> CheckDayRange(int64_t from_day, int64_t to_day);

}  // namespace xd::insight::internal
