// Unit tests for the OCI lifecycle CLI pieces: argument parsing, state documents,
// signal names, hook parsing and the features document.
#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <nlohmann/json.hpp>

#include "cli_args.hpp"
#include "features.hpp"
#include "hooks.hpp"
#include "keel/runtime/spec.hpp"
#include "state.hpp"
#include "test_util.hpp"

namespace keel::runtime {
namespace {

using nlohmann::json;

std::vector<std::string> v(std::initializer_list<const char*> a) {
  return {a.begin(), a.end()};
}

TEST(CliArgs, GlobalFlagsBeforeTheCommandInBothForms) {
  auto args = v({"--root", "/r", "--log=/l", "--log-format", "json", "--debug", "--systemd-cgroup",
                 "create", "--bundle", "b", "id"});
  auto g = cli::parse_global(args);
  ASSERT_TRUE(g) << g.error().message();
  EXPECT_EQ(g->root, "/r");
  EXPECT_EQ(g->log, "/l");
  EXPECT_EQ(g->log_format, "json");
  EXPECT_EQ(g->command, "create");
  EXPECT_EQ(g->rest, v({"--bundle", "b", "id"}));
}

TEST(CliArgs, RejectsBadGlobalFlags) {
  auto bad_format = v({"--log-format", "xml", "state", "x"});
  EXPECT_FALSE(cli::parse_global(bad_format));
  auto unknown = v({"--frobnicate", "state", "x"});
  auto r = cli::parse_global(unknown);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("--frobnicate"), std::string::npos);
  auto none = v({"--root", "/r"});
  EXPECT_FALSE(cli::parse_global(none));
}

TEST(CliArgs, CommandOptionsShortAliasesAndFlags) {
  constexpr cli::Option opts[] = {
      {"--bundle", "-b", true}, {"--detach", "-d", false}, {"--pid-file", "", true}};
  auto args = v({"-b", "/bundle", "-d", "--pid-file=/p", "myid"});
  auto p = cli::parse(args, opts);
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->get("--bundle"), "/bundle");
  EXPECT_TRUE(p->has("--detach"));
  EXPECT_EQ(p->get("--pid-file"), "/p");
  EXPECT_EQ(p->positional, v({"myid"}));
  auto missing = v({"--bundle"});
  EXPECT_FALSE(cli::parse(missing, opts));
  auto flag_value = v({"--detach=yes"});
  EXPECT_FALSE(cli::parse(flag_value, opts));
}

TEST(State, RendersTheSpecFieldsAndRoundTrips) {
  ContainerState s{.oci_version = "1.2.0", .id = "c1", .bundle = "/b"};
  s.status = "created";
  s.pid = 42;
  s.annotations = {{"a", "b"}};
  s.start_time = 12345;
  s.created = "2026-01-01T00:00:00Z";
  s.cgroup = "/sys/fs/cgroup/keel/c1";
  auto pub = json::parse(render_state(s, false));
  EXPECT_EQ(pub["ociVersion"], "1.2.0");
  EXPECT_EQ(pub["id"], "c1");
  EXPECT_EQ(pub["status"], "created");
  EXPECT_EQ(pub["pid"], 42);
  EXPECT_EQ(pub["bundle"], "/b");
  EXPECT_EQ(pub["annotations"]["a"], "b");
  EXPECT_FALSE(pub.contains("keel.startTime"));
  auto back = parse_state(render_state(s, true), "state.json");
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(back->pid, 42);
  EXPECT_EQ(back->start_time, 12345u);
  EXPECT_EQ(back->cgroup, s.cgroup);
  EXPECT_EQ(back->annotations, s.annotations);
  EXPECT_FALSE(parse_state("{\"pid\":1}", "x"));  // no id
  EXPECT_FALSE(parse_state("nope", "x"));
}

TEST(State, ProcStatParsingSurvivesOddCommNames) {
  std::string line =
      "123 (a) b (c) S 1 123 123 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 "
      "987654 1000 10 18446744073709551615";
  EXPECT_EQ(parse_start_time(line).value(), 987654u);
  EXPECT_EQ(parse_proc_state(line), 'S');
  EXPECT_FALSE(parse_start_time("123 (x) S 1 2"));
}

TEST(State, StatusIsDerivedFromTheLiveProcess) {
  ContainerState s{.id = "x"};
  s.status = "created";  // as saved by create
  s.pid = ::getpid();
  auto stat = parse_start_time(test::read_text("/proc/self/stat"));
  ASSERT_TRUE(stat);
  s.start_time = *stat;
  EXPECT_EQ(derive_status(s, true), "created");
  EXPECT_EQ(derive_status(s, false), "running");
  s.start_time += 1;  // as if the pid had been reused
  EXPECT_EQ(derive_status(s, false), "stopped");
  s.pid = 0;
  EXPECT_EQ(derive_status(s, false), "stopped");
  s.status = "creating";  // saved by create before the init exists
  EXPECT_EQ(derive_status(s, false), "creating");
}

TEST(State, ContainerIdsAreOnePathComponent) {
  EXPECT_TRUE(check_container_id("my-container_1.2+x"));
  for (const char* bad : {"", ".", "..", "a/b", "../x", "a b", "x\n"})
    EXPECT_FALSE(check_container_id(bad)) << bad;
}

std::string with_hooks(const std::string& hooks) {
  return R"({"ociVersion":"1.2.0","process":{"args":["sh"]},"root":{"path":"r"},"hooks":)" + hooks +
         R"(,"annotations":{"k":"v"}})";
}

TEST(Hooks, ParsedInEveryKind) {
  auto s = parse_spec(with_hooks(R"({
      "prestart":[{"path":"/bin/a"}],
      "createRuntime":[{"path":"/bin/b","args":["b","1"],"env":["X=1"],"timeout":5}],
      "createContainer":[{"path":"/bin/c"}], "startContainer":[{"path":"/bin/d"}],
      "poststart":[{"path":"/bin/e"}], "poststop":[{"path":"/bin/f"},{"path":"/bin/g"}]})"),
                      "config.json");
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(s->hooks.prestart[0].path, "/bin/a");
  EXPECT_EQ(s->hooks.create_runtime[0].args, v({"b", "1"}));
  EXPECT_EQ(s->hooks.create_runtime[0].env, v({"X=1"}));
  EXPECT_EQ(s->hooks.create_runtime[0].timeout, 5);
  EXPECT_EQ(s->hooks.create_container[0].path, "/bin/c");
  EXPECT_EQ(s->hooks.start_container[0].path, "/bin/d");
  EXPECT_EQ(s->hooks.poststart[0].path, "/bin/e");
  EXPECT_EQ(s->hooks.poststop.size(), 2u);
  EXPECT_EQ(s->annotations.at("k"), "v");
}

TEST(Hooks, BadHooksAreRefusedWithTheField) {
  auto rel = parse_spec(with_hooks(R"({"poststop":[{"path":"rel"}]})"), "c");
  ASSERT_FALSE(rel);
  EXPECT_NE(rel.error().message().find("hooks.poststop.path"), std::string::npos);
  auto zero = parse_spec(with_hooks(R"({"prestart":[{"path":"/a","timeout":0}]})"), "c");
  ASSERT_FALSE(zero);
  EXPECT_NE(zero.error().message().find("timeout"), std::string::npos);
  EXPECT_FALSE(parse_spec(with_hooks(R"({"prestart":{"path":"/a"}})"), "c"));
}

SpecHook sh_hook(const std::string& script, std::optional<int> timeout = std::nullopt) {
  return {
      .path = "/bin/sh", .args = {"sh", "-c", script}, .env = {"HOOK_ENV=yes"}, .timeout = timeout};
}

TEST(HookRunner, StateOnStdinArgsAndEnv) {
  test::TempDir dir;
  std::string out = dir / "out";
  auto r = run_hooks({sh_hook("cat > " + out + "; echo \"$0 $HOOK_ENV\" >> " + out)}, "poststart",
                     "{\"status\":\"running\"}");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(test::read_text(out), "{\"status\":\"running\"}sh yes\n");
}

TEST(HookRunner, FailureAndTimeoutNameTheHook) {
  auto failed = run_hooks({sh_hook("exit 0"), sh_hook("exit 3")}, "createRuntime", "{}");
  ASSERT_FALSE(failed);
  EXPECT_NE(failed.error().message().find("createRuntime hook /bin/sh"), std::string::npos);
  EXPECT_NE(failed.error().message().find("exit status 3"), std::string::npos);
  auto slow = run_hooks({sh_hook("sleep 5", 1)}, "prestart", "{}");
  ASSERT_FALSE(slow);
  EXPECT_NE(slow.error().message().find("timed out after 1s"), std::string::npos);
  auto missing = run_hooks({{.path = "/nonexistent/hook"}}, "poststop", "{}");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("/nonexistent/hook"), std::string::npos);
  // A hook that ignores its stdin does not fail the runtime (SIGPIPE is ignored).
  EXPECT_TRUE(run_hooks({sh_hook("exit 0")}, "poststart", std::string(1 << 20, 'x')));
}

TEST(Features, ListsWhatTheRuntimeSupports) {
  auto f = json::parse(features_json());
  EXPECT_EQ(f["ociVersionMin"], "1.0.0");
  EXPECT_EQ(f["ociVersionMax"], "1.2.0");
  EXPECT_EQ(f["hooks"].size(), 6u);
  auto has = [](const json& arr, const char* x) {
    return std::find(arr.begin(), arr.end(), x) != arr.end();
  };
  EXPECT_TRUE(has(f["mountOptions"], "nosuid"));
  EXPECT_TRUE(has(f["mountOptions"], "rbind"));
  EXPECT_TRUE(has(f["linux"]["namespaces"], "pid"));
  EXPECT_TRUE(has(f["linux"]["namespaces"], "user"));
  EXPECT_FALSE(has(f["linux"]["namespaces"], "ns"));
  EXPECT_TRUE(has(f["linux"]["capabilities"], "CAP_SYS_ADMIN"));
  EXPECT_TRUE(has(f["linux"]["seccomp"]["actions"], "SCMP_ACT_ERRNO"));
  EXPECT_FALSE(has(f["linux"]["seccomp"]["actions"], "SCMP_ACT_NOTIFY"));
  EXPECT_TRUE(has(f["linux"]["seccomp"]["operators"], "SCMP_CMP_MASKED_EQ"));
  EXPECT_TRUE(has(f["linux"]["seccomp"]["archs"], "SCMP_ARCH_X86_64"));
  EXPECT_EQ(f["linux"]["cgroup"]["v2"], true);
}

}  // namespace
}  // namespace keel::runtime
