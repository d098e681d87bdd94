// Helpers the open module keeps to itself (the cryptography is base/crypto.h).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/result.h"

namespace xd::open::internal {

// A JSON array of strings; INVALID_FIELD naming `what` otherwise.
Result<std::vector<std::string>> StringList(const Json& j, const char* what);

}  // namespace xd::open::internal
