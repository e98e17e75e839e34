#include "fs.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include <fmt/format.h>

#include "keel/common/sys.hpp"

namespace keel::firstboot::fs {

namespace {
std::string call_on(std::string_view call, std::string_view path) {
  return std::string(call) + " " + std::string(path);
}

Result<std::string> read_fd_limited(int fd, const std::string& path, size_t max) {
  std::string out;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno(call_on("read", path));
    if (n == 0) return out;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > max)
      return fail_msg(
          fmt::format("{} is larger than {} bytes; Keel reads at most that", path, max));
  }
}
}  // namespace

Result<void> write_synced(const std::string& path, std::string_view data, mode_t mode) {
  auto fd = TRY(sys::open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, mode));
  TRY_CTX(sys::write_all(fd.get(), data), path);
  // The umask must not narrow what the file is meant to be (authorized_keys 0600, others 0644).
  if (::fchmod(fd.get(), mode) < 0) return fail_errno(call_on("fchmod", path));
  if (::fsync(fd.get()) < 0) return fail_errno(call_on("fsync", path));
  return {};
}

Result<void> rename(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) < 0)
    return fail_errno(call_on("rename", from + " to " + to));
  return {};
}

Result<void> link(const std::string& existing, const std::string& newpath) {
  if (::link(existing.c_str(), newpath.c_str()) < 0)
    return fail_errno(call_on("link", existing + " to " + newpath));
  return {};
}

Result<void> unlink(const std::string& path) {
  if (::unlink(path.c_str()) < 0) return fail_errno(call_on("unlink", path));
  return {};
}

bool rmdir_if_empty(const std::string& path) {
  return ::rmdir(path.c_str()) == 0;
}

Result<void> mkdir(const std::string& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) < 0) return fail_errno(call_on("mkdir", path));
  if (::chmod(path.c_str(), mode) < 0) return fail_errno(call_on("chmod", path));
  return {};
}

Result<void> fsync_dir(const std::string& path) {
  auto fd = TRY(sys::open(path, O_RDONLY | O_DIRECTORY));
  if (::fsync(fd.get()) < 0) return fail_errno(call_on("fsync", path));
  return {};
}

Result<void> remove_tree(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
  if (ec) return fail(Error::from_errno(call_on("removing", path), ec.value()));
  return {};
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

bool is_dir(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

Result<std::string> read_beneath(const std::string& dir, const std::string& rel, size_t max) {
  auto dfd = TRY(sys::open(dir, O_RDONLY | O_DIRECTORY));
  open_how how{};
  how.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  std::string full = dir + "/" + rel;
  int fd;
  do fd = static_cast<int>(::syscall(SYS_openat2, dfd.get(), rel.c_str(), &how, sizeof how));
  while (fd < 0 && errno == EINTR);
  if (fd < 0) return fail_errno(call_on("openat2", full));
  UniqueFd owned(fd);
  struct stat st {};
  if (::fstat(fd, &st) < 0) return fail_errno(call_on("fstat", full));
  if (!S_ISREG(st.st_mode)) return fail_msg(full + " is not a regular file");
  return read_fd_limited(fd, full, max);
}

Result<std::string> read_limited(const std::string& path, size_t max) {
  auto fd = TRY(sys::open(path, O_RDONLY | O_NOCTTY));
  return read_fd_limited(fd.get(), path, max);
}

std::string parent_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace keel::firstboot::fs
