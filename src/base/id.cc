#include "base/id.h"

#include <charconv>

namespace xd {

namespace {
constexpr int64_t kEpochMs = 1'704'067'200'000;  // 2024-01-01T00:00:00Z
constexpr int kSeqBits = 20;
}  // namespace

int64_t IdGenerator::Next() {
  int64_t base = (clock_.NowMs() - kEpochMs) << kSeqBits;
  int64_t last = last_.load(std::memory_order_relaxed);
  for (;;) {
    int64_t next = base > last ? base : last + 1;
    if (last_.compare_exchange_weak(last, next, std::memory_order_relaxed)) return next;
  }
}

std::optional<int64_t> ParseId(std::string_view text) {
  if (text.empty() || text.size() > 19) return std::nullopt;
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || v <= 0) return std::nullopt;
  return v;
}

}  // namespace xd
