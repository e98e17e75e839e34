#include "keel/update/boot.hpp"

#include <fmt/format.h>
#include <glib.h>

#include "keel/bootloader/boot_counter.hpp"
#include "keel/bootloader/settings.hpp"
#include "keel/common/sys.hpp"

namespace keel::update {

namespace {

std::string grubenv(const Sysroot& s) {
  return s.path() + "/" + bootloader::kGrubenvInSysroot;
}

}  // namespace

Result<bool> prepare_grub(const Sysroot& s, const std::string& generator) {
  if (!sys::exists(grubenv(s))) return false;
  if (!sys::exists(generator))
    return fail_msg(
        fmt::format("{} boots through GRUB ({} exists) but {} is missing, so "
                    "OSTree could not write grub.cfg. Fix: run keelctl from the "
                    "booted Keel host",
                    s.path(), grubenv(s), generator));
  // libostree's grub2 backend runs this instead of grub-mkconfig (docs/BOOT.md); with
  // OSTREE_DEBUG_GRUB2 it passes the generator's errors on instead of dropping them.
  g_setenv("OSTREE_GRUB2_EXEC", generator.c_str(), TRUE);
  g_setenv("OSTREE_DEBUG_GRUB2", "1", TRUE);
  return true;
}

Result<void> arm_boot_trial(Sysroot& s, const DeploymentInfo& d) {
  if (!sys::exists(grubenv(s))) return {};
  std::string id = fmt::format("{}.{}", d.checksum, d.serial);
  std::string settings = fmt::format("{}/ostree/deploy/{}/deploy/{}/{}", s.path(), d.osname, id,
                                     bootloader::kSettingsInImage);
  // An image from before [boot] existed has no boot.toml: the defaults apply.
  bootloader::BootSettings boot;
  if (sys::exists(settings)) boot = TRY_CTX(bootloader::load_boot_settings(settings), settings);
  return with_context(bootloader::arm_trial(grubenv(s), id, boot.tries),
                      "putting " + id + " on trial in " + grubenv(s));
}

Result<std::optional<bootloader::BootCounter>> read_boot_trial(const Sysroot& s) {
  if (!sys::exists(grubenv(s))) return std::nullopt;
  return with_context(bootloader::read_boot_counter(grubenv(s)), "reading " + grubenv(s));
}

std::string failed_trial_of(const std::optional<bootloader::BootCounter>& c,
                            const std::string& checksum) {
  if (!c || checksum.empty() || !c->failed.starts_with(checksum + ".")) return "";
  return c->failed;
}

Result<void> end_boot_trial(const Sysroot& s) {
  if (!sys::exists(grubenv(s))) return {};
  return with_context(bootloader::clear_trial(grubenv(s)), "ending the trial in " + grubenv(s));
}

}  // namespace keel::update
