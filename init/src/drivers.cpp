// Coldplug (see keel/init/drivers.hpp).
#include "keel/init/drivers.hpp"

#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>
#include <filesystem>

#include "keel/common/sys.hpp"
#include "keel/common/text.hpp"

extern char** environ;

namespace keel::init {

std::vector<std::string> collect_modaliases(const std::string& sys_devices) {
  namespace fs = std::filesystem;
  std::set<std::string> found;
  std::error_code ec;
  // Symlinks in sysfs point back up the tree: not following them visits each
  // device once.
  fs::recursive_directory_iterator it(sys_devices, fs::directory_options::skip_permission_denied,
                                      ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->path().filename() != "modalias" || !it->is_regular_file(ec)) continue;
    auto text = sys::read_file(it->path().string());
    if (!text) continue;
    std::string_view alias = trim(*text);
    if (auto nl = alias.find('\n'); nl != std::string_view::npos) alias = alias.substr(0, nl);
    if (!alias.empty()) found.emplace(alias);
  }
  return {found.begin(), found.end()};
}

std::set<std::string> loaded_modules(std::string_view proc_modules) {
  std::set<std::string> out;
  for (std::string_view line : split_lines(proc_modules))
    if (!line.empty()) out.emplace(line.substr(0, line.find(' ')));
  return out;
}

Result<std::vector<std::string>> load_drivers(const std::vector<std::string>& aliases,
                                              const std::string& modprobe) {
  auto before = loaded_modules(sys::read_file("/proc/modules").value_or(""));
  std::vector<std::string> args = {modprobe, "-q", "-b", "-a"};
  args.insert(args.end(), aliases.begin(), aliases.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid;
  if (int r = ::posix_spawn(&pid, modprobe.c_str(), nullptr, nullptr, argv.data(), environ); r)
    return fail(Error::from_errno("running " + modprobe, r));
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) return fail_errno("waitpid " + modprobe);
  // Non-zero is normal: some aliases have no module in this image (modprobe -q).
  auto after = loaded_modules(sys::read_file("/proc/modules").value_or(""));
  std::vector<std::string> added;
  for (const auto& m : after)
    if (!before.contains(m)) added.push_back(m);
  return added;
}

}  // namespace keel::init
