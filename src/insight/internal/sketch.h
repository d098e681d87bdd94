// A HyperLogLog distinct-count sketch (decision 038): 2^12 one-byte registers, a standard error
// of about 1.04 / sqrt(4096) = 1.6%. The data platform keeps one per merchant, China-time day
// and funnel stage (merchant_day_sketches, migration 053) so that distinct visitors and buyers
// over a range of days are a merge (register max) of the days' sketches instead of a scan of
// every visitor-day. Deterministic: the registers depend only on the set of values added (adding
// one twice changes nothing, the order does not matter), so a rebuild from the log stores the
// same bytes as the incremental projection.
//
//   internal::Hll h;
//   h.Add("u42");
//   h.Merge(*internal::Hll::Decode(blob));
//   double n = h.Estimate();
//
// Not thread-safe; a value type.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace xd::insight::internal {

class Hll {
 public:
  static constexpr int kPrecision = 12;
  static constexpr int kRegisters = 1 << kPrecision;  // 4,096 bytes dense
  static constexpr double kStandardError = 1.04 / 64;  // 1.04 / sqrt(kRegisters)

  // Adds a value (hashed with a fixed 64-bit hash: the same value, the same register).
  void Add(std::string_view value);
  // Register-wise max: the sketch of the union of both sets.
  void Merge(const Hll& other);
  // The estimated number of distinct values added (Ertl 2017's improved estimator, no empirical
  // bias tables; exact-ish for small sets through the zero registers).
  double Estimate() const;
  bool Empty() const;

  // The stored form: sparse ('S' then (u16 LE index, u8 value) per non-zero register, by index)
  // while that is smaller than dense ('D' then the 4,096 registers). A function of the registers.
  std::string Encode() const;
  // nullopt for bytes Encode did not write (wrong size, index out of range, register too big).
  static std::optional<Hll> Decode(std::string_view bytes);
  // The same in lower-case hex (merchant_day_sketches.sketch_hex).
  std::string EncodeHex() const;
  static std::optional<Hll> DecodeHex(std::string_view hex);

  bool operator==(const Hll&) const = default;

 private:
  std::array<uint8_t, kRegisters> registers_{};
};

}  // namespace xd::insight::internal
