// keelctl's update arguments, and the trusted keys the commands load.
#include <gtest/gtest.h>

#include <cstdio>

#include "keel/testing/temp_dir.hpp"
#include "keel/update/cli.hpp"
#include "keel/update/trust.hpp"

using namespace keel::update;
using keel::testing::TempDir;

TEST(UpdateCli, WhichArgumentsAreUpdateCommands) {
  EXPECT_TRUE(is_update_command({"update", "check"}));
  EXPECT_TRUE(is_update_command({"--json", "rollback"}));
  EXPECT_TRUE(is_update_command({"status", "--sysroot", "/x"}));
  EXPECT_FALSE(is_update_command({"status"}));  // the socket's status (plus deployments)
  EXPECT_FALSE(is_update_command({"logs", "web"}));
  EXPECT_FALSE(is_update_command({"check-kernel", "--config", "/c"}));
}

// Bad arguments are exit 2 with the reason, before any sysroot is opened.
TEST(UpdateCli, BadArgumentsSayWhy) {
  struct Case {
    std::vector<std::string> args;
    const char* want;
  } cases[] = {
      {{"update"}, "keelctl update needs check, download, apply or auto"},
      {{"update", "install"}, "needs check, download, apply or auto"},
      {{"update", "check", "--frobnicate"}, "unknown option --frobnicate"},
      {{"update", "check", "--sysroot"}, "--sysroot needs a value"},
      {{"update", "auto", "--version", "1.0"}, "--version goes with update check"},
      {{"rollback", "now"}, "unexpected argument 'now'"},
  };
  for (const auto& c : cases) {
    char* buf = nullptr;
    size_t len = 0;
    std::FILE* err = open_memstream(&buf, &len);
    int rc = run_update_cli(c.args, {}, stdout, err);
    std::fclose(err);
    std::string text(buf, len);
    free(buf);
    EXPECT_EQ(rc, 2) << c.want;
    EXPECT_NE(text.find(c.want), std::string::npos) << text;
  }
}

TEST(TrustedKeys, FilesAndDirectoriesOfPubFiles) {
  TempDir d;
  d.write("image/b.pub", "# release key\nNe8dG/CbRACmy46VQKTgZe2riowpeAxsx1fgU4igjSQ=\n");
  d.write("image/a.pub", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n");
  d.write("image/notes.txt", "not a key\n");
  auto one = d.write("host.pub", "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBA=\n");
  auto t = load_trusted_keys({d / "image", one, d / "missing"});
  ASSERT_TRUE(t) << t.error().message();
  EXPECT_EQ(t->files, (std::vector<std::string>{d / "image/a.pub", d / "image/b.pub", one}));
  d.write("bad/x.pub", "short\n");
  auto bad = load_trusted_keys({d / "bad"});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("x.pub:1: not an ed25519 public key"), std::string::npos)
      << bad.error().message();
  auto none = load_trusted_keys({d / "missing"});
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message().find("/etc/keel/keys/NAME.pub"), std::string::npos)
      << none.error().message();
}
