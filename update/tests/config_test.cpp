#include "keel/update/config.hpp"

#include <gtest/gtest.h>
#include <ostree.h>

#include "keel/testing/temp_dir.hpp"
#include "keel/update/client.hpp"

using namespace keel::update;
using keel::testing::TempDir;

namespace {

std::time_t at(int days_after_epoch, int hour, int minute) {
  return static_cast<std::time_t>(days_after_epoch) * 86'400 + hour * 3600 + minute * 60;
}
// 2024-01-07 was a Sunday: 19729 days after 1970-01-01.
constexpr int kSunday = 19729;

}  // namespace

TEST(UpdateConfig, HostOverridesImageKeyByKey) {
  TempDir d;
  auto image = d.write("image.toml",
                       "url = \"http://updates.example/keel\"\npolicy = \"automatic\"\n"
                       "trusted_keys = [\"/usr/lib/keel/keys\"]\n"
                       "[window]\nstart = \"03:00\"\nduration = \"2h\"\n");
  auto host = d.write("host.toml", "url = \"https://mirror.example/keel\"\n");
  auto cfg = load_update_config({image, host, d / "missing.toml"});
  ASSERT_TRUE(cfg) << cfg.error().message();
  EXPECT_EQ(cfg->url, "https://mirror.example/keel");
  EXPECT_EQ(cfg->policy, Policy::automatic);
  ASSERT_TRUE(cfg->window);
  EXPECT_EQ(cfg->window->start_min, 180);
  EXPECT_EQ(cfg->window->length_min, 120);
  EXPECT_EQ(cfg->trusted_keys, std::vector<std::string>{"/usr/lib/keel/keys"});
  EXPECT_EQ(cfg->sources, (std::vector<std::string>{image, host}));
}

TEST(UpdateConfig, DefaultsWithoutFiles) {
  auto cfg = load_update_config({"/nonexistent/update.toml"});
  ASSERT_TRUE(cfg);
  EXPECT_EQ(cfg->policy, Policy::manual);
  EXPECT_EQ(cfg->trusted_keys, (std::vector<std::string>{"/usr/lib/keel/keys", "/etc/keel/keys"}));
  auto complete = check_complete(*cfg);
  ASSERT_FALSE(complete);
  EXPECT_NE(complete.error().message().find("no update URL"), std::string::npos);
}

// Each mistake is reported at its line with what to write instead.
TEST(UpdateConfig, ErrorsNameFileLineAndFix) {
  TempDir d;
  struct Case {
    const char* text;
    const char* want;
  } cases[] = {
      {"url = \"ftp://x\"\n", "update.toml:1:7: url 'ftp://x' must start with http://"},
      {"policy = \"sometimes\"\n", ":1:10: policy 'sometimes' is not one of"},
      {"policy = \"pinned\"\n", ":1:10: policy = \"pinned\" needs version"},
      {"version = \"v2\"\n", ":1:11: version 'v2' is not a release version"},
      {"polcy = \"manual\"\n", "unknown key 'polcy'"},
      {"trusted_keys = [\"keys\"]\n", "must be an absolute path"},
      {"[window]\nstart = \"25:00\"\nduration = \"1h\"\n", ":2:9: [window] start '25:00'"},
      {"[window]\nstart = \"01:00\"\n", "[window] needs duration"},
      {"[window]\ndays = [\"sunday\"]\nstart = \"01:00\"\nduration = \"1h\"\n",
       "'sunday' is not one of sun"},
      {"branch = \"a b\"\n", "branch 'a b' is not an OSTree branch name"},
  };
  for (const auto& c : cases) {
    auto path = d.write("update.toml", c.text);
    auto cfg = load_update_config({path});
    ASSERT_FALSE(cfg) << c.text;
    EXPECT_NE(cfg.error().message().find(c.want), std::string::npos)
        << cfg.error().message() << "\nwanted: " << c.want;
    EXPECT_NE(cfg.error().message().find(path), std::string::npos) << cfg.error().message();
  }
}

TEST(UpdateWindow, OpenInsideOnTheChosenDays) {
  Window w{.days = 1u << 0 | 1u << 6, .start_min = 3 * 60, .length_min = 120};  // sat, sun
  EXPECT_TRUE(in_window(w, at(kSunday, 3, 0)));
  EXPECT_TRUE(in_window(w, at(kSunday, 4, 59)));
  EXPECT_FALSE(in_window(w, at(kSunday, 5, 0)));
  EXPECT_FALSE(in_window(w, at(kSunday, 2, 59)));
  EXPECT_FALSE(in_window(w, at(kSunday + 1, 3, 30)));  // Monday
  EXPECT_TRUE(in_window(w, at(kSunday - 1, 3, 30)));   // Saturday
  EXPECT_EQ(next_window_start(w, at(kSunday + 1, 12, 0)), at(kSunday + 6, 3, 0));
  EXPECT_EQ(next_window_start(w, at(kSunday, 4, 0)), at(kSunday, 4, 0));
}

TEST(UpdateWindow, AWindowRunsPastMidnight) {
  Window w{.days = 1u << 1, .start_min = 23 * 60, .length_min = 120};  // Monday 23:00-01:00
  EXPECT_TRUE(in_window(w, at(kSunday + 1, 23, 30)));
  EXPECT_TRUE(in_window(w, at(kSunday + 2, 0, 30)));  // Tuesday, still Monday's window
  EXPECT_FALSE(in_window(w, at(kSunday + 2, 1, 0)));
  EXPECT_EQ(next_window_start(w, at(kSunday + 2, 1, 0)), at(kSunday + 8, 23, 0));
}

TEST(UpdateAuto, PolicyDecides) {
  CheckResult newer{.newer = true}, older{}, current{.current = true}, pending{.pending = true};
  EXPECT_EQ(decide_auto(Policy::manual, newer), AutoStep::manual);
  EXPECT_EQ(decide_auto(Policy::automatic, newer), AutoStep::install);
  EXPECT_EQ(decide_auto(Policy::automatic, older), AutoStep::older);
  EXPECT_EQ(decide_auto(Policy::pinned, older), AutoStep::install);  // pinned goes back too
  EXPECT_EQ(decide_auto(Policy::automatic, current), AutoStep::current);
  EXPECT_EQ(decide_auto(Policy::pinned, pending), AutoStep::pending);
  // A release that used up its boot attempts here is not staged or rebooted into again.
  CheckResult failed_newer{.newer = true, .failed_trial = std::string(64, 'f') + ".0"};
  CheckResult failed_pending{.pending = true, .newer = true, .failed_trial = "x"};
  EXPECT_EQ(decide_auto(Policy::automatic, failed_newer), AutoStep::failed);
  EXPECT_EQ(decide_auto(Policy::automatic, failed_pending), AutoStep::failed);
  EXPECT_EQ(decide_auto(Policy::pinned, failed_pending), AutoStep::failed);
  EXPECT_EQ(decide_auto(Policy::manual, failed_newer), AutoStep::manual);
  UpdateConfig cfg;
  EXPECT_TRUE(may_reboot_now(cfg, at(kSunday, 12, 0)));
  cfg.window = Window{.days = 0x7f, .start_min = 180, .length_min = 60};
  EXPECT_FALSE(may_reboot_now(cfg, at(kSunday, 12, 0)));
  EXPECT_TRUE(may_reboot_now(cfg, at(kSunday, 3, 10)));
}

// valid_branch_name() stands in for ostree_validate_rev() where libostree is not linked
// (keel-firstboot): both must agree on ASCII names.
TEST(UpdateConfig, BranchNamesAsOstreeValidatesThem) {
  for (const char* name : {"keel/x86_64/default",
                           "a",
                           "_",
                           "a-b.c_d",
                           "x/y",
                           "0/1/2",
                           "",
                           "/",
                           "a/",
                           "/a",
                           "a//b",
                           "-a",
                           ".a",
                           "a/-b",
                           "a/.b",
                           "a b",
                           "a\tb",
                           "a:b",
                           "a~b",
                           "a^b",
                           "a..b",
                           "a/b.",
                           "exampleos/x86_64/stable",
                           "a@b",
                           "a\\b"}) {
    bool ours = keel::update::valid_branch_name(name);
    bool ostree = ostree_validate_rev(name, nullptr);
    EXPECT_EQ(ours, ostree) << "'" << name << "'";
  }
  // OSTree's \w also matches non-ASCII letters; Keel takes ASCII names only.
  EXPECT_TRUE(ostree_validate_rev("\u00e9", nullptr));
  EXPECT_FALSE(keel::update::valid_branch_name("\u00e9"));
}

TEST(UpdateConfig, CheckInterval) {
  TempDir d;
  auto cfg = load_update_config({d.write("a.toml", "check_interval = \"15m\"\n")});
  ASSERT_TRUE(cfg) << cfg.error().message();
  EXPECT_EQ(cfg->check_interval, std::chrono::minutes(15));
  EXPECT_EQ(load_update_config({})->check_interval, std::chrono::hours(1));
  auto often = load_update_config({d.write("bad.toml", "check_interval = \"10s\"\n")});
  ASSERT_FALSE(often);
  EXPECT_NE(often.error().message().find("bad.toml:1:18: check_interval must be at least \"1m\""),
            std::string::npos)
      << often.error().message();
  auto rare = load_update_config({d.write("bad.toml", "check_interval = \"48h\"\n")});
  ASSERT_FALSE(rare);
  EXPECT_NE(rare.error().message().find("bad.toml:1:18: 'check_interval' must be a duration of at "
                                        "most a day"),
            std::string::npos)
      << rare.error().message();
}
