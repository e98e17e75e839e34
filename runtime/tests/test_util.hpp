// The runtime tests use the shared test support (common/testing), plus what the
// privileged (label "root") tests share.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <initializer_list>
#include <string>

#include "keel/testing/temp_dir.hpp"

namespace keel::runtime::test {
using keel::testing::read_text;
using keel::testing::TempDir;
using keel::testing::write_text;

// What a container run in a test gave: its exit status (-1: it did not run), its
// output and the runtime's error.
struct Outcome {
  int status = -1;
  std::string out, err;
};

// For SetUp(): without root, skips only when KEEL_ALLOW_SKIP_ROOT=1 and fails
// otherwise, so CI never skips the privileged tests silently. `what` names them
// ("the cgroup tests"). A caller that does more work after it checks geteuid().
inline void require_root(const std::string& what) {
  if (::geteuid() == 0) return;
  const char* allow = std::getenv("KEEL_ALLOW_SKIP_ROOT");
  if (allow && std::string(allow) == "1") GTEST_SKIP() << "needs root";
  FAIL() << what << " need root (set KEEL_ALLOW_SKIP_ROOT=1 to skip)";
}

// A container root made of the host's static busybox: /bin/busybox with one
// symlink per applet, and the given empty directories.
inline void make_busybox_rootfs(const std::string& root, std::initializer_list<const char*> dirs,
                                std::initializer_list<const char*> applets) {
  namespace fs = std::filesystem;
  fs::create_directories(root + "/bin");
  for (const char* d : dirs) fs::create_directories(root + "/" + d);
  fs::copy_file("/bin/busybox", root + "/bin/busybox");
  for (const char* app : applets) fs::create_symlink("busybox", root + "/bin/" + app);
}

}  // namespace keel::runtime::test
