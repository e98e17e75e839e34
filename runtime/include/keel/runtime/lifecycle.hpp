// The OCI runtime operations (runtime-spec "runtime.md#operations") over a state
// directory, as runc and crun offer them: create, start, state, kill, delete, and
// run = create + start (+ wait + delete).
#pragma once

#include <string>
#include <vector>

#include "keel/common/error.hpp"

namespace keel::runtime {

inline constexpr const char* kDefaultStateRoot = "/run/keel-runtime";

struct CreateOptions {
  std::string root = kDefaultStateRoot;  // <root>/<id>/state.json, exec.fifo
  std::string bundle = ".";
  std::string pid_file;        // written atomically with the init's pid
  std::string console_socket;  // process.terminal: the pty master goes there
  bool no_pivot = false;
  int preserve_fds = 0;  // fds 3..3+N-1 pass to the container (plus LISTEN_FDS)
};

// Sets the container up and leaves its init blocked before execve ("created").
Result<void> create_container(const std::string& id, const CreateOptions& opts);
// Releases a created container; runs poststart hooks (failures are warnings).
Result<void> start_container(const std::string& root, const std::string& id);
// The state document (runtime.md#state) with the live status.
Result<std::string> container_state(const std::string& root, const std::string& id);
// Sends `sig` to the init, or with `all` to every process of its cgroup.
Result<void> kill_container(const std::string& root, const std::string& id, int sig, bool all);
// Removes a stopped (or, with force, any) container: cgroup, poststop hooks, state.
Result<void> delete_container(const std::string& root, const std::string& id, bool force);

// `list`: every container under root with its live status, as state documents.
Result<std::vector<std::string>> list_containers(const std::string& root);
// `ps`: the host pids of the container's processes (those in its init's pid namespace,
// so it works without a cgroup too).
Result<std::vector<int>> container_pids(const std::string& root, const std::string& id);

// `exec` (runc exec): what differs from the container's own process.
struct ExecOptions {
  std::vector<std::string> args;  // the command; empty: --process must give it
  std::string process_file;       // --process: a process.json (config.md#process)
  std::vector<std::string> env;   // --env KEY=VALUE, over the process's env
  std::string cwd;                // --cwd; empty: the process's
  std::string user;               // --user UID[:GID]; empty: the process's
  bool detach = false;            // -d: return once it runs
  std::string pid_file;           // written with its host pid
};

// Runs a new process in a running container: its namespaces, cgroups, capabilities,
// seccomp filter, no_new_privs and SELinux label, as config.json gives them.
// Foreground: forwards signals and returns its exit status (128+N when killed).
Result<int> exec_container(const std::string& root, const std::string& id, const ExecOptions& o);

enum class Detach { no, yes };
// create + start; without Detach::yes waits (forwarding signals), deletes, and
// returns the container's exit status (128+N when killed by signal N).
Result<int> run_lifecycle(const std::string& id, const CreateOptions& opts, Detach detach);

}  // namespace keel::runtime
