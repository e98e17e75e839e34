#include "keel/compose/elf_deps.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "keel/testing/temp_dir.hpp"

using keel::testing::TempDir;

using namespace keel::compose;

namespace {
bool has_suffix(const std::vector<std::string>& v, const std::string& s) {
  return std::any_of(v.begin(), v.end(), [&](const std::string& x) { return x.ends_with(s); });
}
}  // namespace

TEST(ElfDeps, ReadsInterpreterAndNeeded) {
  auto info = read_elf_info("/proc/self/exe");
  ASSERT_TRUE(info) << info.error().message();
  EXPECT_EQ(info->interpreter, "/lib64/ld-linux-x86-64.so.2");
  EXPECT_NE(std::find(info->needed.begin(), info->needed.end(), "libc.so.6"), info->needed.end());
}

TEST(ElfDeps, ClosureOnTheHostTreeIsTransitive) {
  // This test binary needs libstdc++, which needs libm: the closure must have both.
  auto libs = library_closure("", std::filesystem::read_symlink("/proc/self/exe"));
  ASSERT_TRUE(libs) << libs.error().message();
  EXPECT_TRUE(has_suffix(*libs, "/libstdc++.so.6"));
  EXPECT_TRUE(has_suffix(*libs, "/libm.so.6"));
  EXPECT_TRUE(has_suffix(*libs, "/libc.so.6"));
}

TEST(ElfDeps, MissingLibraryIsNamed) {
  TempDir d;
  std::filesystem::create_directories(d.path() + "/lib64");
  std::filesystem::copy_file("/lib64/ld-linux-x86-64.so.2",
                             d.path() + "/lib64/ld-linux-x86-64.so.2");
  auto r = library_closure(d.path(), "/bin/true");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("libc.so.6"), std::string::npos) << r.error().message();
  EXPECT_NE(r.error().message().find("[packages] include"), std::string::npos);
}

TEST(ElfDeps, RejectsNonElf) {
  TempDir d;
  EXPECT_FALSE(read_elf_info(d.write("x", "#!/bin/sh\n")));
  EXPECT_FALSE(read_elf_info(d.write("y",
                                     "\x7f"
                                     "ELF")));
}
