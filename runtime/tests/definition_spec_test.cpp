// make_spec_json with the definition fields of docs/IMAGES.md: system containers,
// cap_add/cap_drop, user, [[mounts]] and [[volumes]].
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "definition_spec.hpp"
#include "keel/common/container_def.hpp"
#include "keel/runtime/spec.hpp"

namespace keel::runtime {
namespace {

using nlohmann::json;

json spec_for(const std::string& toml) {
  auto def = parse_container_def_text("image = \"busybox\"\ncommand = [\"sh\"]\n" + toml, "c.toml");
  EXPECT_TRUE(def) << def.error().message();
  if (!def) return {};
  auto text = make_spec_json(ImageConfig{}, *def, "/vols");
  EXPECT_TRUE(text) << text.error().message();
  return text ? json::parse(*text) : json{};
}

bool has(const json& arr, const std::string& v) {
  return std::find(arr.begin(), arr.end(), json(v)) != arr.end();
}

TEST(DefinitionSpec, AppContainersKeepTheDefaultConfinement) {
  json s = spec_for("");
  EXPECT_EQ(s["linux"]["namespaces"].size(), 6u);
  EXPECT_TRUE(s["linux"].contains("seccomp"));
  EXPECT_TRUE(s["process"]["noNewPrivileges"]);
  EXPECT_FALSE(has(s["process"]["capabilities"]["bounding"], "CAP_SYS_ADMIN"));
  // And the result is a config.json the runtime itself accepts.
  EXPECT_TRUE(parse_spec(s.dump(), "c/config.json"));
}

TEST(DefinitionSpec, SystemContainersUseHostNamespacesAndEveryCapability) {
  json s = spec_for("system = true\n");
  EXPECT_EQ(s["linux"]["namespaces"], json::parse(R"([{"type":"mount"}])"));
  EXPECT_FALSE(s["linux"].contains("seccomp"));
  EXPECT_FALSE(s.contains("hostname"));
  EXPECT_FALSE(s["process"]["noNewPrivileges"]);
  EXPECT_TRUE(has(s["process"]["capabilities"]["bounding"], "CAP_SYS_ADMIN"));
  EXPECT_TRUE(has(s["process"]["capabilities"]["effective"], "CAP_NET_ADMIN"));
  EXPECT_TRUE(s["linux"]["maskedPaths"].empty());
  for (const auto& m : s["mounts"]) {
    if (m["destination"] == "/sys") {
      EXPECT_FALSE(has(m["options"], "ro"));
    }
  }
  auto spec = parse_spec(s.dump(), "c/config.json");
  EXPECT_TRUE(spec) << spec.error().message();
}

TEST(DefinitionSpec, HostNetworkLeavesTheRestConfined) {
  json s = spec_for("network = \"host\"\n");
  ASSERT_EQ(s["linux"]["namespaces"].size(), 5u);
  for (const auto& ns : s["linux"]["namespaces"]) EXPECT_NE(ns["type"], "network");
  EXPECT_TRUE(s["linux"].contains("seccomp"));
  EXPECT_TRUE(s["process"]["noNewPrivileges"]);
  EXPECT_FALSE(has(s["process"]["capabilities"]["bounding"], "CAP_NET_ADMIN"));
  EXPECT_EQ(s["hostname"], "c");
  EXPECT_TRUE(parse_spec(s.dump(), "c/config.json"));
}

TEST(DefinitionSpec, CapabilitiesUserMountsAndVolumes) {
  json s = spec_for(R"(cap_add = ["NET_ADMIN"]
cap_drop = ["CHOWN"]
user = "1000:100"
[[mounts]]
source = "/run/keel"
target = "/run/keel"
readonly = true
[[volumes]]
name = "data"
target = "/data"
)");
  const auto& caps = s["process"]["capabilities"];
  EXPECT_TRUE(has(caps["permitted"], "CAP_NET_ADMIN"));
  EXPECT_FALSE(has(caps["bounding"], "CAP_CHOWN"));
  EXPECT_EQ(s["process"]["user"], json::parse(R"({"uid":1000,"gid":100})"));
  const auto& mounts = s["mounts"];
  json ro = mounts[mounts.size() - 2], vol = mounts.back();
  EXPECT_EQ(ro["source"], "/run/keel");
  EXPECT_TRUE(has(ro["options"], "ro"));
  EXPECT_EQ(vol["source"], "/vols/c/data");
  EXPECT_EQ(vol["destination"], "/data");
  EXPECT_TRUE(has(vol["options"], "rw"));
}

TEST(DefinitionSpec, UnknownCapabilityNamesTheFile) {
  auto def = parse_container_def_text("image = \"b\"\ncap_add = [\"FLY\"]\n", "c.toml");
  ASSERT_TRUE(def);
  auto text = make_spec_json(ImageConfig{.cmd = {"sh"}}, *def, "/vols");
  ASSERT_FALSE(text);
  EXPECT_NE(text.error().message().find("c.toml: cap_add"), std::string::npos)
      << text.error().message();
}

// ready = "notify": the socket's directory is bound in, NOTIFY_SOCKET names it there.
TEST(DefinitionSpec, NotifySocketIsBoundAndNamed) {
  auto j = with_notify_socket(R"({"mounts":[],"process":{"env":["PATH=/bin"]}})",
                              "/run/keel/notify/web/notify.sock");
  ASSERT_TRUE(j) << j.error().message();
  auto spec = json::parse(*j);
  ASSERT_EQ(spec["mounts"].size(), 1u);
  EXPECT_EQ(spec["mounts"][0]["source"], "/run/keel/notify/web");
  EXPECT_EQ(spec["mounts"][0]["destination"], "/run/keel-notify");
  EXPECT_EQ(spec["process"]["env"][1], "NOTIFY_SOCKET=/run/keel-notify/notify.sock");
  EXPECT_FALSE(with_notify_socket("{}", "relative.sock"));
  EXPECT_FALSE(with_notify_socket("{}", "/dir/"));
}

}  // namespace
}  // namespace keel::runtime

namespace keel::runtime {
namespace {

// True if some syscalls rule allows `name` (the default action refuses it).
bool seccomp_allows(const nlohmann::json& spec, const std::string& name) {
  for (const auto& rule : spec["linux"]["seccomp"]["syscalls"])
    if (rule["action"] == "SCMP_ACT_ALLOW")
      for (const auto& n : rule["names"])
        if (n == name) return true;
  return false;
}

TEST(DefinitionSpec, ModuleSyscallsOnlyWithCapSysModuleAsInDocker) {
  auto spec = [](const std::string& toml) {
    auto def = parse_container_def_text("image = \"b\"\ncommand = [\"sh\"]\n" + toml, "c.toml");
    EXPECT_TRUE(def) << def.error().message();
    auto text = make_spec_json(ImageConfig{}, *def, "/vols");
    EXPECT_TRUE(text) << text.error().message();
    return nlohmann::json::parse(*text);
  };
  auto plain = spec("");
  EXPECT_FALSE(seccomp_allows(plain, "finit_module"));
  EXPECT_FALSE(seccomp_allows(plain, "init_module"));
  auto granted = spec("cap_add = [\"SYS_MODULE\"]\n");
  EXPECT_TRUE(seccomp_allows(granted, "finit_module"));
  EXPECT_TRUE(seccomp_allows(granted, "init_module"));
  EXPECT_TRUE(seccomp_allows(granted, "delete_module"));
}

}  // namespace
}  // namespace keel::runtime
