// Thin syscall wrappers shared by Keel components. Each one retries EINTR where
// that applies, creates fds with O_CLOEXEC, and names the call and path on error.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "keel/common/error.hpp"
#include "keel/common/unique_fd.hpp"

namespace keel::sys {

Result<UniqueFd> open(const std::string& path, int flags, mode_t mode = 0);
Result<UniqueFd> openat(int dirfd, const std::string& path, int flags, mode_t mode = 0);
Result<void> write_all(int fd, std::string_view data);
Result<std::string> read_all(int fd);
Result<std::string> read_file(const std::string& path);
// For kernel interface files (cgroupfs, procfs, sysfs): a single write, no temp file.
Result<void> write_file(const std::string& path, std::string_view data);
// Write to path.tmp, fsync, rename over path, fsync the directory: readers see
// the old file or the new one, never a partial one.
Result<void> write_file_atomic(const std::string& path, std::string_view data, mode_t mode = 0644);
// The second half of that for a file written by other means (a tool's output): fsync
// tmp, rename it over path, fsync the directory. tmp is removed if the rename fails.
Result<void> replace_file(const std::string& tmp, const std::string& path);
// Overwrite an existing file's first data.size() bytes where they are (no truncation, no
// new blocks), then fdatasync: for files another reader finds by their disk blocks, such
// as GRUB's environment block.
Result<void> overwrite_file_in_place(const std::string& path, std::string_view data);
Result<void> mkdir_p(const std::string& path, mode_t mode = 0755);
// Opens (creating) path and takes an exclusive flock on it, held until the fd closes;
// lock_exclusive waits for another holder, try_lock_exclusive returns nullopt instead.
Result<UniqueFd> lock_exclusive(const std::string& path);
Result<std::optional<UniqueFd>> try_lock_exclusive(const std::string& path);
Result<void> mount(const char* source, const std::string& target, const char* fstype,
                   unsigned long flags, const char* data = nullptr);
Result<void> umount(const std::string& target, int flags = 0);
Result<void> symlink(const std::string& target, const std::string& linkpath);
Result<UniqueFd> pidfd_open(pid_t pid);
Result<void> pidfd_send_signal(int pidfd, int sig);
struct Pipe {
  UniqueFd read;
  UniqueFd write;
};
Result<Pipe> pipe(int flags = 0);
// The names in a directory, without "." and "..", in readdir order.
Result<std::vector<std::string>> list_dir(const std::string& path);
bool exists(const std::string& path);
bool is_dir(const std::string& path);
// Starts argv[0] (a path) with an empty signal mask (PID 1 blocks the signals its
// event loop handles; children must not inherit that) and returns its pid. With
// output_fd >= 0 its stdout and stderr go there, otherwise to the caller's.
Result<pid_t> spawn(const std::vector<std::string>& argv, int output_fd = -1);
// Waits for pid (retrying on EINTR); its exit status, or 128 + signal if killed.
Result<int> wait_exit(pid_t pid);

}  // namespace keel::sys
