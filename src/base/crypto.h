// The few cryptographic helpers every module uses, over libsodium: random secrets, SHA-256,
// HMAC-SHA256, constant-time comparison. One place, so that signing and hashing cannot drift
// apart between session tokens, API keys, provider notifications and webhooks.
//
// Thread-safety: all functions are thread-safe (libsodium is initialised once, on first use).
#pragma once

#include <string>
#include <string_view>

namespace xd {

// `bytes` random bytes as lower-case hex (2 × bytes characters).
std::string RandomHex(size_t bytes);
// `bytes` random bytes as unpadded base64url.
std::string RandomBase64Url(size_t bytes);
// SHA-256 of `data`, raw 32 bytes.
std::string Sha256(std::string_view data);
// SHA-256 of `data` as lower-case hex.
std::string Sha256Hex(std::string_view data);
// HMAC-SHA256 of `message` under `key` (any length), as lower-case hex.
std::string HmacSha256Hex(std::string_view key, std::string_view message);
// Equal length and equal bytes, in time independent of where they differ.
bool ConstantTimeEqual(std::string_view a, std::string_view b);

}  // namespace xd
