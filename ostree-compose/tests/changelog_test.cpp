// The release changelog: the package list keel-compose writes, and what changed between
// two trees' manifests.
#include "keel/compose/changelog.hpp"

#include <gtest/gtest.h>

using namespace keel::compose;

TEST(PackageList, FromCachedDebNamesWithoutExcludes) {
  std::string text =
      package_list({"libc6_2.36-9+deb12u9_amd64.deb", "perl-base_5.36.0-7+deb12u1_amd64.deb",
                    "base-files_12.4+deb12u8_amd64.deb", "gnupg_2.2.40-1.1_all.deb",
                    "libgpg-error0_1.46-1_amd64.deb", "login_1%3a4.13+dfsg1-1+b1_amd64.deb"},
                   {"gnupg"});
  EXPECT_EQ(text.substr(text.find("\nb")),
            "\nbase-files 12.4+deb12u8 amd64\nlibc6 2.36-9+deb12u9 amd64\n"
            "libgpg-error0 1.46-1 amd64\nlogin 1:4.13+dfsg1-1+b1 amd64\n"
            "perl-base 5.36.0-7+deb12u1 amd64\n");
  auto parsed = parse_package_list(text);
  EXPECT_EQ(parsed.size(), 5u);
  EXPECT_EQ(parsed["login"], "1:4.13+dfsg1-1+b1");
  EXPECT_FALSE(parsed.contains("gnupg"));
}

TEST(Changelog, PackagesContainersAndImages) {
  TreeManifest from, to;
  from.has_packages = to.has_packages = true;
  from.packages = {{"libc6", "2.36-9"}, {"perl-base", "5.36"}, {"zlib1g", "1.2"}};
  to.packages = {{"libc6", "2.36-10"}, {"curl", "7.88"}, {"zlib1g", "1.2"}};
  from.containers = {{"hello", "aa"}, {"old", "bb"}, {"net", "cc"}};
  to.containers = {{"hello", "a2"}, {"web", "dd"}, {"net", "cc"}};
  from.images = {{"busybox", "11"}};
  to.images = {{"busybox", "12"}};
  EXPECT_EQ(diff_manifests(from, to),
            (std::vector<std::string>{"package added curl 7.88", "package libc6 2.36-9 -> 2.36-10",
                                      "package removed perl-base 5.36", "container changed hello",
                                      "container added web", "container removed old",
                                      "image changed busybox"}));
  EXPECT_TRUE(diff_manifests(to, to).empty());
}

// A release composed before keel-compose wrote package lists still gets the rest.
TEST(Changelog, SaysWhenAPackageListIsMissing) {
  TreeManifest from, to;
  to.has_packages = true;
  to.packages = {{"libc6", "2.36"}};
  to.containers = {{"hello", "aa"}};
  EXPECT_EQ(diff_manifests(from, to),
            (std::vector<std::string>{
                "packages: the previous release has no package list (usr/lib/keel/packages)",
                "container added hello"}));
}
