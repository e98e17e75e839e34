#include "keel/common/sys.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <memory>

namespace keel::sys {

namespace {
std::string call_on(std::string_view call, std::string_view path) {
  std::string s(call);
  s += ' ';
  s += path;
  return s;
}
}  // namespace

namespace {
Result<bool> flock_exclusive(int fd, const std::string& path, bool wait) {
  int rc;
  do rc = ::flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB));
  while (rc < 0 && errno == EINTR);
  if (rc == 0) return true;
  if (!wait && errno == EWOULDBLOCK) return false;
  return fail_errno(call_on("flock", path));
}
}  // namespace

Result<UniqueFd> lock_exclusive(const std::string& path) {
  auto fd = TRY(open(path, O_RDWR | O_CREAT | O_NOFOLLOW, 0600));
  TRY(flock_exclusive(fd.get(), path, true));
  return fd;
}

Result<std::optional<UniqueFd>> try_lock_exclusive(const std::string& path) {
  auto fd = TRY(open(path, O_RDWR | O_CREAT | O_NOFOLLOW, 0600));
  if (!TRY(flock_exclusive(fd.get(), path, false))) return std::nullopt;
  return std::optional<UniqueFd>(std::move(fd));
}

Result<UniqueFd> open(const std::string& path, int flags, mode_t mode) {
  return openat(AT_FDCWD, path, flags, mode);
}

Result<UniqueFd> openat(int dirfd, const std::string& path, int flags, mode_t mode) {
  int fd;
  do fd = ::openat(dirfd, path.c_str(), flags | O_CLOEXEC, mode);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) return fail_errno(call_on("open", path));
  return UniqueFd(fd);
}

Result<void> write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno("write");
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

Result<std::string> read_all(int fd) {
  std::string out;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno("read");
    }
    if (n == 0) return out;
    out.append(buf, static_cast<size_t>(n));
  }
}

Result<std::string> read_file(const std::string& path) {
  auto fd = TRY(open(path, O_RDONLY));
  return TRY_CTX(read_all(fd.get()), path);
}

Result<void> write_file(const std::string& path, std::string_view data) {
  auto fd = TRY(open(path, O_WRONLY));
  TRY_CTX(write_all(fd.get(), data), path);
  return {};
}

Result<void> replace_file(const std::string& tmp, const std::string& path) {
  {
    auto fd = TRY(open(tmp, O_RDONLY));
    if (::fsync(fd.get()) < 0) return fail_errno(call_on("fsync", tmp));
  }
  if (::rename(tmp.c_str(), path.c_str()) < 0) {
    auto e = Error::from_errno(call_on("rename", tmp));
    ::unlink(tmp.c_str());
    return fail(std::move(e));
  }
  auto slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, slash ? slash : 1);
  auto dfd = TRY(open(dir, O_RDONLY | O_DIRECTORY));
  if (::fsync(dfd.get()) < 0) return fail_errno(call_on("fsync", dir));
  return {};
}

Result<void> write_file_atomic(const std::string& path, std::string_view data, mode_t mode) {
  std::string tmp = path + ".tmp";
  {
    auto fd = TRY(open(tmp, O_WRONLY | O_CREAT | O_TRUNC, mode));
    TRY_CTX(write_all(fd.get(), data), tmp);
  }
  return replace_file(tmp, path);
}

Result<void> overwrite_file_in_place(const std::string& path, std::string_view data) {
  auto fd = TRY(open(path, O_WRONLY));
  for (size_t done = 0; done < data.size();) {
    ssize_t n =
        ::pwrite(fd.get(), data.data() + done, data.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno(call_on("pwrite", path));
    done += static_cast<size_t>(n);
  }
  if (::fdatasync(fd.get()) < 0) return fail_errno(call_on("fdatasync", path));
  return {};
}

Result<void> mkdir_p(const std::string& path, mode_t mode) {
  if (path.empty()) return {};
  for (size_t pos = 1; pos != std::string::npos;) {
    pos = path.find('/', pos + 1);
    std::string part = path.substr(0, pos);
    if (::mkdir(part.c_str(), mode) < 0 && errno != EEXIST)
      return fail_errno(call_on("mkdir", part));
  }
  return {};
}

Result<void> mount(const char* source, const std::string& target, const char* fstype,
                   unsigned long flags, const char* data) {
  if (::mount(source, target.c_str(), fstype, flags, data) < 0)
    return fail_errno(call_on("mount", target));
  return {};
}

Result<void> umount(const std::string& target, int flags) {
  if (::umount2(target.c_str(), flags) < 0) return fail_errno(call_on("umount", target));
  return {};
}

Result<void> symlink(const std::string& target, const std::string& linkpath) {
  if (::symlink(target.c_str(), linkpath.c_str()) < 0)
    return fail_errno(call_on("symlink", linkpath));
  return {};
}

Result<UniqueFd> pidfd_open(pid_t pid) {
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) return fail_errno("pidfd_open");
  return UniqueFd(fd);
}

Result<void> pidfd_send_signal(int pidfd, int sig) {
  if (::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0) < 0)
    return fail_errno("pidfd_send_signal");
  return {};
}

Result<Pipe> pipe(int flags) {
  int fds[2];
  if (::pipe2(fds, flags | O_CLOEXEC) < 0) return fail_errno("pipe2");
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

Result<std::vector<std::string>> list_dir(const std::string& path) {
  auto fd = TRY(open(path, O_RDONLY | O_DIRECTORY));
  DIR* d = ::fdopendir(fd.get());
  if (!d) return fail_errno(call_on("fdopendir", path));
  fd.release();  // closedir closes it
  struct CloseDir {
    void operator()(DIR* p) const { ::closedir(p); }
  };
  std::unique_ptr<DIR, CloseDir> owned(d);
  std::vector<std::string> names;
  for (;;) {
    errno = 0;
    const dirent* e = ::readdir(d);
    if (!e) break;
    std::string_view name = e->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
  }
  // readdir(3): NULL with errno set is an error, NULL with errno unchanged the end.
  if (errno != 0) return fail_errno(call_on("readdir", path));
  return names;
}

bool exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

bool is_dir(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

Result<pid_t> spawn(const std::vector<std::string>& args, int output_fd) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
  posix_spawn_file_actions_t files;
  posix_spawn_file_actions_init(&files);
  if (output_fd >= 0) {
    posix_spawn_file_actions_adddup2(&files, output_fd, STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&files, output_fd, STDERR_FILENO);
  }
  pid_t pid;
  int r = ::posix_spawn(&pid, argv[0], &files, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&files);
  posix_spawnattr_destroy(&attr);
  if (r) return fail(Error::from_errno("running " + args[0], r));
  return pid;
}

Result<int> wait_exit(pid_t pid) {
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) return fail_errno("waitpid");
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

}  // namespace keel::sys
