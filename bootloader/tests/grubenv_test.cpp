#include "keel/bootloader/grubenv.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>

#include "keel/testing/temp_dir.hpp"

namespace keel::bootloader {
namespace {

using keel::testing::read_text;
using keel::testing::TempDir;

std::string run(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return "popen failed";
  char buf[256];
  while (size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  int status = ::pclose(p);
  return status == 0 ? out : "exit status " + std::to_string(status) + ": " + out;
}

TEST(GrubEnv, RoundTripWithEscapes) {
  GrubEnv env;
  env.set("a", "1");
  env.set("path", "C:\\dir");
  env.set("two", "line1\nline2");
  env.set("a", "2");  // replaced in place, order kept
  auto block = render_grubenv(env);
  ASSERT_TRUE(block) << block.error().message();
  EXPECT_EQ(block->size(), kEnvBlockSize);
  EXPECT_TRUE(
      block->starts_with("# GRUB Environment Block\na=2\npath=C:\\\\dir\ntwo=line1\\\nline2\n#"));
  auto back = parse_grubenv(*block, "env");
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(back->vars(), env.vars());
  env.erase("path");
  EXPECT_FALSE(env.get("path"));
  EXPECT_EQ(env.get("two"), "line1\nline2");
}

TEST(GrubEnv, ReadsWhatGrubEditenvWrites) {
  TempDir d;
  std::string f = d / "grubenv";
  ASSERT_EQ(run(std::string(GRUB_EDITENV) + " " + f + " create"), "");
  ASSERT_EQ(run(std::string(GRUB_EDITENV) + " " + f + " set keel_tries=3 saved_entry=x"), "");
  auto env = read_grubenv(f);
  ASSERT_TRUE(env) << env.error().message();
  EXPECT_EQ(env->get("keel_tries"), "3");
  EXPECT_EQ(env->get("saved_entry"), "x");
  EXPECT_FALSE(env->get("nosuch"));
}

TEST(GrubEnv, GrubEditenvReadsWhatWeWriteInPlace) {
  TempDir d;
  std::string f = d / "grubenv";
  ASSERT_EQ(run(std::string(GRUB_EDITENV) + " " + f + " create"), "");
  struct stat before {};
  ASSERT_EQ(::stat(f.c_str(), &before), 0);
  GrubEnv env;
  env.set("keel_pending", "abc");
  env.set("keel_tries", "2");
  ASSERT_TRUE(write_grubenv(f, env));
  struct stat after {};
  ASSERT_EQ(::stat(f.c_str(), &after), 0);
  // In place: the same inode and size, so the same blocks GRUB's save_env writes.
  EXPECT_EQ(before.st_ino, after.st_ino);
  EXPECT_EQ(after.st_size, 1024);
  EXPECT_EQ(run(std::string(GRUB_EDITENV) + " " + f + " list"), "keel_pending=abc\nkeel_tries=2\n");
}

TEST(GrubEnv, CreatesAMissingBlock) {
  TempDir d;
  std::string f = d / "grubenv";
  GrubEnv env;
  env.set("x", "y");
  ASSERT_TRUE(write_grubenv(f, env));
  EXPECT_EQ(read_text(f).size(), kEnvBlockSize);
  EXPECT_EQ(run(std::string(GRUB_EDITENV) + " " + f + " list"), "x=y\n");
}

TEST(GrubEnv, CorruptBlocksAreClearErrors) {
  auto sig = parse_grubenv("garbage", "/boot/keel/grubenv");
  ASSERT_FALSE(sig);
  EXPECT_EQ(sig.error().message(),
            "/boot/keel/grubenv: not a GRUB environment block (it does not start with \"# GRUB "
            "Environment Block\"); recreate it with: grub-editenv /boot/keel/grubenv create");
  auto no_eq = parse_grubenv("# GRUB Environment Block\na=1\nbroken\n###", "env");
  ASSERT_FALSE(no_eq);
  EXPECT_EQ(no_eq.error().message(),
            "env:3: a variable line without '=' (broken); recreate it with: grub-editenv env "
            "create");
  auto cut = parse_grubenv("# GRUB Environment Block\na=1", "env");
  ASSERT_FALSE(cut);
  EXPECT_NE(cut.error().message().find("env:2: variable a is cut off"), std::string::npos);
  auto name = parse_grubenv("# GRUB Environment Block\nb-ad=1\n", "env");
  ASSERT_FALSE(name);
  EXPECT_NE(name.error().message().find("'b-ad' is not a variable name"), std::string::npos);
}

TEST(GrubEnv, RefusesWhatDoesNotFit) {
  GrubEnv env;
  env.set("big", std::string(2000, 'x'));
  auto r = render_grubenv(env);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("more than the 1024-byte environment block"),
            std::string::npos);
  TempDir d;
  std::string f = d / "grubenv";
  GrubEnv small;
  small.set("a", "1");
  ASSERT_TRUE(write_grubenv(f, small));
  GrubEnv spans;  // fits the block, but not its first sector
  spans.set("v", std::string(600, 'x'));
  auto w = write_grubenv(f, spans);
  ASSERT_FALSE(w);
  EXPECT_NE(w.error().message().find("would pass the first 512 bytes"), std::string::npos);
  EXPECT_EQ(read_grubenv(f)->get("a"), "1");  // untouched
}

}  // namespace
}  // namespace keel::bootloader
