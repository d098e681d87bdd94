#include "base/clock.h"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace xd {

int64_t RealClock::NowMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string FormatRfc3339(int64_t ms) {
  time_t secs = static_cast<time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

std::string FormatCompactUtc(int64_t ms) {
  time_t secs = static_cast<time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d%02d%02d%02d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec);
  return buf;
}

int64_t ParseRfc3339(const std::string& text) {
  int y, mo, d, h, mi, s;
  char rest[32] = {0};
  if (text.size() < 20 || text.size() > 35) return -1;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%31s", &y, &mo, &d, &h, &mi, &s, rest) != 7)
    return -1;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return -1;
  std::string tail = rest;
  int64_t frac_ms = 0;
  if (!tail.empty() && tail[0] == '.') {
    size_t i = 1, digits = 0;
    while (i < tail.size() && tail[i] >= '0' && tail[i] <= '9') {
      if (digits < 3) frac_ms = frac_ms * 10 + (tail[i] - '0');
      ++digits;
      ++i;
    }
    if (digits == 0) return -1;
    for (size_t k = digits; k < 3; ++k) frac_ms *= 10;
    tail = tail.substr(i);
  }
  if (tail != "Z" && tail != "+00:00") return -1;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  return static_cast<int64_t>(timegm(&tm)) * 1000 + frac_ms;
}

}  // namespace xd
