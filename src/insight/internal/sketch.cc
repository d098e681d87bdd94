// HyperLogLog (sketch.h). The estimator is Otmar Ertl's "improved raw estimator" (New
// cardinality estimation algorithms for HyperLogLog sketches, 2017, algorithm 6), which needs no
// bias tables and stays within the standard error from a handful of values to billions.
#include "insight/internal/sketch.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace xd::insight::internal {

namespace {

constexpr int kQ = 64 - Hll::kPrecision;  // bits left after the register index
constexpr uint8_t kMaxRank = kQ + 1;

// FNV-1a over the bytes, then MurmurHash3's 64-bit finalizer (FNV alone mixes its high bits,
// which pick the register, poorly for short similar strings like "u1", "u2").
uint64_t Hash(std::string_view s) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

double Sigma(double x) {
  if (x == 1.0) return std::numeric_limits<double>::infinity();
  double y = 1, z = x, prev;
  do {
    x *= x;
    prev = z;
    z += x * y;
    y += y;
  } while (z != prev);
  return z;
}

double Tau(double x) {
  if (x == 0.0 || x == 1.0) return 0;
  double y = 1, z = 1 - x, prev;
  do {
    x = std::sqrt(x);
    prev = z;
    y *= 0.5;
    z -= (1 - x) * (1 - x) * y;
  } while (z != prev);
  return z / 3;
}

}  // namespace

void Hll::Add(std::string_view value) {
  const uint64_t h = Hash(value);
  const uint32_t index = static_cast<uint32_t>(h >> kQ);
  const uint64_t rest = h << kPrecision;  // the low kQ bits, moved to the top
  const uint8_t rank =
      rest == 0 ? kMaxRank : static_cast<uint8_t>(std::min<int>(__builtin_clzll(rest) + 1, kMaxRank));
  registers_[index] = std::max(registers_[index], rank);
}

void Hll::Merge(const Hll& other) {
  for (int i = 0; i < kRegisters; ++i) registers_[i] = std::max(registers_[i], other.registers_[i]);
}

bool Hll::Empty() const {
  return std::all_of(registers_.begin(), registers_.end(), [](uint8_t r) { return r == 0; });
}

double Hll::Estimate() const {
  std::array<int, kMaxRank + 1> count{};
  for (uint8_t r : registers_) ++count[r];
  if (count[0] == kRegisters) return 0;
  const double m = kRegisters;
  double z = m * Tau(1 - count[kMaxRank] / m);
  for (int k = kQ; k >= 1; --k) z = 0.5 * (z + count[k]);
  z += m * Sigma(count[0] / m);
  const double alpha_inf = 1 / (2 * std::log(2.0));
  return alpha_inf * m * m / z;
}

std::string Hll::Encode() const {
  const auto nonzero = static_cast<int>(
      std::count_if(registers_.begin(), registers_.end(), [](uint8_t r) { return r != 0; }));
  std::string out;
  if (nonzero * 3 < kRegisters) {
    out.reserve(1 + 3 * nonzero);
    out.push_back('S');
    for (int i = 0; i < kRegisters; ++i) {
      if (registers_[i] == 0) continue;
      out.push_back(static_cast<char>(i & 0xff));
      out.push_back(static_cast<char>(i >> 8));
      out.push_back(static_cast<char>(registers_[i]));
    }
    return out;
  }
  out.reserve(1 + kRegisters);
  out.push_back('D');
  out.append(reinterpret_cast<const char*>(registers_.data()), kRegisters);
  return out;
}

std::optional<Hll> Hll::Decode(std::string_view bytes) {
  Hll h;
  if (bytes.empty()) return std::nullopt;
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data()) + 1;
  const size_t n = bytes.size() - 1;
  if (bytes[0] == 'D') {
    if (n != kRegisters) return std::nullopt;
    for (int i = 0; i < kRegisters; ++i) {
      if (p[i] > kMaxRank) return std::nullopt;
      h.registers_[i] = p[i];
    }
    return h;
  }
  if (bytes[0] != 'S' || n % 3 != 0) return std::nullopt;
  for (size_t k = 0; k < n; k += 3) {
    const int index = p[k] | (p[k + 1] << 8);
    if (index >= kRegisters || p[k + 2] > kMaxRank) return std::nullopt;
    h.registers_[index] = p[k + 2];
  }
  return h;
}

std::string Hll::EncodeHex() const {
  static constexpr char kDigits[] = "0123456789abcdef";
  const std::string bytes = Encode();
  std::string hex(bytes.size() * 2, '0');
  for (size_t i = 0; i < bytes.size(); ++i) {
    const auto b = static_cast<unsigned char>(bytes[i]);
    hex[2 * i] = kDigits[b >> 4];
    hex[2 * i + 1] = kDigits[b & 15];
  }
  return hex;
}

std::optional<Hll> Hll::DecodeHex(std::string_view hex) {
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string bytes(hex.size() / 2, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) {
    const int hi = digit(hex[2 * i]), lo = digit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    bytes[i] = static_cast<char>(hi << 4 | lo);
  }
  return Decode(bytes);
}

}  // namespace xd::insight::internal
