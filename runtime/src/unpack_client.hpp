// keel-runtime's side of layer extraction. Extraction (libarchive and the dozen
// libraries it maps) lives in keel-unpack, a program beside keel-runtime that `up`
// runs only when it must extract: a layer missing from the store, an oci-archive, a
// copied rootfs. Every other start, and every `exec` health probe, then maps only the
// runtime's own libraries (docs/BENCHMARKS.md, "Boot").
#pragma once

#include <string>

#include "keel/common/error.hpp"
#include "keel/runtime/layer_store.hpp"
#include "keel/runtime/oci_image.hpp"

namespace keel::runtime {

enum class ImageFormat {
  layout,   // an OCI image layout directory
  archive,  // an oci-archive: a tar of a layout (unpack_oci_archive)
};

struct ImageSource {
  std::string path;
  ImageFormat format = ImageFormat::layout;
};

// What store_oci_layout / store_oci_archive return for the image. A layout whose
// layers are all in store_dir is read here (manifest and config verified, as the
// store does); anything else is `keel-unpack store`'s work, and its errors come back
// as it made them. A <hex> layer directory only appears by rename once complete
// (layer_store.hpp), so finding it needs no lock.
Result<StoredImage> stored_image(const ImageSource& src, const std::string& store_dir);

// unpack_oci_layout / unpack_oci_archive into dest_rootfs, by `keel-unpack rootfs`.
Result<ImageConfig> copied_rootfs(const ImageSource& src, const std::string& dest_rootfs);

}  // namespace keel::runtime
