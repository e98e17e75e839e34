#include "keel/common/block_partition.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/sysmacros.h>

#include <charconv>

#include "keel/common/sys.hpp"
#include "keel/common/text.hpp"

namespace keel {

namespace {

// GPT keeps a backup header (1 sector) and partition array (32 sectors) at the end.
constexpr uint64_t kGptBackupSectors = 33;

Result<uint64_t> read_number(const std::string& path) {
  auto text = TRY(sys::read_file(path));
  std::string_view t = text;
  while (!t.empty() && t.back() == '\n') t.remove_suffix(1);
  t = trim(t);
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc() || end != t.data() + t.size())
    return fail_msg(fmt::format("{}: '{}' is not a number", path, t));
  return v;
}

std::string base_name(const std::string& path) {
  return path.substr(path.rfind('/') + 1);
}

// The lowest start among the disk's other partitions that begin after `p`.
Result<uint64_t> next_partition_start(const std::string& disk_dir, const BlockPartition& p) {
  uint64_t next = p.disk_sectors;
  auto dir = TRY(sys::open(disk_dir, O_RDONLY | O_DIRECTORY));
  DIR* d = ::fdopendir(::dup(dir.get()));
  if (!d) return fail_errno("opendir " + disk_dir);
  while (dirent* e = ::readdir(d)) {
    std::string sub = disk_dir + "/" + e->d_name;
    if (e->d_name[0] == '.' || !sys::exists(sub + "/partition")) continue;
    auto start = read_number(sub + "/start");
    if (start && *start > p.start && *start < next) next = *start;
  }
  ::closedir(d);
  return next;
}

}  // namespace

Result<BlockPartition> partition_of(dev_t dev, const std::string& sysfs) {
  std::string link = fmt::format("{}/dev/block/{}:{}", sysfs, major(dev), minor(dev));
  char buf[PATH_MAX];
  if (!::realpath(link.c_str(), buf)) return fail_errno("realpath " + link);
  std::string part_dir = buf;
  if (!sys::exists(part_dir + "/partition"))
    return fail_msg(fmt::format("{} ({}) is a whole disk, not a partition", link, part_dir));
  std::string disk_dir = part_dir.substr(0, part_dir.rfind('/'));
  BlockPartition p;
  p.partition = base_name(part_dir);
  p.disk = base_name(disk_dir);
  p.number = static_cast<unsigned>(TRY(read_number(part_dir + "/partition")));
  p.start = TRY(read_number(part_dir + "/start"));
  p.sectors = TRY(read_number(part_dir + "/size"));
  p.disk_sectors = TRY(read_number(disk_dir + "/size"));
  p.next_start = TRY(next_partition_start(disk_dir, p));
  return p;
}

uint64_t growable_sectors(const BlockPartition& p) {
  uint64_t end = p.start + p.sectors;
  uint64_t limit = p.next_start;
  if (limit == p.disk_sectors) limit = limit > kGptBackupSectors ? limit - kGptBackupSectors : 0;
  return limit > end ? limit - end : 0;
}

}  // namespace keel
