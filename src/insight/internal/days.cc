#include "insight/internal/days.h"

#include <cstdio>

#include "base/messages.h"
#include "insight/insight.h"

namespace xd::insight::internal {

std::string DayText(int64_t day) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", static_cast<int>(day / 10000),
                static_cast<int>((day / 100) % 100), static_cast<int>(day % 100));
  return buf;
}

Result<DayRange> CheckDayRange(int64_t from_day, int64_t to_day) {
  const std::optional<int64_t> start_ms = DayStartMs(from_day), end_ms = DayStartMs(to_day);
  if (!start_ms) return Fail(Msg::FIELD_INVALID, {Field("from")});
  if (!end_ms) return Fail(Msg::FIELD_INVALID, {Field("to")});
  if (*end_ms < *start_ms || (*end_ms - *start_ms) / kDayMs >= config::kMaxReportDays)
    return Fail(Msg::FIELD_INVALID, {Field("to")});
  return DayRange{*start_ms, *end_ms};
}

}  // namespace xd::insight::internal
