// Fuzz target: money splitting and parsing, and bargain cut schedules. Properties: splits
// sum exactly to the total; yuan parsing round-trips; cut schedules sum exactly to the
// total with every cut ≥ 1 fen and non-increasing.
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "base/money.h"
#include "promo/promo.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Yuan parsing sees every input whole, whatever its length (17-18 digit amounts once
  // overflowed; only inputs under 16 bytes used to reach it). A parsed amount is ≥ 0 and
  // round-trips through its shortest spelling (never longer than the input).
  if (auto fen = xd::ParseYuan(std::string(reinterpret_cast<const char*>(data), size))) {
    if (*fen < 0) __builtin_trap();
    std::string shortest = std::to_string(*fen / 100);
    if (*fen % 100) shortest += "." + std::to_string(*fen % 100 / 10) + (*fen % 10 ? std::to_string(*fen % 10) : "");
    if (xd::ParseYuan(shortest) != fen) __builtin_trap();
  }
  if (size < 16) return 0;
  int64_t total;
  std::memcpy(&total, data, 8);
  total = total % 1'000'000'000'000;
  if (total < 0) total = -total;
  std::vector<int64_t> weights;
  for (size_t i = 8; i + 4 <= size && weights.size() < 64; i += 4) {
    uint32_t w;
    std::memcpy(&w, data + i, 4);
    weights.push_back(w % 1'000'000);
  }
  if (!weights.empty()) {
    auto parts = xd::SplitByWeights(xd::Money::Fen(total), weights, weights.size() - 1);
    if (parts) {
      int64_t sum = 0;
      for (auto m : *parts) sum += m.fen();
      if (sum != total) __builtin_trap();
    }
  }
  int64_t seed;
  std::memcpy(&seed, data + 8, 8);
  int64_t helps = 1 + (static_cast<uint64_t>(seed) % 200);
  int64_t cut_total = total % 10'000'000;
  auto cuts = xd::promo::BargainCuts(seed, cut_total, helps);
  if (cuts) {
    int64_t sum = 0;
    for (size_t i = 0; i < cuts->size(); ++i) {
      if ((*cuts)[i] < 1) __builtin_trap();
      if (i > 0 && (*cuts)[i] > (*cuts)[i - 1]) __builtin_trap();
      sum += (*cuts)[i];
    }
    if (sum != cut_total || static_cast<int64_t>(cuts->size()) != helps) __builtin_trap();
  } else if (cut_total >= helps) {
    __builtin_trap();  // a feasible schedule must exist
  }
  std::string yuan = std::to_string(total / 100) + "." + std::to_string(total % 100 / 10) + std::to_string(total % 10);
  auto back = xd::ParseYuan(yuan);
  if (!back || *back != total) __builtin_trap();
  return 0;
}
