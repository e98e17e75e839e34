#include "keel/compose/process.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <filesystem>

#include "keel/common/sys.hpp"

extern char** environ;

namespace keel::compose {

namespace {

Result<pid_t> spawn(const std::vector<std::string>& argv, int out_fd, int in_fd = -1) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (in_fd >= 0) posix_spawn_file_actions_adddup2(&fa, in_fd, 0);
  if (out_fd >= 0) {
    posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
    posix_spawn_file_actions_adddup2(&fa, out_fd, 2);
  }
  pid_t pid;
  int rc = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return fail(Error::from_errno(fmt::format("cannot run {}", argv[0]), rc));
  return pid;
}

Result<void> wait_for(pid_t pid, const std::string& name) {
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return fail_errno("waitpid");
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
  if (WIFEXITED(status))
    return fail_msg(fmt::format("{} exited with status {}", name, WEXITSTATUS(status)));
  return fail_msg(fmt::format("{} was killed by signal {}", name, WTERMSIG(status)));
}

}  // namespace

Result<void> run_command(const std::vector<std::string>& argv, const RunOptions& opts) {
  UniqueFd log;
  if (!opts.log_path.empty())
    log = TRY(sys::open(opts.log_path, O_WRONLY | O_CREAT | O_APPEND, 0644));
  UniqueFd in;
  if (!opts.stdin_path.empty()) in = TRY(sys::open(opts.stdin_path, O_RDONLY));
  pid_t pid = TRY(spawn(argv, log ? log.get() : -1, in ? in.get() : -1));
  return wait_for(pid, argv[0]);
}

Result<std::string> run_capture(const std::vector<std::string>& argv) {
  auto p = TRY(sys::pipe());
  pid_t pid = TRY(spawn(argv, p.write.get()));
  p.write.reset();
  auto out = sys::read_all(p.read.get());
  TRY(wait_for(pid, argv[0]));
  return out;
}

Result<void> remove_tree(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(std::filesystem::symlink_status(path, ec))) return {};
  // Deployment directories carry the immutable flag; clear it before deleting.
  (void)run_command({"chattr", "-R", "-i", path}, {.log_path = "/dev/null"});
  std::filesystem::remove_all(path, ec);
  if (ec) return fail(Error::from_errno(fmt::format("removing {}", path), ec.value()));
  return {};
}

}  // namespace keel::compose
