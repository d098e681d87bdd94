// The model's inputs from one definition (decision 045). Training (insight's RankingTrainer,
// point-in-time from the event log) and serving (the feed service, from the data platform's
// projections) each fill the same two records, and SignalsOf alone turns them into the Signals
// that rank.h's Features() reads, so a candidate's feature vector when it is served is the one
// the model was trained on for the same state (tests/api_feed_test.cc
// ServingFeaturesEqualTrainingFeatures).
//
//   feed::Candidate c{...};
//   c.signals = feed::SignalsOf(product_history, visitor_history, c.category);
//   double p = model.PClick(feed::Features(c, 0));
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "feed/rank.h"

namespace xd::feed {

// A product's log over the last kHistoryDays China-time days before the day in question and
// that day: how often it was shown (impressions), how often its page was opened (views), and
// its paid units without self-purchases (a shop's owner or staff buying from it never counts).
inline constexpr int64_t kHistoryDays = 14;
struct ProductHistory {
  int64_t impressions = 0, views = 0, paid_units = 0;
};

// What is known of the visitor: its category interests as the data platform keeps them (a score
// in thousandths, decayed with a half-life and stored with the moment it was last brought up to
// date) and what it paid for how many units. An anonymous visitor has none.
struct VisitorHistory {
  struct Interest {
    std::string category;
    int64_t score_milli = 0, updated_ms = 0;
  };
  std::vector<Interest> interests;
  int64_t paid_fen = 0, paid_units = 0;
};

// The Signals of a product of `category` for this visitor:
//  - category_affinity: the category's interest over the visitor's strongest, both decayed to
//    the same moment (the newest update among them, so the ratio does not depend on when it is
//    asked), in [0, 1]; 0 without interests;
//  - user_typical_price_fen: paid_fen / paid_units; 0 without purchases;
//  - impressions, clicks (views), purchases (paid units) from the product's history.
Signals SignalsOf(const ProductHistory& product, const VisitorHistory& visitor,
                  const std::string& category, int64_t interest_half_life_ms);

}  // namespace xd::feed
