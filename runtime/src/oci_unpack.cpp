// Flattening an OCI image layout into a rootfs (image-spec v1.1 "layer.md"): each
// layer blob verified against its descriptor and its uncompressed stream against the
// config's rootfs.diff_ids, whiteouts applied. Reading the layout is oci_read.cpp.
#include <dirent.h>
#include <sys/stat.h>

#include <climits>
#include <cstdlib>
#include <filesystem>

#include "keel/common/sys.hpp"
#include "keel/runtime/oci_image.hpp"
#include "layer.hpp"
#include "oci_read.hpp"

namespace keel::runtime {
namespace {

Result<bool> is_empty_dir(const std::string& path) {
  DIR* d = ::opendir(path.c_str());
  if (!d) return fail_errno("opendir " + path);
  bool empty = true;
  while (dirent* de = ::readdir(d))
    if (std::string_view n = de->d_name; n != "." && n != "..") empty = false;
  ::closedir(d);
  return empty;
}

// Removes the staging tree unless released: a failed unpack leaves nothing behind.
class StagingDir {
 public:
  explicit StagingDir(std::string path) : m_path(std::move(path)) {}
  StagingDir(const StagingDir&) = delete;
  ~StagingDir() {
    std::error_code ec;
    if (!m_path.empty()) std::filesystem::remove_all(m_path, ec);
  }
  Result<void> create() {
    std::error_code ec;
    std::filesystem::remove_all(m_path, ec);  // a previous crashed run's leftovers
    if (ec) return fail(Error::from_errno("removing stale " + m_path, ec.value()));
    if (::mkdir(m_path.c_str(), 0755) < 0) return fail_errno("mkdir " + m_path);
    char buf[PATH_MAX];
    if (!::realpath(m_path.c_str(), buf)) return fail_errno("realpath " + m_path);
    m_real = buf;
    return {};
  }
  // The resolved path: no symlink in its prefix.
  const std::string& real() const { return m_real; }
  Result<void> rename_to(const std::string& dest) {
    if (::rename(m_path.c_str(), dest.c_str()) < 0)
      return fail_errno("rename " + m_path + " to " + dest);
    m_path.clear();
    return {};
  }

 private:
  std::string m_path, m_real;
};

Result<void> check_dest(const std::string& dest) {
  if (!sys::exists(dest)) {
    auto parent = std::filesystem::path(dest).parent_path().string();
    return sys::mkdir_p(parent.empty() ? "." : parent);
  }
  if (!sys::is_dir(dest) || !TRY(is_empty_dir(dest)))
    return fail_msg(dest + " exists and is not an empty directory");
  return {};
}

Result<void> apply_layers(const Image& img, const std::string& dest, const UnpackOptions& opts) {
  uint64_t used = 0;
  for (size_t i = 0; i < img.layers.size(); ++i) {
    const auto& d = img.layers[i];
    std::string what = "layer " + std::to_string(i + 1) + " " + d.digest;
    TRY(verify_blob(d, "manifest " + img.manifest_digest + ": layer " + std::to_string(i + 1)));
    uint64_t left = opts.max_uncompressed_bytes - used;
    auto stats = TRY_CTX(
        extract_layer(d.path, dest, opts, std::min(left, opts.max_layer_uncompressed_bytes)), what);
    if (stats.diff_id != img.diff_ids[i])
      return fail_msg(what + ": uncompressed content is " + stats.diff_id +
                      ", the config's rootfs.diff_ids says " + img.diff_ids[i] +
                      " (diff_id mismatch)");
    used += stats.uncompressed_bytes;
  }
  return {};
}

}  // namespace

Result<ImageConfig> unpack_oci_layout(const std::string& layout_dir, const std::string& dest_rootfs,
                                      const std::string& ref, const UnpackOptions& opts) {
  auto img = TRY(read_image(layout_dir, ref));
  TRY(check_dest(dest_rootfs));
  StagingDir staging(dest_rootfs + ".tmp");
  TRY(staging.create());
  TRY(apply_layers(img, staging.real(), opts));
  // rename(2) replaces an empty directory, so dest may have existed (empty).
  TRY(staging.rename_to(dest_rootfs));
  return img.config;
}

}  // namespace keel::runtime
