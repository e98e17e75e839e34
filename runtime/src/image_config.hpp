// The execution parameters of an image (image-spec v1.1 "config.md", the "config"
// object: Entrypoint, Cmd, Env, WorkingDir, User) to and from JSON, in one place for
// every reader and writer: the layout reader (oci_read.cpp), the layout writer
// (oci_write.cpp) and keel-unpack's reply to keel-runtime (unpack_reply.cpp).
#pragma once

#include <string>

#include "json_util.hpp"
#include "keel/common/error.hpp"
#include "keel/runtime/oci_image.hpp"

namespace keel::runtime {

// The "config" object; empty fields are left out, as image-spec allows.
jsonu::json image_config_object(const ImageConfig& cfg);

// Reads the "config" member of `doc` (an image configuration, or a document that
// embeds one). A missing "config" is an image with no execution parameters. `what`
// names the document in errors.
Result<ImageConfig> parse_image_config(const jsonu::json& doc, const std::string& what);

}  // namespace keel::runtime
