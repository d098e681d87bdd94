// Password hashing off the request threads. Argon2id costs ~30 ms of CPU and 16 MiB per hash
// at the interactive cost, so it never runs on an HTTP I/O thread or the writer: routes hand
// it to a PasswordHasher, a fixed pool of threads (`xd-hash`) with a bounded queue, and answer
// 503 when the queue is full instead of queueing without bound.
//
//   account::PasswordHasher hasher({.threads = 2, .max_queue = 64});
//   if (!hasher.TrySubmit([&] { auto h = hasher.Hash(pw); ... })) reply 503;
//
// Every hash is an encoded Argon2id string that carries its own parameters, so hashes made
// at different costs (fast demo accounts, interactive real ones) all verify.
//
// Thread-safety: all members are thread-safe. Hash/Verify/VerifyUnknown run only on the
// pool's threads (a call from elsewhere is a programming error and crashes).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/result.h"

namespace xd::account {

// Argon2id cost: kInteractive for real accounts, kFast for tests, load tests and the accounts
// demo seeding creates in a fresh store.
enum class HashCost { kInteractive, kFast };

// The encoded Argon2id hash of `password` at `cost`. Costly: call it on a PasswordHasher's
// thread, or before the server serves (first admin, demo seeding).
Result<std::string> HashPassword(const std::string& password, HashCost cost);
// Whether `password` matches `hash` (any cost; the parameters come from the hash).
bool VerifyPassword(const std::string& hash, const std::string& password);

class PasswordHasher {
 public:
  struct Options {
    int threads = 2;
    int max_queue = 64;  // jobs waiting for a thread; beyond this TrySubmit refuses
    HashCost cost = HashCost::kInteractive;
  };
  explicit PasswordHasher(Options options);
  ~PasswordHasher();
  PasswordHasher(const PasswordHasher&) = delete;
  PasswordHasher& operator=(const PasswordHasher&) = delete;

  // Queues `job` for a hashing thread. False, and nothing queued, when max_queue jobs are
  // already waiting or the hasher is stopped: the caller answers 503 UNAVAILABLE.
  [[nodiscard]] bool TrySubmit(std::function<void()> job);
  // HashPassword at this hasher's cost.
  Result<std::string> Hash(const std::string& password) const;
  // VerifyPassword.
  bool Verify(const std::string& hash, const std::string& password) const;
  // The work of Verify against a hash of this hasher's cost, for an account that does not
  // exist: an unknown phone is answered after the same work as a wrong password.
  void VerifyUnknown(const std::string& password) const;
  // Runs the jobs already queued, then joins the threads; TrySubmit refuses from now on.
  void Stop();
  // Metrics: Argon2 computations run (hashes and verifications), and jobs refused because
  // the queue was full.
  int64_t computed_total() const { return computed_.load(); }
  int64_t refused_total() const;

 private:
  void Run();
  // Crashes off the pool's threads; counts one computation.
  void RequirePoolThread() const;

  Options options_;
  std::string unknown_hash_;  // a hash of a random password, for VerifyUnknown
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  int64_t refused_ = 0;
  mutable std::atomic<int64_t> computed_{0};
  std::vector<std::thread> threads_;
};

}  // namespace xd::account
