// How personal data shows to someone it does not belong to: a merchant looking at its members'
// or pickup customers' phones, a live room showing who just ordered, a review's author, an
// export without the personal-data right. One masking everywhere, so a phone never shows more
// in one screen than in another. Pure functions, thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace xd {

// The first 3 and the last 4 characters with a star for each one between (138****0000); a
// phone shorter than 8 characters is all stars, so no part of it is ever shown whole.
std::string MaskPhone(std::string_view phone);

// The first character (one UTF-8 code point, whole) and one star, whatever the length:
// 小王 → 小*, Alice → A*; an empty name is "*".
std::string MaskName(std::string_view name);

}  // namespace xd
