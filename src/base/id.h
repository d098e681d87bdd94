// Time-ordered 64-bit ids: (milliseconds since 2024-01-01) << 20 | sequence. Ids sort by
// creation time, are unique within a process (and across restarts, since time moves on),
// and travel in JSON as strings. Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/clock.h"

namespace xd {

class IdGenerator {
 public:
  explicit IdGenerator(const Clock& clock) : clock_(clock) {}
  int64_t Next();

 private:
  const Clock& clock_;
  std::atomic<int64_t> last_{0};
};

// Decimal string <-> id; nullopt for anything that is not a positive 64-bit integer.
std::optional<int64_t> ParseId(std::string_view text);
inline std::string IdString(int64_t id) { return std::to_string(id); }

}  // namespace xd
