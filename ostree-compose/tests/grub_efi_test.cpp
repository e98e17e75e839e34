#include "keel/compose/grub_efi.hpp"

#include <gtest/gtest.h>

#include "keel/common/sys.hpp"
#include "keel/common/text.hpp"
#include "keel/testing/temp_dir.hpp"

using keel::testing::TempDir;
using namespace keel::compose;

TEST(GrubEfi, EarlyConfigIsRescueParserSyntax) {
  std::string cfg = grub_early_config("keel-root");
  // GRUB runs the embedded config with its rescue parser: no comments, no if/fi.
  for (auto line : keel::split_lines(cfg)) {
    EXPECT_FALSE(line.starts_with("#")) << line;
    EXPECT_FALSE(line.starts_with("if ")) << line;
  }
  EXPECT_NE(cfg.find("search --no-floppy --label keel-root --set=root --hint=${keel_disk},gpt2\n"),
            std::string::npos)
      << cfg;
  EXPECT_NE(cfg.find("set prefix=($root)/boot/loader\n"), std::string::npos);
}

TEST(GrubEfi, BuildIsReproducible) {
  TempDir d;
  ASSERT_TRUE(build_grub_efi("keel-root", d.path(), d / "a.efi"));
  ASSERT_TRUE(build_grub_efi("keel-root", d.path(), d / "b.efi"));
  ASSERT_TRUE(build_grub_efi("other", d.path(), d / "c.efi"));
  auto a = keel::sys::read_file(d / "a.efi"), b = keel::sys::read_file(d / "b.efi"),
       c = keel::sys::read_file(d / "c.efi");
  ASSERT_TRUE(a && b && c);
  EXPECT_GT(a->size(), 100'000u);
  EXPECT_TRUE(a->starts_with("MZ"));  // a PE/COFF image, as UEFI loads
  EXPECT_EQ(*a, *b);
  EXPECT_NE(*a, *c);  // the label is in the embedded config
}
