#include "unpack_client.hpp"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <vector>

#include "digest.hpp"
#include "keel/common/sys.hpp"
#include "oci_read.hpp"
#include "unpack_reply.hpp"

namespace keel::runtime {
namespace {

const char* format_arg(ImageFormat f) {
  return f == ImageFormat::archive ? "archive" : "layout";
}

// The layer directories when every layer is in the store already. Any doubt (a
// broken image, a missing store or layer) returns nullopt: keel-unpack then does
// the full job and reports the error exactly as the store always has.
std::optional<StoredImage> find_in_store(const std::string& layout, const std::string& store_dir) {
  auto img = read_image(layout, "");
  if (!img || img->layers.size() > kMaxImageLayers) return std::nullopt;
  char buf[PATH_MAX];
  if (!::realpath(store_dir.c_str(), buf)) return std::nullopt;
  std::string store = buf;
  StoredImage out{img->config, {}};
  for (const auto& id : img->diff_ids) {
    auto hex = digest_hex(id);
    if (!hex) return std::nullopt;
    std::string dir = store + "/" + *hex;
    if (!sys::is_dir(dir)) return std::nullopt;
    // As store_oci_layout: a layer listed again further up keeps only its top place.
    std::erase(out.layer_dirs, dir);
    out.layer_dirs.push_back(dir);
  }
  return out;
}

// keel-unpack is installed beside keel-runtime (/usr/bin in the image, bin/ in a build).
Result<std::string> unpack_binary() {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return fail(Error::from_errno("readlink /proc/self/exe", ec.value()));
  return (self.parent_path() / "keel-unpack").string();
}

// Runs keel-unpack and returns its reply. Its stdout and stderr both come to us: it
// writes one JSON document and nothing else.
Result<StoredImage> run_unpack(const std::string& command, const ImageSource& src,
                               const std::string& dest) {
  std::string exe = TRY(unpack_binary());
  auto pipe = TRY(sys::pipe(O_CLOEXEC));
  pid_t pid =
      TRY(sys::spawn({exe, command, format_arg(src.format), src.path, dest}, pipe.write.get()));
  pipe.write.reset();
  auto text = sys::read_all(pipe.read.get());
  int status = TRY(sys::wait_exit(pid));
  if (!text) return fail(std::move(text).error().context("reading " + exe + "'s reply"));
  if (text->empty())
    return fail_msg(exe + " exited with status " + std::to_string(status) + " and no reply");
  auto reply = TRY(parse_unpack_reply(*text, exe + "'s reply"));
  if (status != 0)
    return fail_msg(exe + " exited with status " + std::to_string(status) + " after a reply");
  return reply;
}

}  // namespace

Result<StoredImage> stored_image(const ImageSource& src, const std::string& store_dir) {
  if (src.format == ImageFormat::layout)
    if (auto found = find_in_store(src.path, store_dir)) return std::move(*found);
  return run_unpack("store", src, store_dir);
}

Result<ImageConfig> copied_rootfs(const ImageSource& src, const std::string& dest_rootfs) {
  auto reply = TRY(run_unpack("rootfs", src, dest_rootfs));
  return std::move(reply.config);
}

}  // namespace keel::runtime
