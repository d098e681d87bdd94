// Error codes shared by every module: one X-macro table gives each code its stable
// string (the API's "code") and its HTTP status. Domain code returns Result<T>; only
// the HTTP layer turns an Error into a response.
#pragma once

#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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
  X(GONE, 410)                    \
  X(CONFLICT, 409)                \
  X(ALREADY_EXISTS, 409)          \
  X(INVALID_STATE, 409)           \
  X(OUT_OF_STOCK, 409)            \
  X(IDEMPOTENCY_IN_USE, 409)      \
  X(IDEMPOTENCY_MISMATCH, 422)    \
  X(PAYLOAD_TOO_LARGE, 413)       \
  X(UNSUPPORTED_MEDIA_TYPE, 415)  \
  X(RULE_VIOLATION, 422)          \
  X(LIMIT_EXCEEDED, 422)          \
  X(INSUFFICIENT_FUNDS, 422)      \
  X(INVALID_SIGNATURE, 401)       \
  X(INVALID_CODE, 401)            \
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

// A key of the message catalogue (base/messages.h): what a user is told, in zh or en.
enum class Msg : uint16_t;

// A named parameter of a catalogue message: the API sends it in "params" (numbers as numbers)
// and the message template quotes it as {name}.
struct MsgParam {
  enum class Kind : uint8_t {
    kText,    // quoted as is
    kNumber,  // an integer
    kLabel,   // a raw word (a field name, a status) quoted by its label in the reader's language
    kFen,     // an amount in fen, quoted in yuan ("12.50")
  };
  std::string name;
  std::string value;
  Kind kind = Kind::kText;
  std::string label_ns;  // kLabel: the label table's namespace ("order": "order.paid"), if any

  MsgParam(std::string n, std::string v, Kind k = Kind::kText) : name(std::move(n)), value(std::move(v)), kind(k) {}
  MsgParam(std::string n, const char* v) : name(std::move(n)), value(v) {}
  MsgParam(std::string n, std::string_view v) : name(std::move(n)), value(v) {}
  template <std::integral T>
    requires(!std::same_as<T, bool>)
  MsgParam(std::string n, T v) : name(std::move(n)), value(std::to_string(v)), kind(Kind::kNumber) {}
};

// An error: a stable code, the catalogue key that says what went wrong with its parameters
// (what a user is shown, in their language), and `message`, the same in English for logs and
// operators. An error built from free text (Fail(code, text)) has no reason: a user sees the
// code's generic message, never the text.
struct Error {
  ErrorCode code = ErrorCode::INTERNAL;
  std::string message;
  std::optional<Msg> reason;
  std::vector<MsgParam> params;
};

}  // namespace xd
