// What keel-unpack answers keel-runtime on its stdout: one JSON document, either the
// result or the error. Both programs link this file, so the two sides cannot drift.
#pragma once

#include <string>

#include "keel/common/error.hpp"
#include "keel/runtime/layer_store.hpp"

namespace keel::runtime {

// {"config": {<image-spec config object>}, "layer_dirs": [...]}. A copied rootfs has
// no layer_dirs.
std::string unpack_reply(const StoredImage& image);
// {"error": "<message>"}: the message exactly as keel-unpack made it. Its errno is not
// carried: `up` only reports the message (and exits 125 whatever the errno).
std::string unpack_error_reply(const Error& error);
// The result, or the error keel-unpack reported, with its message unchanged.
// `what` names the reply in errors about the reply itself (not JSON, fields missing).
Result<StoredImage> parse_unpack_reply(const std::string& text, const std::string& what);

}  // namespace keel::runtime
