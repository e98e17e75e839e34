// keelctl's update commands (docs/KEELCTL.md, docs/UPDATES.md):
//   keelctl [OPTIONS] update check|download|apply|auto
//   keelctl [OPTIONS] rollback
//   keelctl --sysroot DIR [--json] status     (the deployments of a sysroot that is not booted)
// and the deployments part of `keelctl status` on a booted host.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "keel/bootloader/boot_counter.hpp"
#include "keel/common/error.hpp"
#include "keel/update/sysroot.hpp"

namespace keel::update {

struct CliHooks {
  // Asks keel-init for the ordered reboot (keelctl's control-socket request); returns
  // keelctl's exit status. `socket` is --socket's value ("" for the default).
  std::function<int(const std::string& socket)> reboot;
};

// Whether keelctl should hand `args` (argv without the program name) to run_update_cli:
// the verb is update or rollback, or status with --sysroot.
bool is_update_command(const std::vector<std::string>& args);

// Exit status: 0 done (or nothing to do), 1 refused or failed (why on `err`), 2 bad
// arguments.
int run_update_cli(const std::vector<std::string>& args, const CliHooks& hooks, std::FILE* out,
                   std::FILE* err);

// The deployments of the sysroot with what the update client recorded, for `keelctl status`.
Result<nlohmann::json> deployments_status(Sysroot& sysroot);
std::string format_deployments(const nlohmann::json& status);
// The "Boot counting:" line for GRUB's counter: what is on trial, what was rolled back from.
std::string boot_counting_text(const bootloader::BootCounter& counter);

}  // namespace keel::update
