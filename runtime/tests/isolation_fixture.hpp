// The fixture of the privileged isolation tests (isolation_test.cpp,
// propagation_test.cpp): a busybox bundle per test, run with Keel's default
// config.json changed by the test, and the script's output read back.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "keel/runtime/container.hpp"
#include "keel/runtime/spec.hpp"
#include "test_util.hpp"

namespace keel::runtime {

using nlohmann::json;
using test::read_text;
using test::TempDir;
using test::write_text;
namespace fs = std::filesystem;

using test::Outcome;

constexpr uint32_t kHostBase = 200000;  // the user namespace tests map 0 to this

class Isolation : public ::testing::Test {
 protected:
  void SetUp() override { test::require_root("the isolation tests"); }

  // A bundle with a busybox rootfs; `owner` chowns it (for a user namespace).
  std::string make_bundle(const std::string& name, std::optional<uint32_t> owner = {}) {
    std::string root = m_dir / (name + "/rootfs");
    // The mapped root of a user namespace must be able to reach the rootfs.
    fs::permissions(std::string(m_dir / ""), fs::perms(0755));
    test::make_busybox_rootfs(root, {"proc", "dev", "sys", "tmp", "etc", "mnt"},
                              {"sh", "cat", "id", "grep", "touch", "hostname", "ip", "ls", "cp",
                               "wc", "chmod", "mount", "sleep", "test", "echo", "stat", "awk"});
    if (owner) {
      for (const auto& e : fs::recursive_directory_iterator(root))
        EXPECT_EQ(::lchown(e.path().c_str(), *owner, *owner), 0) << e.path();
      EXPECT_EQ(::lchown(root.c_str(), *owner, *owner), 0);
    }
    return m_dir / name;
  }

  // Runs `script` with Keel's default config.json, changed by `edit`. Output is the
  // script's stdout+stderr (through a file in the rootfs); a runtime error goes to err.
  template <class F>
  Outcome run(const std::string& bundle, const std::string& script, F edit) {
    Outcome o;
    std::string name = fs::path(bundle).filename();
    ContainerDef def{.name = name, .image = "busybox", .command = {"sh", "-c", script}};
    auto text = make_spec_json(ImageConfig{}, def);
    if (!text) return o;
    auto j = json::parse(*text);
    j["process"]["args"] = {"sh", "-c", "exec >/tmp/out 2>&1; " + script};
    j["mounts"].push_back({{"destination", "/tmp"},
                           {"type", "bind"},
                           {"source", bundle + "/out"},
                           {"options", {"rbind"}}});
    fs::create_directories(bundle + "/out");
    edit(j);
    auto spec = parse_spec(j.dump(), name + "/config.json");
    if (!spec) {
      o.err = spec.error().message();
      return o;
    }
    auto r = run_container(*spec, bundle, "iso-" + name);
    if (r)
      o.status = *r;
    else
      o.err = r.error().message();
    o.out = read_text(bundle + "/out/out");
    return o;
  }

  TempDir m_dir;
};

}  // namespace keel::runtime
