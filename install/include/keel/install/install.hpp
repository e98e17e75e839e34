// keel-install: writing a Keel disk image onto a machine's disk (docs/INSTALL.md).
// The root partition grows to fill the disk on first boot (keel-growfs).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "keel/common/error.hpp"

namespace keel::install {

struct Target {
  std::string path;                // /dev/sdb
  uint64_t bytes = 0;              // its size
  std::vector<std::string> found;  // what libblkid recognised: "gpt partition table", "ext4"
};

// Opens nothing for writing: checks that `path` is a whole block device that nothing
// has mounted (its partitions included) and says what is on it already.
Result<Target> inspect_target(const std::string& path);

struct Written {
  uint64_t bytes = 0;
  std::string sha256;  // hex, of the image's bytes as written
};

// Streams the image (raw, or raw compressed with gzip/zstd/xz: libarchive's raw format
// and filters) onto the target, which must be at least as big, fsyncs it, and returns
// what was written. The device is opened O_EXCL: the kernel refuses if anything claims
// it meanwhile.
Result<Written> write_image(const std::string& image, const Target& target);

// Reads back `w.bytes` from the target, past the page cache (BLKFLSBUF), and compares
// the SHA-256 with what was written.
Result<void> verify_written(const Target& target, const Written& w);

}  // namespace keel::install
