// Running the external tools the composer drives (mmdebstrap, depmod, mkfs, sfdisk, qemu-img).
#pragma once

#include <string>
#include <vector>

#include "keel/common/error.hpp"

namespace keel::compose {

struct RunOptions {
  std::string log_path;    // if set, stdout+stderr are appended here instead of inherited
  std::string stdin_path;  // if set, stdin reads from this file
};

// Runs argv[0] (searched in PATH) and waits. Fails unless it exits 0; the error
// names the program and its status.
Result<void> run_command(const std::vector<std::string>& argv, const RunOptions& opts = {});

// Like run_command but returns what the program wrote on stdout.
Result<std::string> run_capture(const std::vector<std::string>& argv);

// Removes a tree even when OSTree marked deployment directories immutable (chattr +i).
Result<void> remove_tree(const std::string& path);

}  // namespace keel::compose
