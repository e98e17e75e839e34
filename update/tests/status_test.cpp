// The deployments table is made from the JSON that --json prints.
#include <gtest/gtest.h>

#include "keel/update/boot.hpp"
#include "keel/update/cli.hpp"

using nlohmann::json;

TEST(DeploymentsStatus, TableShowsBootedPendingRollbackAndRecords) {
  json s = {{"sysroot", "/"},
            {"deployments",
             {{{"version", "0.3.0"},
               {"checksum", std::string(64, 'c')},
               {"origin", "keel:keel/x86_64/default"},
               {"default", true},
               {"booted", false},
               {"pending", true}},
              {{"version", "0.2.0"},
               {"checksum", std::string(64, 'b')},
               {"origin", "keel:keel/x86_64/default"},
               {"default", false},
               {"booted", true}},
              {{"version", "0.1.0"},
               {"checksum", std::string(64, 'a')},
               {"origin", "keel/x86_64/default"},
               {"default", false},
               {"booted", false}}}},
            {"last_download",
             {{"version", "0.3.0"},
              {"time", "2026-11-20T10:00:00Z"},
              {"bytes", 48213},
              {"static_delta", true},
              {"seconds", 0.4}}},
            {"last_rollback",
             {{"time", "2026-11-19T09:00:00Z"},
              {"reason", "keelctl rollback"},
              {"from", {{"version", "0.2.1"}}},
              {"to", {{"version", "0.2.0"}}}}},
            {"boot_counting", "not available"}};
  std::string t = keel::update::format_deployments(s);
  EXPECT_NE(
      t.find("  0.3.0        cccccccccccc   keel:keel/x86_64/default       pending: boots next"),
      std::string::npos)
      << t;
  EXPECT_NE(t.find("* 0.2.0        bbbbbbbbbbbb"), std::string::npos) << t;
  EXPECT_NE(t.find("booted\n"), std::string::npos) << t;
  EXPECT_NE(t.find("0.1.0        aaaaaaaaaaaa   keel/x86_64/default            rollback"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("Last download: 0.3.0 at 2026-11-20T10:00:00Z: 48213 bytes (static delta)"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("Last rollback: 2026-11-19T09:00:00Z from 0.2.1 to 0.2.0: keelctl rollback"),
            std::string::npos)
      << t;
}

// Records come from files: wrong types must not crash keelctl (built without exceptions).
TEST(DeploymentsStatus, ToleratesOddRecords) {
  json s = {{"sysroot", "/x"},
            {"deployments", 5},
            {"last_download", {{"bytes", "many"}}},
            {"last_rollback", {{"from", 3}}}};
  std::string t = keel::update::format_deployments(s);
  EXPECT_NE(t.find("Deployments of /x:"), std::string::npos) << t;
  EXPECT_NE(t.find("Last download:  at : 0 bytes"), std::string::npos) << t;
}

TEST(DeploymentsStatus, BootCountingLine) {
  keel::bootloader::BootCounter c;
  EXPECT_EQ(keel::update::boot_counting_text(c), "GRUB; no deployment on trial");
  c.pending = std::string(64, 'b') + ".0";
  c.tries_left = 0;
  c.failed = c.pending;
  EXPECT_EQ(keel::update::boot_counting_text(c),
            "GRUB; deployment " + c.pending + " on trial, 0 boot attempt(s) left; deployment " +
                c.pending + " used up its boot attempts and was rolled back from");
}

TEST(FailedTrial, MatchesOnlyTheReleasesDeployments) {
  using keel::update::failed_trial_of;
  std::string a(64, 'a'), b(64, 'b');
  keel::bootloader::BootCounter c{.failed = a + ".1"};
  EXPECT_EQ(failed_trial_of(c, a), a + ".1");
  EXPECT_EQ(failed_trial_of(c, b), "");
  EXPECT_EQ(failed_trial_of(c, a.substr(0, 12)), "");  // a prefix of the commit is not it
  EXPECT_EQ(failed_trial_of(std::nullopt, a), "");     // no GRUB: nothing failed a trial
  EXPECT_EQ(failed_trial_of(keel::bootloader::BootCounter{}, a), "");
}

// After GRUB fell back, OSTree still lists the failed deployment first: it is not shown
// as booting next.
TEST(DeploymentsStatus, FailedTrialIsNotPending) {
  json s = {{"sysroot", "/"},
            {"deployments",
             {{{"version", "0.2.0"},
               {"checksum", std::string(64, 'b')},
               {"origin", "keel:keel/x86_64/default"},
               {"default", true},
               {"booted", false},
               {"pending", false},
               {"failed_trial", true}},
              {{"version", "0.1.0"},
               {"checksum", std::string(64, 'a')},
               {"origin", "keel/x86_64/default"},
               {"default", false},
               {"booted", true}}}}};
  std::string t = keel::update::format_deployments(s);
  EXPECT_NE(t.find("bbbbbbbbbbbb   keel:keel/x86_64/default       failed its boot trial, not "
                   "booted again\n"),
            std::string::npos)
      << t;
  EXPECT_EQ(t.find("pending"), std::string::npos) << t;
}
