// The fixture of the privileged CLI tests (lifecycle_test.cpp, exec_test.cpp): it
// drives the keel-runtime binary with --root in a temporary directory, on a busybox
// bundle made by `keel-runtime spec`, and deletes every container it created.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "test_util.hpp"

namespace keel::runtime {

using nlohmann::json;
using test::read_text;
using test::TempDir;
using test::write_text;
namespace fs = std::filesystem;

using test::Outcome;

class Lifecycle : public ::testing::Test {
 protected:
  void SetUp() override {
    test::require_root("the lifecycle tests");
    if (::geteuid() != 0) return;
    m_root = m_dir / "state";
    m_bundle = m_dir / "bundle";
    std::string rootfs = m_bundle + "/rootfs";
    test::make_busybox_rootfs(
        rootfs, {"proc", "dev", "sys", "tmp", "hooks"},
        {"sh", "echo", "cat", "sleep", "grep", "tty", "ls", "readlink", "cmp", "hostname", "id"});
    ASSERT_EQ(runtime({"spec", "--bundle", m_bundle}).status, 0);
    m_config = json::parse(read_text(m_bundle + "/config.json"));
  }

  void TearDown() override {
    // Leave no container behind, whatever the test did.
    for (const auto& id : m_ids) runtime({"delete", "--force", id});
  }

  // Writes config.json running `script` with sh -c.
  void set_script(const std::string& script) {
    m_config["process"]["args"] = {"sh", "-c", script};
    write_text(m_bundle + "/config.json", m_config.dump());
  }

  // Runs keel-runtime with --root; stdout/stderr to files. `fd3`, if >= 0, becomes fd 3.
  Outcome runtime(std::vector<std::string> args, int fd3 = -1, bool wait = true,
                  pid_t* pid_out = nullptr, int fd4 = -1) {
    args.insert(args.begin(), {KEEL_RUNTIME_BINARY, "--root", m_root});
    return test::run_binary(std::move(args), m_dir.path(),
                            {.fd3 = fd3, .fd4 = fd4, .wait = wait, .pid_out = pid_out});
  }

  Outcome create(const std::string& id, std::vector<std::string> extra = {}) {
    m_ids.push_back(id);
    std::vector<std::string> args = {"create", "--bundle", m_bundle};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(id);
    return runtime(args);
  }

  json state(const std::string& id) {
    auto o = runtime({"state", id});
    if (o.status != 0) return json();
    return json::parse(o.out, nullptr, false);
  }

  // Polls `state` until status is `want` (up to 5 s).
  bool wait_status(const std::string& id, const std::string& want) {
    for (int i = 0; i < 250; ++i) {
      json s = state(id);
      if (s.is_object() && s["status"] == want) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  bool wait_file(const std::string& path) {
    for (int i = 0; i < 250 && !fs::exists(path); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return fs::exists(path);
  }

  // Runs a container that exits with `code` on the trapped signal `trap_name`,
  // sends `sig` to the foreground `run` once the container is up, and returns run's
  // wait status (-1 if the container never came up).
  int run_and_signal(const std::string& id, const char* trap_name, int sig, int code) {
    set_script("trap 'exit " + std::to_string(code) + "' " + trap_name +
               "; echo ready > /out; while true; do sleep 0.05; done");
    m_ids.push_back(id);
    pid_t pid = -1;
    runtime({"run", "--bundle", m_bundle, id}, -1, false, &pid);
    bool up = wait_file(rootfs("out"));
    if (pid > 0) ::kill(pid, up ? sig : SIGKILL);
    int st = -1;
    if (pid > 0) ::waitpid(pid, &st, 0);
    return up ? st : -1;
  }

  std::string rootfs(const std::string& rel) const { return m_bundle + "/rootfs/" + rel; }

  TempDir m_dir;
  std::string m_root, m_bundle;
  json m_config;
  std::vector<std::string> m_ids;
};

}  // namespace keel::runtime
