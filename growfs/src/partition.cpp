#include <fmt/format.h>
#include <libfdisk/libfdisk.h>

#include <cstdio>
#include <memory>

#include "keel/growfs/growfs.hpp"

namespace keel::growfs {

namespace {

struct ContextDeleter {
  void operator()(fdisk_context* c) const {
    fdisk_deassign_device(c, 0);  // fsyncs the disk; a no-op when none is assigned
    fdisk_unref_context(c);
  }
};
struct TableDeleter {
  void operator()(fdisk_table* t) const { fdisk_unref_table(t); }
};
struct PartitionDeleter {
  void operator()(fdisk_partition* p) const { fdisk_unref_partition(p); }
};

// libfdisk reports what it fixes (the backup GPT not at the disk's end, the protective
// MBR's size) as warnings through this callback; they go to the console with ours.
int print_ask(fdisk_context*, fdisk_ask* ask, void*) {
  switch (fdisk_ask_get_type(ask)) {
    case FDISK_ASKTYPE_INFO:
    case FDISK_ASKTYPE_WARN:
    case FDISK_ASKTYPE_WARNX:
      std::fprintf(stderr, "keel-growfs: libfdisk: %s\n", fdisk_ask_print_get_mesg(ask));
      return 0;
    default:
      return -EINVAL;  // nothing here may ask a question
  }
}

Error fdisk_error(const std::string& what, int rc) {
  return Error::from_errno(what, rc < 0 ? -rc : EIO);
}

}  // namespace

Result<uint64_t> grow_partition(const BlockPartition& p, const std::string& dev) {
  std::string disk = dev + "/" + p.disk;
  std::unique_ptr<fdisk_context, ContextDeleter> cxt(fdisk_new_context());
  if (!cxt) return fail_msg("libfdisk: out of memory");
  fdisk_set_ask(cxt.get(), print_ask, nullptr);
  if (int rc = fdisk_assign_device(cxt.get(), disk.c_str(), 0); rc < 0)
    return fail(fdisk_error("opening " + disk + " for writing", rc));
  if (!fdisk_is_labeltype(cxt.get(), FDISK_DISKLABEL_GPT))
    return fail_msg(fmt::format("{} has no GPT partition table; Keel's images are GPT", disk));
  fdisk_table* raw_orig = nullptr;
  if (int rc = fdisk_get_partitions(cxt.get(), &raw_orig); rc < 0)
    return fail(fdisk_error("reading " + disk + "'s partitions", rc));
  std::unique_ptr<fdisk_table, TableDeleter> orig(raw_orig);
  // The new end: the last usable sector (libfdisk has already moved it to the disk's
  // new end in memory), rounded down to libfdisk's alignment grain (1 MiB).
  uint64_t grain = fdisk_get_grain_size(cxt.get()) / fdisk_get_sector_size(cxt.get());
  uint64_t end = (fdisk_get_last_lba(cxt.get()) + 1) / grain * grain;
  if (end <= p.start + p.sectors)
    return fail_msg(
        fmt::format("{}: no free space after partition {} (ends at sector {}, the "
                    "disk's last usable one is {})",
                    disk, p.number, p.start + p.sectors, end));
  std::unique_ptr<fdisk_partition, PartitionDeleter> pa(fdisk_new_partition());
  fdisk_partition_set_size(pa.get(), end - p.start);
  fdisk_partition_size_explicit(pa.get(), 1);  // exactly that: it is aligned already
  if (int rc = fdisk_set_partition(cxt.get(), p.number - 1, pa.get()); rc < 0)
    return fail(fdisk_error(fmt::format("resizing partition {} of {}", p.number, disk), rc));
  if (int rc = fdisk_write_disklabel(cxt.get()); rc < 0)
    return fail(fdisk_error("writing " + disk + "'s partition table", rc));
  if (int rc = fdisk_reread_changes(cxt.get(), orig.get()); rc < 0)
    return fail(fdisk_error("telling the kernel about " + disk + "'s new partition size", rc));
  fdisk_partition* now = nullptr;
  if (fdisk_get_partition(cxt.get(), p.number - 1, &now) < 0 || !now)
    return fail_msg(fmt::format("partition {} of {} vanished after the write", p.number, disk));
  std::unique_ptr<fdisk_partition, PartitionDeleter> now_owner(now);
  return fdisk_partition_get_size(now) * fdisk_get_sector_size(cxt.get());
}

}  // namespace keel::growfs
