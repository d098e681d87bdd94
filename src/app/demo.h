// The demo world at scale (bench/feed.sh, issue 20): SeedDemoData (app.h) plus, seeded and
// deterministic, merchants up to a count with a Zipf spread of products, buyers who follow
// shops, befriend each other, recommend products and pay for orders. Every row goes through
// the domain functions, so `xiaodian check` passes on the result.
#pragma once

#include <cstdint>

#include "app/app.h"

namespace xd {

struct ScaleOptions {
  int64_t merchants = 10'000;  // merchants in all (the demo's 9 count)
  int64_t buyers = 1'000;      // extra buyers 13600000001…, password demo123
  int64_t orders_per_buyer = 2;
  uint32_t seed = 20261204;
};

// Adds what is missing up to `options` to a store holding the demo world (merchant owners
// 13500000001…, password demo123). Idempotent: a second run with the same options adds nothing.
// Prints progress to stderr.
Status SeedScaledWorld(App& app, const ScaleOptions& options);

}  // namespace xd
