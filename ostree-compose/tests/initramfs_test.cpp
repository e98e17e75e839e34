#include "keel/compose/initramfs.hpp"

#include <gtest/gtest.h>

#include "keel/compose/process.hpp"
#include "keel/testing/temp_dir.hpp"

using keel::testing::TempDir;

using namespace keel::compose;
using Kind = CpioEntry::Kind;

TEST(Initramfs, WritesAReadableGzipCpio) {
  TempDir d;
  std::string src = d.write("payload", "binary");
  std::vector<CpioEntry> entries = {
      {Kind::dir, "dev", {}, 0755},
      {Kind::dir, "usr", {}, 0755},
      {Kind::symlink, "lib", "usr/lib", 0777},
      {Kind::char_device, "dev/console", {}, 0600, 5, 1},
      {Kind::file, "init", src, 0755},
      {Kind::text, "etc-release", "ID=keel\n", 0644},
  };
  std::string out = d.path() + "/initramfs.img";
  ASSERT_TRUE(write_cpio(out, entries));
  // Read it back with the system's tools: gzip framing, newc format, device node.
  auto listing = run_capture({"sh", "-c", "zcat " + out + " | cpio -itv --quiet"});
  ASSERT_TRUE(listing) << listing.error().message();
  EXPECT_NE(listing->find("crw-------"), std::string::npos) << *listing;
  EXPECT_NE(listing->find("dev/console"), std::string::npos);
  EXPECT_NE(listing->find("lib -> usr/lib"), std::string::npos);
  EXPECT_NE(listing->find("init"), std::string::npos);
  auto content = run_capture({"sh", "-c", "zcat " + out + " | cpio -i --to-stdout --quiet init"});
  ASSERT_TRUE(content);
  EXPECT_EQ(*content, "binary");
}

TEST(Initramfs, MissingSourceFails) {
  TempDir d;
  auto r = write_cpio(d.path() + "/x.img", {{Kind::file, "init", "/nonexistent/keel-init", 0755}});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("/nonexistent/keel-init"), std::string::npos);
}
