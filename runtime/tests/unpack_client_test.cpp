// keel-runtime's side of keel-unpack: the reply both programs share, and finding an
// image whose layers are all in the store without running keel-unpack.
#include "unpack_client.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <filesystem>

#include "fixtures/oci_fixture.hpp"
#include "keel/runtime/layer_store.hpp"
#include "unpack_reply.hpp"

namespace keel::runtime {
namespace {

using fixture::Image;
using fixture::make_layer;
using test::TempDir;
namespace fs = std::filesystem;

TEST(UnpackReply, CarriesTheConfigAndLayerDirectories) {
  StoredImage in{ImageConfig{.entrypoint = {"/bin/sh", "-c"},
                             .cmd = {"echo \"hi\""},
                             .env = {"A=1", "B=two words"},
                             .working_dir = "/srv",
                             .user = "1000:1000"},
                 {"/var/lib/keel/layers/aa", "/var/lib/keel/layers/bb"}};
  auto out = parse_unpack_reply(unpack_reply(in), "reply");
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_EQ(out->config.entrypoint, in.config.entrypoint);
  EXPECT_EQ(out->config.cmd, in.config.cmd);
  EXPECT_EQ(out->config.env, in.config.env);
  EXPECT_EQ(out->config.working_dir, "/srv");
  EXPECT_EQ(out->config.user, "1000:1000");
  EXPECT_EQ(out->layer_dirs, in.layer_dirs);
}

TEST(UnpackReply, AnErrorComesBackWithItsMessageUnchanged) {
  auto e = Error::from_errno("mkdir /var/lib/keel/layers/x.tmp", ENOSPC).context("layer \"1\"");
  auto out = parse_unpack_reply(unpack_error_reply(e), "reply");
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().message(), e.message());
}

TEST(UnpackReply, ABrokenReplyIsNamed) {
  auto out = parse_unpack_reply("Segmentation fault\n", "keel-unpack's reply");
  ASSERT_FALSE(out);
  EXPECT_NE(out.error().message().find("keel-unpack's reply"), std::string::npos)
      << out.error().message();
  EXPECT_FALSE(parse_unpack_reply("{}", "reply")) << "a reply without a config";
}

// The test binary has no keel-unpack beside it, so a result here can only come from
// the store lookup; the same image with a layer missing needs keel-unpack and fails.
TEST(StoredImage, LayersAlreadyInTheStoreAreFoundWithoutKeelUnpack) {
  TempDir t;
  Image img;
  img.layers.push_back(make_layer({{"etc/", AE_IFDIR}, {"etc/base", AE_IFREG, "one"}}));
  img.layers.push_back(make_layer({{"etc/", AE_IFDIR}, {"etc/top", AE_IFREG, "two"}}));
  img.write_layout(t / "img");
  auto stored = store_oci_layout(t / "img", t / "store");
  ASSERT_TRUE(stored) << stored.error().message();

  auto found = stored_image({t / "img", ImageFormat::layout}, t / "store");
  ASSERT_TRUE(found) << found.error().message();
  EXPECT_EQ(found->layer_dirs, stored->layer_dirs);
  EXPECT_EQ(found->config.cmd, stored->config.cmd);

  fs::remove_all(stored->layer_dirs[1]);
  auto missing = stored_image({t / "img", ImageFormat::layout}, t / "store");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("keel-unpack"), std::string::npos)
      << missing.error().message();
}

}  // namespace
}  // namespace keel::runtime
