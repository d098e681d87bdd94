#include "insight/internal/buyer_days.h"

#include <algorithm>
#include <charconv>

#include <spdlog/spdlog.h>

#include "base/id.h"
#include "base/json.h"
#include "insight/insight.h"
#include "insight/internal/common.h"

namespace xd::insight::internal {

namespace {

// "<int>:<int>" pairs joined by ','.
template <typename K>
bool ParsePairs(std::string_view text, const auto& put) {
  while (!text.empty()) {
    const size_t comma = text.find(',');
    const std::string_view pair = text.substr(0, comma);
    const size_t colon = pair.find(':');
    if (colon == std::string_view::npos) return false;
    K key{};
    int64_t count = 0;
    auto [k_end, k_err] = std::from_chars(pair.data(), pair.data() + colon, key);
    auto [c_end, c_err] = std::from_chars(pair.data() + colon + 1, pair.data() + pair.size(), count);
    if (k_err != std::errc() || c_err != std::errc() || k_end != pair.data() + colon ||
        c_end != pair.data() + pair.size())
      return false;
    if (!put(key, count)) return false;
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return true;
}

void AppendPairs(std::string& out, const auto& pairs) {
  bool first = true;
  for (const auto& [key, count] : pairs) {
    if (!first) out += ',';
    first = false;
    out += std::to_string(key);
    out += ':';
    out += std::to_string(count);
  }
}

int32_t Clamp(int64_t days) { return static_cast<int32_t>(std::min<int64_t>(days, kLongAgo)); }

// The gaps of order i of `days` (one entry per order, ascending).
OrderGaps GapsAt(const std::vector<int32_t>& days, size_t i) {
  return {.day = days[i],
          .gap = i >= 1 ? Clamp(days[i] - days[i - 1]) : kNoOrder,
          .gap2 = i >= 2 ? Clamp(days[i] - days[i - 2]) : kNoOrder,
          .age = Clamp(days[i] - days[0])};
}

}  // namespace

// ---- BuyerDays ----

std::optional<BuyerDays> BuyerDays::Decode(std::string_view text) {
  BuyerDays out;
  const bool ok = ParsePairs<int32_t>(text, [&](int32_t day, int64_t orders) {
    if (orders <= 0 || (!out.days_.empty() && out.days_.back().first >= day)) return false;
    out.days_.emplace_back(day, orders);
    return true;
  });
  if (!ok) return std::nullopt;
  return out;
}

std::string BuyerDays::Encode() const {
  std::string out;
  AppendPairs(out, days_);
  return out;
}

int64_t BuyerDays::orders() const {
  int64_t n = 0;
  for (const auto& [day, orders] : days_) n += orders;
  return n;
}

std::vector<OrderGaps> BuyerDays::All() const {
  std::vector<int32_t> each;
  each.reserve(static_cast<size_t>(orders()));
  for (const auto& [day, orders] : days_) each.insert(each.end(), static_cast<size_t>(orders), day);
  std::vector<OrderGaps> out;
  out.reserve(each.size());
  for (size_t i = 0; i < each.size(); ++i) out.push_back(GapsAt(each, i));
  return out;
}

void BuyerDays::Add(int32_t day, std::vector<GapChange>& changes) {
  // The orders around the new one, one entry per order: the day's orders and the two before the
  // day (what the new order's and its followers' gaps depend on), and the days after it up to
  // two orders (their gaps change). A new first order changes every order's age: then all.
  auto at = std::lower_bound(days_.begin(), days_.end(), day,
                             [](const auto& e, int32_t d) { return e.first < d; });
  const bool first = at == days_.begin() && (at == days_.end() || at->first > day);
  if (first) {
    for (const OrderGaps& g : All()) changes.push_back({g, -1});
    days_.insert(at, {day, 1});
    for (const OrderGaps& g : All()) changes.push_back({g, +1});
    return;
  }
  // Old orders: those before the insertion point (the day's own orders included: a new order of
  // the day goes after them) and up to two after it.
  std::vector<int32_t> before, after;
  const size_t pos = static_cast<size_t>(at - days_.begin());
  const bool same_day = at != days_.end() && at->first == day;
  const size_t last_before = same_day ? pos : pos - 1;  // index of the last day at or before `day`
  // Two orders before the new one suffice, plus the buyer's first (ages).
  for (size_t i = last_before + 1; i-- > 0 && before.size() < 2;)
    for (int64_t k = 0; k < days_[i].second && before.size() < 2; ++k) before.push_back(days_[i].first);
  std::reverse(before.begin(), before.end());
  for (size_t i = last_before + 1; i < days_.size() && after.size() < 2; ++i)
    for (int64_t k = 0; k < days_[i].second && after.size() < 2; ++k) after.push_back(days_[i].first);
  const int32_t first_day = days_.front().first;
  auto gaps = [&](const std::vector<int32_t>& seq, size_t i) {
    OrderGaps g = GapsAt(seq, i);  // reads the two entries before i: `before` holds them, or
    g.age = Clamp(seq[i] - first_day);  // the buyer has no earlier order (kNoOrder)
    return g;
  };
  // Old: before + after; new: before + day + after.
  std::vector<int32_t> old_seq = before, new_seq = before;
  old_seq.insert(old_seq.end(), after.begin(), after.end());
  new_seq.push_back(day);
  new_seq.insert(new_seq.end(), after.begin(), after.end());
  for (size_t i = before.size(); i < old_seq.size(); ++i) changes.push_back({gaps(old_seq, i), -1});
  for (size_t i = before.size(); i < new_seq.size(); ++i) changes.push_back({gaps(new_seq, i), +1});
  if (same_day) at->second += 1;
  else days_.insert(at, {day, 1});
}

// ---- DayGaps ----

std::optional<DayGaps> DayGaps::Decode(std::string_view text) {
  DayGaps out;
  std::map<int32_t, int64_t>* maps[] = {&out.gap_, &out.gap2_, &out.age_gap_};
  for (auto* m : maps) {
    const size_t bar = text.find('|');
    const std::string_view part = text.substr(0, bar);
    if (!ParsePairs<int32_t>(part, [&](int32_t key, int64_t count) {
          return count != 0 && m->emplace(key, count).second;
        }))
      return std::nullopt;
    if (bar == std::string_view::npos) {
      text = {};
      if (m != maps[2] && !part.empty()) return std::nullopt;
      break;
    }
    text.remove_prefix(bar + 1);
  }
  return out;
}

std::string DayGaps::Encode() const {
  std::string out;
  AppendPairs(out, gap_);
  out += '|';
  AppendPairs(out, gap2_);
  out += '|';
  AppendPairs(out, age_gap_);
  return out;
}

void DayGaps::Add(const OrderGaps& g, int64_t sign) {
  auto bump = [&](std::map<int32_t, int64_t>& m, int32_t key) {
    auto [it, added] = m.try_emplace(key, 0);
    it->second += sign;
    if (it->second == 0) m.erase(it);
  };
  bump(gap_, g.gap);
  bump(gap2_, g.gap2);
  if (g.age < kLongAgo) bump(age_gap_, g.age * 8 + std::min<int32_t>(g.gap, 7));
}

void DayGaps::Merge(const DayGaps& other) {
  auto merge = [](std::map<int32_t, int64_t>& into, const std::map<int32_t, int64_t>& from) {
    for (const auto& [key, n] : from) {
      auto [it, added] = into.try_emplace(key, 0);
      it->second += n;
      if (it->second == 0) into.erase(it);
    }
  };
  merge(gap_, other.gap_);
  merge(gap2_, other.gap2_);
  merge(age_gap_, other.age_gap_);
}

bool DayGaps::Empty() const { return gap_.empty() && gap2_.empty() && age_gap_.empty(); }

bool DayGaps::Negative() const {
  for (const auto* m : {&gap_, &gap2_, &age_gap_})
    for (const auto& [key, n] : *m)
      if (n < 0) return true;
  return false;
}

// ---- RangeFigures ----

RangeFigures::RangeFigures(int32_t days) : weeks_((days + 6) / 7) {}

void RangeFigures::AddDay(int32_t t, const DayGaps& day) {
  for (const auto& [gap, n] : day.gap_) {
    if (gap > t) buyers += n;
    else repeat_second_ += n;
    if (gap == kNoOrder) new_buyers += n;
  }
  for (const auto& [gap2, n] : day.gap2_)
    if (gap2 <= t) repeat_third_ += n;
  repeat_buyers = repeat_second_ - repeat_third_;
  const int32_t week = t / 7, into_week = t % 7;
  for (const auto& [key, n] : day.age_gap_) {
    const int32_t age = key / 8, gap = key % 8;
    if (age > t) continue;  // the buyer's first order is before the range
    new_orders += n;
    if (gap <= into_week) continue;  // not the buyer's first order of this week
    const int32_t cohort = (t - age) / 7;
    std::vector<int64_t>& retention = cohorts_[cohort];
    if (retention.empty()) retention.assign(static_cast<size_t>(std::max(0, weeks_ - cohort)), 0);
    retention[static_cast<size_t>(week - cohort)] += n;
  }
}

std::map<int32_t, std::vector<int64_t>> RangeFigures::Cohorts() const {
  std::map<int32_t, std::vector<int64_t>> out;
  for (const auto& [week, retention] : cohorts_)
    if (!retention.empty() && retention[0] > 0) out.emplace(week, retention);
  return out;
}

// ---- members and the fill ----

Result<std::map<std::pair<int64_t, int64_t>, int64_t>> CardsClaimed(
    Reader& trading, const std::set<std::pair<int64_t, int64_t>>& merchant_buyers) {
  std::map<std::pair<int64_t, int64_t>, int64_t> out;
  if (merchant_buyers.empty()) return out;
  std::set<int64_t> buyers;
  for (const auto& [merchant, buyer] : merchant_buyers) buyers.insert(buyer);
  ASSIGN_OR_RETURN(Rows rows, trading.Query("SELECT merchant_id, user_id, claimed_at_ms FROM member_cards "
                                            "WHERE user_id IN " + trading.dialect().IdsIn("?"),
                                            {IdListParam(std::vector<int64_t>(buyers.begin(), buyers.end()))}));
  for (const Row& row : rows)
    if (merchant_buyers.count({row.Int(0), row.Int(1)})) out[{row.Int(0), row.Int(1)}] = row.Int(2);
  return out;
}

Result<std::vector<std::string>> CheckBuyerDays(Reader& r) {
  std::vector<std::string> problems;
  constexpr size_t kMaxProblems = 5;
  ASSIGN_OR_RETURN(Rows customers, r.Query("SELECT merchant_id, user_id, paid_orders, paid_days FROM "
                                           "merchant_customers ORDER BY merchant_id, user_id"));
  std::map<std::pair<int64_t, int64_t>, DayGaps> want;  // (merchant, day)
  for (const Row& row : customers) {
    auto days = BuyerDays::Decode(row.Str(3));
    if (!days || days->orders() != row.Int(2)) {
      if (problems.size() < kMaxProblems)
        problems.push_back("analytics: merchant " + IdString(row.Int(0)) + " customer " + IdString(row.Int(1)) +
                           ": paid days '" + row.Str(3).substr(0, 80) + "' do not add up to " +
                           std::to_string(row.Int(2)) + " paid orders");
      continue;
    }
    for (const OrderGaps& g : days->All()) want[{row.Int(0), DayOfEpochDay(g.day)}].Add(g, 1);
  }
  ASSIGN_OR_RETURN(Rows stored, r.Query("SELECT merchant_id, day, gaps FROM merchant_order_gaps"));
  size_t wrong = 0;
  for (const Row& row : stored) {
    auto it = want.find({row.Int(0), row.Int(1)});
    auto gaps = DayGaps::Decode(row.Str(2));
    const bool ok = gaps && it != want.end() && *gaps == it->second;
    if (it != want.end()) want.erase(it);
    if (!ok && wrong++ < kMaxProblems)
      problems.push_back("analytics: merchant " + IdString(row.Int(0)) + " day " + std::to_string(row.Int(1)) +
                         ": the orders' gaps are not those its customers' paid days give");
  }
  for (const auto& [key, gaps] : want)
    if (wrong++ < kMaxProblems)
      problems.push_back("analytics: merchant " + IdString(key.first) + " day " + std::to_string(key.second) +
                         ": paid orders of its customers with no gaps row");
  return problems;
}

Status FillBuyerDays(Store& analytics, Store* trading) {
  ASSIGN_OR_RETURN(int64_t pending, analytics.Read([](Reader& r) {
    return r.QueryInt("SELECT count(*) FROM meta WHERE key='order_gaps' AND value='fill'");
  }));
  if (pending == 0) return Ok();
  ASSIGN_OR_RETURN(int64_t cursor, analytics.Read([](Reader& r) {
    return r.QueryInt("SELECT COALESCE(MAX(log_id), 0) FROM cursors WHERE name=?", {kProjectCursor});
  }));
  // One pass over the log's paid orders: member marks on every row, the rows up to the cursor
  // gathered per buyer and per day.
  constexpr int64_t kRowsPerTx = 5'000;
  std::map<std::pair<int64_t, int64_t>, BuyerDays> buyers;
  std::map<std::pair<int64_t, int64_t>, std::pair<int64_t, int64_t>> members;  // (merchant, day) → orders, fen
  std::vector<GapChange> ignored;
  int64_t done = 0, orders = 0;
  for (;;) {
    ASSIGN_OR_RETURN(Rows rows, analytics.Read([&](Reader& r) {
      return r.Query("SELECT id, user_id, merchant_id, occurred_at_ms, amount_fen, data FROM log "
                     "WHERE type='order.paid' AND id > ? ORDER BY id LIMIT ?",
                     {done, kRowsPerTx});
    }));
    if (rows.empty()) break;
    std::map<std::pair<int64_t, int64_t>, int64_t> cards;
    if (trading) {
      std::set<std::pair<int64_t, int64_t>> asked;
      for (const Row& row : rows) asked.emplace(row.Int(2), row.Int(1));
      ASSIGN_OR_RETURN(cards, trading->Read([&](Reader& r) { return CardsClaimed(r, asked); }));
    }
    RETURN_IF_ERROR(analytics.Execute([&](Tx& tx) -> Status {
      for (const Row& row : rows) {
        const int64_t user = row.Int(1), merchant = row.Int(2), at = row.Int(3);
        auto card = cards.find({merchant, user});
        Json data = row.JsonAt(5);
        const bool member = card != cards.end() && card->second <= at;
        if (member && !data.value("member", false)) {
          data["member"] = true;
          RETURN_IF_ERROR(tx.Run("UPDATE log SET data=? WHERE id=?", {DumpJson(data), row.Int(0)}));
        }
        if (row.Int(0) > cursor || merchant <= 0) continue;
        ++orders;
        if (member) {
          auto& m = members[{merchant, DayOf(at)}];
          m.first += 1;
          m.second += row.Int(4);
        }
        if (user > 0) {
          buyers[{merchant, user}].Add(EpochDayOf(at), ignored);  // the days; the gaps come after
          ignored.clear();
        }
      }
      return Ok();
    }));
    done = rows.back().Int(0);
  }
  // Every buyer's days, every day's gaps, every day's members' orders, written whole.
  std::map<std::pair<int64_t, int64_t>, DayGaps> days;
  for (const auto& [key, d] : buyers)
    for (const OrderGaps& g : d.All()) days[{key.first, DayOfEpochDay(g.day)}].Add(g, 1);
  auto write_all = [&](const auto& items, const auto& write) -> Status {
    auto it = items.begin();
    while (it != items.end()) {
      RETURN_IF_ERROR(analytics.Execute([&](Tx& tx) -> Status {
        for (int64_t n = 0; it != items.end() && n < kRowsPerTx; ++it, ++n) RETURN_IF_ERROR(write(tx, *it));
        return Ok();
      }));
    }
    return Ok();
  };
  RETURN_IF_ERROR(write_all(buyers, [](Tx& tx, const auto& e) {
    return tx.Run("UPDATE merchant_customers SET paid_days=? WHERE merchant_id=? AND user_id=?",
                  {e.second.Encode(), e.first.first, e.first.second});
  }));
  RETURN_IF_ERROR(write_all(days, [](Tx& tx, const auto& e) {
    return tx.Run("INSERT INTO merchant_order_gaps(merchant_id, day, gaps) VALUES(?,?,?) ON "
                  "CONFLICT(merchant_id, day) DO UPDATE SET gaps = excluded.gaps",
                  {e.first.first, e.first.second, e.second.Encode()});
  }));
  RETURN_IF_ERROR(write_all(members, [](Tx& tx, const auto& e) {
    return tx.Run("UPDATE merchant_days SET member_orders=?, member_gmv_fen=? WHERE merchant_id=? AND day=?",
                  {e.second.first, e.second.second, e.first.first, e.first.second});
  }));
  spdlog::info("event=analytics_buyer_days_filled paid_orders={} buyers={} days={}", orders, buyers.size(),
               days.size());
  return analytics.Execute([](Tx& tx) { return tx.Run("DELETE FROM meta WHERE key='order_gaps'"); });
}

}  // namespace xd::insight::internal
