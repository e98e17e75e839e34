#include "keel/init/modules.hpp"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "keel/common/sys.hpp"
#include "keel/common/text.hpp"

#ifndef MODULE_INIT_COMPRESSED_FILE
#define MODULE_INIT_COMPRESSED_FILE 4  // include/uapi/linux/module.h, Linux 5.17
#endif

namespace keel::init {

std::vector<std::string> parse_module_list(std::string_view text) {
  std::vector<std::string> out;
  for (std::string_view line : split_lines(text)) {
    auto hash = line.find('#');
    if (hash != std::string_view::npos) line = line.substr(0, hash);
    line = trim(line);
    if (!line.empty()) out.emplace_back(line);
  }
  return out;
}

Result<void> load_module(const std::string& path) {
  auto fd = TRY(sys::open(path, O_RDONLY));
  // The kernel decompresses itself when built with CONFIG_MODULE_DECOMPRESS
  // (finit_module(2)); Debian 12 ships plain .ko, later releases .ko.xz.
  bool compressed = path.ends_with(".xz") || path.ends_with(".zst") || path.ends_with(".gz");
  int flags = compressed ? MODULE_INIT_COMPRESSED_FILE : 0;
  if (::syscall(SYS_finit_module, fd.get(), "", flags) < 0 && errno != EEXIST)
    return fail_errno("finit_module " + path);
  return {};
}

}  // namespace keel::init
