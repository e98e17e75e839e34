// keel-unpack: extracts container images for keel-runtime (src/unpack_client.hpp),
// which runs it only when it must extract, so that libarchive and the libraries it
// maps are loaded by this program alone and not by every runtime start and health
// probe. It answers on stdout with one JSON document (src/unpack_reply.hpp), the
// result or the error, and logs nothing: keel-runtime reports the error once.
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "keel/common/sys.hpp"
#include "keel/runtime/layer_store.hpp"
#include "keel/runtime/oci_image.hpp"
#include "unpack_reply.hpp"

namespace {

using namespace keel;
using namespace keel::runtime;

constexpr const char* kUsage =
    "usage: keel-unpack store layout|archive SOURCE STORE_DIR\n"
    "       keel-unpack rootfs layout|archive SOURCE DEST_ROOTFS\n"
    "  store:  every layer of the image into the layer store (store_oci_layout)\n"
    "  rootfs: the image flattened into DEST_ROOTFS (unpack_oci_layout)\n"
    "  SOURCE is an OCI image layout directory or an oci-archive tar.\n";

bool valid(const std::vector<std::string>& a) {
  return a.size() == 4 && (a[0] == "store" || a[0] == "rootfs") &&
         (a[1] == "layout" || a[1] == "archive");
}

Result<StoredImage> run(const std::vector<std::string>& a) {
  bool archive = a[1] == "archive";
  const std::string &source = a[2], &dest = a[3];
  if (a[0] == "store")
    return archive ? store_oci_archive(source, dest) : store_oci_layout(source, dest);
  auto config = TRY(archive ? unpack_oci_archive(source, dest) : unpack_oci_layout(source, dest));
  return StoredImage{std::move(config), {}};
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!valid(args)) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  auto result = run(args);
  auto reply = result ? unpack_reply(*result) : unpack_error_reply(result.error());
  if (!sys::write_all(STDOUT_FILENO, reply)) return 1;
  return result ? 0 : 1;
}
