// The HyperLogLog sketch (decision 038): within a few standard errors of the truth from a
// handful of values to 10^6, a merge equals the sketch of the union, the stored bytes round-trip
// and do not depend on the order of the values.
#include "insight/internal/sketch.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace xd::insight::internal {
namespace {

TEST(HllTest, EstimatesWithinFourStandardErrors) {
  for (int n : {1, 7, 50, 300, 1'000, 5'000, 20'000, 100'000, 1'000'000}) {
    Hll h;
    for (int i = 0; i < n; ++i) h.Add("u" + std::to_string(1'000'000 + i));
    const double error = std::abs(h.Estimate() - n) / n;
    // Small sets are nearly exact (most registers still zero: linear counting's regime).
    EXPECT_LE(error, n <= 300 ? 0.02 : 4 * Hll::kStandardError) << n << " " << h.Estimate();
  }
  EXPECT_EQ(Hll().Estimate(), 0);
  EXPECT_TRUE(Hll().Empty());
}

TEST(HllTest, AddingAgainChangesNothingAndMergeIsTheUnion) {
  Hll a, b, both, twice;
  for (int i = 0; i < 30'000; ++i) {
    const std::string v = "d" + std::to_string(i);
    (i % 3 == 0 ? a : b).Add(v);
    if (i % 5 == 0) a.Add(v);  // overlap
    both.Add(v);
    twice.Add(v);
    twice.Add(v);
  }
  EXPECT_EQ(twice, both);
  Hll merged = a;
  merged.Merge(b);
  EXPECT_EQ(merged, both);
  EXPECT_NEAR(merged.Estimate(), 30'000, 30'000 * 4 * Hll::kStandardError);
}

TEST(HllTest, EncodingRoundTripsAndIsIndependentOfOrder) {
  std::vector<std::string> values;
  for (int i = 0; i < 3'000; ++i) values.push_back("u" + std::to_string(i * 7919));
  for (size_t n : {size_t{0}, size_t{5}, size_t{400}, values.size()}) {
    Hll forward, backward;
    for (size_t i = 0; i < n; ++i) forward.Add(values[i]);
    std::vector<std::string> shuffled(values.begin(), values.begin() + n);
    std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937(38));
    for (const std::string& v : shuffled) backward.Add(v);
    const std::string bytes = forward.Encode();
    EXPECT_EQ(bytes, backward.Encode());
    EXPECT_EQ(bytes[0], n < 1'000 ? 'S' : 'D') << n;  // sparse while smaller
    if (n == 5) {
      EXPECT_EQ(bytes.size(), 1u + 3 * 5);
    }
    auto decoded = Hll::Decode(bytes);
    ASSERT_TRUE(decoded);
    EXPECT_EQ(*decoded, forward);
    auto from_hex = Hll::DecodeHex(forward.EncodeHex());
    ASSERT_TRUE(from_hex);
    EXPECT_EQ(*from_hex, forward);
  }
  EXPECT_FALSE(Hll::DecodeHex("5"));
  EXPECT_FALSE(Hll::DecodeHex("5g"));
  EXPECT_FALSE(Hll::Decode(""));
  EXPECT_FALSE(Hll::Decode("D123"));
  EXPECT_FALSE(Hll::Decode(std::string("S\xff\xff\x01", 4)));  // index past the registers
  EXPECT_FALSE(Hll::Decode(std::string("S\x01\x00\x7f", 4)));  // rank past 53
}

}  // namespace
}  // namespace xd::insight::internal
