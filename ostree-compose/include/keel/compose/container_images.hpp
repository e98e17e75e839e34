// OCI images for the containers an image embeds, built from Debian packages.
#pragma once

#include <string>

#include "keel/common/error.hpp"
#include "keel/compose/image_def.hpp"

namespace keel::compose {

// Extracts `img.packages` into a scratch rootfs, adds busybox applet links if
// asked, strips what a container image should not carry (apt state, device
// nodes), and writes it as an OCI image layout at `layout_dir`.
Result<void> build_container_image(const OciImageSource& img, const ImageDef& def,
                                   const std::string& work_dir, const std::string& cache_dir,
                                   const std::string& log_path, const std::string& layout_dir);

}  // namespace keel::compose
