// A container's saved state (runtime-spec "runtime.md#state"), kept by `create` in
// <root>/<id>/state.json and read by start, state, kill and delete.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "keel/common/error.hpp"
#include "keel/common/unique_fd.hpp"

namespace keel::runtime {

struct ContainerState {
  std::string oci_version, id, bundle;
  std::string status = "creating";  // creating | created | running | stopped
  pid_t pid = 0;
  std::map<std::string, std::string> annotations;
  // Beyond the spec, for this runtime: the pid's start time (/proc/<pid>/stat field
  // 22) guards against pid reuse; created is RFC 3339; cgroup is the group's path.
  uint64_t start_time = 0;
  std::string created, cgroup;
  // Hybrid hosts: the container's v1 groups, one per controller, removed by delete.
  std::vector<std::string> cgroups_v1;
};

// The spec's state document; `full` adds the runtime's own fields (state.json).
std::string render_state(const ContainerState& s, bool full);
Result<ContainerState> parse_state(std::string_view json_text, const std::string& where);

// Field 22 of /proc/<pid>/stat ("starttime", proc(5)); the comm field may hold
// spaces and parentheses, so parsing starts after the last ')'.
Result<uint64_t> parse_start_time(std::string_view stat_line);
// The start time of a live process, 0 if it cannot be read (then no reuse check).
uint64_t process_start_time(pid_t pid);
// The process state letter (field 3), e.g. 'Z' for a zombie.
char parse_proc_state(std::string_view stat_line);

// Live status: saved as "creating" with no pid yet -> creating; pid gone, reused
// or a zombie -> stopped; exec fifo still there -> created; otherwise running.
std::string derive_status(const ContainerState& s, bool fifo_exists);

// runc's rule: letters, digits, '_', '+', '-', '.', not "." or "..", so an ID is
// always one path component below the state root.
Result<void> check_container_id(std::string_view id);

// <root>/<id>, and the files in it.
std::string state_dir(const std::string& root, const std::string& id);
std::string fifo_path(const std::string& root, const std::string& id);
// Reads <root>/<id>/state.json; "container <id> does not exist" when absent.
Result<ContainerState> load_container_state(const std::string& root, const std::string& id);
// Writes state.json atomically (write_file_atomic: temp file + rename).
Result<void> save_container_state(const std::string& root, const ContainerState& s);

// The state of a container that `up` (or run_container) runs in the foreground, so
// that state, list, ps, kill and exec see it like a created one. Removed when the
// record goes away. A record left by a killed runtime is replaced.
class RunningRecord {
 public:
  static Result<RunningRecord> write(const std::string& root, ContainerState s);
  RunningRecord(RunningRecord&& o) noexcept : m_dir(std::exchange(o.m_dir, {})) {}
  RunningRecord& operator=(RunningRecord&&) = delete;
  ~RunningRecord();

 private:
  RunningRecord() = default;
  std::string m_dir;
};

// A pidfd for the container's init, or an error if it is gone or the pid was reused
// (lifecycle_ops.cpp).
Result<UniqueFd> open_init(const ContainerState& s);
// <root>/<id>/state.json with the live status (derive_status) (lifecycle_ops.cpp).
Result<ContainerState> load_live(const std::string& root, const std::string& id);

// Writes path.tmp and renames it over path: readers see the old file or the new one.
// No fsync: state lives on /run (tmpfs) and means nothing after a reboot; an fsync
// costs tens of ms per container on a disk-backed /run.
Result<void> write_file_renamed(const std::string& path, std::string_view data, mode_t mode);

// Current UTC time as RFC 3339 with nanoseconds.
std::string rfc3339_now();

}  // namespace keel::runtime
