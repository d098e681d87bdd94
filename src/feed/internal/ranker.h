// A feed's pages ranked in one pass (serve.cc, decision 036). Rank (rank.h) scores and sorts
// every candidate on each call, and the feed's stateless paging (decision 028) calls it once per
// earlier page to replay them: page k cost k + 1 scorings and sorts. A Ranker scores and sorts
// once; Pages() then fills the pages in order with the greedy fill Rank itself uses (Rank is a
// Ranker's one page), so page k is exactly what Rank gives with the earlier pages' items removed
// from the candidates and added to shown_today (rank_test: RankerPagesAreTheReplayedRankPages).
// Thread-safety: immutable once built; one Ranker may serve many requests on many threads.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "feed/rank.h"

namespace xd::feed::internal {

class Ranker {
 public:
  // Scores `request.candidates` (request.now_ms and request.merchants as Rank reads them; its
  // page_size, first_position and shown_today are not used here).
  Ranker(const Model& model, const ExposurePolicy& policy, const RankRequest& request);

  // What the pages of one feed placed so far (Start: nothing, `shown_today` as in RankRequest).
  struct State {
    std::vector<char> taken;   // per scored item
    std::vector<char> placed;  // per product
    std::vector<int> today;    // per merchant: items shown today, earlier pages included
    std::vector<int> page_merchants;  // the merchants of the last page's items, in order
  };
  State Start(const std::unordered_map<int64_t, int>& shown_today) const;

  // One page at `first_position` (Rank's contract) after what `state` says was placed; marks
  // this page's items taken and placed, and names their merchants in page_merchants
  // (it does not count them in today: the caller decides whether a next page follows).
  Page Fill(int64_t first_position, int page_size, State& state) const;

  // The feed's pages at positions 0, page_size, 2·page_size, … up to the first that starts at or
  // after `through_offset`, or up to an empty one: each as Rank would give it with the pages
  // before it removed from the candidates and counted in `shown_today`. RankedItem::candidate
  // indexes the candidates this Ranker was built from.
  std::vector<Page> Pages(int page_size, int64_t through_offset,
                          const std::unordered_map<int64_t, int>& shown_today) const;

  size_t size() const { return scored_.size(); }
  // What it holds, in bytes (about): for caches with a memory cap.
  size_t bytes() const;

 private:
  ExposurePolicy policy_;
  std::vector<RankedItem> scored_;  // best first (score, product id, candidate index)
  // Per scored item, small numbers instead of ids: the page's counts are vectors, not maps.
  std::vector<int> category_, merchant_, product_;
  std::vector<int64_t> merchant_ids_;  // merchant number → id
  int categories_ = 0, products_ = 0;
};

}  // namespace xd::feed::internal
