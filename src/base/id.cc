#include "base/id.h"

#include <charconv>

#include "base/result.h"

namespace xd {

namespace {
constexpr int64_t kEpochMs = 1'704'067'200'000;  // 2024-01-01T00:00:00Z
}  // namespace

int64_t IdGenerator::Next() {
  constexpr int kShift = kNodeBits + kSeqBits;
  int64_t base = (clock_.NowMs() - kEpochMs) << kSeqBits;
  int64_t last = last_.load(std::memory_order_relaxed);
  int64_t next = 0;
  do {
    next = base > last ? base : last + 1;  // a full millisecond carries into the next one
  } while (!last_.compare_exchange_weak(last, next, std::memory_order_relaxed));
  const int64_t seq = next & ((int64_t{1} << kSeqBits) - 1);
  return ((next >> kSeqBits) << kShift) | (int64_t{node_.load()} << kSeqBits) | seq;
}

void IdGenerator::SetNode(int node) {
  CHECK(node >= 0 && node <= kMaxNode);
  node_ = node;
}

std::optional<int64_t> ParseId(std::string_view text) {
  if (text.empty() || text.size() > 19) return std::nullopt;
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || v <= 0) return std::nullopt;
  return v;
}

}  // namespace xd
