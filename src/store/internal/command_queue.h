// What both store backends share around their writer and readers: the queue of submitted
// commands the writer thread takes in batches, and the pool of reader connections (by index).
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <vector>

#include "store/store.h"

namespace xd::internal {

struct Queued {
  Command command;
  Completion done;
};

class CommandQueue {
 public:
  explicit CommandQueue(size_t capacity) : capacity_(capacity) {}
  // Queues a command; never blocks. `done` gets UNAVAILABLE when the queue is full or closed.
  void Submit(Command command, Completion done) {
    {
      std::lock_guard lock(mu_);
      if (!closed_ && queue_.size() < capacity_) {
        queue_.push_back(Queued{std::move(command), std::move(done)});
        cv_.notify_one();
        return;
      }
    }
    if (done) done(Fail(ErrorCode::UNAVAILABLE, "write queue is full or the store is closing"));
  }
  // Waits for commands and moves up to `max` (at least one) into `batch`; false once the queue
  // is closed and drained.
  bool TakeBatch(size_t max, std::vector<Queued>* batch) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return closed_ || !queue_.empty(); });
    if (queue_.empty()) return false;
    size_t n = std::min(queue_.size(), std::max<size_t>(1, max));
    for (size_t i = 0; i < n; ++i) {
      batch->push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    return true;
  }
  // Refuses new commands; the writer drains what is queued, then TakeBatch answers false.
  void Close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    cv_.notify_all();
  }
  bool closed() const {
    std::lock_guard lock(mu_);
    return closed_;
  }
  size_t depth() const {
    std::lock_guard lock(mu_);
    return queue_.size();
  }

 private:
  const size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Queued> queue_;
  bool closed_ = false;
};

// Indexes of free reader connections: Take blocks until one is free.
class ReaderPool {
 public:
  void Add(int index) { Put(index); }
  int Take() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !free_.empty(); });
    int index = free_.back();
    free_.pop_back();
    return index;
  }
  void Put(int index) {
    std::lock_guard lock(mu_);
    free_.push_back(index);
    cv_.notify_one();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<int> free_;
};

}  // namespace xd::internal
