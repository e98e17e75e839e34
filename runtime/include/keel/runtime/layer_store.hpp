// A content-addressed store of extracted image layers, for overlayfs lower
// directories: each layer is extracted once into <store>/<diff_id hex>/ and shared
// by every container whose image has it.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "keel/common/error.hpp"
#include "keel/runtime/oci_image.hpp"

namespace keel::runtime {

inline constexpr const char* kDefaultLayerStore = "/var/lib/keel/layers";

// overlayfs takes about 500 lower directories (the mount data is one page); Keel
// images have a handful of layers, so a much lower cap keeps the mount options short
// and refuses absurd images early.
inline constexpr size_t kMaxImageLayers = 128;

struct StoredImage {
  ImageConfig config;
  // The image's layer directories in the store, bottom layer first, each listed
  // once (a repeated layer keeps its topmost place: the lower copy is hidden anyway).
  std::vector<std::string> layer_dirs;
};

// Makes sure every layer of the image is in store_dir and returns their directories.
// A missing layer is verified (blob digest and size, diff_id, opts' caps and
// policies, no escapes) and extracted into <hex>.tmp with whiteouts in overlayfs
// form (a 0/0 character device per deleted name, trusted.overlay.opaque="y" on opaque
// directories), synced, then renamed to <hex>: the rename is the commit point, so a
// <hex> directory is always complete and a leftover <hex>.tmp is redone. Concurrent
// callers are serialised by an flock on <store>/.lock. Needs root (mknod, trusted.*
// xattrs) when a layer has whiteouts. Refuses images with more than kMaxImageLayers.
Result<StoredImage> store_oci_layout(const std::string& layout_dir, const std::string& store_dir,
                                     const std::string& ref = "", const UnpackOptions& opts = {});

// The same for an oci-archive (see unpack_oci_archive); its layout is copied into a
// private directory inside store_dir and removed afterwards.
Result<StoredImage> store_oci_archive(const std::string& tar_path, const std::string& store_dir,
                                      const std::string& ref = "", const UnpackOptions& opts = {});

}  // namespace keel::runtime
