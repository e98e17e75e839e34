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
#include <nlohmann/json.hpp>

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

using test::Outcome;

class Containers : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (::geteuid() != 0) return;
    s_dir = new TempDir();
    std::string root = *s_dir / "rootfs";
    test::make_busybox_rootfs(root, {"proc", "dev", "sys", "tmp", "etc"},
                              {"sh", "echo", "cat", "hostname", "ls", "sleep", "grep", "wc", "true",
                               "chown", "chmod", "mknod", "mount", "unshare", "mkdir", "touch"});
    ImageConfig cfg{.cmd = {"sh"}, .env = {"IMAGE_VAR=from-image"}};
    ASSERT_TRUE(write_oci_layout(root, cfg, *s_dir / "images/busybox", "busybox"));
  }
  static void TearDownTestSuite() { delete s_dir; }

  void SetUp() override { test::require_root("the runtime integration tests"); }

  // Writes <name>.toml and runs `keel-runtime up` on it.
  Outcome up(const std::string& name, const std::string& toml) {
    std::string def = *s_dir / ("defs/" + name + ".toml");
    write_text(def, "image = \"busybox\"\n" + toml);
    return spawn({KEEL_RUNTIME_BINARY, "up", def, "--images", *s_dir / "images", "--state",
                  *s_dir / "state"});
  }

  static Outcome spawn(std::vector<std::string> args, pid_t* pid_out = nullptr) {
    return test::run_binary(std::move(args), s_dir->path(), {.pid_out = pid_out});
  }

  // Runs `script` in a bundle whose config.json is make_spec_json's (Keel's default
  // profile), changed by `edit`. The script's stdout and stderr come back in `out`;
  // a runtime error in `err`.
  template <class F>
  static Outcome run_bundle(const std::string& name, const std::string& script, F edit) {
    Outcome o;
    std::string bundle = *s_dir / ("bundles/" + name);
    fs::remove_all(bundle);
    if (!unpack_oci_layout(*s_dir / "images/busybox", bundle + "/rootfs")) return o;
    ContainerDef def{
        .name = name, .image = "busybox", .command = {"sh", "-c", "exec >/out 2>&1; " + script}};
    auto text = make_spec_json(ImageConfig{}, def);
    if (!text) return o;
    auto j = nlohmann::json::parse(*text);
    edit(j);
    auto spec = parse_spec(j.dump(), name + "/config.json");
    if (!spec) {
      o.err = spec.error().message();
      return o;
    }
    auto r = run_container(*spec, bundle, name);
    if (r)
      o.status = *r;
    else
      o.err = r.error().message();
    o.out = read_text(bundle + "/rootfs/out");
    return o;
  }

  static inline TempDir* s_dir = nullptr;
};

// Docker's default capabilities as /proc/<pid>/status shows them: CHOWN(0),
// DAC_OVERRIDE(1), FOWNER(3), FSETID(4), KILL(5), SETGID(6), SETUID(7), SETPCAP(8),
// NET_BIND_SERVICE(10), NET_RAW(13), SYS_CHROOT(18), MKNOD(27), AUDIT_WRITE(29), SETFCAP(31).
constexpr const char* kDefaultCapMask = "00000000a80425fb";

std::string status_line(const std::string& out, const std::string& key) {
  size_t at = out.find(key + ":");
  if (at == std::string::npos) return "";
  size_t start = out.find_first_not_of(" \t", at + key.size() + 1);
  return out.substr(start, out.find('\n', start) - start);
}

using nlohmann::json;

void set_caps(json& j, const std::vector<std::string>& caps) {
  for (const char* set : {"bounding", "effective", "permitted"})
    j["process"]["capabilities"][set] = caps;
}

TEST_F(Containers, DefaultProfileConfinesTheProcess) {
  auto o = up(
      "confined",
      R"(command = ["sh", "-c", "grep -E '^(Cap|NoNewPrivs|Seccomp:)' /proc/self/status; hostname foo; mkdir /tmp/m; mount -t tmpfs none /tmp/m; unshare -n true; echo done"])");
  EXPECT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(status_line(o.out, "CapBnd"), kDefaultCapMask) << o.out;
  EXPECT_EQ(status_line(o.out, "CapEff"), kDefaultCapMask) << o.out;
  EXPECT_EQ(status_line(o.out, "CapPrm"), kDefaultCapMask) << o.out;
  EXPECT_EQ(status_line(o.out, "CapInh"), "0000000000000000") << o.out;
  EXPECT_EQ(status_line(o.out, "CapAmb"), "0000000000000000") << o.out;
  EXPECT_EQ(status_line(o.out, "NoNewPrivs"), "1") << o.out;
  EXPECT_EQ(status_line(o.out, "Seccomp"), "2") << o.out;  // SECCOMP_MODE_FILTER
  EXPECT_NE(o.err.find("hostname: sethostname: Operation not permitted"), std::string::npos)
      << o.err;
  // busybox mount reports EPERM as "permission denied (are you root?)".
  EXPECT_NE(o.err.find("mount: permission denied"), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("unshare: unshare(0x40000000): Operation not permitted"), std::string::npos)
      << o.err;
  EXPECT_TRUE(o.out.ends_with("done\n")) << o.out;
}

TEST_F(Containers, DroppedCapabilityFailsWithEperm) {
  auto o = run_bundle("nochown",
                      "grep -E '^Cap(Bnd|Eff)' /proc/self/status; touch /tmp/f; chown 1:1 /tmp/f; "
                      "mknod /tmp/null c 1 3 && echo mknod-ok",
                      [](json& j) {
                        auto caps = default_capabilities();
                        std::erase(caps, "CAP_CHOWN");
                        set_caps(j, caps);
                        j["linux"].erase("seccomp");
                      });
  EXPECT_EQ(o.status, 0) << o.err << o.out;
  EXPECT_EQ(status_line(o.out, "CapBnd"), "00000000a80425fa") << o.out;
  EXPECT_EQ(status_line(o.out, "CapEff"), "00000000a80425fa") << o.out;
  EXPECT_NE(o.out.find("chown: /tmp/f: Operation not permitted"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("mknod-ok"), std::string::npos) << o.out;
}

// With CAP_SYS_ADMIN the kernel would allow mount and unshare: the default profile's
// filter is what refuses them. Without the filter the same commands work.
TEST_F(Containers, SeccompBlocksWhatCapabilitiesAllow) {
  const std::string script =
      "mkdir /tmp/m; mount -t tmpfs none /tmp/m && echo mounted; unshare -u true && echo unshared";
  auto with_sys_admin = [](json& j) {
    auto caps = default_capabilities();
    caps.push_back("CAP_SYS_ADMIN");
    set_caps(j, caps);
  };
  auto o = run_bundle("seccomp-on", script, with_sys_admin);
  EXPECT_EQ(o.status, 1) << o.err << o.out;
  EXPECT_EQ(o.out,
            "mount: permission denied (are you root?)\n"
            "unshare: unshare(0x4000000): Operation not permitted\n");
  o = run_bundle("seccomp-off", script, [&](json& j) {
    with_sys_admin(j);
    j["linux"].erase("seccomp");
  });
  EXPECT_EQ(o.status, 0) << o.err << o.out;
  EXPECT_EQ(o.out, "mounted\nunshared\n");
}

// A custom profile: errnoRet on a rule, and a rule that matches one argument value.
TEST_F(Containers, SeccompRulesWithErrnoRetAndArguments) {
  auto o = run_bundle(
      "seccomp-custom",
      "mkdir /tmp/d; touch /tmp/f; chmod 755 /tmp/f && echo chmod-755-ok; chmod 700 /tmp/f",
      [](json& j) {
        j["linux"]["seccomp"] = json::parse(R"({
          "defaultAction": "SCMP_ACT_ALLOW",
          "architectures": ["SCMP_ARCH_X86_64"],
          "syscalls": [
            {"names": ["mkdir", "mkdirat", "no_such_syscall"], "action": "SCMP_ACT_ERRNO",
             "errnoRet": 38},
            {"names": ["chmod"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13,
             "args": [{"index": 1, "value": 448, "op": "SCMP_CMP_EQ"}]},
            {"names": ["fchmodat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13,
             "args": [{"index": 2, "value": 448, "op": "SCMP_CMP_EQ"}]}]})");
      });
  EXPECT_EQ(o.status, 1) << o.err << o.out;
  EXPECT_NE(o.out.find("mkdir: can't create directory '/tmp/d': Function not implemented"),
            std::string::npos)
      << o.out;
  EXPECT_NE(o.out.find("chmod-755-ok"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("chmod: /tmp/f: Permission denied"), std::string::npos) << o.out;
}

TEST_F(Containers, RlimitsOomScoreGroupsUmaskAndSysctl) {
  auto o = run_bundle("attrs",
                      "ulimit -n; cat /proc/self/oom_score_adj; grep Groups /proc/self/status; "
                      "umask; cat /proc/sys/net/ipv4/ip_forward",
                      [](json& j) {
                        j["process"]["rlimits"] =
                            json::parse(R"([{"type": "RLIMIT_NOFILE", "soft": 123, "hard": 456}])");
                        j["process"]["oomScoreAdj"] = 500;
                        j["process"]["user"]["additionalGids"] = {10, 20};
                        j["process"]["user"]["umask"] = 027;
                        j["linux"]["sysctl"] = {{"net.ipv4.ip_forward", "1"}};
                      });
  EXPECT_EQ(o.status, 0) << o.err << o.out;
  EXPECT_EQ(o.out, "123\n500\nGroups:\t10 20 \n0027\n1\n");
}

// Capabilities the runtime does not hold itself (CAP_SYS_RESOURCE is missing on some
// build hosts) are skipped with a warning, not a failure: asking for every capability
// gives the runtime's own bounding set.
TEST_F(Containers, CapabilitiesTheRuntimeLacksAreSkipped) {
  std::vector<std::string> all;
  for (const char* c : {"CAP_CHOWN",
                        "CAP_DAC_OVERRIDE",
                        "CAP_DAC_READ_SEARCH",
                        "CAP_FOWNER",
                        "CAP_FSETID",
                        "CAP_KILL",
                        "CAP_SETGID",
                        "CAP_SETUID",
                        "CAP_SETPCAP",
                        "CAP_LINUX_IMMUTABLE",
                        "CAP_NET_BIND_SERVICE",
                        "CAP_NET_BROADCAST",
                        "CAP_NET_ADMIN",
                        "CAP_NET_RAW",
                        "CAP_IPC_LOCK",
                        "CAP_IPC_OWNER",
                        "CAP_SYS_MODULE",
                        "CAP_SYS_RAWIO",
                        "CAP_SYS_CHROOT",
                        "CAP_SYS_PTRACE",
                        "CAP_SYS_PACCT",
                        "CAP_SYS_ADMIN",
                        "CAP_SYS_BOOT",
                        "CAP_SYS_NICE",
                        "CAP_SYS_RESOURCE",
                        "CAP_SYS_TIME",
                        "CAP_SYS_TTY_CONFIG",
                        "CAP_MKNOD",
                        "CAP_LEASE",
                        "CAP_AUDIT_WRITE",
                        "CAP_AUDIT_CONTROL",
                        "CAP_SETFCAP",
                        "CAP_MAC_OVERRIDE",
                        "CAP_MAC_ADMIN",
                        "CAP_SYSLOG",
                        "CAP_WAKE_ALARM",
                        "CAP_BLOCK_SUSPEND",
                        "CAP_AUDIT_READ",
                        "CAP_PERFMON",
                        "CAP_BPF",
                        "CAP_CHECKPOINT_RESTORE"})
    all.push_back(c);
  auto o = run_bundle("allcaps", "grep -E '^Cap(Bnd|Eff)' /proc/self/status",
                      [&](json& j) { set_caps(j, all); });
  EXPECT_EQ(o.status, 0) << o.err << o.out;
  std::string own = status_line(read_text("/proc/self/status"), "CapBnd");
  EXPECT_EQ(status_line(o.out, "CapBnd"), own) << o.out;
  EXPECT_EQ(status_line(o.out, "CapEff"), own) << o.out;
}

TEST_F(Containers, SetupErrorsNameTheCause) {
  auto o = run_bundle("bad-oom", "true", [](json& j) { j["process"]["oomScoreAdj"] = 5000; });
  EXPECT_NE(o.err.find("process.oomScoreAdj"), std::string::npos) << o.err;
  o = run_bundle("bad-sysctl", "true", [](json& j) {
    j["linux"]["sysctl"] = {{"kernel.panic", "1"}};
  });
  EXPECT_NE(o.err.find("sysctl kernel.panic is not namespaced"), std::string::npos) << o.err;
  o = run_bundle("bad-cap", "true", [](json& j) { set_caps(j, {"CAP_TELEPORT"}); });
  EXPECT_NE(o.err.find("unknown capability 'CAP_TELEPORT'"), std::string::npos) << o.err;
}

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
  auto text = make_spec_json(ImageConfig{}, def);
  ASSERT_TRUE(text);
  auto spec = parse_spec(*text, "config.json");
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
  l.resources.pids_limit = 10;
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
