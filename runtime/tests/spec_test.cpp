#include "keel/runtime/spec.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "seccomp.hpp"
#include "seccomp_program.hpp"

namespace keel::runtime {
namespace {

constexpr const char* kMinimal = R"({
  "ociVersion": "1.0.2",
  "process": {"args": ["sh", "-c", "true"], "env": ["A=1"], "cwd": "/work",
              "user": {"uid": 1000, "gid": 100}},
  "root": {"path": "rootfs", "readonly": true},
  "hostname": "h",
  "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"},
             {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
              "options": ["nosuid", "mode=755"]}],
  "linux": {"namespaces": [{"type": "pid"}, {"type": "mount"}],
            "resources": {"memory": {"limit": 1048576}, "pids": {"limit": 64}},
            "cgroupsPath": "/keel/h", "maskedPaths": ["/proc/kcore"],
            "readonlyPaths": ["/proc/sys"]}
})";

TEST(Spec, ParsesTheSupportedSubset) {
  auto s = parse_spec(kMinimal, "config.json");
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(s->process.args, (std::vector<std::string>{"sh", "-c", "true"}));
  EXPECT_EQ(s->process.env, std::vector<std::string>{"A=1"});
  EXPECT_EQ(s->process.cwd, "/work");
  EXPECT_EQ(s->process.uid, 1000u);
  EXPECT_EQ(s->process.gid, 100u);
  EXPECT_EQ(s->root_path, "rootfs");
  EXPECT_TRUE(s->root_readonly);
  EXPECT_EQ(s->hostname, "h");
  ASSERT_EQ(s->mounts.size(), 2u);
  EXPECT_EQ(s->mounts[1].options, (std::vector<std::string>{"nosuid", "mode=755"}));
  ASSERT_EQ(s->linux_.namespaces.size(), 2u);
  EXPECT_EQ(s->linux_.namespaces[1].type, "mount");
  EXPECT_EQ(s->linux_.resources.memory.limit, 1048576);
  EXPECT_EQ(s->linux_.resources.pids_limit, 64);
  EXPECT_EQ(s->linux_.cgroups_path, "/keel/h");
  EXPECT_EQ(s->linux_.masked_paths, std::vector<std::string>{"/proc/kcore"});
  EXPECT_EQ(s->linux_.readonly_paths, std::vector<std::string>{"/proc/sys"});
}

void expect_error(std::string_view json, std::string_view needle) {
  auto s = parse_spec(json, "b/config.json");
  ASSERT_FALSE(s) << "accepted: " << json;
  EXPECT_NE(s.error().message().find(needle), std::string::npos) << s.error().message();
  EXPECT_TRUE(s.error().message().starts_with("b/config.json")) << s.error().message();
}

TEST(Spec, RejectsBadInputWithClearMessages) {
  expect_error("{not json", "not valid JSON");
  expect_error("[1]", "must be a JSON object");
  expect_error(R"({"ociVersion":"2.0.0"})", "ociVersion '2.0.0'");
  expect_error(R"({"ociVersion":"1.2.0","root":{"path":"r"}})", "'process' is required");
  expect_error(R"({"ociVersion":"1.2.0","process":{"args":"sh"},"root":{"path":"r"}})",
               "'process.args' must be an array of strings");
  expect_error(R"({"ociVersion":"1.2.0","process":{"args":[1]},"root":{"path":"r"}})",
               "'process.args'");
  expect_error(
      R"({"ociVersion":"1.2.0","process":{"args":["sh"],"cwd":"rel"},"root":{"path":"r"}})",
      "absolute path");
  expect_error(
      R"({"ociVersion":"1.2.0","process":{"args":["sh"],"terminal":"yes"},"root":{"path":"r"}})",
      "terminal");
  expect_error(R"({"ociVersion":"1.1.0","process":{"args":["sh"]},"root":{"path":"r"},
                  "linux":{"resources":{"memory":{"limit":"big"}}}})",
               "linux.resources.memory.limit");
  expect_error(R"({"ociVersion":"1.1.0","process":{"args":["sh"]},"root":{"path":"r"},
                  "mounts":[{"destination":"proc"}]})",
               "mounts[].destination");
}

ContainerDef sample_def() {
  ContainerDef d;
  d.name = "web";
  d.source_path = "/etc/keel/containers/web.toml";
  d.image = "busybox";
  d.env = {"B=def", "C=3"};
  d.hostname = "webhost";
  d.resources.memory_max = 64u << 20;
  d.resources.pids_max = 32;
  d.resources.cpu_weight = 200;
  d.resources.cpu_quota = 50000;
  d.resources.io_weight = 300;
  return d;
}

TEST(MakeSpec, MergesImageAndDefinition) {
  ImageConfig img{.entrypoint = {"/bin/entry"},
                  .cmd = {"--flag"},
                  .env = {"A=img", "B=img"},
                  .working_dir = "/srv"};
  auto text = make_spec_json(img, sample_def());
  ASSERT_TRUE(text) << text.error().message();
  auto s = parse_spec(*text, "generated");
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(s->process.args, (std::vector<std::string>{"/bin/entry", "--flag"}));
  EXPECT_EQ(s->process.env[0].substr(0, 5), "PATH=");  // default PATH added
  EXPECT_EQ(std::vector<std::string>(s->process.env.begin() + 1, s->process.env.end()),
            (std::vector<std::string>{"A=img", "B=def", "C=3"}));
  EXPECT_EQ(s->process.cwd, "/srv");
  EXPECT_EQ(s->hostname, "webhost");
  EXPECT_EQ(s->linux_.cgroups_path, "/keel/web");
  EXPECT_EQ(s->linux_.resources.memory.limit, int64_t{64} << 20);
  EXPECT_EQ(s->linux_.resources.pids_limit, 32);
  EXPECT_EQ(s->linux_.resources.cpu.quota, 50000);
  EXPECT_FALSE(s->linux_.resources.cpu.period);  // the kernel's default, 100000
  EXPECT_EQ(s->linux_.resources.unified, (std::map<std::string, std::string>{
                                             {"cpu.weight", "200"}, {"io.weight", "default 300"}}));
  std::vector<std::string> ns, dests;
  for (auto& n : s->linux_.namespaces) ns.push_back(n.type);
  for (auto& m : s->mounts) dests.push_back(m.destination);
  EXPECT_EQ(ns, (std::vector<std::string>{"pid", "mount", "uts", "ipc", "network", "cgroup"}));
  EXPECT_EQ(dests, (std::vector<std::string>{"/proc", "/dev", "/dev/pts", "/dev/shm", "/sys",
                                             "/sys/fs/cgroup"}));
}

TEST(MakeSpec, CommandOverridesImageAndPathIsKept) {
  ImageConfig img{.cmd = {"sh"}, .env = {"PATH=/custom"}};
  auto def = sample_def();
  def.command = {"echo", "hi"};
  auto s = parse_spec(*make_spec_json(img, def), "generated");
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(s->process.args, (std::vector<std::string>{"echo", "hi"}));
  EXPECT_EQ(s->process.env[0], "PATH=/custom");
  EXPECT_EQ(s->process.cwd, "/");
}

TEST(MakeSpec, ImageUserBecomesProcessUser) {
  ImageConfig img{.cmd = {"sh"}, .user = "1000:50"};
  auto s = parse_spec(*make_spec_json(img, sample_def()), "generated");
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(s->process.uid, 1000u);
  EXPECT_EQ(s->process.gid, 50u);
  img.user = "nobody";
  auto r = make_spec_json(img, sample_def());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("image User: 'nobody' is not supported"), std::string::npos);
}

TEST(MakeSpec, NoCommandAnywhereIsAnError) {
  auto r = make_spec_json(ImageConfig{}, sample_def());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("neither Entrypoint nor Cmd"), std::string::npos);
}

std::string with_process_field(const std::string& field) {
  return R"({"ociVersion":"1.2.0","root":{"path":"r"},"process":{"args":["sh"],)" + field + "}}";
}

std::string with_linux_field(const std::string& field) {
  return R"({"ociVersion":"1.2.0","root":{"path":"r"},"process":{"args":["sh"]},)"
         R"("linux":{"namespaces":[{"type":"mount"},{"type":"network"}],)" +
         field + "}}";
}

TEST(Spec, ParsesConfinementFields) {
  auto s = parse_spec(with_process_field(
                          R"("user":{"uid":1,"gid":2,"umask":18,"additionalGids":[5,6]},
             "capabilities":{"bounding":["CAP_CHOWN","CAP_KILL"],"effective":["CAP_KILL"]},
             "noNewPrivileges":true,"oomScoreAdj":-17,
             "rlimits":[{"type":"RLIMIT_NOFILE","soft":100,"hard":200}])"),
                      "c.json");
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(s->process.umask, 18u);
  EXPECT_EQ(s->process.additional_gids, (std::vector<uint32_t>{5, 6}));
  ASSERT_TRUE(s->process.capabilities);
  EXPECT_EQ(s->process.capabilities->bounding, (std::vector<std::string>{"CAP_CHOWN", "CAP_KILL"}));
  EXPECT_EQ(s->process.capabilities->effective, std::vector<std::string>{"CAP_KILL"});
  EXPECT_TRUE(s->process.capabilities->ambient.empty());
  EXPECT_TRUE(s->process.no_new_privileges);
  EXPECT_EQ(s->process.oom_score_adj, -17);
  ASSERT_EQ(s->process.rlimits.size(), 1u);
  EXPECT_EQ(s->process.rlimits[0].type, "RLIMIT_NOFILE");
  EXPECT_EQ(s->process.rlimits[0].soft, 100u);
  EXPECT_EQ(s->process.rlimits[0].hard, 200u);

  s = parse_spec(with_linux_field(R"("sysctl":{"net.ipv4.ip_forward":"1"},
      "seccomp":{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":1,
                 "architectures":["SCMP_ARCH_X86_64"],"flags":["SECCOMP_FILTER_FLAG_LOG"],
                 "syscalls":[{"names":["read","no_such_call"],"action":"SCMP_ACT_ALLOW"},
                             {"names":["personality"],"action":"SCMP_ACT_ERRNO","errnoRet":38,
                              "args":[{"index":0,"value":8,"valueTwo":0,"op":"SCMP_CMP_EQ"}]}]})"),
                 "c.json");
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(s->linux_.sysctl.at("net.ipv4.ip_forward"), "1");
  ASSERT_TRUE(s->linux_.seccomp);
  const auto& sc = *s->linux_.seccomp;
  EXPECT_EQ(sc.default_action, "SCMP_ACT_ERRNO");
  EXPECT_EQ(sc.default_errno_ret, 1u);
  EXPECT_EQ(sc.flags, std::vector<std::string>{"SECCOMP_FILTER_FLAG_LOG"});
  ASSERT_EQ(sc.syscalls.size(), 2u);
  EXPECT_EQ(sc.syscalls[1].errno_ret, 38u);
  ASSERT_EQ(sc.syscalls[1].args.size(), 1u);
  EXPECT_EQ(sc.syscalls[1].args[0].value, 8u);
  EXPECT_EQ(sc.syscalls[1].args[0].op, "SCMP_CMP_EQ");
}

TEST(Spec, RejectsBadConfinementFields) {
  expect_error(with_process_field(R"("capabilities":{"bounding":["CAP_CHOWN","CAP_FLY"]})"),
               "process.capabilities.bounding: unknown capability 'CAP_FLY'");
  expect_error(with_process_field(R"("capabilities":{"ambient":["chown"]})"),
               "unknown capability 'chown'");
  expect_error(with_process_field(R"("rlimits":[{"type":"RLIMIT_WINGS","soft":1,"hard":1}])"),
               "unknown rlimit type 'RLIMIT_WINGS'");
  expect_error(with_process_field(R"("rlimits":[{"type":"RLIMIT_NOFILE","soft":1,"hard":1},
                                                {"type":"RLIMIT_NOFILE","soft":1,"hard":1}])"),
               "listed twice");
  expect_error(with_process_field(R"("oomScoreAdj":5000)"), "between -1000 and 1000");
  expect_error(with_linux_field(R"("seccomp":{"defaultAction":"SCMP_ACT_EXPLODE"})"),
               "linux.seccomp.defaultAction: seccomp action 'SCMP_ACT_EXPLODE' is not supported");
  expect_error(with_linux_field(R"("seccomp":{"defaultAction":"SCMP_ACT_ALLOW",
                  "syscalls":[{"names":["mount"],"action":"SCMP_ACT_NOTIFY"}]})"),
               "seccomp action 'SCMP_ACT_NOTIFY'");
  expect_error(with_linux_field(R"("seccomp":{"defaultAction":"SCMP_ACT_ALLOW",
                  "syscalls":[{"names":["mount"],"action":"SCMP_ACT_ERRNO",
                               "args":[{"index":0,"value":1,"op":"SCMP_CMP_ALMOST"}]}]})"),
               "seccomp operator 'SCMP_CMP_ALMOST'");
  expect_error(
      with_linux_field(
          R"("seccomp":{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_Z80"]})"),
      "seccomp architecture 'SCMP_ARCH_Z80'");
  expect_error(with_linux_field(R"("sysctl":{"kernel.panic":"1"})"),
               "sysctl kernel.panic is not namespaced");
  expect_error(with_linux_field(R"("sysctl":{"kernel.shmmax":"1"})"),
               "sysctl kernel.shmmax needs a new ipc namespace");
  expect_error(with_linux_field(R"("sysctl":{"net/../../kernel.x":"1"})"), "is not valid");
}

TEST(DefaultProfile, IsDockersCapabilitiesAndAStrictSeccompAllowlist) {
  auto text = make_spec_json(ImageConfig{.cmd = {"sh"}}, sample_def());
  ASSERT_TRUE(text);
  auto s = parse_spec(*text, "generated");
  ASSERT_TRUE(s) << s.error().message();
  ASSERT_TRUE(s->process.capabilities);
  const auto& caps = *s->process.capabilities;
  EXPECT_EQ(caps.bounding.size(), 14u);
  EXPECT_EQ(caps.bounding, default_capabilities());
  EXPECT_EQ(caps.effective, caps.bounding);
  EXPECT_EQ(caps.permitted, caps.bounding);
  EXPECT_TRUE(caps.inheritable.empty());
  EXPECT_TRUE(caps.ambient.empty());
  for (const char* c : {"CAP_CHOWN", "CAP_NET_BIND_SERVICE", "CAP_AUDIT_WRITE", "CAP_SETFCAP"})
    EXPECT_NE(std::ranges::find(caps.bounding, c), caps.bounding.end()) << c;
  for (const char* c : {"CAP_SYS_ADMIN", "CAP_SYS_MODULE", "CAP_SYS_PTRACE", "CAP_NET_ADMIN"})
    EXPECT_EQ(std::ranges::find(caps.bounding, c), caps.bounding.end()) << c;
  EXPECT_TRUE(s->process.no_new_privileges);

  ASSERT_TRUE(s->linux_.seccomp);
  const auto& sc = *s->linux_.seccomp;
  EXPECT_EQ(sc.default_action, "SCMP_ACT_ERRNO");
  EXPECT_EQ(sc.default_errno_ret, 1u);  // EPERM
  std::set<std::string> allowed, allowed_with_args;
  for (const auto& rule : sc.syscalls) {
    if (rule.action != "SCMP_ACT_ALLOW") continue;
    for (const auto& n : rule.names) (rule.args.empty() ? allowed : allowed_with_args).insert(n);
  }
  for (const char* n : {"read", "write", "execve", "openat", "exit_group", "rt_sigreturn", "wait4",
                        "setuid", "capset", "prctl"})
    EXPECT_TRUE(allowed.contains(n)) << n;
  for (const char* n :
       {"kexec_load",  "kexec_file_load", "init_module", "finit_module", "delete_module",
        "bpf",         "perf_event_open", "mount",       "umount2",      "pivot_root",
        "swapon",      "swapoff",         "reboot",      "keyctl",       "add_key",
        "request_key", "ptrace",          "unshare",     "setns",        "open_by_handle_at",
        "userfaultfd", "personality",     "clone",       "clone3",       "io_uring_setup",
        "sethostname"})
    EXPECT_FALSE(allowed.contains(n)) << n;
  // Only conditionally: personality with safe values, clone without namespace flags.
  EXPECT_TRUE(allowed_with_args.contains("personality"));
  EXPECT_TRUE(allowed_with_args.contains("clone"));
  EXPECT_FALSE(allowed_with_args.contains("unshare"));
  for (const auto& rule : sc.syscalls)
    if (rule.names == std::vector<std::string>{"clone"}) {
      ASSERT_EQ(rule.args.size(), 1u);
      EXPECT_EQ(rule.args[0].op, "SCMP_CMP_MASKED_EQ");
      EXPECT_EQ(rule.args[0].value, 0x7E020000u);
      EXPECT_EQ(rule.args[0].value_two, 0u);
    }
}

TEST(DefaultProfile, CompilesWithLibseccomp) {
  auto bpf = compile_seccomp(default_seccomp_profile());
  ASSERT_TRUE(bpf) << bpf.error().message();
  EXPECT_GT(bpf->program.size(), 10u);
  EXPECT_LE(bpf->program.size(), 4096u);  // BPF_MAXINSNS
}

// The program linked into keel-runtime (runtime/src/seccomp_program.hpp) must be what
// libseccomp makes of the profile now: a changed profile or libseccomp rebuilds it.
TEST(DefaultProfile, BuildTimeProgramIsLibseccompsOwn) {
  auto now = compile_seccomp(default_seccomp_profile());
  ASSERT_TRUE(now) << now.error().message();
  auto linked = seccomp_program(default_seccomp_profile());
  ASSERT_TRUE(linked) << linked.error().message();
  ASSERT_EQ(linked->program.size(), now->program.size());
  for (size_t i = 0; i < now->program.size(); ++i) {
    const auto &a = linked->program[i], &b = now->program[i];
    EXPECT_TRUE(a.code == b.code && a.jt == b.jt && a.jf == b.jf && a.k == b.k) << "insn " << i;
  }
  EXPECT_EQ(linked->flags, now->flags);
}

// What `up` writes into config.json and reads back must still be the default profile,
// or every confined start would compile it again.
TEST(DefaultProfile, SurvivesTheConfigJsonRoundTrip) {
  auto s = parse_spec(default_spec_json(), "default");
  ASSERT_TRUE(s) << s.error().message();
  ASSERT_TRUE(s->linux_.seccomp);
  EXPECT_TRUE(*s->linux_.seccomp == default_seccomp_profile());
}

// Any other profile is compiled at the start, not served the default program.
TEST(DefaultProfile, OtherProfilesAreCompiled) {
  auto p = default_seccomp_profile();
  p.syscalls.push_back({.names = {"ptrace"}, .action = "SCMP_ACT_ALLOW"});
  auto other = seccomp_program(p);
  ASSERT_TRUE(other) << other.error().message();
  auto def = seccomp_program(default_seccomp_profile());
  ASSERT_TRUE(def);
  EXPECT_NE(other->program.size(), def->program.size());
}

TEST(DefaultSpec, Parses) {
  auto s = parse_spec(default_spec_json(), "default");
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(s->process.args, std::vector<std::string>{"sh"});
}

}  // namespace
}  // namespace keel::runtime
