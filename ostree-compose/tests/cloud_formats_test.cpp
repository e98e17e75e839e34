#include "keel/compose/cloud_formats.hpp"

#include <gtest/gtest.h>

namespace keel::compose {
namespace {

TEST(CloudFormats, AllMeansEveryFormatOnce) {
  auto f = parse_cloud_formats("all,aws");
  ASSERT_TRUE(f) << f.error().message();
  EXPECT_EQ(f->size(), 4u);
  EXPECT_EQ(cloud_file_name((*f)[1]), "azure.vhd");
}

TEST(CloudFormats, ListWithSpaces) {
  auto f = parse_cloud_formats("gce, vmware");
  ASSERT_TRUE(f) << f.error().message();
  ASSERT_EQ(f->size(), 2u);
  EXPECT_EQ(cloud_file_name((*f)[0]), "gce.tar.gz");
  EXPECT_EQ(cloud_file_name((*f)[1]), "vmware.vmdk");
}

TEST(CloudFormats, UnknownOrEmptyIsRefusedByName) {
  auto f = parse_cloud_formats("aws,qcow3");
  ASSERT_FALSE(f);
  EXPECT_NE(f.error().message().find("unknown format 'qcow3'"), std::string::npos);
  EXPECT_NE(f.error().message().find("Fix:"), std::string::npos);
  EXPECT_FALSE(parse_cloud_formats(""));
  EXPECT_FALSE(parse_cloud_formats("aws,"));
}

}  // namespace
}  // namespace keel::compose
