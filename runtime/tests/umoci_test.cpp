// An image Keel did not write: built by umoci (Debian package umoci, installed by
// scripts/install-deps) from the host's static busybox and a file from /usr/share,
// with its config set by `umoci config`. unpack_oci_layout must read it and its
// config. Fails, never skips, when umoci is missing (STYLE.md rule 11).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "keel/runtime/oci_image.hpp"
#include "test_util.hpp"

namespace keel::runtime {
namespace {

using test::read_text;
using test::TempDir;
namespace fs = std::filesystem;

std::string find_umoci() {
  for (const char* dir : {"/usr/bin", "/usr/local/bin", "/usr/sbin"})
    if (::access((std::string(dir) + "/umoci").c_str(), X_OK) == 0)
      return std::string(dir) + "/umoci";
  return "";
}

// Runs a shell command line; returns its output on failure for the assertion message.
::testing::AssertionResult run(const std::string& cmd, const std::string& log) {
  int st = std::system((cmd + " >" + log + " 2>&1").c_str());
  if (st == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << cmd << " failed (" << st << "):\n" << read_text(log);
}

TEST(UmociImage, UnpacksWithItsConfig) {
  std::string umoci = find_umoci();
  ASSERT_FALSE(umoci.empty())
      << "umoci is not installed: run scripts/install-deps (apt-get install umoci)";
  ASSERT_TRUE(fs::exists("/bin/busybox")) << "busybox-static is not installed";
  TempDir t;
  // umoci unpack/repack, not `umoci insert`: umoci 0.4.7's insert writes layers
  // without the tar end-of-archive blocks (opencontainers/umoci#436), which the
  // importer refuses as truncated.
  std::string rootless = ::geteuid() == 0 ? "" : " --rootless";
  std::string img = t / "img", bundle = t / "bundle", log = t / "log";
  ASSERT_TRUE(run(umoci + " init --layout " + img, log));
  ASSERT_TRUE(run(umoci + " new --image " + img + ":latest", log));
  ASSERT_TRUE(run(umoci + " unpack" + rootless + " --image " + img + ":latest " + bundle, log));
  std::string src = bundle + "/rootfs";
  fs::create_directories(src + "/bin");
  fs::create_directories(src + "/usr/share/doc");
  fs::copy_file("/bin/busybox", src + "/bin/busybox");
  for (const char* app : {"sh", "echo", "cat"}) fs::create_symlink("busybox", src + "/bin/" + app);
  std::string license = "/usr/share/common-licenses/GPL-3";
  fs::copy_file(license, src + "/usr/share/doc/GPL-3");
  ASSERT_TRUE(run(umoci + " repack" + rootless + " --image " + img + ":latest " + bundle, log));
  ASSERT_TRUE(run(umoci + " config --image " + img +
                      ":latest --config.cmd /bin/sh --config.cmd -c"
                      " --config.cmd 'echo hello from umoci' --config.env GREETING=hi"
                      " --config.workingdir /tmp --config.user 1000:1000",
                  log));

  auto cfg = unpack_oci_layout(img, t / "rootfs", "latest");
  ASSERT_TRUE(cfg) << cfg.error().message();
  EXPECT_EQ(cfg->cmd, (std::vector<std::string>{"/bin/sh", "-c", "echo hello from umoci"}));
  EXPECT_NE(std::find(cfg->env.begin(), cfg->env.end(), "GREETING=hi"), cfg->env.end());
  EXPECT_EQ(cfg->working_dir, "/tmp");
  EXPECT_EQ(cfg->user, "1000:1000");
  EXPECT_EQ(fs::file_size(t / "rootfs/bin/busybox"), fs::file_size("/bin/busybox"));
  EXPECT_EQ(fs::read_symlink(t / "rootfs/bin/sh"), "busybox");
  EXPECT_EQ(read_text(t / "rootfs/usr/share/doc/GPL-3"), read_text(license));
}

}  // namespace
}  // namespace keel::runtime
