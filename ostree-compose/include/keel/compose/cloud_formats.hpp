// Disk images in the formats clouds and hypervisors import, made from a composed
// disk.raw (docs/INSTALL.md): AWS (raw), Azure (fixed VHD), GCE (disk.raw in a
// tar.gz), VMware (stream-optimised VMDK).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "keel/common/error.hpp"

namespace keel::compose {

enum class CloudFormat { aws, azure, gce, vmware };

// The file name each format is written as, e.g. "azure.vhd".
std::string cloud_file_name(CloudFormat f);

// "all" or a comma-separated list of aws, azure, gce, vmware.
Result<std::vector<CloudFormat>> parse_cloud_formats(const std::string& list);

struct CloudImage {
  CloudFormat format;
  std::string path;
  uint64_t file_bytes = 0;     // what an upload transfers (allocated size for raw)
  uint64_t virtual_bytes = 0;  // the disk size the instance sees
};

// Writes `format` from `raw` into out_dir/<cloud_file_name>, atomically: a failure
// leaves any earlier file of that name as it was. work_dir holds scratch files.
Result<CloudImage> export_cloud_image(CloudFormat format, const std::string& raw,
                                      const std::string& out_dir, const std::string& work_dir);

// `keel-compose export IMAGE_DIR [--formats LIST] [--out DIR]`.
int export_main(int argc, char** argv);

}  // namespace keel::compose
