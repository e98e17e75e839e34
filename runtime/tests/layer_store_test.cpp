// The layer store without root: layers without whiteouts (mknod and trusted.*
// xattrs need root; tests/overlay_root_test.cpp covers those), and the overlay
// mount options.
#include "keel/runtime/layer_store.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "fixtures/oci_fixture.hpp"
#include "overlay.hpp"

namespace keel::runtime {
namespace {

using fixture::Image;
using fixture::make_layer;
using fixture::TarEntry;
using test::read_text;
using test::TempDir;
using test::write_text;
namespace fs = std::filesystem;

std::string hex(const fixture::Layer& l) {
  return l.diff_id.substr(7);
}

Image two_layer_image() {
  Image img;
  img.layers.push_back(make_layer({{"etc/", AE_IFDIR}, {"etc/base", AE_IFREG, "one"}}));
  img.layers.push_back(make_layer({{"etc/", AE_IFDIR}, {"etc/top", AE_IFREG, "two"}}));
  return img;
}

ino_t inode(const std::string& path) {
  struct stat st {};
  ::lstat(path.c_str(), &st);
  return st.st_ino;
}

TEST(LayerStore, ExtractsEachLayerIntoItsOwnDirectoryBottomFirst) {
  TempDir t;
  auto img = two_layer_image();
  img.write_layout(t / "img");
  auto r = store_oci_layout(t / "img", t / "store");
  ASSERT_TRUE(r) << r.error().message();
  std::string store = fs::canonical(t / "store");
  ASSERT_EQ(r->layer_dirs.size(), 2u);
  EXPECT_EQ(r->layer_dirs[0], store + "/" + hex(img.layers[0]));
  EXPECT_EQ(r->layer_dirs[1], store + "/" + hex(img.layers[1]));
  EXPECT_EQ(read_text(r->layer_dirs[0] + "/etc/base"), "one");
  EXPECT_EQ(read_text(r->layer_dirs[1] + "/etc/top"), "two");
  EXPECT_FALSE(fs::exists(r->layer_dirs[1] + "/etc/base"));  // layers are not merged
  EXPECT_EQ(r->config.cmd, std::vector<std::string>{"/bin/sh"});
}

TEST(LayerStore, ASecondStartReusesTheLayersWithoutExtracting) {
  TempDir t;
  auto img = two_layer_image();
  img.write_layout(t / "img");
  auto first = store_oci_layout(t / "img", t / "store");
  ASSERT_TRUE(first) << first.error().message();
  std::string base = first->layer_dirs[0] + "/etc/base";
  ino_t before = inode(base);
  // A marker no extraction would write: it survives only if nothing is redone.
  write_text(first->layer_dirs[0] + "/marker", "kept");
  auto second = store_oci_layout(t / "img", t / "store");
  ASSERT_TRUE(second) << second.error().message();
  EXPECT_EQ(second->layer_dirs, first->layer_dirs);
  EXPECT_EQ(inode(base), before);
  EXPECT_EQ(read_text(first->layer_dirs[0] + "/marker"), "kept");
  // Another image sharing the bottom layer reuses it too.
  Image other;
  other.layers = {img.layers[0], make_layer({{"other", AE_IFREG, "3"}})};
  other.write_layout(t / "other");
  auto third = store_oci_layout(t / "other", t / "store");
  ASSERT_TRUE(third) << third.error().message();
  EXPECT_EQ(third->layer_dirs[0], first->layer_dirs[0]);
  EXPECT_EQ(read_text(first->layer_dirs[0] + "/marker"), "kept");
}

TEST(LayerStore, ALeftoverTmpDirectoryIsIgnoredAndRedone) {
  TempDir t;
  auto img = two_layer_image();
  img.write_layout(t / "img");
  // What a crash in the middle of extracting layer 1 leaves.
  write_text(t / ("store/" + hex(img.layers[0]) + ".tmp/etc/half"), "junk");
  auto r = store_oci_layout(t / "img", t / "store");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(read_text(r->layer_dirs[0] + "/etc/base"), "one");
  EXPECT_FALSE(fs::exists(r->layer_dirs[0] + "/etc/half"));
  EXPECT_FALSE(fs::exists(r->layer_dirs[0] + ".tmp"));
}

TEST(LayerStore, ABadLayerLeavesNothingInTheStore) {
  TempDir t;
  auto img = two_layer_image();
  auto fake = img.layers[0].diff_id;
  fake[10] = fake[10] == 'a' ? 'b' : 'a';
  img.diff_ids = std::vector<std::string>{img.layers[0].diff_id, fake};
  img.write_layout(t / "img");
  auto r = store_oci_layout(t / "img", t / "store");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("diff_id mismatch"), std::string::npos) << r.error().message();
  EXPECT_TRUE(fs::exists(t / ("store/" + hex(img.layers[0]))));  // layer 1 was fine
  EXPECT_FALSE(fs::exists(t / ("store/" + fake.substr(7))));
  EXPECT_FALSE(fs::exists(t / ("store/" + fake.substr(7) + ".tmp")));
}

TEST(LayerStore, ARepeatedLayerIsListedOnceAtItsTopmostPlace) {
  TempDir t;
  auto img = two_layer_image();
  img.layers.push_back(img.layers[0]);
  img.write_layout(t / "img");
  auto r = store_oci_layout(t / "img", t / "store");
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(r->layer_dirs.size(), 2u);
  EXPECT_TRUE(r->layer_dirs[0].ends_with(hex(img.layers[1])));
  EXPECT_TRUE(r->layer_dirs[1].ends_with(hex(img.layers[0])));
}

TEST(LayerStore, RefusesImagesWithTooManyLayers) {
  TempDir t;
  Image img;
  for (size_t i = 0; i <= kMaxImageLayers; ++i)
    img.layers.push_back(
        make_layer({{"f" + std::to_string(i), AE_IFREG, "x"}}, fixture::Compression::none));
  img.write_layout(t / "img");
  auto r = store_oci_layout(t / "img", t / "store");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("129 layers; keel-runtime takes at most 128"),
            std::string::npos)
      << r.error().message();
  EXPECT_FALSE(fs::exists(t / "store"));
}

TEST(LayerStore, AnOciArchiveIsStoredToo) {
  TempDir t;
  auto img = two_layer_image();
  img.write_archive(t / "img.tar");
  auto r = store_oci_archive(t / "img.tar", t / "store");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(read_text(r->layer_dirs[1] + "/etc/top"), "two");
  for (const auto& e : fs::directory_iterator(t / "store"))  // the private layout is gone
    EXPECT_FALSE(e.path().filename().string().starts_with(".layout")) << e.path();
}

TEST(Overlay, LowerdirListsTheTopmostLayerFirst) {
  auto data = overlay_mount_data({"/s/bottom", "/s/middle", "/s/top"}, {}, "/r/up", "/r/work");
  ASSERT_TRUE(data) << data.error().message();
  EXPECT_EQ(*data,
            "lowerdir=/s/top:/s/middle:/s/bottom,upperdir=/r/up,workdir=/r/work,index=off,"
            "xino=off");
}

TEST(Overlay, LongLayerPathsAreNamedByFd) {
  std::vector<std::string> dirs;
  std::vector<int> fds;
  for (int i = 0; i < static_cast<int>(kMaxImageLayers); ++i) {
    dirs.push_back("/var/lib/keel/layers/" + std::string(64, static_cast<char>('a' + i % 26)));
    fds.push_back(100 + i);
  }
  auto data = overlay_mount_data(dirs, fds, "/r/up", "/r/work");
  ASSERT_TRUE(data) << data.error().message();
  EXPECT_TRUE(data->starts_with("lowerdir=/proc/self/fd/227:/proc/self/fd/226:")) << *data;
  EXPECT_LT(data->size(), 4096u);
  EXPECT_FALSE(overlay_mount_data({"/a:b"}, {}, "/u", "/w"));  // ':' splits lowerdir
  EXPECT_FALSE(overlay_mount_data({"/a"}, {3}, "/u,x", "/w"));
}

}  // namespace
}  // namespace keel::runtime
