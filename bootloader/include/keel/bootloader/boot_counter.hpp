// Boot counting for automatic rollback (docs/BOOT.md "Boot counting"), kept in GRUB's
// environment block so that GRUB itself counts the attempts:
//   keel_pending  the deployment on trial ("<commit>.<serial>", its directory name under
//                 /ostree/deploy/<os>/deploy/), always OSTree's newest entry (menu entry 0)
//   keel_tries    boot attempts it has left; GRUB takes one before each boot of it, and
//                 boots the previous deployment (entry 1) with keel.rollback=<pending> on
//                 the kernel command line once none are left
//   keel_failed   the last deployment that used up its attempts (written by the OS when it
//                 finds itself booted by the fallback), so it is not retried automatically
// Each function reads the block, changes it and writes it back in place (grubenv.hpp).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "keel/common/error.hpp"

namespace keel::bootloader {

inline constexpr const char* kVarPending = "keel_pending";
inline constexpr const char* kVarTries = "keel_tries";
inline constexpr const char* kVarFailed = "keel_failed";
// GRUB script has no arithmetic: the generated grub.cfg counts down with one branch per
// value, so the number of attempts is bounded.
inline constexpr int kMaxTries = 9;
// Where the block lives, relative to the sysroot (the root filesystem, beside /boot's
// loader directories): GRUB reads it as <boot prefix>/keel/grubenv.
inline constexpr const char* kGrubenvInSysroot = "boot/keel/grubenv";
// The same file on a booted Keel host (the sysroot is mounted on /sysroot).
inline constexpr const char* kGrubenvOnHost = "/sysroot/boot/keel/grubenv";

struct BootCounter {
  std::string pending;            // empty: no deployment on trial
  std::optional<int> tries_left;  // with pending; nullopt if unset or not a number
  std::string failed;             // empty: no rollback recorded
};

// "<64 hex digits>.<serial>", the name OSTree gives a deployment directory.
bool is_deployment_id(std::string_view id);

// A missing file is a host with no trial and no rollback: every field empty.
Result<BootCounter> read_boot_counter(const std::string& grubenv);
// Puts `deployment` (which must be OSTree's newest, menu entry 0) on trial with `tries`
// attempts (1..kMaxTries), replacing any earlier trial. Creates the file if missing.
Result<void> arm_trial(const std::string& grubenv, const std::string& deployment, int tries);
// The booted deployment passed its gates. If it is the one on trial, the trial ends
// (pending and tries cleared) and true is returned; otherwise nothing changes.
Result<bool> mark_boot_good(const std::string& grubenv, const std::string& booted);
// The fallback booted because `failed` used up its attempts: record it in keel_failed.
// The trial itself stays, so that GRUB keeps booting the fallback until the deployments
// are changed (docs/BOOT.md "After a rollback").
Result<void> record_rollback(const std::string& grubenv, const std::string& failed);
// Ends any trial without judging it (an operator's choice, or a stale trial whose
// deployment no longer exists).
Result<void> clear_trial(const std::string& grubenv);

// How this boot relates to the counter, for keel-init and keelctl status.
enum class BootKind {
  normal,    // no trial
  trial,     // booted the deployment on trial
  rollback,  // booted the fallback: the trial used up its attempts (keel.rollback=)
  other,     // a trial is pending, but another deployment was booted (chosen in the menu)
};
std::string_view to_string(BootKind k);

// `rollback_arg` is keel.rollback= from the kernel command line (empty if absent).
BootKind classify_boot(const BootCounter& c, const std::string& booted,
                       const std::string& rollback_arg);

}  // namespace keel::bootloader
