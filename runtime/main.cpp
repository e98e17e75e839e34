// keel-runtime: Keel's OCI runtime (docs/ARCHITECTURE.md "keel-runtime"). The
// commands live in src/commands.cpp.
#include <string>
#include <vector>

#include "commands.hpp"
#include "trace.hpp"

int main(int argc, char** argv) {
  keel::runtime::trace("main");  // exec and dynamic linking are done
  return keel::runtime::cli::main(std::vector<std::string>(argv + 1, argv + argc));
}
