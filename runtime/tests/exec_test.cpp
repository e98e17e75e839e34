// Privileged tests of `keel-runtime exec` (label "root"): a process started in a
// running container must see what the container's init sees (its namespaces,
// root, cgroups) and be confined the same way; each check runs inside it.
#include <gtest/gtest.h>

#include "lifecycle_fixture.hpp"

namespace keel::runtime {
namespace {

class Exec : public Lifecycle {
 protected:
  // A running container whose init wrote /marker into its own root.
  void start_container(const std::string& id) {
    set_script("echo only-here > /marker; exec sleep 100");
    ASSERT_EQ(create(id).status, 0);
    ASSERT_EQ(runtime({"start", id}).status, 0);
    ASSERT_TRUE(wait_file(rootfs("marker")));
  }

  Outcome exec(const std::string& id, const std::string& script,
               std::vector<std::string> opts = {}) {
    std::vector<std::string> args = {"exec"};
    args.insert(args.end(), opts.begin(), opts.end());
    args.insert(args.end(), {id, "sh", "-c", script});
    return runtime(args);
  }
};

TEST_F(Exec, JoinsTheInitsNamespacesRootAndCgroups) {
  start_container("ex-ns");
  // Every namespace and the cgroup are the init's (PID 1 in the container), the
  // root is the container's (only it has /marker), the pid is the container's.
  auto o = exec("ex-ns",
                "for n in mnt net uts ipc pid cgroup; do "
                "[ $(readlink /proc/self/ns/$n) = $(readlink /proc/1/ns/$n) ] || echo differs $n; "
                "done; cmp -s /proc/self/cgroup /proc/1/cgroup || echo cgroup differs; "
                "cat /marker; hostname; [ $$ -lt 100 ] && echo small-pid");
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out, "only-here\n" + m_config["hostname"].get<std::string>() + "\nsmall-pid\n");
}

TEST_F(Exec, IsConfinedLikeTheInit) {
  start_container("ex-conf");
  // keel-runtime spec's default: Docker's capabilities, no_new_privs, seccomp.
  auto o = exec("ex-conf",
                "for f in CapInh CapPrm CapEff CapBnd CapAmb NoNewPrivs Seccomp; do "
                "[ \"$(grep ^$f: /proc/self/status)\" = \"$(grep ^$f: /proc/1/status)\" ] "
                "|| echo differs $f; done; grep ^Seccomp: /proc/self/status");
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out, "Seccomp:\t2\n");
}

TEST_F(Exec, EnvCwdUserAndExitStatus) {
  start_container("ex-opts");
  auto o = exec("ex-opts", "echo $GREETING; pwd; id -u; id -g; exit 7",
                {"--env", "GREETING=hello", "-e", "OTHER=x", "--cwd", "/proc", "-u", "1000:1001"});
  EXPECT_EQ(o.status, 7) << o.err;
  EXPECT_EQ(o.out, "hello\n/proc\n1000\n1001\n");
}

TEST_F(Exec, ProcessFileGivesTheProcess) {
  start_container("ex-proc");
  json p = m_config["process"];
  p["args"] = {"sh", "-c", "echo from-file $X"};
  p["env"] = {"PATH=/bin", "X=1"};
  write_text(m_dir / "process.json", p.dump());
  auto o = runtime({"exec", "--process", m_dir / "process.json", "ex-proc"});
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out, "from-file 1\n");
}

TEST_F(Exec, RefusesAContainerThatIsNotRunning) {
  set_script("exec sleep 100");
  ASSERT_EQ(create("ex-created").status, 0);
  auto o = exec("ex-created", "true");
  EXPECT_EQ(o.status, 125);
  EXPECT_NE(o.err.find("container is created, not running"), std::string::npos) << o.err;
  o = exec("ex-missing", "true");
  EXPECT_EQ(o.status, 125);
  EXPECT_NE(o.err.find("container ex-missing does not exist"), std::string::npos) << o.err;
}

TEST_F(Exec, MissingCommandIsReportedByName) {
  start_container("ex-nocmd");
  auto o = runtime({"exec", "ex-nocmd", "/bin/nope"});
  EXPECT_EQ(o.status, 125);
  EXPECT_NE(o.err.find("exec /bin/nope: No such file or directory"), std::string::npos) << o.err;
}

}  // namespace
}  // namespace keel::runtime
