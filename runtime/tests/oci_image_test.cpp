#include "keel/runtime/oci_image.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "test_util.hpp"

namespace keel::runtime {
namespace {

using test::read_text;
using test::TempDir;
using test::write_text;
namespace fs = std::filesystem;

void make_rootfs(const std::string& root) {
  write_text(root + "/bin/tool", "#!/bin/sh\necho hi\n", 0755);
  write_text(root + "/etc/secret", "s3cret\n", 0640);
  ASSERT_EQ(::chown((root + "/etc/secret").c_str(), 1234, 567), 0);
  fs::create_directories(root + "/empty");
  ::chmod((root + "/empty").c_str(), 0700);
  fs::create_symlink("tool", root + "/bin/sh");
  fs::create_symlink("/etc/secret", root + "/abs-link");
}

ImageConfig sample_config() {
  return {.entrypoint = {"/bin/tool"},
          .cmd = {"a", "b"},
          .env = {"X=1"},
          .working_dir = "/etc",
          .user = "0:0"};
}

nlohmann::json index_of(const std::string& layout) {
  return nlohmann::json::parse(read_text(layout + "/index.json"), nullptr, false);
}

TEST(OciLayout, WriteThenUnpackRoundTrips) {
  TempDir t;
  make_rootfs(t / "src");
  ASSERT_TRUE(write_oci_layout(t / "src", sample_config(), t / "img", "busybox:latest"));
  EXPECT_FALSE(fs::exists(t / "img.tmp"));
  EXPECT_EQ(read_text(t / "img/oci-layout"), R"({"imageLayoutVersion":"1.0.0"})");
  auto idx = index_of(t / "img");
  ASSERT_FALSE(idx.is_discarded());
  EXPECT_EQ(idx["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"],
            "busybox:latest");

  auto cfg = unpack_oci_layout(t / "img", t / "dst", "busybox:latest");
  ASSERT_TRUE(cfg) << cfg.error().message();
  EXPECT_EQ(cfg->entrypoint, std::vector<std::string>{"/bin/tool"});
  EXPECT_EQ(cfg->cmd, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(cfg->env, std::vector<std::string>{"X=1"});
  EXPECT_EQ(cfg->working_dir, "/etc");
  EXPECT_EQ(cfg->user, "0:0");
  EXPECT_EQ(read_text(t / "dst/bin/tool"), "#!/bin/sh\necho hi\n");
  struct stat st;
  ASSERT_EQ(::stat((t / "dst/etc/secret").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  EXPECT_EQ(st.st_uid, 1234u);
  EXPECT_EQ(st.st_gid, 567u);
  ASSERT_EQ(::stat((t / "dst/empty").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  EXPECT_EQ(fs::read_symlink(t / "dst/bin/sh"), "tool");
  EXPECT_EQ(fs::read_symlink(t / "dst/abs-link"), "/etc/secret");
}

TEST(OciLayout, OutputIsReproducible) {
  TempDir t;
  make_rootfs(t / "src");
  ASSERT_TRUE(write_oci_layout(t / "src", sample_config(), t / "a", "x"));
  ::utimensat(AT_FDCWD, (t / "src/bin/tool").c_str(), nullptr, 0);  // touch: mtime must not leak
  ASSERT_TRUE(write_oci_layout(t / "src", sample_config(), t / "b", "x"));
  EXPECT_EQ(read_text(t / "a/index.json"), read_text(t / "b/index.json"));
  // Rewriting over an existing layout replaces it atomically.
  ASSERT_TRUE(write_oci_layout(t / "src", sample_config(), t / "a", "x"));
  EXPECT_EQ(read_text(t / "a/index.json"), read_text(t / "b/index.json"));
}

// The layer is the largest blob in this layout.
std::string layer_blob(const std::string& layout) {
  std::string best;
  uintmax_t size = 0;
  for (auto& e : fs::directory_iterator(layout + "/blobs/sha256"))
    if (e.file_size() > size) size = e.file_size(), best = e.path();
  return best;
}

TEST(OciLayout, TamperedBlobIsRejected) {
  TempDir t;
  make_rootfs(t / "src");
  ASSERT_TRUE(write_oci_layout(t / "src", sample_config(), t / "img", "x"));
  std::string blob = layer_blob(t / "img");
  std::string data = read_text(blob);
  data[data.size() / 2] ^= 0x01;
  write_text(blob, data);
  auto r = unpack_oci_layout(t / "img", t / "dst");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("does not match its digest"), std::string::npos)
      << r.error().message();
  EXPECT_NE(r.error().message().find("sha256:" + fs::path(blob).filename().string()),
            std::string::npos)
      << r.error().message();
  EXPECT_FALSE(fs::exists(t / "dst/bin/tool"));

  write_text(blob, data.substr(0, 10));
  r = unpack_oci_layout(t / "img", t / "dst");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("size is 10 bytes"), std::string::npos) << r.error().message();
}

TEST(OciLayout, MissingRefAndBrokenIndexAreErrors) {
  TempDir t;
  make_rootfs(t / "src");
  ASSERT_TRUE(write_oci_layout(t / "src", sample_config(), t / "img", "x"));
  auto r = unpack_oci_layout(t / "img", t / "dst", "nope");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("ref.name=nope"), std::string::npos) << r.error().message();
  write_text(t / "img/index.json", R"({"manifests":[{"digest":"sha256:../../etc","size":1}]})");
  r = unpack_oci_layout(t / "img", t / "dst");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("malformed digest"), std::string::npos) << r.error().message();
}

}  // namespace
}  // namespace keel::runtime
