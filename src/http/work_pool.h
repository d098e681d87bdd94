// A fixed pool of named threads with a bounded queue, for CPU-heavy request work that must
// run neither on the I/O threads nor on the writer (image decoding: routes_media.cc).
// TrySubmit refuses when the queue is full, so the caller answers 503 at once instead of
// holding the request. Stop runs what is queued, then joins.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/thread_name.h"

namespace xd::http {

class WorkPool {
 public:
  WorkPool(std::string thread_name, int threads, size_t max_queue) : max_queue_(max_queue) {
    for (int i = 0; i < threads; ++i)
      threads_.emplace_back([this, thread_name] {
        SetThreadName(thread_name.c_str());
        Run();
      });
  }
  ~WorkPool() { Stop(); }
  WorkPool(const WorkPool&) = delete;
  WorkPool& operator=(const WorkPool&) = delete;

  [[nodiscard]] bool TrySubmit(std::function<void()> job) {
    std::lock_guard lock(mu_);
    if (stopping_ || queue_.size() >= max_queue_) return false;
    queue_.push_back(std::move(job));
    cv_.notify_one();
    return true;
  }
  void Stop() {
    {
      std::lock_guard lock(mu_);
      if (stopping_ && threads_.empty()) return;
      stopping_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
    threads_.clear();
  }

 private:
  void Run() {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping, and nothing left
        job = std::move(queue_.front());
        queue_.pop_front();
      }
      job();
    }
  }

  const size_t max_queue_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace xd::http
