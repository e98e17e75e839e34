#include "keel/runtime/spec.hpp"

#include <gtest/gtest.h>

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
  EXPECT_EQ(s->linux_.memory_limit, 1048576);
  EXPECT_EQ(s->linux_.pids_limit, 64);
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
      R"({"ociVersion":"1.2.0","process":{"args":["sh"],"terminal":true},"root":{"path":"r"}})",
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
  EXPECT_EQ(s->linux_.memory_limit, int64_t{64} << 20);
  EXPECT_EQ(s->linux_.pids_limit, 32);
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
  EXPECT_NE(r.error().message().find("User 'nobody'"), std::string::npos);
}

TEST(MakeSpec, NoCommandAnywhereIsAnError) {
  auto r = make_spec_json(ImageConfig{}, sample_def());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("neither Entrypoint nor Cmd"), std::string::npos);
}

TEST(DefaultSpec, Parses) {
  auto s = parse_spec(default_spec_json(), "default");
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(s->process.args, std::vector<std::string>{"sh"});
}

}  // namespace
}  // namespace keel::runtime
