#include "keel/common/error.hpp"

#include <cerrno>
#include <cstring>

namespace keel {

Error Error::from_errno(std::string_view what, int err) {
  std::string m(what);
  m += ": ";
  m += std::strerror(err);
  return Error(err, std::move(m));
}

Error Error::from_errno(std::string_view what) {
  return from_errno(what, errno);
}

Error Error::msg(std::string what) {
  return Error(0, std::move(what));
}

Error& Error::context(std::string_view ctx) & {
  std::string m(ctx);
  m += ": ";
  m += m_message;
  m_message = std::move(m);
  return *this;
}

Error&& Error::context(std::string_view ctx) && {
  return std::move(context(ctx));
}

}  // namespace keel
