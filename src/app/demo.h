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
  // A past history for the BI bench (bench/bi.sh; SeedHistory): orders over `history_days`
  // (completed, refunded or cancelled), `history_events` rows of the data platform's log in all
  // (the orders' own events, carts, views and impressions), `history_buyers` buyers (0: a tenth
  // of the orders), the head merchant (the first in id order: the demo's 小王的咖啡铺, owner 13900000001) taking
  // `head_share` of everything and
  // the rest spread 1/rank over the merchants.
  int64_t history_orders = 0;
  int64_t history_events = 0;
  int64_t history_buyers = 0;
  int64_t history_days = 90;
  double head_share = 0.3;
};

// Adds what is missing up to `options` to a store holding the demo world (merchant owners
// 13500000001…, password demo123). Idempotent: a second run with the same options adds nothing.
// Prints progress to stderr.
Status SeedScaledWorld(App& app, const ScaleOptions& options);

// Writes the history of `options` (history_orders > 0) into a store the scaled world is in:
// buyers, orders and their lines straight into the trading tables in batches of 5,000 (no
// payments, ledger, stock or outbox: every order is settled, refunded or cancelled), the
// matching log rows into the analytics store, then the projections by Insight::CatchUp. Does
// nothing when history orders exist. Prints progress to stderr.
Status SeedHistory(App& app, const ScaleOptions& options);

}  // namespace xd
