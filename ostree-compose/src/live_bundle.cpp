#include "keel/compose/live_bundle.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <memory>
#include <nlohmann/json.hpp>

#include "keel/common/sys.hpp"
#include "keel/common/text.hpp"
#include "keel/compose/process.hpp"

namespace keel::compose {

namespace {

// Room left in the live root for what the live system writes (/var/log/keel, /etc): it
// is RAM, so little.
constexpr uint64_t kLiveRootFree = 64ull << 20;
constexpr const char* kGrubDir = "/usr/lib/grub/x86_64-efi";

using ReadPtr = std::unique_ptr<archive, decltype(&archive_read_free)>;
using WritePtr = std::unique_ptr<archive, decltype(&archive_write_free)>;
using EntryPtr = std::unique_ptr<archive_entry, decltype(&archive_entry_free)>;

// The words of `text`, split at any whitespace (a file's final newline included).
std::vector<std::string> words(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  while ((start = text.find_first_not_of(" \t\r\n", start)) != std::string_view::npos) {
    size_t end = text.find_first_of(" \t\r\n", start);
    out.emplace_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    start = end;
  }
  return out;
}

// The number at the start of `text`, 0 if there is none.
uint64_t leading_number(std::string_view text) {
  uint64_t v = 0;
  std::from_chars(text.data(), text.data() + text.size(), v);
  return v;
}

Result<uint64_t> file_size(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) < 0) return fail_errno("stat " + path);
  return static_cast<uint64_t>(st.st_size);
}

bool in_path(const std::string& program) {
  std::string path = ::getenv("PATH") ? ::getenv("PATH") : "/usr/bin:/bin";
  for (size_t start = 0; start <= path.size();) {
    size_t end = std::min(path.find(':', start), path.size());
    std::string dir = path.substr(start, end - start);
    if (!dir.empty() && ::access((dir + "/" + program).c_str(), X_OK) == 0) return true;
    start = end + 1;
  }
  return false;
}

// grub-mkrescue (grub-common) makes the ISO with xorriso and the EFI image's FAT with
// mtools, from GRUB's x86_64-efi modules (grub-efi-amd64-bin).
Result<void> check_iso_tools() {
  for (const char* tool : {"grub-mkrescue", "xorriso", "mformat"})
    if (!in_path(tool))
      return fail_msg(fmt::format(
          "{} is not installed; the live ISO needs grub-mkrescue, xorriso and mtools. Fix: "
          "scripts/install-deps (or apt-get install grub-common xorriso mtools)",
          tool));
  if (!sys::is_dir(kGrubDir))
    return fail_msg(
        fmt::format("{} is missing. Fix: apt-get install grub-efi-amd64-bin", kGrubDir));
  return {};
}

// An image composed before live support has no loop driver list in its initramfs; its
// live boot would stop in the initramfs, so refuse it here.
Result<void> check_initramfs(const std::string& path) {
  ReadPtr a(archive_read_new(), archive_read_free);
  archive_read_support_filter_all(a.get());
  archive_read_support_format_cpio(a.get());
  if (archive_read_open_filename(a.get(), path.c_str(), 1 << 16) != ARCHIVE_OK)
    return fail_msg(fmt::format("{}: {}", path, archive_error_string(a.get())));
  archive_entry* e;
  while (archive_read_next_header(a.get(), &e) == ARCHIVE_OK)
    if (std::string_view(archive_entry_pathname(e)) == "etc/keel/initramfs-live-modules") return {};
  return fail_msg(
      fmt::format("{} has no etc/keel/initramfs-live-modules: the image was composed before live "
                  "support. Fix: compose it again (make image, or keel-compose build)",
                  path));
}

struct Partition {
  uint64_t offset = 0, bytes = 0;
};

Result<Partition> root_partition(const std::string& disk) {
  auto text = TRY(run_capture({"sfdisk", "--json", disk}));
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.contains("partitiontable"))
    return fail_msg("sfdisk --json " + disk + ": unexpected output");
  const auto& t = j["partitiontable"];
  uint64_t sector = t.value("sectorsize", 512);
  for (const auto& p : t.value("partitions", nlohmann::json::array()))
    if (p.value("name", "") == "keel-root")
      return Partition{p["start"].get<uint64_t>() * sector, p["size"].get<uint64_t>() * sector};
  return fail_msg(disk + " has no partition named keel-root (not a Keel disk image?)");
}

std::string field_after(const std::string& text, const std::string& label) {
  auto pos = text.find(label);
  if (pos == std::string::npos) return "";
  return std::string(
      trim(text.substr(pos + label.size(), text.find('\n', pos) - pos - label.size())));
}

// The root partition as a file, shrunk to its contents plus kLiveRootFree: it lives in
// RAM on the live system (resize2fs(8) -P estimates the minimum).
Result<void> extract_root(const std::string& disk, const std::string& out, const std::string& log) {
  auto part = TRY(root_partition(disk));
  TRY(run_command({"dd", "if=" + disk, "of=" + out, "bs=1M", "iflag=skip_bytes,count_bytes",
                   fmt::format("skip={}", part.offset), fmt::format("count={}", part.bytes),
                   "conv=sparse", "status=none"}));
  TRY_CTX(run_command({"e2fsck", "-f", "-p", out}, {.log_path = log}), "checking the root copy");
  auto info = TRY(run_capture({"tune2fs", "-l", out}));
  uint64_t block = leading_number(field_after(info, "Block size:"));
  auto min_text = TRY(run_capture({"resize2fs", "-P", out}));
  uint64_t min_blocks = leading_number(field_after(min_text, "minimum size of the filesystem:"));
  if (block == 0 || min_blocks == 0) return fail_msg("cannot read the size of " + out);
  uint64_t bytes = (min_blocks * block + kLiveRootFree + (1 << 20) - 1) >> 20 << 20;
  if (bytes < part.bytes) {
    TRY_CTX(run_command({"resize2fs", out, fmt::format("{}K", bytes >> 10)}, {.log_path = log}),
            "shrinking the root copy");
    if (::truncate(out.c_str(), static_cast<off_t>(bytes)) < 0)
      return fail_errno("truncate " + out);
  }
  return {};
}

Result<void> add_cpio_file(archive* a, const std::string& name, const std::string& path) {
  EntryPtr e(archive_entry_new(), archive_entry_free);
  archive_entry_set_pathname(e.get(), name.c_str());
  archive_entry_set_filetype(e.get(), AE_IFREG);
  archive_entry_set_perm(e.get(), 0600);
  archive_entry_set_size(e.get(), static_cast<la_int64_t>(TRY(file_size(path))));
  if (archive_write_header(a, e.get()) != ARCHIVE_OK)
    return fail_msg(fmt::format("cpio header for {}: {}", name, archive_error_string(a)));
  auto fd = TRY(sys::open(path, O_RDONLY | O_CLOEXEC));
  std::string buf(1 << 20, '\0');
  for (;;) {
    ssize_t n = ::read(fd.get(), buf.data(), buf.size());
    if (n < 0) return fail_errno("read " + path);
    if (n == 0) return {};
    if (archive_write_data(a, buf.data(), static_cast<size_t>(n)) != n)
      return fail_msg(fmt::format("cpio data for {}: {}", name, archive_error_string(a)));
  }
}

// newc cpio (the kernel's initramfs format, Documentation/driver-api/early-userspace/
// buffer-format.rst), zstd-compressed: the kernel unpacks it after the first initrd.
Result<void> write_rootfs_cpio(const std::string& dir, const std::vector<std::string>& names,
                               const std::string& out) {
  WritePtr a(archive_write_new(), archive_write_free);
  archive_write_set_format_cpio_newc(a.get());
  archive_write_add_filter_zstd(a.get());
  if (archive_write_open_filename(a.get(), out.c_str()) != ARCHIVE_OK)
    return fail_msg(fmt::format("{}: {}", out, archive_error_string(a.get())));
  EntryPtr d(archive_entry_new(), archive_entry_free);
  archive_entry_set_pathname(d.get(), "keel-live");
  archive_entry_set_filetype(d.get(), AE_IFDIR);
  archive_entry_set_perm(d.get(), 0700);
  archive_entry_set_size(d.get(), 0);
  if (archive_write_header(a.get(), d.get()) != ARCHIVE_OK)
    return fail_msg(fmt::format("{}: {}", out, archive_error_string(a.get())));
  for (const auto& n : names) TRY(add_cpio_file(a.get(), "keel-live/" + n, dir + "/" + n));
  if (archive_write_close(a.get()) != ARCHIVE_OK)
    return fail_msg(fmt::format("{}: {}", out, archive_error_string(a.get())));
  return {};
}

Result<void> write_rootfs(const LiveOptions& o, const std::string& work, const std::string& out) {
  std::string disk = o.image_dir + "/disk.raw", dir = work + "/keel-live",
              log = work + "/tools.log";
  TRY(sys::mkdir_p(dir));
  TRY_CTX(extract_root(disk, dir + "/root.ext4", log), "making the live root file system");
  TRY_CTX(run_command({"zstd", "-q", "-f", "-T0", "-10", disk, "-o", dir + "/disk.raw.zst"}),
          "compressing the image to install");
  auto sum = TRY(run_capture({"sha256sum", disk}));
  TRY(sys::write_file_atomic(dir + "/disk.raw.sha256", sum.substr(0, 64) + "  disk.raw\n"));
  return write_rootfs_cpio(dir, {"root.ext4", "disk.raw.zst", "disk.raw.sha256"}, out);
}

// grub-mkrescue's EFI image searches for the ISO and reads its /boot/grub/grub.cfg.
Result<void> write_iso(const std::string& pxe, const std::string& kernel_args,
                       const std::string& work, const std::string& out) {
  std::string tree = work + "/iso";
  TRY(sys::mkdir_p(tree + "/boot/grub"));
  TRY(sys::mkdir_p(tree + "/live"));
  TRY(sys::write_file_atomic(tree + "/boot/grub/grub.cfg", live_grub_cfg(kernel_args)));
  for (const char* f : {"vmlinuz", "initramfs.img", "rootfs.img"})
    if (::link((pxe + "/" + f).c_str(), (tree + "/live/" + f).c_str()) < 0)
      return fail_errno(fmt::format("link {}/{}", pxe, f));
  return run_command({"grub-mkrescue", "-o", out, tree,
                      "--install-modules=linux normal iso9660 serial terminal echo search "
                      "search_label configfile part_gpt part_msdos fat all_video test",
                      "--fonts=", "--locales=", "--themes=", "--", "-volid", "KEEL_LIVE"},
                     {.log_path = work + "/tools.log"});
}

Result<void> check_inputs(const LiveOptions& o) {
  for (const char* f : {"disk.raw", "vmlinuz", "initramfs.img", "cmdline"})
    if (!sys::exists(o.image_dir + "/" + f))
      return fail_msg(fmt::format(
          "{}/{} does not exist. Fix: compose the image first (make image, or keel-compose "
          "build IMAGE.toml --out {})",
          o.image_dir, f, o.image_dir));
  TRY(check_initramfs(o.image_dir + "/initramfs.img"));
  return check_iso_tools();
}

// Each file goes to NAME.tmp, then replaces NAME.
Result<void> install_copy(const std::string& from, const std::string& to) {
  TRY(run_command({"cp", from, to + ".tmp"}));
  return sys::replace_file(to + ".tmp", to);
}

}  // namespace

std::string live_kernel_args(const std::string& image_cmdline,
                             const std::vector<std::string>& extra) {
  std::vector<std::string> args;
  for (auto& w : words(image_cmdline))
    if (!w.starts_with("root=")) args.push_back(std::move(w));
  args.push_back("keel.live");
  args.insert(args.end(), extra.begin(), extra.end());
  std::string out;
  for (const auto& a : args) out += (out.empty() ? "" : " ") + a;
  return out;
}

std::string live_grub_cfg(const std::string& kernel_args) {
  return fmt::format(
      "# Keel live system (keel-compose live): runs from RAM. keel.install.to=/dev/DISK\n"
      "# with keel.install.poweroff or keel.install.reboot installs unattended.\n"
      "serial --unit=0 --speed=115200\n"
      "terminal_input serial console\n"
      "terminal_output serial console\n"
      "set timeout=3\n"
      "menuentry \"Keel live system (runs from RAM)\" {{\n"
      "  linux /live/vmlinuz {}\n"
      "  initrd /live/initramfs.img /live/rootfs.img\n"
      "}}\n",
      kernel_args);
}

Result<LiveBundle> write_live_bundle(const LiveOptions& o) {
  TRY(check_inputs(o));
  LiveBundle b;
  b.kernel_args = live_kernel_args(TRY(sys::read_file(o.image_dir + "/cmdline")), o.extra_args);
  std::string pxe = o.out_dir + "/pxe", work = o.out_dir + "/.work";
  TRY(remove_tree(work));
  TRY(sys::mkdir_p(work));
  TRY(sys::mkdir_p(pxe));
  TRY(install_copy(o.image_dir + "/vmlinuz", pxe + "/vmlinuz"));
  TRY(install_copy(o.image_dir + "/initramfs.img", pxe + "/initramfs.img"));
  TRY(write_rootfs(o, work, pxe + "/rootfs.img.tmp"));
  TRY(sys::replace_file(pxe + "/rootfs.img.tmp", pxe + "/rootfs.img"));
  TRY(sys::write_file_atomic(pxe + "/cmdline", b.kernel_args + "\n"));
  std::string iso = o.out_dir + "/keel-live.iso";
  TRY_CTX(write_iso(pxe, b.kernel_args, work, iso + ".tmp"),
          "writing the ISO (tool output in " + work + "/tools.log)");
  TRY(sys::replace_file(iso + ".tmp", iso));
  TRY(remove_tree(work));
  for (const char* f : {"keel-live.iso", "pxe/vmlinuz", "pxe/initramfs.img", "pxe/rootfs.img"})
    b.files.push_back({f, TRY(file_size(o.out_dir + "/" + f))});
  return b;
}

}  // namespace keel::compose
