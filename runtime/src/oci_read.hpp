// Reading an OCI image layout's index, manifest and config (image-spec v1.1
// "image-layout.md", "manifest.md", "config.md"): what both the flattening unpacker
// (oci_unpack.cpp) and the layer store (layer_store.cpp) start from.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "keel/common/error.hpp"
#include "keel/runtime/oci_image.hpp"

namespace keel::runtime {

struct Descriptor {
  std::string media_type, digest;
  int64_t size = 0;
  std::string path;  // blobs/sha256/<hex> inside the layout
};

struct Image {
  std::string manifest_digest;
  std::vector<Descriptor> layers;     // bottom first
  std::vector<std::string> diff_ids;  // one per layer, "sha256:<hex>"
  ImageConfig config;
};

// The manifest whose ref.name is `ref` (the first one when ref is empty), its
// config and its layer descriptors. Manifest and config blobs are verified; layer
// blobs are not read yet: verify each with verify_blob before extracting it.
Result<Image> read_image(const std::string& layout, const std::string& ref);

// Checks the blob's size and digest against its descriptor; `what` names who points to it.
Result<void> verify_blob(const Descriptor& d, const std::string& what);

}  // namespace keel::runtime
