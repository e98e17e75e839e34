#include "keel/firstboot/transaction.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <map>

#include "keel/testing/temp_dir.hpp"

using namespace keel::firstboot;
using keel::testing::read_text;
using keel::testing::TempDir;

namespace {

namespace stdfs = std::filesystem;

// Everything under `root`: each path with its type, mode and content.
std::map<std::string, std::string> snapshot(const std::string& root) {
  std::map<std::string, std::string> out;
  for (const auto& e : stdfs::recursive_directory_iterator(root)) {
    struct stat st {};
    ::lstat(e.path().c_str(), &st);
    std::string rel = stdfs::relative(e.path(), root).string();
    out[rel] = std::to_string(st.st_mode) +
               (S_ISREG(st.st_mode) ? ":" + read_text(e.path().string()) : std::string());
  }
  return out;
}

// An /etc as the image leaves it: a hostname, the containers directory absent.
void image_etc(const TempDir& root) {
  root.write("etc/hostname", "keel\n");
  root.write("etc/os-release", "ID=keel\n");
}

std::vector<FileChange> changes() {
  return {{"etc/hostname", "edge-01\n"},
          {"etc/keel/containers/network.toml", "image = \"network\"\n"},
          {"etc/keel/containers/web.toml", "image = \"busybox\"\n"},
          {"etc/keel/admin/authorized_keys", "ssh-ed25519 AAAA\n", 0600},
          {kDoneMarker, "source = 'test'\n"}};
}

}  // namespace

TEST(Transaction, AppliesEveryFileThenTheMarker) {
  TempDir root;
  image_etc(root);
  auto r = apply_changes(root.path(), changes());
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(read_text(root / "etc/hostname"), "edge-01\n");
  EXPECT_EQ(read_text(root / "etc/keel/containers/web.toml"), "image = \"busybox\"\n");
  EXPECT_TRUE(stdfs::exists(root / kDoneMarker));
  EXPECT_FALSE(stdfs::exists(root / kTxnDir));
  struct stat st {};
  ASSERT_EQ(::stat((root / "etc/keel/admin/authorized_keys").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  ASSERT_EQ(::stat((root / "etc/keel/admin").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);  // the private file's directory is private too
  ASSERT_EQ(::stat((root / "etc/keel/containers").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
}

TEST(Transaction, AnErrorMidwayLeavesEtcUntouched) {
  TempDir root;
  image_etc(root);
  // The fourth target is taken by a directory: its rename fails after three others.
  root.write("etc/keel/admin/authorized_keys/keep", "x");
  auto before = snapshot(root.path());
  auto r = apply_changes(root.path(), changes());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("nothing was changed"), std::string::npos)
      << r.error().message();
  EXPECT_NE(r.error().message().find("/etc/keel/admin/authorized_keys"), std::string::npos)
      << r.error().message();
  EXPECT_EQ(snapshot(root.path()), before);
}

TEST(Transaction, ACrashIsUndoneAtTheNextBoot) {
  for (size_t crash_after = 1; crash_after < changes().size(); ++crash_after) {
    TempDir root;
    image_etc(root);
    auto before = snapshot(root.path());
    ASSERT_FALSE(apply_changes(root.path(), changes(), {crash_after}));
    EXPECT_EQ(read_text(root / "etc/hostname"), "edge-01\n");  // half done, as after a crash
    EXPECT_FALSE(stdfs::exists(root / kDoneMarker));
    // Until it is recovered, nothing starts over it.
    auto again = apply_changes(root.path(), changes());
    ASSERT_FALSE(again);
    EXPECT_NE(again.error().message().find("recover it first"), std::string::npos);
    auto r = recover(root.path());
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(*r, Recovery::rolled_back);
    EXPECT_EQ(snapshot(root.path()), before) << "crash after " << crash_after << " renames";
  }
}

TEST(Transaction, ACrashAfterTheMarkerIsComplete) {
  TempDir root;
  image_etc(root);
  ASSERT_FALSE(apply_changes(root.path(), changes(), {changes().size()}));
  EXPECT_TRUE(stdfs::exists(root / kTxnDir));
  auto r = recover(root.path());
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(*r, Recovery::completed);
  EXPECT_FALSE(stdfs::exists(root / kTxnDir));
  EXPECT_EQ(read_text(root / "etc/hostname"), "edge-01\n");
  EXPECT_TRUE(stdfs::exists(root / kDoneMarker));
}

TEST(Transaction, ACrashWhileStagingTouchedNothing) {
  TempDir root;
  image_etc(root);
  auto before = snapshot(root.path());
  root.write(std::string(kTxnDir) + "/new/0", "edge-01\n");  // no journal yet
  auto r = recover(root.path());
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(*r, Recovery::rolled_back);
  EXPECT_EQ(snapshot(root.path()), before);
  auto none = recover(root.path());
  ASSERT_TRUE(none);
  EXPECT_EQ(*none, Recovery::nothing);
}

TEST(Transaction, TheMarkerMustComeLast) {
  TempDir root;
  image_etc(root);
  auto r = apply_changes(root.path(), {{"etc/hostname", "x\n"}});
  ASSERT_FALSE(r);
  EXPECT_EQ(read_text(root / "etc/hostname"), "keel\n");
}
