// oci-archive: a tar of an OCI image layout (image-spec "image-layout.md"), as
// `skopeo copy ... oci-archive:X` and `buildah push ... oci-archive:X` write it.
//
// The layout is copied out of the tar into a private directory and then read by
// unpack_oci_layout, which verifies every blob. The copy only accepts what a
// layout holds: oci-layout, index.json and blobs/sha256/<hex>, as regular files,
// each written once with O_EXCL|O_NOFOLLOW below a directory we created, so a
// hostile archive cannot place anything elsewhere.
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <memory>

#include "digest.hpp"
#include "keel/common/sys.hpp"
#include "keel/runtime/layer_store.hpp"
#include "keel/runtime/oci_image.hpp"
#include "layer.hpp"

namespace keel::runtime {
namespace {

using ReadPtr = std::unique_ptr<archive, decltype(&archive_read_free)>;

class TempLayout {
 public:
  TempLayout() = default;
  TempLayout(const TempLayout&) = delete;
  ~TempLayout() {
    std::error_code ec;
    if (!m_path.empty()) std::filesystem::remove_all(m_path, ec);
  }
  Result<void> create(const std::string& prefix) {
    std::string tmpl = prefix + ".layout.XXXXXX";
    if (!::mkdtemp(tmpl.data())) return fail_errno("mkdtemp " + tmpl);
    m_path = tmpl;
    return {};
  }
  const std::string& path() const { return m_path; }

 private:
  std::string m_path;
};

bool is_blob_name(const std::string& rel) {
  constexpr std::string_view prefix = "blobs/sha256/";
  return rel.starts_with(prefix) && digest_hex("sha256:" + rel.substr(prefix.size()));
}

const char* type_name(mode_t type) {
  switch (type) {
    case AE_IFLNK:
      return "a symlink";
    case AE_IFCHR:
      return "a character device";
    case AE_IFBLK:
      return "a block device";
    case AE_IFIFO:
      return "a FIFO";
    case AE_IFSOCK:
      return "a socket";
    default:
      return "not a regular file";
  }
}

Result<void> copy_entry(archive* in, int fd, const std::string& rel) {
  const void* buf;
  size_t len;
  la_int64_t off;
  int r;
  while ((r = archive_read_data_block(in, &buf, &len, &off)) == ARCHIVE_OK) {
    auto* p = static_cast<const char*>(buf);
    while (len > 0) {
      ssize_t n = ::pwrite(fd, p, len, off);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return fail_errno("write " + rel);
      p += n, off += n, len -= static_cast<size_t>(n);
    }
  }
  if (r != ARCHIVE_EOF)
    return fail_msg("truncated or corrupt archive at " + rel + ": " + archive_error_string(in));
  return {};
}

// Checks one entry and, if it is a layout file, writes it below dir.
Result<void> take_entry(archive* in, archive_entry* e, int dirfd, uint64_t& total,
                        const UnpackOptions& opts) {
  const char* name = archive_entry_pathname(e);
  std::string rel = TRY(clean_entry_path(name ? name : ""));
  auto type = archive_entry_filetype(e);
  if (type == AE_IFDIR) {
    if (rel.empty() || rel == "blobs" || rel == "blobs/sha256") return {};
    return fail_msg("entry '" + rel + "/' is not part of an OCI image layout");
  }
  if (type != AE_IFREG || archive_entry_hardlink(e))
    return fail_msg("entry '" + rel + "' is " +
                    (archive_entry_hardlink(e) ? "a hardlink" : type_name(type)) +
                    "; an oci-archive holds only regular files");
  if (rel != "oci-layout" && rel != "index.json" && !is_blob_name(rel))
    return fail_msg("entry '" + rel +
                    "' is not part of an OCI image layout (oci-layout, index.json, "
                    "blobs/sha256/<hex>)");
  total += static_cast<uint64_t>(std::max<la_int64_t>(archive_entry_size(e), 0));
  if (total > opts.max_uncompressed_bytes)
    return fail_msg("entries pass " + std::to_string(opts.max_uncompressed_bytes) +
                    " bytes, the cap (UnpackOptions::max_uncompressed_bytes): decompression bomb?");
  if (rel.starts_with("blobs/")) {
    for (const char* d : {"blobs", "blobs/sha256"})
      if (::mkdirat(dirfd, d, 0755) < 0 && errno != EEXIST) return fail_errno("mkdir " + rel);
  }
  auto fd = sys::openat(dirfd, rel, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (!fd && fd.error().code() == EEXIST)
    return fail_msg("duplicate entry '" + rel + "': which one is meant is ambiguous");
  if (!fd) return fail(std::move(fd).error());
  return copy_entry(in, fd->get(), rel);
}

Result<void> extract_layout(const std::string& tar_path, const std::string& dir,
                            const UnpackOptions& opts) {
  ReadPtr in(archive_read_new(), archive_read_free);
  archive_read_support_format_tar(in.get());
  if (archive_read_open_filename(in.get(), tar_path.c_str(), 65536) != ARCHIVE_OK)
    return fail_msg(std::string("opening: ") + archive_error_string(in.get()));
  auto dirfd = TRY(sys::open(dir, O_RDONLY | O_DIRECTORY));
  uint64_t total = 0;
  archive_entry* e;
  int r;
  while ((r = archive_read_next_header(in.get(), &e)) == ARCHIVE_OK || r == ARCHIVE_WARN)
    TRY(take_entry(in.get(), e, dirfd.get(), total, opts));
  if (r != ARCHIVE_EOF)
    return fail_msg(std::string("truncated or corrupt archive: ") + archive_error_string(in.get()));
  return {};
}

}  // namespace

Result<ImageConfig> unpack_oci_archive(const std::string& tar_path, const std::string& dest_rootfs,
                                       const std::string& ref, const UnpackOptions& opts) {
  std::string what = "oci-archive " + tar_path;
  auto parent = std::filesystem::path(dest_rootfs).parent_path().string();
  TRY(sys::mkdir_p(parent.empty() ? "." : parent));
  TempLayout layout;
  TRY_CTX(layout.create(dest_rootfs), what);
  TRY_CTX(extract_layout(tar_path, layout.path(), opts), what);
  return with_context(unpack_oci_layout(layout.path(), dest_rootfs, ref, opts), what);
}

Result<StoredImage> store_oci_archive(const std::string& tar_path, const std::string& store_dir,
                                      const std::string& ref, const UnpackOptions& opts) {
  std::string what = "oci-archive " + tar_path;
  TRY(sys::mkdir_p(store_dir, 0700));
  TempLayout layout;
  // ".layout.XXXXXX": never a 64-hex layer name, so never taken for a layer.
  TRY_CTX(layout.create(store_dir + "/"), what);
  TRY_CTX(extract_layout(tar_path, layout.path(), opts), what);
  return with_context(store_oci_layout(layout.path(), store_dir, ref, opts), what);
}

}  // namespace keel::runtime
