// Tests only: holds the store's sync stage (StoreOptions::before_sync, or
// AppOptions::store_before_sync) while held, so commits are visible to readers but not on disk.
// Pass() waits at most 10 s, so that a regression fails instead of hanging.
// Thread-safety: every method may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace xd::testing {

class SyncGate {
 public:
  void Hold() {
    std::lock_guard lock(mu_);
    held_ = true;
  }
  void Release() {
    {
      std::lock_guard lock(mu_);
      held_ = false;
    }
    cv_.notify_all();
  }
  // Called from the sync stage: returns once the gate is released (or after 10 s).
  void Pass() {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(10), [this] { return !held_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool held_ = false;
};

}  // namespace xd::testing
