// grub.cfg from OSTree's boot entries: one menu entry per deployment, newest first
// (entry 0 is the default), the console and menu timeout of the image, and the boot
// counter (boot_counter.hpp) in GRUB script. Debian's GRUB has no blscfg module, so the
// entries are turned into menuentry blocks here, as ostree-grub-generator does.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "keel/bootloader/bls.hpp"
#include "keel/bootloader/settings.hpp"

namespace keel::bootloader {

struct GrubCfgInput {
  std::vector<BlsEntry> entries;  // newest first (load_bls_entries)
  Console console = Console::serial;
  int menu_timeout_s = 1;
  // Prepended to the entries' paths: "/boot" when /boot is a directory of the root
  // filesystem (Keel's layout), "" when it is a filesystem of its own.
  std::string boot_prefix = "/boot";
  std::string source;  // what it was generated from, for the header comment
  // Entry 0's deployment ("<commit>.<serial>"): GRUB counts a trial down only when
  // keel_pending names it. The updater arms the trial before it switches the boot loader,
  // so a power cut between the two leaves a keel_pending for a deployment the menu does
  // not boot (docs/BOOT.md). Empty (a test's input): any keel_pending counts.
  std::string newest_id;
};

std::string render_grub_cfg(const GrubCfgInput& in);

// `s` as one GRUB script word: single-quoted, a quote inside written '\''.
std::string grub_quote(std::string_view s);

}  // namespace keel::bootloader
