// Helpers the open module keeps to itself: random secrets, HMAC-SHA256, constant-time compare.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/result.h"

namespace xd::open::internal {

// `bytes` random bytes (libsodium) as unpadded base64url.
std::string RandomBase64Url(size_t bytes);
// Lower-case hex HMAC-SHA256 of `message` under `key`.
std::string HmacSha256Hex(const std::string& key, const std::string& message);
// Equal length and equal bytes, in time independent of where they differ.
bool ConstantTimeEqual(std::string_view a, std::string_view b);
// A JSON array of strings; INVALID_FIELD naming `what` otherwise.
Result<std::vector<std::string>> StringList(const Json& j, const char* what);

}  // namespace xd::open::internal
