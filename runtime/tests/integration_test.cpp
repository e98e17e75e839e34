// Privileged tests: real containers from a busybox image (needs root; label "root").
// Fails when not root, unless KEEL_ALLOW_SKIP_ROOT=1, so CI never skips silently.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "cgroup.hpp"
#include "keel/runtime/container.hpp"
#include "keel/runtime/oci_image.hpp"
#include "keel/runtime/spec.hpp"
#include "test_util.hpp"

namespace keel::runtime {
namespace {

using test::read_text;
using test::TempDir;
using test::write_text;
namespace fs = std::filesystem;

struct Outcome {
  int status = -1;
  std::string out, err;
};

class Containers : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (::geteuid() != 0) return;
    s_dir = new TempDir();
    std::string root = *s_dir / "rootfs";
    fs::create_directories(root + "/bin");
    for (const char* d : {"proc", "dev", "sys", "tmp", "etc"})
      fs::create_directories(root + "/" + d);
    fs::copy_file("/bin/busybox", root + "/bin/busybox");
    for (const char* app : {"sh", "echo", "cat", "hostname", "ls", "sleep", "grep", "wc", "true"})
      fs::create_symlink("busybox", root + "/bin/" + app);
    ImageConfig cfg{.cmd = {"sh"}, .env = {"IMAGE_VAR=from-image"}};
    ASSERT_TRUE(write_oci_layout(root, cfg, *s_dir / "images/busybox", "busybox"));
  }
  static void TearDownTestSuite() { delete s_dir; }

  void SetUp() override {
    if (::geteuid() == 0) return;
    const char* allow = std::getenv("KEEL_ALLOW_SKIP_ROOT");
    if (allow && std::string(allow) == "1") GTEST_SKIP() << "needs root";
    FAIL() << "the runtime integration tests need root (set KEEL_ALLOW_SKIP_ROOT=1 to skip)";
  }

  // Writes <name>.toml and runs `keel-runtime up` on it.
  Outcome up(const std::string& name, const std::string& toml) {
    std::string def = *s_dir / ("defs/" + name + ".toml");
    write_text(def, "image = \"busybox\"\n" + toml);
    return spawn({KEEL_RUNTIME_BINARY, "up", def, "--images", *s_dir / "images", "--state",
                  *s_dir / "state"});
  }

  static Outcome spawn(std::vector<std::string> args, pid_t* pid_out = nullptr) {
    std::string out = *s_dir / "stdout", err = *s_dir / "stderr";
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid;
    Outcome o;
    if (posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ) != 0) return o;
    posix_spawn_file_actions_destroy(&fa);
    if (pid_out) *pid_out = pid;
    int st;
    ::waitpid(pid, &st, 0);
    o.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    o.out = read_text(out);
    o.err = read_text(err);
    return o;
  }

  static inline TempDir* s_dir = nullptr;
};

TEST_F(Containers, ProcessIsPid1AndHostnameIsTheDefinitions) {
  auto o = up("hello", R"(command = ["sh", "-c", "echo pid=$$; hostname"]
hostname = "box1")");
  EXPECT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out, "pid=1\nbox1\n") << o.err;
}

TEST_F(Containers, ProcIsMountedAndOnlyLoopbackExists) {
  auto o = up(
      "net",
      R"(command = ["sh", "-c", "test -r /proc/1/status && echo proc-ok; tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '"])");
  EXPECT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out, "proc-ok\nlo\n") << o.err;
}

TEST_F(Containers, DevAndEnvAreSetUp) {
  auto o = up(
      "env",
      R"(command = ["sh", "-c", "echo $IMAGE_VAR $DEF_VAR; echo x > /dev/null && test -c /dev/urandom && test -L /dev/fd && echo dev-ok"]
env = ["DEF_VAR=from-def"])");
  EXPECT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out, "from-image from-def\ndev-ok\n") << o.err;
}

TEST_F(Containers, ExitStatusPropagates) {
  auto o = up("exit3", R"(command = ["sh", "-c", "exit 3"])");
  EXPECT_EQ(o.status, 3) << o.err;
}

TEST_F(Containers, FailingSetupGivesAClearError) {
  auto o = up("broken", R"(command = ["/no/such/program"])");
  EXPECT_EQ(o.status, 125);
  EXPECT_NE(o.err.find("error keel-runtime: container broken: exec /no/such/program: No such file "
                       "or directory"),
            std::string::npos)
      << o.err;
  std::string def = *s_dir / "defs/noimage.toml";
  write_text(def, "image = \"missing\"\n");
  o = spawn(
      {KEEL_RUNTIME_BINARY, "up", def, "--images", *s_dir / "images", "--state", *s_dir / "state"});
  EXPECT_EQ(o.status, 125);
  EXPECT_NE(o.err.find("missing/index.json"), std::string::npos) << o.err;
}

TEST_F(Containers, RunContainerInProcessWithABundle) {
  std::string bundle = *s_dir / "bundle";
  fs::remove_all(bundle);
  ASSERT_TRUE(unpack_oci_layout(*s_dir / "images/busybox", bundle + "/rootfs"));
  ContainerDef def{.name = "inproc",
                   .image = "busybox",
                   .command = {"sh", "-c", "echo $$ > /tmp/out; exit 5"},
                   .hostname = "inproc"};
  auto json = make_spec_json(ImageConfig{}, def);
  ASSERT_TRUE(json);
  auto spec = parse_spec(*json, "config.json");
  ASSERT_TRUE(spec) << spec.error().message();
  auto r = run_container(*spec, bundle, "inproc");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(*r, 5);
  EXPECT_EQ(read_text(bundle + "/rootfs/tmp/out"), "1\n");
}

// Runs `keel-runtime up` with stdout on a pipe and calls on_ready(runtime pid) once
// the container has printed "ready": no sleeps, the container says when.
template <class F>
Outcome up_and_signal(const std::string& def, F on_ready) {
  int fds[2];
  Outcome o;
  if (::pipe2(fds, O_CLOEXEC) != 0) return o;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
  std::string dir = fs::path(def).parent_path().parent_path();
  std::vector<std::string> args = {KEEL_RUNTIME_BINARY, "up",      def,           "--images",
                                   dir + "/images",     "--state", dir + "/state"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid;
  int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(fds[1]);
  if (rc != 0) return o;
  char buf[256];
  ssize_t n;
  bool signalled = false;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0) {
    o.out.append(buf, static_cast<size_t>(n));
    if (!signalled && o.out.find("ready\n") != std::string::npos) {
      on_ready(pid);
      signalled = true;
    }
  }
  ::close(fds[0]);
  int st;
  ::waitpid(pid, &st, 0);
  o.status = WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
  return o;
}

TEST_F(Containers, SigtermIsForwardedToPid1) {
  // PID 1 of a PID namespace only gets signals it has a handler for: trap TERM.
  // `wait` returns as soon as the trap fires.
  std::string def = *s_dir / "defs/sig.toml";
  write_text(def, R"(image = "busybox"
command = ["sh", "-c", "trap 'echo got-term; exit 7' TERM; sleep 1000 & echo ready; wait"])");
  auto o = up_and_signal(def, [](pid_t pid) { ::kill(pid, SIGTERM); });
  EXPECT_EQ(o.status, 7);
  EXPECT_EQ(o.out, "ready\ngot-term\n");
}

TEST_F(Containers, DeathBySignalIs128PlusN) {
  std::string def = *s_dir / "defs/killed.toml";
  write_text(def, R"(image = "busybox"
command = ["sh", "-c", "echo ready; exec sleep 1000"])");
  // The container's PID 1 is keel-runtime's only child; SIGKILL it from the host.
  auto o = up_and_signal(def, [](pid_t pid) {
    std::string p = "/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children";
    pid_t child = static_cast<pid_t>(std::atoi(read_text(p).c_str()));
    if (child > 0) ::kill(child, SIGKILL);
  });
  EXPECT_EQ(o.status, 128 + SIGKILL);
}

// This host is hybrid, but its v2 hierarchy at /sys/fs/cgroup/unified still shows the
// unified-mode code path: groups are created and removed, and a limit whose controller
// is missing is a clear error rather than silently ignored.
TEST_F(Containers, CgroupV2GroupLifecycle) {
  const std::string root = "/sys/fs/cgroup/unified";
  if (detect_cgroup_mode(root) != CgroupMode::unified) GTEST_SKIP() << "no cgroup2 at " << root;
  SpecLinux l;
  {
    auto cg = Cgroup::create(l, "keel-test-cg", root);
    ASSERT_TRUE(cg) << cg.error().message();
    EXPECT_GE(cg->fd(), 0);
    EXPECT_TRUE(fs::is_directory(root + "/keel/keel-test-cg"));
    EXPECT_TRUE(cg->remove());
  }
  EXPECT_FALSE(fs::exists(root + "/keel/keel-test-cg"));
  l.pids_limit = 10;
  {
    auto cg = Cgroup::create(l, "keel-test-cg", root);
    if (!cg) {
      EXPECT_NE(cg.error().message().find("pids controller is not available"), std::string::npos)
          << cg.error().message();
    }
  }
  ::rmdir((root + "/keel").c_str());
}

}  // namespace
}  // namespace keel::runtime
