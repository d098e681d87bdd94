// Money in integer fen (1 yuan = 100 fen). Arithmetic is overflow-checked; rates are
// basis points (1 bp = 0.01%); splitting rounds down and gives the remainder to a named
// party so that every split sums exactly. No floating point touches money.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "base/result.h"

namespace xd {

class Money {
 public:
  constexpr Money() = default;
  static constexpr Money Fen(int64_t fen) { return Money(fen); }
  constexpr int64_t fen() const { return fen_; }

  // Checked arithmetic: an error (INVALID_FIELD) instead of overflow.
  Result<Money> Add(Money other) const;
  Result<Money> Sub(Money other) const;
  Result<Money> Mul(int64_t factor) const;
  // fen * bps / 10000, rounded down (toward zero for non-negative amounts).
  Result<Money> ApplyBps(int64_t bps) const;

  constexpr auto operator<=>(const Money&) const = default;

 private:
  constexpr explicit Money(int64_t fen) : fen_(fen) {}
  int64_t fen_ = 0;
};

// Splits `total` in proportion to `weights` (non-negative, not all zero), each share
// rounded down; the remainder goes to share `remainder_to`. The shares sum to `total`.
Result<std::vector<Money>> SplitByWeights(Money total, std::span<const int64_t> weights,
                                          size_t remainder_to);

// Parses "12.34" / "12" / "0.5" yuan into fen exactly; nullopt on anything else.
std::optional<int64_t> ParseYuan(std::string_view text);

}  // namespace xd
