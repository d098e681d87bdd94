#include "base/money.h"
#include "base/messages.h"

#include <charconv>
#include <limits>

namespace xd {

Result<Money> Money::Add(Money other) const {
  int64_t out;
  if (__builtin_add_overflow(fen_, other.fen_, &out)) return Fail(Msg::AMOUNT_OVERFLOW);
  return Money(out);
}

Result<Money> Money::Sub(Money other) const {
  int64_t out;
  if (__builtin_sub_overflow(fen_, other.fen_, &out)) return Fail(Msg::AMOUNT_OVERFLOW);
  return Money(out);
}

Result<Money> Money::Mul(int64_t factor) const {
  int64_t out;
  if (__builtin_mul_overflow(fen_, factor, &out)) return Fail(Msg::AMOUNT_OVERFLOW);
  return Money(out);
}

Result<Money> Money::ApplyBps(int64_t bps) const {
  __int128 v = static_cast<__int128>(fen_) * bps / 10000;
  if (v > std::numeric_limits<int64_t>::max() || v < std::numeric_limits<int64_t>::min())
    return Fail(Msg::AMOUNT_OVERFLOW);
  return Money(static_cast<int64_t>(v));
}

Result<std::vector<Money>> SplitByWeights(Money total, std::span<const int64_t> weights,
                                          size_t remainder_to) {
  if (weights.empty() || remainder_to >= weights.size())
    return Fail(Msg::SPLIT_INVALID);
  __int128 sum = 0;
  for (int64_t w : weights) {
    if (w < 0) return Fail(Msg::SPLIT_INVALID);
    sum += w;
  }
  if (sum == 0) return Fail(Msg::SPLIT_INVALID);
  std::vector<Money> shares;
  shares.reserve(weights.size());
  int64_t given = 0;
  for (int64_t w : weights) {
    int64_t share = static_cast<int64_t>(static_cast<__int128>(total.fen()) * w / sum);
    shares.push_back(Money::Fen(share));
    given += share;
  }
  shares[remainder_to] = Money::Fen(shares[remainder_to].fen() + (total.fen() - given));
  return shares;
}

std::optional<int64_t> ParseYuan(std::string_view text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  auto dot = text.find('.');
  std::string_view whole = text.substr(0, dot);
  std::string_view frac = dot == std::string_view::npos ? std::string_view{} : text.substr(dot + 1);
  if (whole.empty() || (dot != std::string_view::npos && (frac.empty() || frac.size() > 2))) return std::nullopt;
  for (char c : whole) if (c < '0' || c > '9') return std::nullopt;
  for (char c : frac) if (c < '0' || c > '9') return std::nullopt;
  int64_t yuan = 0;
  auto [end, ec] = std::from_chars(whole.data(), whole.data() + whole.size(), yuan);
  if (ec != std::errc() || end != whole.data() + whole.size()) return std::nullopt;
  int64_t fen = 0;
  if (frac.size() == 1) fen = (frac[0] - '0') * 10;
  if (frac.size() == 2) fen = (frac[0] - '0') * 10 + (frac[1] - '0');
  // 17 and 18 digit amounts fit in int64 as yuan but not as fen.
  int64_t total;
  if (__builtin_mul_overflow(yuan, int64_t{100}, &total) || __builtin_add_overflow(total, fen, &total)) return std::nullopt;
  return total;
}

}  // namespace xd
