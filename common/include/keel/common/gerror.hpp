// GError → keel::Error for the code that calls GLib-based libraries (libostree),
// with what was being done in front, in OSTree's own style. Header-only: only its
// includers link GLib.
#pragma once

#include <fmt/format.h>
#include <glib.h>

#include <string>
#include <string_view>

#include "keel/common/error.hpp"

namespace keel {

// Takes ownership of `err` (may be null) and frees it.
inline Error gerror(std::string_view doing, GError* err) {
  std::string msg = fmt::format("{}: {}", doing, err ? err->message : "unknown error");
  if (err) g_error_free(err);
  return Error::msg(std::move(msg));
}

}  // namespace keel
