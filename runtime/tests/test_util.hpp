// The runtime tests use the shared test support (common/testing), plus what the
// privileged (label "root") tests share.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <initializer_list>
#include <string>
#include <vector>

#include "keel/testing/temp_dir.hpp"

namespace keel::runtime::test {
using keel::testing::read_text;
using keel::testing::TempDir;
using keel::testing::write_text;

// What a container run in a test gave: its exit status (-1: it did not run), its
// output and the runtime's error.
struct Outcome {
  int status = -1;
  std::string out, err;
};

struct SpawnOptions {
  int fd3 = -1, fd4 = -1;    // >= 0: becomes the child's fd 3 / fd 4
  bool wait = true;          // false: return at once (status -1)
  pid_t* pid_out = nullptr;  // set before waiting, for a test that signals it
};

// Runs args[0] with args, stdout and stderr going to <dir>/stdout and <dir>/stderr;
// waits for it unless told not to. status is the exit code, or 128+N on signal N.
inline Outcome run_binary(std::vector<std::string> args, const std::string& dir,
                          SpawnOptions opts = {}) {
  std::string out = dir + "/stdout", err = dir + "/stderr";
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (opts.fd3 >= 0) posix_spawn_file_actions_adddup2(&fa, opts.fd3, 3);
  if (opts.fd4 >= 0) posix_spawn_file_actions_adddup2(&fa, opts.fd4, 4);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid;
  Outcome o;
  int rc = ::posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return o;
  if (opts.pid_out) *opts.pid_out = pid;
  if (!opts.wait) return o;
  int st = 0;
  ::waitpid(pid, &st, 0);
  o.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  o.out = read_text(out);
  o.err = read_text(err);
  return o;
}

// For SetUp(): without root, skips only when KEEL_ALLOW_SKIP_ROOT=1 and fails
// otherwise, so CI never skips the privileged tests silently. `what` names them
// ("the cgroup tests"). A caller that does more work after it checks geteuid().
inline void require_root(const std::string& what) {
  if (::geteuid() == 0) return;
  const char* allow = std::getenv("KEEL_ALLOW_SKIP_ROOT");
  if (allow && std::string(allow) == "1") GTEST_SKIP() << "needs root";
  FAIL() << what << " need root (set KEEL_ALLOW_SKIP_ROOT=1 to skip)";
}

// A container root made of the host's static busybox: /bin/busybox with one
// symlink per applet, and the given empty directories.
inline void make_busybox_rootfs(const std::string& root, std::initializer_list<const char*> dirs,
                                std::initializer_list<const char*> applets) {
  namespace fs = std::filesystem;
  fs::create_directories(root + "/bin");
  for (const char* d : dirs) fs::create_directories(root + "/" + d);
  fs::copy_file("/bin/busybox", root + "/bin/busybox");
  for (const char* app : applets) fs::create_symlink("busybox", root + "/bin/" + app);
}

}  // namespace keel::runtime::test
