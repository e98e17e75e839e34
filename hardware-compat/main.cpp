// keel-hwcompat: Keel's hardware compatibility matrix (hardware-compat/README.md).
//   facts     generate the facts lockfile from a kernel's modules directory
//   report    check this machine (/sys) or lspci output against the matrix
//   matrix    export the matrix as Markdown or HTML
//   firmware  the firmware an image's drivers request, and whether it is there
#include <fmt/format.h>

#include <string>

#include "cli.hpp"

using namespace keel::hwcompat::cli;

namespace {

bool parse(int argc, char** argv, Args& a) {
  for (int i = 2; i < argc; ++i) {
    std::string k = argv[i];
    if (k == "--json" || k == "--no-image") {
      a.opts[k].push_back("1");
    } else if (k.starts_with("-") && i + 1 < argc) {
      a.opts[k].push_back(argv[++i]);
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  std::string cmd = argc > 1 ? argv[1] : "";
  if (!parse(argc, argv, a)) cmd.clear();
  if (cmd == "facts") return cmd_facts(a);
  if (cmd == "report") return cmd_report(a);
  if (cmd == "matrix") return cmd_matrix(a);
  if (cmd == "firmware") return cmd_firmware(a);
  fmt::print(stderr, "{}", kUsage);
  return 2;
}
