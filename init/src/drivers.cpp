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

namespace {

// modprobe -q (unknown aliases are normal: the image carries few modules) -b (the
// blacklist applies).
Result<pid_t> spawn_modprobe(const std::string& modprobe, std::vector<std::string> args) {
  args.insert(args.begin(), {modprobe, "-q", "-b"});
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  // The supervisor blocks the signals it handles; modprobe gets a clean mask.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
  pid_t pid;
  int r = ::posix_spawn(&pid, modprobe.c_str(), nullptr, &attr, argv.data(), environ);
  posix_spawnattr_destroy(&attr);
  if (r) return fail(Error::from_errno("running " + modprobe, r));
  return pid;
}

}  // namespace

Result<pid_t> start_modprobe(const std::string& alias, const std::string& modprobe) {
  return spawn_modprobe(modprobe, {alias});
}

Result<std::vector<std::string>> load_drivers(const std::vector<std::string>& aliases,
                                              const std::string& modprobe) {
  auto before = loaded_modules(sys::read_file("/proc/modules").value_or(""));
  std::vector<std::string> args = {"-a"};
  args.insert(args.end(), aliases.begin(), aliases.end());
  pid_t pid = TRY(spawn_modprobe(modprobe, std::move(args)));
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
