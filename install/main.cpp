// keel-install --to DISK --image FILE: writes a Keel image onto a machine's disk from a
// live system or any Linux, after checking the disk and the machine (docs/INSTALL.md).
#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "keel/common/log.hpp"
#include "keel/common/sys.hpp"
#include "keel/install/install.hpp"

namespace {

constexpr const char* kLog = "keel-install";
constexpr const char* kUsage =
    "usage: keel-install --to DISK --image FILE [--force] [--ignore-hardware]\n"
    "                    [--hwcompat PROGRAM] [--hwcompat-arg ARG]... [--sha256 HEX]\n"
    "FILE is a Keel disk.raw, or one compressed with gzip, zstd or xz.\n"
    "--force              overwrite a disk that holds a partition table or filesystem\n"
    "--ignore-hardware    install although the hardware report lists fatal problems\n"
    "--hwcompat PROGRAM   keel-hwcompat to run (default: next to keel-install, then PATH)\n"
    "--hwcompat-arg ARG   passed to `keel-hwcompat report` (e.g. --image MATRIX)\n"
    "--sha256 HEX         the SHA-256 of the uncompressed image (a live medium carries it):\n"
    "                     a damaged FILE is reported instead of declared installed\n";

struct Args {
  std::string to, image, hwcompat, sha256;
  std::vector<std::string> hwcompat_args;
  bool force = false, ignore_hardware = false;
};

bool parse(int argc, char** argv, Args& a) {
  for (int i = 1; i < argc; ++i) {
    std::string s = argv[i];
    bool has_value = i + 1 < argc;
    if (s == "--force")
      a.force = true;
    else if (s == "--ignore-hardware")
      a.ignore_hardware = true;
    else if (s == "--to" && has_value)
      a.to = argv[++i];
    else if (s == "--image" && has_value)
      a.image = argv[++i];
    else if (s == "--hwcompat" && has_value)
      a.hwcompat = argv[++i];
    else if (s == "--sha256" && has_value)
      a.sha256 = argv[++i];
    else if (s == "--hwcompat-arg" && has_value)
      a.hwcompat_args.push_back(argv[++i]);
    else
      return false;
  }
  return !a.to.empty() && !a.image.empty();
}

std::string default_hwcompat() {
  std::error_code ec;
  auto beside = std::filesystem::read_symlink("/proc/self/exe", ec).parent_path() / "keel-hwcompat";
  if (!ec && keel::sys::exists(beside.string())) return beside.string();
  return "/usr/bin/keel-hwcompat";
}

// `keel-hwcompat report` on this machine's /sys against the image's matrix; its report
// goes to our stdout. Exit status 1 means a device the machine needs is unsupported.
keel::Result<void> check_hardware(const Args& a) {
  // --boot-disk: the storage controller that matters is the target's, which the
  // installed system boots from, not the one this (live) system runs from.
  std::vector<std::string> argv = {a.hwcompat.empty() ? default_hwcompat() : a.hwcompat, "report",
                                   "--boot-disk", a.to};
  argv.insert(argv.end(), a.hwcompat_args.begin(), a.hwcompat_args.end());
  fmt::print("Hardware check: {}\n", fmt::join(argv, " "));
  std::fflush(stdout);
  pid_t pid = TRY(keel::sys::spawn(argv));
  int status = TRY(keel::sys::wait_exit(pid));
  if (status == 0) return {};
  std::string why = fmt::format("the hardware report above exited {}", status);
  if (a.ignore_hardware) {
    keel::log::warn(kLog, "{}; installing anyway (--ignore-hardware)", why);
    return {};
  }
  return keel::fail_msg(why +
                        ": this machine has a device Keel's image does not support well enough "
                        "to boot or reach the network. Fix: see docs/HARDWARE.md (the generic "
                        "flavour drives more hardware), or --ignore-hardware");
}

keel::Result<void> run(const Args& a) {
  auto t = TRY(keel::install::inspect_target(a.to));
  fmt::print(
      "Target: {}, {} MiB{}\n", t.path, t.bytes >> 20,
      t.found.empty() ? ", empty" : ", holds: " + fmt::format("{}", fmt::join(t.found, ", ")));
  if (!t.found.empty() && !a.force)
    return keel::fail_msg(
        fmt::format("{} is not empty ({}). Fix: pick an empty disk, or pass "
                    "--force to erase everything on it",
                    t.path, fmt::join(t.found, ", ")));
  TRY(check_hardware(a));
  fmt::print("Writing {} to {} ...\n", a.image, t.path);
  std::fflush(stdout);
  auto w = TRY(keel::install::write_image(a.image, t));
  fmt::print("Wrote {} MiB (sha256 {})\n", w.bytes >> 20, w.sha256);
  // Checked after writing: checking first would mean decompressing the image twice.
  if (!a.sha256.empty() && a.sha256 != w.sha256)
    return keel::fail_msg(fmt::format(
        "image checksum mismatch: {} decompresses to sha256 {}, expected {}: the image is "
        "damaged and so is what {} now holds. Fix: write the live medium (or copy the "
        "image) again, then install again with --force",
        a.image, w.sha256, a.sha256, t.path));
  TRY(keel::install::verify_written(t, w));
  fmt::print("Verified: {} reads back the same {} bytes.\n", t.path, w.bytes);
  fmt::print("Done. Boot from {}; the root partition grows to fill the disk on first boot.\n",
             t.path);
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  if (!parse(argc, argv, a)) {
    fmt::print(stderr, "{}", kUsage);
    return 2;
  }
  if (auto r = run(a); !r) {
    keel::log::error(kLog, "{}", r.error().message());
    return 1;
  }
  return 0;
}
