#include "keel/compose/disk.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <set>

#include "keel/common/sys.hpp"
#include "keel/compose/process.hpp"

namespace keel::compose {

namespace fs = std::filesystem;

namespace {

constexpr uint64_t kMiB = 1ull << 20;
constexpr uint64_t kEspMiB = 64;
// GPT partition type GUIDs (UAPI Discoverable Partitions Specification).
constexpr const char* kEspType = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B";
constexpr const char* kRootX86_64Type = "4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709";

uint64_t round_up_mib(uint64_t bytes) {
  return (bytes + kMiB - 1) / kMiB * kMiB;
}

Result<void> make_root_fs(const DiskRequest& req, const std::string& img, uint64_t& size) {
  auto use = TRY(tree_usage(req.sysroot));
  // ext4 metadata (inode tables, journal, reserved blocks) needs roughly 10-15% on top.
  size = round_up_mib(use.bytes + use.bytes / 5 + req.free_space + 64 * kMiB);
  uint64_t inodes = use.inodes * 2 + 16384;
  return with_context(
      run_command({"mkfs.ext4", "-q", "-F", "-L", req.root_label, "-N", std::to_string(inodes),
                   "-d", req.sysroot, img, std::to_string(size / 1024) + "K"},
                  {.log_path = req.work_dir + "/mkfs.log"}),
      "making the root filesystem");
}

Result<void> make_esp(const DiskRequest& req, const std::string& img, const std::string& log) {
  // --invariant: no random volume id or current time, so the ESP is reproducible.
  TRY_CTX(run_command({"mkfs.vfat", "--invariant", "-F", "32", "-n", "KEEL-ESP", "-C", img,
                       std::to_string(kEspMiB * 1024)},
                      {.log_path = log}),
          "making the EFI system partition");
  // mtools writes into the image file, no mount needed; its file times come from
  // SOURCE_DATE_EPOCH when set (mtools 4.0.32), so they are the commit's time.
  std::string epoch = "SOURCE_DATE_EPOCH=" + std::to_string(req.timestamp), image = img;
  TRY_CTX(
      run_command({"env", epoch, "mmd", "-i", image, "::/EFI", "::/EFI/BOOT"}, {.log_path = log}),
      "creating EFI/BOOT on the ESP (mmd)");
  return with_context(
      run_command({"env", epoch, "mcopy", "-i", image, req.efi_binary, "::/EFI/BOOT/BOOTX64.EFI"},
                  {.log_path = log}),
      "copying GRUB to the ESP (mcopy)");
}

Result<void> partition(const DiskRequest& req, const std::string& raw, uint64_t root_size) {
  uint64_t esp_start = 2048, esp_sectors = kEspMiB * kMiB / 512;
  uint64_t root_start = esp_start + esp_sectors, root_sectors = root_size / 512;
  std::string script = fmt::format(
      "label: gpt\nfirst-lba: 2048\n"
      "start={}, size={}, type={}, name=\"EFI System\"\n"
      "start={}, size={}, type={}, name=\"{}\"\n",
      esp_start, esp_sectors, kEspType, root_start, root_sectors, kRootX86_64Type, req.root_label);
  std::string script_path = req.work_dir + "/sfdisk.script";
  TRY(sys::write_file_atomic(script_path, script));
  return with_context(
      run_command({"sfdisk", "--quiet", raw},
                  {.log_path = req.work_dir + "/sfdisk.log", .stdin_path = script_path}),
      "partitioning the disk image");
}

Result<void> copy_in(const std::string& part, const std::string& raw, uint64_t offset_mib) {
  return run_command({"dd", "if=" + part, "of=" + raw, "bs=1M",
                      "seek=" + std::to_string(offset_mib), "conv=notrunc,sparse", "status=none"});
}

}  // namespace

Result<TreeUsage> tree_usage(const std::string& dir) {
  TreeUsage u;
  std::set<std::pair<dev_t, ino_t>> seen;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    struct stat st;
    if (lstat(it->path().c_str(), &st) < 0) return fail_errno("lstat " + it->path().string());
    if (!seen.insert({st.st_dev, st.st_ino}).second) continue;
    ++u.inodes;
    u.bytes += static_cast<uint64_t>(st.st_blocks) * 512;
  }
  if (ec) return fail(Error::from_errno("walking " + dir, ec.value()));
  return u;
}

Result<DiskImages> write_disk_images(const DiskRequest& req) {
  std::string root_img = req.work_dir + "/root.ext4", esp_img = req.work_dir + "/esp.vfat";
  uint64_t root_size = 0;
  TRY(make_root_fs(req, root_img, root_size));
  fs::remove(esp_img);
  TRY(make_esp(req, esp_img, req.work_dir + "/mkfs.log"));
  DiskImages out;
  out.raw = req.out_dir + "/disk.raw";
  out.qcow2 = req.out_dir + "/disk.qcow2";
  // 1 MiB before the ESP for the primary GPT, 1 MiB at the end for the backup GPT.
  out.raw_bytes = (1 + kEspMiB + 1) * kMiB + root_size;
  fs::remove(out.raw);
  {
    auto fd = TRY(sys::open(out.raw, O_WRONLY | O_CREAT | O_TRUNC, 0644));
    if (ftruncate(fd.get(), static_cast<off_t>(out.raw_bytes)) < 0)
      return fail_errno("ftruncate " + out.raw);
  }
  TRY(partition(req, out.raw, root_size));
  TRY_CTX(copy_in(esp_img, out.raw, 1), "writing the ESP into the disk image");
  TRY_CTX(copy_in(root_img, out.raw, 1 + kEspMiB),
          "writing the root filesystem into the disk image");
  TRY_CTX(run_command({"qemu-img", "convert", "-f", "raw", "-O", "qcow2", out.raw, out.qcow2}),
          "converting to qcow2");
  fs::remove(root_img);
  fs::remove(esp_img);
  return out;
}

}  // namespace keel::compose
