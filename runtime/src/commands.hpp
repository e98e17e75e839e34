// keel-runtime's commands: the OCI runtime CLI (as runc's) plus Keel's `up`.
#pragma once

#include <string>
#include <vector>

namespace keel::runtime::cli {

// Runs the command line (without argv[0]); returns the process exit status.
int main(const std::vector<std::string>& args);

}  // namespace keel::runtime::cli
