// Error values for Keel: errno plus a chain of context, no exceptions.
// Modelled on SerenityOS ErrorOr/TRY and OSTree's "During X: Y" prefixes.
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <utility>

namespace keel {

class Error {
 public:
  // An error from a failed syscall or libc call; `what` names the call and its object.
  static Error from_errno(std::string_view what, int err);
  static Error from_errno(std::string_view what);  // uses the current errno
  // An error with no errno: bad input, a failed check.
  static Error msg(std::string what);

  // Prepend what the caller was doing: "mounting /sysroot: mount: EBUSY".
  Error&& context(std::string_view ctx) &&;
  Error& context(std::string_view ctx) &;

  int code() const { return m_errno; }
  const std::string& message() const { return m_message; }

 private:
  Error(int err, std::string message) : m_errno(err), m_message(std::move(message)) {}
  int m_errno;
  std::string m_message;
};

template <class T>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> fail(Error e) {
  return std::unexpected<Error>(std::move(e));
}
inline std::unexpected<Error> fail_errno(std::string_view what) {
  return std::unexpected<Error>(Error::from_errno(what));
}
inline std::unexpected<Error> fail_msg(std::string what) {
  return std::unexpected<Error>(Error::msg(std::move(what)));
}

// Adds context to a failed result and passes it on: return with_context(f(), "doing x");
template <class T>
Result<T> with_context(Result<T> r, std::string_view ctx) {
  if (!r) r.error().context(ctx);
  return r;
}

}  // namespace keel

// TRY(expr): evaluate a Result; on error return it from the enclosing function,
// otherwise yield the value (void for Result<void>). GNU statement expression.
#define TRY(expr)                                                             \
  ({                                                                          \
    auto&& keel_try_r_ = (expr);                                              \
    if (!keel_try_r_) return std::unexpected(std::move(keel_try_r_).error()); \
    *std::move(keel_try_r_);                                                  \
  })

// TRY_CTX(expr, ctx): like TRY, adding context to the error.
#define TRY_CTX(expr, ctx)                                                                 \
  ({                                                                                       \
    auto&& keel_try_r_ = (expr);                                                           \
    if (!keel_try_r_) return std::unexpected(std::move(keel_try_r_).error().context(ctx)); \
    *std::move(keel_try_r_);                                                               \
  })
