// Privileged tests of the overlay rootfs (needs root: mknod, trusted.* xattrs,
// mounts; label "root"). Fails when not root, unless KEEL_ALLOW_SKIP_ROOT=1, so CI
// never skips silently.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "fixtures/oci_fixture.hpp"
#include "keel/runtime/layer_store.hpp"
#include "layer.hpp"

namespace keel::runtime {
namespace {

using fixture::Image;
using fixture::make_layer;
using fixture::TarEntry;
using test::read_text;
using test::TempDir;
using test::write_text;
namespace fs = std::filesystem;

void require_root() {
  test::require_root("the overlay rootfs tests");
}

bool is_whiteout(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0);
}

std::string opaque_xattr(const std::string& path) {
  char buf[8] = {};
  ssize_t n = ::lgetxattr(path.c_str(), "trusted.overlay.opaque", buf, sizeof buf);
  return n < 0 ? "" : std::string(buf, n);
}

class OverlayWhiteouts : public ::testing::Test {
 protected:
  void SetUp() override { require_root(); }
};

TEST_F(OverlayWhiteouts, BecomeCharDevicesAndOpaqueXattrs) {
  TempDir t;
  write_text(t / "layer.tar", fixture::tar_bytes({
                                  {".wh.gone", AE_IFREG},
                                  {"dir/", AE_IFDIR},
                                  {"dir/.wh..wh..opq", AE_IFREG},
                                  {"dir/new", AE_IFREG, "new"},
                                  {"implied/sub/.wh.file", AE_IFREG},  // no directory entries
                                  {".wh.again", AE_IFREG},
                                  {"again/", AE_IFDIR},  // deleted, then made anew
                                  {"plain/", AE_IFDIR},
                              }));
  fs::create_directories(t / "root");
  std::string root = fs::canonical(t / "root");
  auto r = extract_layer(t / "layer.tar", root, {}, UINT64_MAX, Whiteouts::overlay);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_TRUE(is_whiteout(root + "/gone"));
  EXPECT_EQ(opaque_xattr(root + "/dir"), "y");
  EXPECT_EQ(read_text(root + "/dir/new"), "new");
  EXPECT_TRUE(is_whiteout(root + "/implied/sub/file"));
  EXPECT_TRUE(fs::is_directory(root + "/again"));
  EXPECT_EQ(opaque_xattr(root + "/again"), "y");
  EXPECT_EQ(opaque_xattr(root + "/plain"), "");
  for (const auto& e : fs::recursive_directory_iterator(root))
    EXPECT_FALSE(e.path().filename().string().starts_with(".wh.")) << e.path();
}

TEST_F(OverlayWhiteouts, CannotDeleteThroughASymlink) {
  TempDir t;
  write_text(t / "layer.tar",
             fixture::tar_bytes({{"link", AE_IFLNK, "/etc"}, {"link/.wh.passwd", AE_IFREG}}));
  fs::create_directories(t / "root");
  auto r =
      extract_layer(t / "layer.tar", fs::canonical(t / "root"), {}, UINT64_MAX, Whiteouts::overlay);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("is a symlink"), std::string::npos) << r.error().message();
  EXPECT_TRUE(fs::exists("/etc/passwd"));
}

using test::Outcome;

// A busybox image of two layers: layer 2 deletes /data/gone and makes /opq opaque.
class OverlayRootfs : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (::geteuid() != 0) return;
    s_dir = new TempDir();
    std::vector<TarEntry> base = {
        {"bin/", AE_IFDIR}, {"bin/busybox", AE_IFREG, read_text("/bin/busybox"), false, 0755}};
    for (const char* app : {"sh", "echo", "cat", "ls", "test", "stat"})
      base.push_back({std::string("bin/") + app, AE_IFLNK, "busybox"});
    for (const char* d : {"proc/", "dev/", "sys/", "tmp/", "etc/", "data/", "opq/"})
      base.push_back({d, AE_IFDIR});
    base.push_back({"data/keep", AE_IFREG, "kept\n"});
    base.push_back({"data/gone", AE_IFREG, "should be deleted\n"});
    base.push_back({"opq/old1", AE_IFREG, "1"});
    base.push_back({"opq/old2", AE_IFREG, "2"});
    s_image.layers.push_back(make_layer(base));
    s_image.layers.push_back(make_layer({{"data/", AE_IFDIR},
                                         {"data/.wh.gone", AE_IFREG},
                                         {"opq/", AE_IFDIR},
                                         {"opq/.wh..wh..opq", AE_IFREG},
                                         {"opq/new", AE_IFREG, "from layer 2\n"}}));
    s_image.write_layout(*s_dir / "images/twolayer");
  }
  static void TearDownTestSuite() {
    delete s_dir;
    s_dir = nullptr;
  }
  void SetUp() override { require_root(); }

  static std::string layer_dir(size_t i) {
    return fs::canonical(*s_dir / "layers").string() + "/" + s_image.layers[i].diff_id.substr(7);
  }

  static Outcome up(const std::string& name, const std::string& command,
                    const std::string& rootfs_mode = "overlay") {
    std::string def = *s_dir / ("defs/" + name + ".toml");
    write_text(def, "image = \"twolayer\"\ncommand = [\"sh\", \"-c\", \"" + command + "\"]\n");
    return spawn({KEEL_RUNTIME_BINARY, "up", def, "--images", *s_dir / "images", "--state",
                  *s_dir / "state", "--layers", *s_dir / "layers", "--rootfs", rootfs_mode});
  }

  static Outcome spawn(std::vector<std::string> args) {
    return test::run_binary(std::move(args), s_dir->path());
  }

  // Mounts at or below the state directory, from /proc/self/mountinfo (field 5).
  static std::vector<std::string> mounts_under_state() {
    std::string state = fs::canonical(*s_dir / "state");
    std::vector<std::string> found;
    std::istringstream in(read_text("/proc/self/mountinfo"));
    for (std::string line; std::getline(in, line);) {
      std::istringstream f(line);
      std::string id, parent, dev, root, point;
      f >> id >> parent >> dev >> root >> point;
      if (point == state || point.starts_with(state + "/")) found.push_back(point);
    }
    return found;
  }

  static inline TempDir* s_dir = nullptr;
  static inline Image s_image;
};

TEST_F(OverlayRootfs, LayersMergeWithWhiteoutsAndWritesStayInTheUpperDir) {
  auto o = up("ovl",
              "ls /data; echo --; ls /opq; echo changed > /data/keep; echo new > /written; "
              "cat /proc/self/mountinfo | while read a b c d e f g h; do "
              "test $e = / && echo root=$h; done; cat /proc/mounts | grep -c '^overlay / '");
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out.substr(0, o.out.find("root=")), "keep\n--\nnew\n") << o.out;
  EXPECT_NE(o.out.find("\n1\n"), std::string::npos) << "rootfs is not an overlay:\n" << o.out;
  // The write went to this container's upper directory, not into the shared layers.
  std::string upper = *s_dir / "state/ovl/upper";
  EXPECT_EQ(read_text(upper + "/written"), "new\n");
  EXPECT_EQ(read_text(upper + "/data/keep"), "changed\n");
  EXPECT_EQ(read_text(layer_dir(0) + "/data/keep"), "kept\n");
  EXPECT_FALSE(fs::exists(layer_dir(0) + "/written"));
  EXPECT_FALSE(fs::exists(layer_dir(1) + "/written"));
  // The store holds the deletions in overlayfs form.
  EXPECT_TRUE(is_whiteout(layer_dir(1) + "/data/gone"));
  EXPECT_EQ(opaque_xattr(layer_dir(1) + "/opq"), "y");
  EXPECT_EQ(read_text(layer_dir(0) + "/data/gone"), "should be deleted\n");
  // Unmounted when the container exited.
  EXPECT_EQ(mounts_under_state(), std::vector<std::string>{});
}

TEST_F(OverlayRootfs, ASecondStartReusesTheLayersAndStartsFromTheImage) {
  ASSERT_EQ(up("again", "echo x > /written").status, 0);
  ASSERT_TRUE(fs::is_directory(layer_dir(0)));
  struct stat st1 {
  }, st2{};
  ASSERT_EQ(::stat((layer_dir(0) + "/bin/busybox").c_str(), &st1), 0);
  auto o = up("again", "test -e /written && echo stale || echo fresh; cat /opq/new");
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out, "fresh\nfrom layer 2\n");
  ASSERT_EQ(::stat((layer_dir(0) + "/bin/busybox").c_str(), &st2), 0);
  EXPECT_EQ(st1.st_ino, st2.st_ino);  // not extracted again
  EXPECT_EQ(st1.st_mtim.tv_nsec, st2.st_mtim.tv_nsec);
  EXPECT_FALSE(fs::exists(layer_dir(0) + ".tmp"));
  EXPECT_EQ(mounts_under_state(), std::vector<std::string>{});
}

TEST_F(OverlayRootfs, FailedStartStillUnmounts) {
  std::string def = *s_dir / "defs/noexec.toml";
  write_text(def, "image = \"twolayer\"\ncommand = [\"/no/such/program\"]\n");
  auto o = spawn({KEEL_RUNTIME_BINARY, "up", def, "--images", *s_dir / "images", "--state",
                  *s_dir / "state", "--layers", *s_dir / "layers"});
  EXPECT_EQ(o.status, 125) << o.err;
  EXPECT_EQ(mounts_under_state(), std::vector<std::string>{});
}

TEST_F(OverlayRootfs, CopyModeShowsTheSameTree) {
  auto o = up("copy", "ls /data; echo --; ls /opq; echo w > /written", "copy");
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out, "keep\n--\nnew\n");
  EXPECT_FALSE(fs::exists(*s_dir / "state/copy/upper"));
  EXPECT_EQ(read_text(*s_dir / "state/copy/rootfs/written"), "w\n");
}

// `up` extracts through keel-unpack (src/unpack_client.hpp): a broken image fails the
// start with the very message the store and the unpacker give in-process, in both modes.
TEST_F(OverlayRootfs, ABrokenImageFailsWithTheUnpackersOwnMessage) {
  Image bad;
  bad.layers.push_back(make_layer({{"etc/", AE_IFDIR}, {"etc/x", AE_IFREG, "x"}}));
  bad.diff_ids = std::vector<std::string>{"sha256:" + std::string(64, '0')};
  bad.write_layout(*s_dir / "images/bad");
  auto in_store = store_oci_layout(*s_dir / "images/bad", *s_dir / "layers-in-process");
  auto in_copy = unpack_oci_layout(*s_dir / "images/bad", *s_dir / "rootfs-in-process");
  ASSERT_FALSE(in_store);
  ASSERT_FALSE(in_copy);
  ASSERT_NE(in_store.error().message().find("diff_id mismatch"), std::string::npos);
  std::string def = *s_dir / "defs/bad.toml";
  write_text(def, "image = \"bad\"\ncommand = [\"true\"]\n");
  for (const auto& [mode, want] : {std::pair{"overlay", in_store.error().message()},
                                   std::pair{"copy", in_copy.error().message()}}) {
    auto o = spawn({KEEL_RUNTIME_BINARY, "up", def, "--images", *s_dir / "images", "--state",
                    *s_dir / "state", "--layers", *s_dir / "layers", "--rootfs", mode});
    EXPECT_EQ(o.status, 125) << o.err;
    EXPECT_NE(o.err.find("container bad: unpacking image " + (*s_dir / "images/bad") + ": " + want),
              std::string::npos)
        << mode << ": " << o.err << "\nwant: " << want;
  }
}

}  // namespace
}  // namespace keel::runtime
