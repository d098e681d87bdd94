#include "account/password.h"

#include <sodium.h>

#include <algorithm>

#include "base/crypto.h"
#include "base/thread_name.h"

namespace xd::account {

namespace {
thread_local bool t_pool_thread = false;
}  // namespace

Result<std::string> HashPassword(const std::string& password, HashCost cost) {
  if (sodium_init() < 0) return Fail(ErrorCode::INTERNAL, "libsodium init failed");
  bool fast = cost == HashCost::kFast;
  unsigned long long ops = fast ? crypto_pwhash_OPSLIMIT_MIN : crypto_pwhash_OPSLIMIT_INTERACTIVE;
  size_t mem = fast ? crypto_pwhash_MEMLIMIT_MIN : crypto_pwhash_MEMLIMIT_INTERACTIVE / 4;
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), ops, mem, crypto_pwhash_ALG_ARGON2ID13) != 0)
    return Fail(ErrorCode::INTERNAL, "password hashing failed");
  return std::string(out);
}

bool VerifyPassword(const std::string& hash, const std::string& password) {
  if (sodium_init() < 0) return false;
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

PasswordHasher::PasswordHasher(Options options) : options_(options) {
  auto dummy = HashPassword(RandomHex(16), options_.cost);
  CHECK(dummy.has_value());
  unknown_hash_ = *dummy;
  for (int i = 0; i < std::max(1, options_.threads); ++i) threads_.emplace_back([this] { Run(); });
}

PasswordHasher::~PasswordHasher() { Stop(); }

bool PasswordHasher::TrySubmit(std::function<void()> job) {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || queue_.size() >= static_cast<size_t>(options_.max_queue)) {
      ++refused_;
      return false;
    }
    queue_.push_back(std::move(job));
  }
  cv_.notify_one();
  return true;
}

void PasswordHasher::RequirePoolThread() const {
  CHECK(t_pool_thread);
  ++computed_;
}

Result<std::string> PasswordHasher::Hash(const std::string& password) const {
  RequirePoolThread();
  return HashPassword(password, options_.cost);
}

bool PasswordHasher::Verify(const std::string& hash, const std::string& password) const {
  RequirePoolThread();
  return VerifyPassword(hash, password);
}

void PasswordHasher::VerifyUnknown(const std::string& password) const {
  RequirePoolThread();
  (void)VerifyPassword(unknown_hash_, password);
}

void PasswordHasher::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

int64_t PasswordHasher::refused_total() const {
  std::lock_guard lock(mu_);
  return refused_;
}

void PasswordHasher::Run() {
  SetThreadName("xd-hash");
  t_pool_thread = true;
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and every queued job has run
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    job();
  }
}

}  // namespace xd::account
