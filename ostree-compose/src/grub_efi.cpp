#include "keel/compose/grub_efi.hpp"

#include <fmt/format.h>

#include <vector>

#include "keel/common/sys.hpp"
#include "keel/compose/process.hpp"

namespace keel::compose {

namespace {

// What the early config and the generated grub.cfg (bootloader/src/grub_cfg.cpp) use;
// grub-mkimage adds their dependencies (moddep.lst).
constexpr const char* kModules[] = {
    "part_gpt",  "ext2",  "search", "search_label", "regexp", "normal",   "configfile",
    "linux",     "echo",  "test",   "loadenv",      "serial", "terminal", "efi_gop",
    "all_video", "sleep", "reboot", "halt",         "true",   "ls",       "cat",
};

}  // namespace

std::string grub_early_config(const std::string& root_label) {
  // $cmdpath is where the firmware loaded GRUB from: "(hd0,gpt1)/EFI/BOOT". The root is
  // partition 2 of that disk (disk.cpp), searched there first and then on every disk.
  // No comments: the rescue parser runs this, and it knows no '#' (Unknown command).
  return fmt::format(
      "regexp --set=1:keel_disk '^\\(([^,)]+)' \"$cmdpath\"\n"
      "search --no-floppy --label {} --set=root --hint=${{keel_disk}},gpt2\n"
      "set prefix=($root)/boot/loader\n",
      root_label);
}

Result<void> build_grub_efi(const std::string& root_label, const std::string& work_dir,
                            const std::string& out) {
  if (!sys::is_dir(kGrubModulesDir))
    return fail_msg(
        fmt::format("{} not found: install Debian's grub-efi-amd64-bin "
                    "(scripts/install-deps)",
                    kGrubModulesDir));
  std::string cfg = work_dir + "/grub-early.cfg";
  TRY(sys::write_file_atomic(cfg, grub_early_config(root_label)));
  // -p: the prefix before the early config sets the real one (unused: nothing is
  // loaded from it, every module is inside the binary).
  std::vector<std::string> argv = {"grub-mkimage",  "-O", "x86_64-efi", "-d",
                                   kGrubModulesDir, "-c", cfg,          "-p",
                                   "/boot/loader",  "-o", out};
  for (const char* m : kModules) argv.emplace_back(m);
  return with_context(run_command(argv, {.log_path = work_dir + "/grub-mkimage.log"}),
                      "building GRUB's EFI binary (grub-mkimage)");
}

}  // namespace keel::compose
