// Layer extraction against crafted tars (image-spec "layer.md"): whiteouts and
// entries that try to escape the rootfs.
#include "layer.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <filesystem>

#include "digest.hpp"
#include "test_util.hpp"

namespace keel::runtime {
namespace {

using test::read_text;
using test::TempDir;
namespace fs = std::filesystem;

struct TarEntry {
  std::string name;
  mode_t type = AE_IFREG;
  std::string content;  // file data, or the link target for symlinks and hardlinks
  bool hardlink = false;
};

enum class Filter { none, zstd };

void make_tar(const std::string& path, const std::vector<TarEntry>& entries,
              Filter filter = Filter::none) {
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  if (filter == Filter::zstd) {
    ASSERT_EQ(archive_write_add_filter_zstd(a), ARCHIVE_OK);
  }
  ASSERT_EQ(archive_write_open_filename(a, path.c_str()), ARCHIVE_OK);
  for (const auto& t : entries) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, t.name.c_str());
    archive_entry_set_filetype(e, t.type);
    archive_entry_set_perm(e, t.type == AE_IFDIR ? 0755 : 0644);
    if (t.hardlink)
      archive_entry_set_hardlink(e, t.content.c_str());
    else if (t.type == AE_IFLNK)
      archive_entry_set_symlink(e, t.content.c_str());
    else if (t.type == AE_IFCHR)
      archive_entry_set_rdev(e, makedev(1, 3));
    else if (t.type == AE_IFREG)
      archive_entry_set_size(e, static_cast<la_int64_t>(t.content.size()));
    archive_write_header(a, e);
    if (t.type == AE_IFREG && !t.hardlink)
      archive_write_data(a, t.content.data(), t.content.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
}

std::string extract(const TempDir& t, const std::vector<TarEntry>& entries,
                    Filter filter = Filter::none, const UnpackOptions& opts = {}) {
  make_tar(t / "layer.tar", entries, filter);
  fs::create_directories(t / "root");
  auto r = extract_layer(t / "layer.tar", fs::canonical(t / "root"), opts, UINT64_MAX);
  return r ? "" : r.error().message();
}

TEST(Layer, CleansEntryPaths) {
  EXPECT_EQ(*clean_entry_path("./a//b/./c/"), "a/b/c");
  EXPECT_EQ(*clean_entry_path("./"), "");
  EXPECT_FALSE(clean_entry_path("/etc/passwd"));
  EXPECT_FALSE(clean_entry_path("a/../../b"));
}

TEST(Layer, WhiteoutsHideLowerLayers) {
  TempDir t;
  ASSERT_EQ(extract(t, {{"a", AE_IFDIR},
                        {"a/f1", AE_IFREG, "1"},
                        {"a/f2", AE_IFREG, "2"},
                        {"b", AE_IFDIR},
                        {"b/x", AE_IFREG, "x"},
                        {"b/sub", AE_IFDIR},
                        {"b/sub/deep", AE_IFREG, "d"}}),
            "");
  // Second layer, zstd-compressed: delete a/f1, make b opaque but add b/y.
  ASSERT_EQ(extract(t,
                    {{"a/.wh.f1", AE_IFREG},
                     {"b/y", AE_IFREG, "y"},
                     {"b/.wh..wh..opq", AE_IFREG},
                     {"c", AE_IFREG, "c"},
                     {".wh.c", AE_IFREG}},
                    Filter::zstd),
            "");
  EXPECT_FALSE(fs::exists(t / "root/a/f1"));
  EXPECT_EQ(read_text(t / "root/a/f2"), "2");
  EXPECT_FALSE(fs::exists(t / "root/b/x"));
  EXPECT_FALSE(fs::exists(t / "root/b/sub"));
  EXPECT_EQ(read_text(t / "root/b/y"), "y");
  EXPECT_FALSE(fs::exists(t / "root/b/.wh..wh..opq"));
  // A whiteout only hides lower layers: c from the same layer stays.
  EXPECT_EQ(read_text(t / "root/c"), "c");
}

TEST(Layer, RefusesDotDotAndAbsoluteEntries) {
  TempDir t;
  std::string err = extract(t, {{"ok", AE_IFREG, "1"}, {"../escaped", AE_IFREG, "bad"}});
  EXPECT_NE(err.find("'../escaped' has a '..' component"), std::string::npos) << err;
  EXPECT_FALSE(fs::exists(t / "escaped"));
  err = extract(t, {{"/abs", AE_IFREG, "bad"}});
  EXPECT_NE(err.find("is absolute"), std::string::npos) << err;
}

TEST(Layer, NeverWritesThroughSymlinks) {
  TempDir t;
  fs::create_directories(t / "outside");
  std::string err = extract(t, {{"link", AE_IFLNK, t / "outside"}, {"link/file", AE_IFREG, "x"}});
  EXPECT_NE(err.find("'link' is a symlink; writing through it"), std::string::npos) << err;
  EXPECT_FALSE(fs::exists(t / "outside/file"));
  err = extract(t, {{"h2", AE_IFREG, "../../etc/passwd", true}});
  EXPECT_NE(err.find("hardlink h2"), std::string::npos) << err;
}

TEST(Layer, DiffIdIsTheDigestOfTheUncompressedTar) {
  TempDir t;
  make_tar(t / "plain.tar", {{"a", AE_IFREG, "1"}});
  make_tar(t / "layer.tar", {{"a", AE_IFREG, "1"}}, Filter::zstd);
  fs::create_directories(t / "root");
  auto r = extract_layer(t / "layer.tar", fs::canonical(t / "root"), {}, UINT64_MAX);
  ASSERT_TRUE(r) << r.error().message();
  std::string plain = read_text(t / "plain.tar");
  EXPECT_EQ(r->diff_id, "sha256:" + sha256_hex(plain));
  EXPECT_EQ(r->uncompressed_bytes, plain.size());
}

TEST(Layer, WhiteoutBelowSymlinkIsRefused) {
  TempDir t;
  fs::create_directories(t / "outside/victim");
  ASSERT_EQ(extract(t, {{"link", AE_IFLNK, t / "outside"}}), "");
  std::string err = extract(t, {{"link/.wh.victim", AE_IFREG}});
  EXPECT_NE(err.find("is a symlink"), std::string::npos) << err;
  EXPECT_TRUE(fs::exists(t / "outside/victim"));
}

TEST(Layer, RefusesDeviceNodesUnlessAllowed) {
  TempDir t;
  std::string err = extract(t, {{"dev", AE_IFDIR}, {"dev/null", AE_IFCHR}, {"f", AE_IFREG, "f"}});
  EXPECT_NE(err.find("'dev/null' is a character device node (1:3)"), std::string::npos) << err;
  if (::geteuid() != 0) return;  // mknod needs CAP_MKNOD
  TempDir t2;
  ASSERT_EQ(extract(t2, {{"dev", AE_IFDIR}, {"dev/null", AE_IFCHR}}, Filter::none,
                    {.allow_devices = true}),
            "");
  EXPECT_TRUE(fs::is_character_file(t2 / "root/dev/null"));
}

}  // namespace
}  // namespace keel::runtime
