#include "keel/init/grow_root.hpp"

#include <sys/stat.h>

#include "keel/common/block_partition.hpp"
#include "keel/common/log.hpp"
#include "keel/common/sys.hpp"

namespace keel::init {

namespace {
constexpr const char* kLog = "keel-init";
// keel-growfs's own threshold (growfs.hpp kMinGrowBytes): less is not worth a run.
constexpr uint64_t kMinGrowSectors = (16ull << 20) / 512;
}  // namespace

void grow_root_if_room(const std::string& growfs) {
  struct stat st;
  if (::stat("/", &st) < 0) return;
  auto p = partition_of(st.st_dev);
  if (!p) {
    log::info(kLog, "root: not growing it ({})", p.error().message());
    return;
  }
  uint64_t room = growable_sectors(*p);
  if (room < kMinGrowSectors) return;
  log::info(kLog, "root: {} MiB free after {}; growing it with {}", room / 2048, p->partition,
            growfs);
  auto pid = sys::spawn({growfs, "/"});
  auto status = pid ? sys::wait_exit(*pid) : Result<int>(std::unexpected(pid.error()));
  if (!status)
    log::warn(kLog, "root: {}: {}", growfs, status.error().message());
  else if (*status != 0)
    log::warn(kLog, "root: {} failed (status {}); the root keeps its size", growfs, *status);
}

}  // namespace keel::init
