#include "keel/init/update_checks.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <string>
#include <vector>

#include "keel/common/log.hpp"
#include "keel/testing/temp_dir.hpp"

using namespace keel::init;
using keel::testing::TempDir;
using namespace std::chrono_literals;

namespace {

keel::update::UpdateConfig automatic() {
  keel::update::UpdateConfig c;
  c.url = "http://10.0.2.100/keel";
  c.policy = keel::update::Policy::automatic;
  c.check_interval = 15min;
  c.sources = {"/etc/keel/update.toml"};
  return c;
}

std::vector<std::string>* g_lines;
void capture(void*, keel::log::Level, std::string_view component, std::string_view message) {
  g_lines->push_back(std::string(component) + ": " + std::string(message));
}

bool has(const std::vector<std::string>& lines, std::string_view text) {
  for (const auto& l : lines)
    if (l.find(text) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST(UpdateChecks, PlanFollowsThePolicy) {
  auto on = plan_update_checks(automatic());
  EXPECT_TRUE(on.enabled);
  EXPECT_EQ(on.interval, 15min);
  EXPECT_EQ(on.what,
            "keelctl update auto every 15m (policy automatic, http://10.0.2.100/keel, from "
            "/etc/keel/update.toml)");

  auto manual = automatic();
  manual.policy = keel::update::Policy::manual;
  EXPECT_FALSE(plan_update_checks(manual).enabled);
  EXPECT_NE(plan_update_checks(manual).what.find("off (policy manual"), std::string::npos);

  auto no_url = automatic();
  no_url.url.clear();
  auto p = plan_update_checks(no_url);
  EXPECT_FALSE(p.enabled);
  EXPECT_NE(p.what.find("off: no update URL is configured"), std::string::npos) << p.what;

  keel::Result<keel::update::UpdateConfig> bad =
      keel::fail_msg("/etc/keel/update.toml:2:10: policy 'x' is not one of ...");
  p = plan_update_checks(bad);
  EXPECT_FALSE(p.enabled);
  EXPECT_EQ(p.interval, 1h);  // asks again later: the file may be fixed meanwhile
  EXPECT_NE(p.what.find("off until the settings are fixed: /etc/keel/update.toml:2:10"),
            std::string::npos);
}

TEST(UpdateChecks, DelayIsTheIntervalPlusATenthAtMost) {
  EXPECT_EQ(next_check_delay(1h, 0), 1h);
  EXPECT_EQ(next_check_delay(1h, 360'000), 1h + 360'000ms);
  EXPECT_EQ(next_check_delay(1h, 360'001), 1h);  // wraps within the tenth
  for (uint64_t r : {1ull, 77ull, 123456789ull, ~0ull}) {
    auto d = next_check_delay(10min, r);
    EXPECT_GE(d, 10min);
    EXPECT_LE(d, 11min);
  }
}

// The run: keelctl (a script here) is started with the settings' policy, its output
// lines are logged as keel-update's, its exit status is reported, and a manual policy
// starts nothing.
TEST(UpdateChecks, RunsKeelctlAndLogsItsOutput) {
  TempDir d;
  std::string keelctl = d.write("keelctl",
                                "#!/bin/sh\necho \"args: $*\"\necho 'Release 0.2.0 boots in the "
                                "next maintenance window' >&2\nexit 3\n");
  ASSERT_EQ(::chmod(keelctl.c_str(), 0755), 0);
  std::string cfg =
      d.write("update.toml", "url = \"http://10.0.2.100/keel\"\npolicy = \"automatic\"\n");
  std::vector<std::string> lines;
  g_lines = &lines;
  keel::log::set_sink(&capture, nullptr);
  sd_event* ev = nullptr;
  ASSERT_GE(sd_event_new(&ev), 0);
  {
    UpdateChecks checks(ev, keelctl, {cfg});
    checks.check_now();
    pid_t pid = checks.running();
    ASSERT_GT(pid, 0) << (lines.empty() ? "" : lines.back());
    int status = 0;
    auto deadline = std::chrono::steady_clock::now() + 20s;
    while (::waitpid(pid, &status, WNOHANG) == 0) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the script did not end";
      sd_event_run(ev, 10'000);
    }
    EXPECT_FALSE(checks.on_reaped(pid + 100000, 0));
    EXPECT_TRUE(checks.on_reaped(pid, status));
    EXPECT_EQ(checks.running(), -1);

    d.write("update.toml", "url = \"http://10.0.2.100/keel\"\npolicy = \"manual\"\n");
    checks.check_now();
    EXPECT_EQ(checks.running(), -1);
  }
  sd_event_unref(ev);
  keel::log::set_sink(nullptr, nullptr);
  EXPECT_TRUE(has(lines, "keel-update: args: update auto")) << ::testing::PrintToString(lines);
  EXPECT_TRUE(has(lines, "keel-update: Release 0.2.0 boots in the next maintenance window"));
  EXPECT_TRUE(
      has(lines, "keel-init: automatic updates: keelctl update auto failed (exit status 3)"));
}
