// The file system calls keel-firstboot makes, wrapped once (STYLE.md rule 4): each
// retries EINTR where that applies and names the call and path in its error.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "keel/common/error.hpp"

namespace keel::firstboot::fs {

// Creates (or truncates) `path` with `mode`, writes `data`, fsyncs it.
Result<void> write_synced(const std::string& path, std::string_view data, mode_t mode);
Result<void> rename(const std::string& from, const std::string& to);
Result<void> link(const std::string& existing, const std::string& newpath);
Result<void> unlink(const std::string& path);
// ENOENT and ENOTEMPTY are not errors: false then.
bool rmdir_if_empty(const std::string& path);
Result<void> mkdir(const std::string& path, mode_t mode);
// fsync(2) of a directory, so the renames and links in it are durable.
Result<void> fsync_dir(const std::string& path);
Result<void> remove_tree(const std::string& path);
// lstat(2): whether the path exists (even as a dangling symlink), and if a directory.
bool exists(const std::string& path);
bool is_dir(const std::string& path);
std::string parent_of(const std::string& path);

}  // namespace keel::firstboot::fs

namespace keel::firstboot::fs {

// Reads `rel` below `dir` without following any symlink (openat2 RESOLVE_BENEATH |
// RESOLVE_NO_SYMLINKS): a config drive's files must not lead out of the drive. More
// than `max` bytes is an error.
Result<std::string> read_beneath(const std::string& dir, const std::string& rel, size_t max);
// The same for a file given by its full path (sysfs, /proc): only the size limit.
Result<std::string> read_limited(const std::string& path, size_t max);

}  // namespace keel::firstboot::fs
