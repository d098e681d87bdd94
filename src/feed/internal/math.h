// The logistic function and the dot product over a FeatureVector, shared by rank.cc (serving)
// and train.cc (training) so both compute a prediction the same way, bit for bit.
#pragma once

#include <cmath>

#include "feed/rank.h"

namespace xd::feed::internal {

// σ(z), saturating beyond ±35 (exp would overflow nothing, but the answer is 0 or 1 anyway).
inline double Sigmoid(double z) {
  if (z > 35) return 1.0;
  if (z < -35) return 0.0;
  return 1.0 / (1.0 + std::exp(-z));
}

inline double Dot(const FeatureVector& w, const FeatureVector& x) {
  double s = 0;
  for (int i = 0; i < kFeatureCount; ++i) s += w[i] * x[i];
  return s;
}

}  // namespace xd::feed::internal
