// The layer store (include/keel/runtime/layer_store.hpp): one directory per layer,
// named by the hex of its diff_id (image-spec "config.md" rootfs.diff_ids), which is
// verified while extracting, so the name really is the content's address.
#include "keel/runtime/layer_store.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <filesystem>
#include <set>

#include "digest.hpp"
#include "keel/common/sys.hpp"
#include "layer.hpp"
#include "oci_read.hpp"

namespace keel::runtime {
namespace {

Result<void> remove_tree(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
  if (ec) return fail(Error::from_errno("removing " + path, ec.value()));
  return {};
}

// Holds an exclusive flock on <store>/.lock: two runtimes starting containers with
// a common layer must not extract it into the same <hex>.tmp at once.
Result<UniqueFd> lock_store(const std::string& store) {
  return sys::lock_exclusive(store + "/.lock");
}

// Makes the extracted files durable before the rename publishes them: after a power
// loss a <hex> directory must not hold empty or missing files.
Result<void> sync_fs(const std::string& path) {
  auto fd = TRY(sys::open(path, O_RDONLY | O_DIRECTORY));
  if (::syncfs(fd.get()) < 0) return fail_errno("syncfs " + path);
  return {};
}

Result<void> fsync_dir(const std::string& path) {
  auto fd = TRY(sys::open(path, O_RDONLY | O_DIRECTORY));
  if (::fsync(fd.get()) < 0) return fail_errno("fsync " + path);
  return {};
}

// Extracts layer i into <store>/<hex>.tmp and renames it to <store>/<hex>.
Result<uint64_t> extract_into_store(const Image& img, size_t i, const std::string& store,
                                    const std::string& dir, const UnpackOptions& opts,
                                    uint64_t max_bytes) {
  const auto& d = img.layers[i];
  std::string what = "layer " + std::to_string(i + 1) + " " + d.digest;
  std::string tmp = dir + ".tmp";
  TRY(remove_tree(tmp));  // a crashed run's half layer: never trusted, redone
  if (::mkdir(tmp.c_str(), 0755) < 0) return fail_errno("mkdir " + tmp);
  auto done = [&](Result<uint64_t> r) {
    if (!r) (void)remove_tree(tmp);
    return r;
  };
  auto extract = [&]() -> Result<uint64_t> {
    TRY(verify_blob(d, "manifest " + img.manifest_digest + ": layer " + std::to_string(i + 1)));
    auto stats = TRY_CTX(extract_layer(d.path, tmp, opts, max_bytes, Whiteouts::overlay), what);
    if (stats.diff_id != img.diff_ids[i])
      return fail_msg(what + ": uncompressed content is " + stats.diff_id +
                      ", the config's rootfs.diff_ids says " + img.diff_ids[i] +
                      " (diff_id mismatch)");
    TRY(sync_fs(tmp));
    if (::rename(tmp.c_str(), dir.c_str()) < 0) return fail_errno("rename " + tmp + " to " + dir);
    TRY(fsync_dir(store));
    return stats.uncompressed_bytes;
  };
  return done(extract());
}

Result<std::string> real_store_dir(const std::string& store_dir) {
  TRY(sys::mkdir_p(store_dir, 0700));
  char buf[PATH_MAX];
  if (!::realpath(store_dir.c_str(), buf)) return fail_errno("realpath " + store_dir);
  return std::string(buf);
}

}  // namespace

Result<StoredImage> store_oci_layout(const std::string& layout_dir, const std::string& store_dir,
                                     const std::string& ref, const UnpackOptions& opts) {
  auto img = TRY(read_image(layout_dir, ref));
  if (img.layers.size() > kMaxImageLayers)
    return fail_msg("manifest " + img.manifest_digest + " has " +
                    std::to_string(img.layers.size()) + " layers; keel-runtime takes at most " +
                    std::to_string(kMaxImageLayers) +
                    " (overlayfs lower directories): squash the image");
  // Realpath'd: extract_layer needs a destination without symlinks in its prefix.
  std::string store = TRY_CTX(real_store_dir(store_dir), "layer store");
  auto lock = TRY_CTX(lock_store(store), "layer store");
  StoredImage out{img.config, {}};
  uint64_t used = 0;
  for (size_t i = 0; i < img.layers.size(); ++i) {
    std::string dir = store + "/" + TRY(digest_hex(img.diff_ids[i]));
    if (!sys::is_dir(dir)) {
      uint64_t left = opts.max_uncompressed_bytes - used;
      used += TRY(extract_into_store(img, i, store, dir, opts,
                                     std::min(left, opts.max_layer_uncompressed_bytes)));
    }
    // A layer listed again further up hides its lower copy completely.
    std::erase(out.layer_dirs, dir);
    out.layer_dirs.push_back(dir);
  }
  return out;
}

}  // namespace keel::runtime
