// Privileged cgroup tests: real containers (busybox) with linux.resources, checked
// from inside the container by their effects, so they hold on hybrid hosts (v1
// controllers) and on pure cgroup v2 hosts alike. Fails when not root unless
// KEEL_ALLOW_SKIP_ROOT=1.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "cgroup.hpp"
#include "keel/runtime/spec.hpp"
#include "test_util.hpp"

namespace keel::runtime {
namespace {

using nlohmann::json;
using test::read_text;
using test::TempDir;
using test::write_text;
namespace fs = std::filesystem;

using test::Outcome;

class Cgroups : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (::geteuid() != 0) return;
    s_dir = new TempDir();
  }
  static void TearDownTestSuite() { delete s_dir; }

  void SetUp() override { test::require_root("the cgroup tests"); }

  static std::string make_bundle(const std::string& name) {
    std::string bundle = *s_dir / name, root = bundle + "/rootfs";
    fs::remove_all(bundle);
    test::make_busybox_rootfs(
        root, {"proc", "dev", "sys", "tmp"},
        {"sh", "cat", "grep", "head", "tail", "sleep", "mknod", "echo", "seq", "wc", "kill"});
    return bundle;
  }

  // Runs `keel-runtime run` on a bundle whose config.json is Keel's default spec with
  // `resources` as linux.resources, running `script` with its output in /out.
  static Outcome run(const std::string& name, const std::string& script, const json& resources,
                     bool seccomp = true) {
    std::string bundle = make_bundle(name);
    ContainerDef def{
        .name = name, .image = "busybox", .command = {"sh", "-c", "exec >/out 2>&1; " + script}};
    auto j = json::parse(*make_spec_json(ImageConfig{}, def));
    j["linux"]["resources"] = resources;
    j["linux"]["cgroupsPath"] = "/keel-test/" + name;
    if (!seccomp) j["linux"].erase("seccomp");
    write_text(bundle + "/config.json", j.dump());
    std::string err = bundle + "/stderr";
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::vector<std::string> args = {KEEL_RUNTIME_BINARY, "run", "--bundle", bundle, name};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    Outcome o;
    pid_t pid;
    if (posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ) != 0) return o;
    posix_spawn_file_actions_destroy(&fa);
    int st;
    ::waitpid(pid, &st, 0);
    o.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    o.out = read_text(bundle + "/rootfs/out");
    o.err = read_text(err);
    return o;
  }

  static inline TempDir* s_dir = nullptr;
};

size_t count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// tail keeps the whole stream in memory: past 32 MiB (no swap either) the kernel's
// OOM killer ends it with SIGKILL, which the shell reports as 128 + 9.
// While the dead tail's pages are still being uncharged, head's next pipe write can
// hit the limit again, and that second OOM skips the reaped tail. The pipeline's
// subshell raises its own oom_score_adj (raising needs no privilege) so the second
// victim is head, never the container's shell that must report (seen once in CI).
TEST_F(Cgroups, MemoryLimitOomKills) {
  auto o = run("memory",
               "(echo 1000 >/proc/self/oom_score_adj && head -c 200m /dev/zero | tail >/dev/null); "
               "echo tail-status=$?",
               {{"memory", {{"limit", 32 << 20}, {"swap", 32 << 20}}}});
  EXPECT_EQ(o.status, 0) << o.err << o.out;
  EXPECT_NE(o.out.find("tail-status=137"), std::string::npos) << o.out << o.err;
  // The same pipeline runs to its end without the limit.
  o = run("nomemory", "head -c 200m /dev/zero | tail >/dev/null; echo tail-status=$?",
          json::object());
  EXPECT_NE(o.out.find("tail-status=0"), std::string::npos) << o.out << o.err;
}

// With pids.max 8, the shell and its background sleeps hit the limit: fork fails.
TEST_F(Cgroups, PidsLimitStopsForks) {
  auto o = run("pids", "for i in $(seq 1 20); do sleep 30 & done; echo started",
               {{"pids", {{"limit", 8}}}});
  EXPECT_NE(o.out.find("can't fork"), std::string::npos) << o.out << o.err;
}

TEST_F(Cgroups, CpusetPinsToCpu0) {
  auto o = run("cpuset", "grep Cpus_allowed_list /proc/self/status",
               {{"cpu", {{"cpus", "0"}, {"mems", "0"}}}});
  EXPECT_EQ(o.status, 0) << o.err << o.out;
  EXPECT_EQ(o.out, "Cpus_allowed_list:\t0\n") << o.err;
}

// Default deny: a block device node cannot be made, the runtime's /dev nodes work,
// and a rule in the spec opens one more (c 10:200, /dev/net/tun) for mknod only.
TEST_F(Cgroups, DeviceRulesAreEnforced) {
  auto o = run(
      "devices",
      "mknod /tmp/sda b 8 0 && echo sda-ok; mknod /tmp/tun c 10 200 && echo tun-ok; "
      "cat /tmp/tun; head -c 4 /dev/zero >/dev/null && echo zero-ok",
      {{"devices",
        json::array(
            {{{"allow", false}, {"access", "rwm"}},
             {{"allow", true}, {"type", "c"}, {"major", 10}, {"minor", 200}, {"access", "m"}}})}},
      /*seccomp=*/false);
  EXPECT_NE(o.out.find("mknod: /tmp/sda: Operation not permitted"), std::string::npos) << o.out;
  EXPECT_EQ(o.out.find("sda-ok"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("tun-ok"), std::string::npos) << o.out << o.err;
  EXPECT_NE(o.out.find("cat: can't open '/tmp/tun': Operation not permitted"), std::string::npos)
      << o.out;
  EXPECT_NE(o.out.find("zero-ok"), std::string::npos) << o.out;
}

// A hybrid host is named once, with what goes where; a pure v2 host says nothing.
TEST_F(Cgroups, HybridHostIsAnnouncedOnce) {
  auto o = run("announce", "echo hi", {{"pids", {{"limit", 100}}}, {"memory", {{"limit", -1}}}});
  EXPECT_EQ(o.status, 0) << o.err;
  if (detect_cgroup_mode() == CgroupMode::unified) {
    EXPECT_EQ(o.err.find("cgroup:"), std::string::npos) << o.err;
    return;
  }
  EXPECT_EQ(
      count(o.err, "cgroup: hybrid v1/v2 host (v2 at /sys/fs/cgroup/unified has controllers: "), 1u)
      << o.err;
  // The list is the v1 hierarchies mounted here (hugetlb too, if it was moved to v1).
  size_t at = o.err.find("): applying memory, pids, cpu, cpuset, blkio");
  ASSERT_NE(at, std::string::npos) << o.err;
  std::string line = o.err.substr(at, o.err.find('\n', at) - at);
  EXPECT_NE(line.find("devices"), std::string::npos) << line;
  EXPECT_TRUE(line.ends_with(" via v1")) << line;
}

// v2-only fields on a v1 host, v1-only ones on a v2 host: a warning naming each.
TEST_F(Cgroups, FieldsTheHostCannotApplyAreNamed) {
  auto o = run("notapplied", "echo hi",
               {{"cpu", {{"idle", 1}}}, {"memory", {{"swappiness", 10}, {"kernel", 1}}}});
  EXPECT_EQ(o.status, 0) << o.err;
  EXPECT_NE(o.err.find("linux.resources.memory.kernel is not applied"), std::string::npos) << o.err;
  const char* field = detect_cgroup_mode() == CgroupMode::unified
                          ? "linux.resources.memory.swappiness is not applied"
                          : "linux.resources.cpu.idle is not applied";
  EXPECT_NE(o.err.find(field), std::string::npos) << o.err;
}

// The BPF device program on a real cgroup v2 group: the unified root here (hybrid
// host: /sys/fs/cgroup/unified, no controllers needed) or /sys/fs/cgroup on v2.
// A forked process is moved into the group and tries the devices itself.
TEST_F(Cgroups, V2DeviceProgramIsEnforced) {
  std::string root = "/sys/fs/cgroup/unified";
  if (detect_cgroup_mode(root) != CgroupMode::unified) root = "/sys/fs/cgroup";
  if (detect_cgroup_mode(root) != CgroupMode::unified) GTEST_SKIP() << "no cgroup v2 here";
  SpecLinux l;
  l.cgroups_path = "/keel-test/v2-devices";
  l.resources.devices = {{.allow = true, .type = 'c', .major = 1, .minor = 1, .access = "r"}};
  auto cg = Cgroup::create(l, "v2-devices", root);
  ASSERT_TRUE(cg) << cg.error().message();
  std::string dir = *s_dir / "v2dev";
  fs::create_directories(dir);
  int go[2];
  ASSERT_EQ(::pipe(go), 0);
  pid_t pid = ::fork();
  if (pid == 0) {
    char b;
    if (::read(go[0], &b, 1) != 1) ::_exit(100);
    int bits = 0;
    // c 1:3 (/dev/null) is on the default list; c 1:1 is readable only; b 8:0 is denied.
    if (::mknod((dir + "/null").c_str(), S_IFCHR | 0600, makedev(1, 3)) == 0) bits |= 1;
    if (::mknod((dir + "/mem").c_str(), S_IFCHR | 0600, makedev(1, 1)) < 0 && errno == EPERM)
      bits |= 2;
    if (::mknod((dir + "/sda").c_str(), S_IFBLK | 0600, makedev(8, 0)) < 0 && errno == EPERM)
      bits |= 4;
    int fd = ::open("/dev/null", O_WRONLY);
    if (fd >= 0) bits |= 8;
    ::_exit(bits);
  }
  ASSERT_GT(pid, 0);
  write_text(cg->path() + "/cgroup.procs", std::to_string(pid));
  ASSERT_EQ(::write(go[1], "g", 1), 1);
  int st = 0;
  ::waitpid(pid, &st, 0);
  ::close(go[0]);
  ::close(go[1]);
  ASSERT_TRUE(WIFEXITED(st));
  EXPECT_EQ(WEXITSTATUS(st), 1 | 2 | 4 | 8);
  std::string path = cg->path();
  EXPECT_TRUE(cg->remove());
  EXPECT_FALSE(fs::exists(path));
  ::rmdir((root + "/keel-test").c_str());
}

}  // namespace
}  // namespace keel::runtime
