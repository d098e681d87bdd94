// Error codes shared by every module: one X-macro table gives each code its stable
// string (the API's "code") and its HTTP status. Domain code returns Result<T>; only
// the HTTP layer turns an Error into a response.
#pragma once

#include <string>
#include <string_view>

namespace xd {

// X(name, http_status). ABORTED: the database rolled the transaction back to resolve a
// conflict with a concurrent one (serialization failure, deadlock); retrying it may succeed.
#define XD_ERROR_CODES(X)         \
  X(BAD_REQUEST, 400)             \
  X(INVALID_JSON, 400)            \
  X(INVALID_FIELD, 400)           \
  X(UNKNOWN_FIELD, 400)           \
  X(MISSING_FIELD, 400)           \
  X(UNAUTHENTICATED, 401)         \
  X(INVALID_CREDENTIALS, 401)     \
  X(FORBIDDEN, 403)               \
  X(NOT_FOUND, 404)               \
  X(METHOD_NOT_ALLOWED, 405)      \
  X(CONFLICT, 409)                \
  X(ALREADY_EXISTS, 409)          \
  X(INVALID_STATE, 409)           \
  X(OUT_OF_STOCK, 409)            \
  X(IDEMPOTENCY_IN_USE, 409)      \
  X(IDEMPOTENCY_MISMATCH, 422)    \
  X(PAYLOAD_TOO_LARGE, 413)       \
  X(RULE_VIOLATION, 422)          \
  X(LIMIT_EXCEEDED, 422)          \
  X(INSUFFICIENT_FUNDS, 422)      \
  X(INVALID_SIGNATURE, 401)       \
  X(RATE_LIMITED, 429)            \
  X(LOCKED, 429)                  \
  X(INTERNAL, 500)                \
  X(UNAVAILABLE, 503)             \
  X(ABORTED, 503)

enum class ErrorCode {
#define XD_ENUM(name, status) name,
  XD_ERROR_CODES(XD_ENUM)
#undef XD_ENUM
};

// The stable UPPER_SNAKE string of a code ("OUT_OF_STOCK").
std::string_view ErrorCodeName(ErrorCode code);
// The HTTP status a code maps to.
int ErrorCodeHttpStatus(ErrorCode code);

// An error: a stable code and a human-readable message (may be Chinese or English).
struct Error {
  ErrorCode code = ErrorCode::INTERNAL;
  std::string message;
};

}  // namespace xd
