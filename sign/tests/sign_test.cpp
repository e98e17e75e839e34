// Signing and verifying real OSTree commits: a repository made with the ostree CLI,
// signed by keel-sign, checked for OSTree's on-disk format and refused when unsigned,
// signed by another key, or modified.
#include <glib.h>
#include <gtest/gtest.h>
#include <ostree.h>
#include <sodium.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "keel/common/sys.hpp"
#include "keel/sign/ed25519.hpp"

namespace fs = std::filesystem;
using namespace keel::sign;

namespace {

int sh(const std::string& cmd) {
  return std::system(cmd.c_str());
}

class SignTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/keel-sign-test.XXXXXX";
    dir = mkdtemp(tmpl);
    repo = dir + "/repo";
    fs::create_directories(dir + "/tree/usr");
    std::ofstream(dir + "/tree/usr/hello") << "hello\n";
    ASSERT_EQ(sh("ostree init --repo=" + repo + " --mode=archive"), 0);
    ASSERT_EQ(sh("ostree commit --repo=" + repo + " -b test --tree=dir=" + dir +
                 "/tree -s v1 >/dev/null"),
              0);
    auto pk = keygen(dir + "/secret", dir + "/public");
    ASSERT_TRUE(pk) << pk.error().message();
  }
  void TearDown() override { fs::remove_all(dir); }
  std::string dir, repo;
};

TEST(Keys, PublicKeyFileErrorsNameTheLine) {
  auto r = parse_public_keys("# trusted\n\nnot-base64!\n", "keys.pub");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("keys.pub:3: not an ed25519 public key"), std::string::npos);
  EXPECT_FALSE(parse_public_keys("\n# nothing\n", "empty.pub"));
}

TEST(Keys, Base64MatchesGlib) {
  uint8_t data[] = {0, 1, 2, 250, 251, 252, 253};
  g_autofree char* glib = g_base64_encode(data, sizeof data);
  EXPECT_EQ(to_base64(data, sizeof data), glib);
}

TEST_F(SignTest, KeygenRefusesToOverwriteASecretKey) {
  auto again = keygen(dir + "/secret", dir + "/public2");
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().message().find("never overwrites"), std::string::npos);
  EXPECT_EQ(fs::status(dir + "/secret").permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
}

TEST_F(SignTest, UnsignedCommitIsRefused) {
  auto keys = load_public_keys(dir + "/public");
  ASSERT_TRUE(keys);
  auto v = verify_commit(repo, "test", *keys);
  ASSERT_FALSE(v);
  EXPECT_NE(v.error().message().find("is not signed"), std::string::npos);
}

TEST_F(SignTest, SignedCommitVerifiesAndUsesOstreeFormat) {
  auto sk = load_secret_key(dir + "/secret");
  ASSERT_TRUE(sk) << sk.error().message();
  ASSERT_TRUE(sign_commit(repo, "test", *sk));
  ASSERT_TRUE(sign_commit(repo, "test", *sk));  // idempotent: one signature per key
  auto keys = load_public_keys(dir + "/public");
  ASSERT_TRUE(keys);
  auto v = verify_commit(repo, "test", *keys);
  ASSERT_TRUE(v) << v.error().message();
  // The format upstream OSTree reads: ostree.sign.ed25519 is an "aay" of 64-byte entries,
  // read back here through libostree itself.
  g_autoptr(GFile) file = g_file_new_for_path(repo.c_str());
  g_autoptr(OstreeRepo) r = ostree_repo_new(file);
  ASSERT_TRUE(ostree_repo_open(r, nullptr, nullptr));
  g_autoptr(GVariant) md = nullptr;
  ASSERT_TRUE(
      ostree_repo_read_commit_detached_metadata(r, v->checksum.c_str(), &md, nullptr, nullptr));
  ASSERT_NE(md, nullptr);
  g_autoptr(GVariant) sigs = g_variant_lookup_value(md, "ostree.sign.ed25519", nullptr);
  ASSERT_NE(sigs, nullptr);
  EXPECT_STREQ(g_variant_get_type_string(sigs), "aay");
  ASSERT_EQ(g_variant_n_children(sigs), 1u) << "one signature per key";
  g_autoptr(GVariant) first = g_variant_get_child_value(sigs, 0);
  EXPECT_EQ(g_variant_get_size(first), 64u);
}

TEST_F(SignTest, OtherKeyIsRefused) {
  ASSERT_TRUE(keygen(dir + "/secret2", dir + "/public2"));
  auto sk2 = load_secret_key(dir + "/secret2");
  ASSERT_TRUE(sk2);
  ASSERT_TRUE(sign_commit(repo, "test", *sk2));
  auto keys = load_public_keys(dir + "/public");
  auto v = verify_commit(repo, "test", *keys);
  ASSERT_FALSE(v);
  EXPECT_NE(v.error().message().find("none of its 1 ed25519 signature(s) verifies"),
            std::string::npos);
  // Trusting both keys accepts it, and names the key that matched.
  auto both = parse_public_keys(
      *keel::sys::read_file(dir + "/public") + *keel::sys::read_file(dir + "/public2"), "both");
  ASSERT_TRUE(both);
  auto ok = verify_commit(repo, "test", *both);
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_EQ(ok->key_index, 1u);
}

TEST_F(SignTest, ModifiedSignatureIsRefused) {
  auto sk = load_secret_key(dir + "/secret");
  ASSERT_TRUE(sign_commit(repo, "test", *sk));
  // Flip one bit of the signature in the .commitmeta file: the commit's bytes no longer
  // match what was signed.
  std::string meta;
  for (const auto& e : fs::recursive_directory_iterator(repo + "/objects"))
    if (e.path().extension() == ".commitmeta") meta = e.path();
  ASSERT_FALSE(meta.empty());
  std::fstream f(meta, std::ios::in | std::ios::out | std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(f)), {});
  size_t at = bytes.size() / 2;
  f.seekp(static_cast<std::streamoff>(at));
  f.put(static_cast<char>(bytes[at] ^ 1));
  f.close();
  auto keys = load_public_keys(dir + "/public");
  EXPECT_FALSE(verify_commit(repo, "test", *keys));
}

}  // namespace
