// Result<T>: a value or an Error (a [[nodiscard]] std::expected). Status is Result<void>.
//
//   Result<Order> LoadOrder(Reader& r, OrderId id);
//   ASSIGN_OR_RETURN(auto order, LoadOrder(r, id));
//   RETURN_IF_ERROR(CheckOwner(order, user));
#pragma once

#include <expected>
#include <string>
#include <utility>

#include "base/error.h"

namespace xd {

// A class rather than an alias so that it can be [[nodiscard]] (g++ ignores attributes on alias
// templates): a Result nobody looks at is a dropped error. Where ignoring one is deliberate,
// write `(void)` and say why. It is a std::expected in every other way and converts from one.
template <class T>
class [[nodiscard]] Result : public std::expected<T, Error> {
 public:
  using Base = std::expected<T, Error>;
  using Base::Base;
  constexpr Result() = default;
  constexpr Result(const Base& b) : Base(b) {}
  constexpr Result(Base&& b) : Base(std::move(b)) {}
};
using Status = Result<void>;

// Builds the unexpected side of a Result: `return Fail(ErrorCode::NOT_FOUND, "no such order");`
inline std::unexpected<Error> Fail(ErrorCode code, std::string message) {
  return std::unexpected<Error>(Error{code, std::move(message)});
}
inline Status Ok() { return {}; }
// Drops the value of a Result, keeping its error.
template <class T>
Status ToStatus(const Result<T>& r) {
  if (!r) return std::unexpected(r.error());
  return Ok();
}

}  // namespace xd

#define XD_CONCAT_INNER(a, b) a##b
#define XD_CONCAT(a, b) XD_CONCAT_INNER(a, b)

#define RETURN_IF_ERROR(expr)                                     \
  do {                                                            \
    auto&& xd_status_ = (expr);                                   \
    if (!xd_status_) return std::unexpected(xd_status_.error());  \
  } while (0)

#define XD_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr)     \
  auto tmp = (expr);                                 \
  if (!tmp) return std::unexpected(tmp.error());     \
  lhs = std::move(*tmp)

#define ASSIGN_OR_RETURN(lhs, expr) \
  XD_ASSIGN_OR_RETURN_IMPL(XD_CONCAT(xd_result_, __LINE__), lhs, expr)

// Crashes on a broken invariant (a programming error). Never for user input.
#define CHECK(cond)                                                          \
  do {                                                                       \
    if (!(cond)) ::xd::CheckFailed(#cond, __FILE__, __LINE__);               \
  } while (0)

namespace xd {
[[noreturn]] void CheckFailed(const char* expr, const char* file, int line);
}
