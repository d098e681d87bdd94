// Time-ordered 64-bit ids: (milliseconds since 2024-01-01) << 20 | node << 12 | sequence. Ids
// sort by creation time, are unique within a process (and across restarts, since time moves
// on) and across the processes of a cluster as long as each holds its own node number (the
// PostgreSQL store leases one per process: node_leases, docs/scale-out.md; a single SQLite
// process is node 0). More than 4,096 ids in a millisecond borrow the next millisecond's
// sequence, never the node bits. Ids travel in JSON as strings. Thread-safe.
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
  static constexpr int kNodeBits = 8;
  static constexpr int kSeqBits = 12;
  static constexpr int kMaxNode = (1 << kNodeBits) - 1;

  explicit IdGenerator(const Clock& clock) : clock_(clock) {}
  int64_t Next();
  // The node number every later id carries (0..kMaxNode).
  void SetNode(int node);
  int node() const { return node_.load(); }
  // The node number an id was minted by.
  static int NodeOf(int64_t id) { return static_cast<int>((id >> kSeqBits) & kMaxNode); }

 private:
  const Clock& clock_;
  std::atomic<int64_t> last_{0};  // (ms << kSeqBits) | sequence: the node bits are not in it
  std::atomic<int> node_{0};
};

// Decimal string <-> id; nullopt for anything that is not a positive 64-bit integer.
std::optional<int64_t> ParseId(std::string_view text);
inline std::string IdString(int64_t id) { return std::to_string(id); }

}  // namespace xd
