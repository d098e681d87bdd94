#include "http/order_watch.h"

#include <algorithm>

#include "base/thread_name.h"

namespace xd::http {

OrderWatch::OrderWatch(size_t max_waiters) : max_waiters_(max_waiters), thread_([this] { Run(); }) {}

OrderWatch::~OrderWatch() { Stop(); }

bool OrderWatch::stopped() const {
  std::lock_guard lock(mu_);
  return stopping_;
}

std::shared_ptr<OrderWatch::Waiter> OrderWatch::Wait(int64_t order_id, Clock::time_point deadline, std::function<void()> fire) {
  auto w = std::make_shared<Waiter>();
  w->order_id_ = order_id;
  w->fire_ = std::move(fire);
  {
    std::lock_guard lock(mu_);
    if (!stopping_ && by_deadline_.size() < max_waiters_) {
      w->key_ = {deadline, next_seq_++};
      bool earliest = by_deadline_.empty() || w->key_ < by_deadline_.begin()->first;
      by_deadline_.emplace(w->key_, w);
      by_order_[order_id].push_back(w);
      if (earliest) cv_.notify_one();
      return w;
    }
  }
  if (w->Claim()) w->fire_();  // stopped or full: answer now with what there is
  return w;
}

void OrderWatch::Notify(int64_t order_id) {
  std::lock_guard lock(mu_);
  auto it = by_order_.find(order_id);
  if (it == by_order_.end()) return;
  for (auto& w : it->second) {
    by_deadline_.erase(w->key_);
    ready_.push_back(std::move(w));
  }
  by_order_.erase(it);
  cv_.notify_one();
}

void OrderWatch::Cancel(const std::shared_ptr<Waiter>& w) {
  std::lock_guard lock(mu_);
  auto at = by_deadline_.find(w->key_);
  if (at == by_deadline_.end() || at->second != w) return;  // never registered, fired or timed out
  by_deadline_.erase(at);
  auto it = by_order_.find(w->order_id_);
  if (it == by_order_.end()) return;
  std::erase(it->second, w);
  if (it->second.empty()) by_order_.erase(it);
}

void OrderWatch::Stop() {
  {
    std::lock_guard lock(mu_);
    if (!stopping_) {
      stopping_ = true;
      for (auto& [key, w] : by_deadline_) ready_.push_back(w);
      by_deadline_.clear();
      by_order_.clear();
      cv_.notify_one();
    }
  }
  if (thread_.joinable()) thread_.join();  // every waiter has been answered
}

size_t OrderWatch::waiting() const {
  std::lock_guard lock(mu_);
  return by_deadline_.size();
}

void OrderWatch::Run() {
  SetThreadName("xd-watch");
  std::unique_lock lock(mu_);
  for (;;) {
    while (!ready_.empty()) {
      auto w = std::move(ready_.front());
      ready_.pop_front();
      lock.unlock();
      if (w->Claim()) w->fire_();
      w.reset();
      lock.lock();
    }
    if (stopping_) return;
    if (by_deadline_.empty()) {
      cv_.wait(lock);
      continue;
    }
    auto first = by_deadline_.begin();
    if (Clock::now() < first->first.first) {
      // A copy: wait_until reads the deadline again after waking, and the node may be gone by then.
      auto deadline = first->first.first;
      cv_.wait_until(lock, deadline);
      continue;
    }
    auto w = first->second;
    by_deadline_.erase(first);
    auto& list = by_order_[w->order_id_];
    list.erase(std::remove(list.begin(), list.end(), w), list.end());
    if (list.empty()) by_order_.erase(w->order_id_);
    timed_out_.fetch_add(1, std::memory_order_relaxed);
    ready_.push_back(std::move(w));
  }
}

}  // namespace xd::http
