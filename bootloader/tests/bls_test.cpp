#include "keel/bootloader/bls.hpp"

#include <gtest/gtest.h>

#include "keel/testing/temp_dir.hpp"

namespace keel::bootloader {
namespace {

using keel::testing::TempDir;

// What OSTree 2022.7 writes for a Keel deployment (boot/loader.1/entries/ostree-1-keel.conf).
constexpr const char* kEntry =
    "title Keel 0.1.0 (walking skeleton) (ostree:0)\n"
    "version 2\n"
    "options root=LABEL=keel-root rw console=ttyS0 ostree=/ostree/boot.1/keel/abc/0\n"
    "linux /ostree/keel-abc/vmlinuz-6.1.0-56-cloud-amd64\n"
    "initrd /ostree/keel-abc/initramfs-6.1.0-56-cloud-amd64.img\n";

TEST(Bls, ParsesOstreeEntry) {
  auto e = parse_bls_entry(kEntry, "e.conf");
  ASSERT_TRUE(e) << e.error().message();
  EXPECT_EQ(e->title, "Keel 0.1.0 (walking skeleton) (ostree:0)");
  EXPECT_EQ(e->version, "2");
  EXPECT_EQ(e->kernel, "/ostree/keel-abc/vmlinuz-6.1.0-56-cloud-amd64");
  ASSERT_EQ(e->initrds.size(), 1u);
  EXPECT_EQ(e->initrds[0], "/ostree/keel-abc/initramfs-6.1.0-56-cloud-amd64.img");
  EXPECT_EQ(kernel_arg(e->options, "ostree"), "/ostree/boot.1/keel/abc/0");
  EXPECT_EQ(kernel_arg(e->options, "root"), "LABEL=keel-root");
  EXPECT_EQ(kernel_arg(e->options, "nosuch"), "");
}

TEST(Bls, TabsCommentsOverlayInitrdsAndUnknownKeys) {
  auto e = parse_bls_entry(
      "# comment\n\ntitle\tT\nlinux\t/k\noptions a=1  b\ninitrd /i1\ninitrd /i2\n"
      "machine-id 123\narchitecture x64\n",
      "e.conf");
  ASSERT_TRUE(e) << e.error().message();
  EXPECT_EQ(e->title, "T");
  EXPECT_EQ(e->options, "a=1  b");
  EXPECT_EQ(e->initrds, (std::vector<std::string>{"/i1", "/i2"}));
}

TEST(Bls, MalformedEntriesNameFileAndLine) {
  auto no_value = parse_bls_entry("title T\nlinux\noptions x\n", "/b/e.conf");
  ASSERT_FALSE(no_value);
  EXPECT_EQ(no_value.error().message(),
            "/b/e.conf:2: 'linux' has no value (a line is \"key value\")");
  auto twice = parse_bls_entry("linux /a\noptions x\nlinux /b\n", "e.conf");
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().message(), "e.conf:3: 'linux' appears twice; an entry has one");
  auto no_kernel = parse_bls_entry("title T\noptions x\n", "e.conf");
  ASSERT_FALSE(no_kernel);
  EXPECT_NE(no_kernel.error().message().find("e.conf:2: no 'linux' line"), std::string::npos);
  auto no_options = parse_bls_entry("linux /k\n", "e.conf");
  ASSERT_FALSE(no_options);
  EXPECT_NE(no_options.error().message().find("no 'options' line"), std::string::npos);
}

TEST(Bls, LoadsNewestFirstByVersion) {
  TempDir d;
  // ostree-N-keel.conf, N = n_deployments - index: 10 sorts after 9 as a number only.
  for (int v : {1, 10, 9}) {
    std::string s = std::to_string(v);
    d.write("entries/ostree-" + s + "-keel.conf",
            "title T" + s + "\nversion " + s + "\nlinux /k\noptions ostree=/x\n");
  }
  d.write("entries/README", "not an entry\n");
  auto es = load_bls_entries(d / "entries");
  ASSERT_TRUE(es) << es.error().message();
  ASSERT_EQ(es->size(), 3u);
  EXPECT_EQ((*es)[0].title, "T10");
  EXPECT_EQ((*es)[1].title, "T9");
  EXPECT_EQ((*es)[2].title, "T1");
}

TEST(Bls, LoadErrors) {
  TempDir d;
  auto none = load_bls_entries(d.path());
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message().find("no *.conf boot entries"), std::string::npos);
  d.write("a.conf", "version x1\nlinux /k\noptions o\n");
  auto bad = load_bls_entries(d.path());
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message(),
            d / "a.conf" +
                ": version 'x1' is not a number; OSTree numbers its entries 1..N (newest highest)");
  d.write("a.conf", "version 1\nlinux /k\noptions o\n");
  d.write("b.conf", "version 1\nlinux /k\noptions o\n");
  auto same = load_bls_entries(d.path());
  ASSERT_FALSE(same);
  EXPECT_NE(same.error().message().find("have the same version 1"), std::string::npos);
  auto missing = load_bls_entries(d / "nosuch");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("nosuch"), std::string::npos);
}

}  // namespace
}  // namespace keel::bootloader
