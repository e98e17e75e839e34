// Hostile images, one crafted attack per test (image-spec "layer.md" plus the
// threats any tar extractor faces). Each unpack must be refused with an error that
// names the attack, and a sentinel check proves nothing was written outside the
// target: the temp parent holds only the image and an untouched canary directory,
// and neither the rootfs nor its staging directory is left behind.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <set>

#include "fixtures/oci_fixture.hpp"
#include "keel/runtime/oci_image.hpp"
#include "test_util.hpp"

namespace keel::runtime {
namespace {

using fixture::Compression;
using fixture::Image;
using fixture::make_layer;
using fixture::TarEntry;
using test::read_text;
using test::TempDir;
using test::write_text;
namespace fs = std::filesystem;

class Hostile : public ::testing::Test {
 protected:
  void SetUp() override { write_text(m_t / "canary/keep", "canary"); }

  std::string dest() const { return m_t / "dst"; }
  std::string canary() const { return m_t / "canary"; }

  // Unpacks img (as a layout, or as an oci-archive) and returns the error message.
  std::string refuse(const Image& img, const UnpackOptions& opts = {}) {
    img.write_layout(m_t / "img");
    auto r = unpack_oci_layout(m_t / "img", dest(), "", opts);
    if (r) return "unpack succeeded";
    return r.error().message();
  }

  // Nothing but the image and the untouched canary is left in the temp parent.
  void expect_nothing_written() {
    std::set<std::string> names, want = {"img", "canary", "img.tar"};
    for (const auto& e : fs::directory_iterator(m_t.path()))
      names.insert(e.path().filename().string());
    for (const auto& n : names) EXPECT_TRUE(want.contains(n)) << "unexpected " << m_t / n;
    std::set<std::string> in_canary;
    for (const auto& e : fs::directory_iterator(canary()))
      in_canary.insert(e.path().filename().string());
    EXPECT_EQ(in_canary, std::set<std::string>{"keep"});
    EXPECT_EQ(read_text(canary() + "/keep"), "canary");
  }

  TempDir m_t;
};

#define EXPECT_REFUSED(msg, substr)                                       \
  do {                                                                    \
    std::string m_ = (msg);                                               \
    EXPECT_NE(m_.find(substr), std::string::npos) << "error was: " << m_; \
    expect_nothing_written();                                             \
  } while (0)

TEST_F(Hostile, DotDotPath) {
  Image img{{make_layer({{"ok", AE_IFREG, "1"}, {"../escape", AE_IFREG, "bad"}})}};
  EXPECT_REFUSED(refuse(img), "'../escape' has a '..' component");
}

TEST_F(Hostile, AbsolutePath) {
  Image img{{make_layer({{"/abs/path", AE_IFREG, "bad"}})}};
  EXPECT_REFUSED(refuse(img), "'/abs/path' is absolute");
}

// Stands in for `evil -> /etc` + `evil/passwd`: the same code path, but a regression
// would hit the canary instead of the host's /etc/passwd.
TEST_F(Hostile, AbsoluteSymlinkThenWriteThroughIt) {
  Image img{{make_layer({{"evil", AE_IFLNK, canary()}, {"evil/passwd", AE_IFREG, "root::0:0"}})}};
  EXPECT_REFUSED(refuse(img), "'evil' is a symlink; writing through it could escape");
}

TEST_F(Hostile, RelativeSymlinkThenWriteThroughIt) {
  // dst.tmp/evil -> ../../.. is "/"; evil/<canary path>/owned would land in the canary.
  Image img{{make_layer(
      {{"evil", AE_IFLNK, "../../.."}, {"evil" + canary() + "/owned", AE_IFREG, "x"}})}};
  EXPECT_REFUSED(refuse(img), "'evil' is a symlink");
}

TEST_F(Hostile, SymlinkPlantedByALowerLayer) {
  Image img{{make_layer({{"evil", AE_IFLNK, canary()}}),
             make_layer({{"evil/owned", AE_IFREG, "x"}}, Compression::zstd)}};
  EXPECT_REFUSED(refuse(img), "'evil' is a symlink");
}

TEST_F(Hostile, HardlinkOutsideTheRootfs) {
  Image img{{make_layer({{"h", AE_IFREG, "../../outside", true}})}};
  EXPECT_REFUSED(refuse(img), "hardlink h: entry '../../outside' has a '..' component");
}

TEST_F(Hostile, HardlinkThroughASymlink) {
  Image img{{make_layer({{"evil", AE_IFLNK, canary()}, {"h", AE_IFREG, "evil/keep", true}})}};
  EXPECT_REFUSED(refuse(img), "hardlink h -> evil/keep: 'evil' is a symlink");
}

TEST_F(Hostile, CharacterDeviceNode) {
  Image img{
      {make_layer({{"dev", AE_IFDIR}, {"dev/mem", AE_IFCHR, "", false, 0600, makedev(1, 1)}})}};
  EXPECT_REFUSED(refuse(img), "'dev/mem' is a character device node (1:1)");
  EXPECT_REFUSED(refuse(img), "UnpackOptions::allow_devices");
}

TEST_F(Hostile, SetuidBinary) {
  Image img{{make_layer({{"bin", AE_IFDIR}, {"bin/su", AE_IFREG, "#!", false, 04755}})}};
  EXPECT_REFUSED(refuse(img), "'bin/su' is setuid (mode 4755)");
  EXPECT_REFUSED(refuse(img), "UnpackOptions::allow_setuid");
  // Allowed by policy: extracted with its mode.
  auto r = unpack_oci_layout(m_t / "img", dest(), "", {.allow_setuid = true});
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(fs::status(dest() + "/bin/su").permissions() & fs::perms::set_uid, fs::perms::set_uid);
}

TEST_F(Hostile, SetgidFile) {
  Image img{{make_layer({{"sg", AE_IFREG, "x", false, 02755}})}};
  EXPECT_REFUSED(refuse(img), "'sg' is setgid");
}

TEST_F(Hostile, DuplicateEntry) {
  Image img{{make_layer({{"a", AE_IFREG, "first"}, {"./a", AE_IFREG, "second"}})}};
  EXPECT_REFUSED(refuse(img), "duplicate entry 'a'");
}

TEST_F(Hostile, BlobDigestMismatch) {
  Image img{{make_layer({{"a", AE_IFREG, "1"}})}};
  img.write_layout(m_t / "img");
  std::string blob = fixture::layer_path(m_t / "img", img.layers[0]);
  std::string data = read_text(blob);
  data[data.size() / 2] ^= 1;
  write_text(blob, data);
  auto r = unpack_oci_layout(m_t / "img", dest());
  ASSERT_FALSE(r);
  EXPECT_REFUSED(r.error().message(), "content does not match its digest");
}

TEST_F(Hostile, TruncatedLayer) {
  auto good = make_layer({{"big", AE_IFREG, std::string(100000, 'x') + "end"}});
  // Cut the .tar.gz in half; the descriptor describes the cut blob, so only the
  // decompressor can notice.
  Image img{{{good.blob.substr(0, good.blob.size() / 2), good.diff_id, good.media_type}}};
  EXPECT_REFUSED(refuse(img), "truncated");
}

TEST_F(Hostile, TruncatedUncompressedLayer) {
  auto good = make_layer({{"big", AE_IFREG, std::string(100000, 'x')}}, Compression::none);
  Image img{{{good.blob.substr(0, 50000), good.diff_id, good.media_type}}};
  EXPECT_REFUSED(refuse(img), "truncated");
}

TEST_F(Hostile, DecompressionBomb) {
  // 16 MiB of zeros gzip to a few KiB; the cap is 1 MiB.
  Image img{{make_layer({{"zeros", AE_IFREG, std::string(16 << 20, '\0')}})}};
  ASSERT_LT(img.layers[0].blob.size(), 100u << 10);
  EXPECT_REFUSED(refuse(img, {.max_uncompressed_bytes = 1 << 20}), "decompression bomb?");
  EXPECT_REFUSED(refuse(img, {.max_layer_uncompressed_bytes = 1 << 20}), "decompression bomb?");
}

TEST_F(Hostile, ImageCapCountsAllLayers) {
  std::string half(700 << 10, 'a');
  Image img{{make_layer({{"a", AE_IFREG, half}}), make_layer({{"b", AE_IFREG, half}})}};
  EXPECT_REFUSED(refuse(img, {.max_uncompressed_bytes = 1 << 20}), "decompression bomb?");
}

TEST_F(Hostile, DiffIdMismatch) {
  Image img{{make_layer({{"a", AE_IFREG, "1"}})}};
  img.diff_ids = std::vector<std::string>{fixture::digest_of("something else")};
  EXPECT_REFUSED(refuse(img), "diff_id mismatch");
}

TEST_F(Hostile, MissingBlobIsNamed) {
  Image img{{make_layer({{"a", AE_IFREG, "1"}})}};
  img.write_layout(m_t / "img");
  fs::remove(fixture::layer_path(m_t / "img", img.layers[0]));
  auto r = unpack_oci_layout(m_t / "img", dest());
  ASSERT_FALSE(r);
  EXPECT_REFUSED(r.error().message(),
                 "layer 1 " + fixture::digest_of(img.layers[0].blob) + " is missing");
}

TEST_F(Hostile, WrongMediaTypes) {
  Image img{{make_layer({{"a", AE_IFREG, "1"}})}};
  img.manifest_media_type = "application/vnd.docker.distribution.manifest.v2+json";
  EXPECT_REFUSED(refuse(img), "convert it with `skopeo copy`");
  img = Image{{make_layer({{"a", AE_IFREG, "1"}})}};
  img.config_media_type = "application/octet-stream";
  EXPECT_REFUSED(refuse(img), "has media type 'application/octet-stream'");
  img = Image{{make_layer({{"a", AE_IFREG, "1"}})}};
  img.layers[0].media_type = "application/x-evil";
  EXPECT_REFUSED(refuse(img), "unsupported media type 'application/x-evil'");
}

TEST_F(Hostile, NonEmptyDestinationIsRefused) {
  Image img{{make_layer({{"a", AE_IFREG, "1"}})}};
  write_text(dest() + "/old", "old");
  img.write_layout(m_t / "img");
  auto r = unpack_oci_layout(m_t / "img", dest());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("is not an empty directory"), std::string::npos);
  EXPECT_EQ(read_text(dest() + "/old"), "old");
}

// --- oci-archive: the layout's own tar gets the same treatment.

TEST_F(Hostile, ArchiveRoundTrip) {
  Image img{{make_layer({{"etc", AE_IFDIR}, {"etc/motd", AE_IFREG, "hi"}}),
             make_layer({{"etc/.wh.motd", AE_IFREG}, {"x", AE_IFREG, "x"}}, Compression::none)}};
  img.write_archive(m_t / "img.tar");
  auto r = unpack_oci_archive(m_t / "img.tar", dest());
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->cmd, std::vector<std::string>{"/bin/sh"});
  EXPECT_FALSE(fs::exists(dest() + "/etc/motd"));
  EXPECT_EQ(read_text(dest() + "/x"), "x");
  // The private layout copy is gone.
  for (const auto& e : fs::directory_iterator(m_t.path()))
    EXPECT_TRUE(e.path().filename() == "img.tar" || e.path().filename() == "canary" ||
                e.path().filename() == "dst")
        << e.path();
}

std::string refuse_archive(const TempDir& t, const Image& img, const std::vector<TarEntry>& extra) {
  img.write_archive(t / "img.tar", extra);
  auto r = unpack_oci_archive(t / "img.tar", t / "dst");
  return r ? "unpack succeeded" : r.error().message();
}

TEST_F(Hostile, ArchiveWithDotDotEntry) {
  Image img{{make_layer({{"a", AE_IFREG, "1"}})}};
  EXPECT_REFUSED(refuse_archive(m_t, img, {{"../canary/owned", AE_IFREG, "x"}}),
                 "'../canary/owned' has a '..' component");
}

TEST_F(Hostile, ArchiveWithSymlinkEntry) {
  Image img{{make_layer({{"a", AE_IFREG, "1"}})}};
  EXPECT_REFUSED(refuse_archive(m_t, img, {{"blobs/sha256/evil", AE_IFLNK, canary()}}),
                 "is a symlink; an oci-archive holds only regular files");
}

TEST_F(Hostile, ArchiveWithDuplicateBlob) {
  Image img{{make_layer({{"a", AE_IFREG, "1"}})}};
  std::string rel = "blobs/sha256/" + fixture::digest_of(img.layers[0].blob).substr(7);
  EXPECT_REFUSED(refuse_archive(m_t, img, {{rel, AE_IFREG, "swapped"}}), "duplicate entry");
}

TEST_F(Hostile, ArchiveWithStrayFile) {
  Image img{{make_layer({{"a", AE_IFREG, "1"}})}};
  EXPECT_REFUSED(refuse_archive(m_t, img, {{"manifest.json", AE_IFREG, "[]"}}),
                 "'manifest.json' is not part of an OCI image layout");
}

TEST_F(Hostile, TruncatedArchive) {
  Image img{{make_layer({{"a", AE_IFREG, std::string(50000, 'a')}}, Compression::none)}};
  img.write_archive(m_t / "img.tar");
  std::string data = read_text(m_t / "img.tar");
  write_text(m_t / "img.tar", data.substr(0, data.size() / 2));
  auto r = unpack_oci_archive(m_t / "img.tar", dest());
  ASSERT_FALSE(r);
  EXPECT_REFUSED(r.error().message(), "truncated");
}

}  // namespace
}  // namespace keel::runtime
