// Coldplug (see keel/init/drivers.hpp).
#include "keel/init/drivers.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cerrno>
#include <memory>

#include "keel/common/sys.hpp"
#include "keel/common/text.hpp"

extern char** environ;

namespace keel::init {

namespace {

// d_type, or lstat's type where the filesystem reports DT_UNKNOWN (sysfs never does).
unsigned char entry_type(int dirfd, const dirent& e) {
  if (e.d_type != DT_UNKNOWN) return e.d_type;
  struct stat st {};
  if (::fstatat(dirfd, e.d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) return DT_UNKNOWN;
  if (S_ISDIR(st.st_mode)) return DT_DIR;
  return S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN;
}

void add_modalias(int dirfd, std::set<std::string>& found) {
  auto fd = sys::openat(dirfd, "modalias", O_RDONLY);
  if (!fd) return;
  auto text = sys::read_all(fd->get());
  if (!text) return;
  std::string_view alias = trim(*text);
  if (auto nl = alias.find('\n'); nl != std::string_view::npos) alias = alias.substr(0, nl);
  if (!alias.empty()) found.emplace(alias);
}

struct CloseDir {
  void operator()(DIR* d) const { ::closedir(d); }
};

// Walks with openat and readdir's d_type. A boot's /sys/devices has thousands of
// entries; under emulation (QEMU TCG) the std::filesystem walk this replaces took about
// 0.1 s of the boot, most of its user time spent building a path for each entry.
// Symlinks are not followed: in sysfs they point back up the tree, so each device is
// visited once.
void walk_modaliases(UniqueFd dir, std::set<std::string>& found) {
  DIR* d = ::fdopendir(dir.get());
  if (!d) return;
  (void)dir.release();  // closedir closes it
  std::unique_ptr<DIR, CloseDir> owned(d);
  while (const dirent* e = ::readdir(d)) {
    std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    unsigned char type = entry_type(::dirfd(d), *e);
    if (type == DT_REG && name == "modalias") {
      add_modalias(::dirfd(d), found);
    } else if (type == DT_DIR) {
      auto sub = sys::openat(::dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
      if (sub) walk_modaliases(std::move(*sub), found);
    }
  }
}

}  // namespace

std::vector<std::string> collect_modaliases(const std::string& sys_devices) {
  std::set<std::string> found;
  auto top = sys::open(sys_devices, O_RDONLY | O_DIRECTORY);
  if (top) walk_modaliases(std::move(*top), found);
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
  return sys::spawn(args);
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
  TRY_CTX(sys::wait_exit(pid), modprobe);
  // Non-zero is normal: some aliases have no module in this image (modprobe -q).
  auto after = loaded_modules(sys::read_file("/proc/modules").value_or(""));
  std::vector<std::string> added;
  for (const auto& m : after)
    if (!before.contains(m)) added.push_back(m);
  return added;
}

}  // namespace keel::init
