// Layer extraction with libarchive's archive_write_disk.
//
// Why full paths instead of chdir(dest): chdir changes the cwd of the whole process
// (the runtime may one day run inside PID 1's helpers and tests share the process),
// so every entry is written as <dest>/<clean relative path>. That rules out
// ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS (our own paths are absolute), so
// clean_entry_path() refuses absolute and ".." names itself, and dest is realpath'd
// so ARCHIVE_EXTRACT_SECURE_SYMLINKS can check every component below "/" and refuse
// to write through a symlink planted by an earlier entry or layer. On top of that,
// LayerApplier refuses outright any entry whose parent is a symlink, so a hostile
// layer gets a clear error instead of a silently rewritten tree.
//
// The diff_id (image-spec "config.md", rootfs.diff_ids) is the digest of the
// uncompressed tar stream, so the blob is read through two libarchive handles: a
// "raw" one that only decompresses, and a tar reader fed from it by a callback
// that hashes and counts every byte on the way (UncompressedStream).
#include "layer.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <set>
#include <vector>

#include "digest.hpp"
#include "keel/common/sys.hpp"

namespace keel::runtime {
namespace {

using ReadPtr = std::unique_ptr<archive, decltype(&archive_read_free)>;
using WritePtr = std::unique_ptr<archive, decltype(&archive_write_free)>;

constexpr std::string_view kWhiteout = ".wh.";
constexpr std::string_view kOpaque = ".wh..wh..opq";
// Kernel Documentation/filesystems/overlayfs.rst "Whiteouts and opaque directories".
constexpr const char* kOverlayOpaqueXattr = "trusted.overlay.opaque";

// The first component of rel_dir (below dest) that is a symlink, or "" if none.
// Writing or deleting below such a component would follow it, possibly out of dest.
std::string symlink_component(const std::string& dest, const std::string& rel_dir) {
  std::string path = dest;
  size_t pos = 0;
  while (pos < rel_dir.size()) {
    size_t end = rel_dir.find('/', pos);
    if (end == std::string::npos) end = rel_dir.size();
    path += "/" + rel_dir.substr(pos, end - pos);
    struct stat st;
    if (::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) return rel_dir.substr(0, end);
    pos = end + 1;
  }
  return "";
}

std::string parent_of(const std::string& rel) {
  size_t slash = rel.rfind('/');
  return slash == std::string::npos ? "" : rel.substr(0, slash);
}

Result<void> remove_tree(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);  // does not follow a symlink at path itself
  if (ec) return fail(Error::from_errno("removing " + path, ec.value()));
  return {};
}

// The decompressed layer as a tar reader (see the comment at the top).
class UncompressedStream {
 public:
  explicit UncompressedStream(uint64_t max_bytes) : m_max(max_bytes) {}
  Result<void> open(const std::string& path);
  archive* tar() { return m_tar.get(); }
  // Reads what the tar reader left (end-of-archive padding) and returns the digest.
  Result<LayerStats> finish();
  // Turns a tar reader error into the reason behind it.
  Error explain(std::string what) const;

 private:
  static la_ssize_t read_cb(archive* a, void* self, const void** buf);
  Result<void> account(archive* a, const void* buf, size_t len);
  ReadPtr m_raw{archive_read_new(), archive_read_free};
  ReadPtr m_tar{archive_read_new(), archive_read_free};
  Sha256 m_hash;
  uint64_t m_max;
  bool m_over_cap = false;
  std::string m_raw_error;
};

Result<void> UncompressedStream::open(const std::string& path) {
  // image-spec "media-types.md": layers are tar, tar+gzip or tar+zstd.
  archive_read_support_filter_gzip(m_raw.get());
  archive_read_support_filter_zstd(m_raw.get());
  archive_read_support_format_raw(m_raw.get());
  if (archive_read_open_filename(m_raw.get(), path.c_str(), 65536) != ARCHIVE_OK)
    return fail_msg(path + ": " + archive_error_string(m_raw.get()));
  archive_entry* e;
  int r = archive_read_next_header(m_raw.get(), &e);
  if (r != ARCHIVE_OK && r != ARCHIVE_EOF)
    return fail_msg(path + ": " + archive_error_string(m_raw.get()));
  archive_read_support_format_tar(m_tar.get());
  if (archive_read_open(m_tar.get(), this, nullptr, read_cb, nullptr) != ARCHIVE_OK)
    return fail(explain(path));
  return {};
}

Result<void> UncompressedStream::account(archive* a, const void* buf, size_t len) {
  m_hash.update(buf, len);
  if (m_hash.bytes() <= m_max) return {};
  m_over_cap = true;
  archive_set_error(a, EFBIG, "uncompressed size cap reached");
  return fail_msg("cap");
}

la_ssize_t UncompressedStream::read_cb(archive* a, void* self, const void** buf) {
  auto* s = static_cast<UncompressedStream*>(self);
  size_t len = 0;
  la_int64_t off;
  int r = archive_read_data_block(s->m_raw.get(), buf, &len, &off);
  if (r == ARCHIVE_EOF) return 0;
  if (r != ARCHIVE_OK) {
    s->m_raw_error = archive_error_string(s->m_raw.get()) ?: "read error";
    archive_set_error(a, EIO, "%s", s->m_raw_error.c_str());
    return -1;
  }
  if (!s->account(a, *buf, len)) return -1;
  return static_cast<la_ssize_t>(len);
}

Result<LayerStats> UncompressedStream::finish() {
  const void* buf;
  size_t len;
  la_int64_t off;
  int r;
  while ((r = archive_read_data_block(m_raw.get(), &buf, &len, &off)) == ARCHIVE_OK)
    if (!account(m_raw.get(), buf, len)) return fail(explain("after the tar end"));
  if (r != ARCHIVE_EOF) {
    m_raw_error = archive_error_string(m_raw.get()) ?: "read error";
    return fail(explain("after the tar end"));
  }
  uint64_t bytes = m_hash.bytes();
  return LayerStats{"sha256:" + m_hash.hex(), bytes};
}

Error UncompressedStream::explain(std::string what) const {
  if (m_over_cap)
    return Error::msg("uncompressed layer passes " + std::to_string(m_max) +
                      " bytes, the cap (UnpackOptions::max_uncompressed_bytes for the image, "
                      "max_layer_uncompressed_bytes per layer): decompression bomb?");
  if (!m_raw_error.empty())
    return Error::msg("truncated or corrupt compressed layer: " + m_raw_error);
  const char* msg = archive_error_string(m_tar.get());
  return Error::msg("truncated or corrupt layer tar (" + what + "): " + (msg ? msg : "read error"));
}

class LayerApplier {
 public:
  LayerApplier(std::string dest, const UnpackOptions& opts, Whiteouts whiteouts)
      : m_dest(std::move(dest)), m_opts(opts), m_whiteouts(whiteouts) {}
  Result<void> apply(UncompressedStream& in, archive* out);

 private:
  Result<void> whiteout(const std::string& rel);
  Result<void> opaque(const std::string& dir);
  Result<void> overlay_whiteout(const std::string& target);
  Result<void> overlay_opaque(const std::string& dir);
  Result<void> check_entry(archive_entry* e, const std::string& rel);
  Result<void> write_entry(UncompressedStream& in, archive* out, archive_entry* e,
                           const std::string& rel);
  std::string m_dest;
  const UnpackOptions& m_opts;
  Whiteouts m_whiteouts;
  std::set<std::string> m_whited_out;  // overlay mode: names this layer recorded as deleted
  std::set<std::string> m_seen;  // paths written by this layer (whiteouts hide lower layers only)
};

Result<void> LayerApplier::whiteout(const std::string& rel) {
  size_t slash = rel.rfind('/');
  std::string dir = parent_of(rel);
  std::string base = rel.substr(slash == std::string::npos ? 0 : slash + 1);
  if (auto link = symlink_component(m_dest, dir); !link.empty())
    return fail_msg("whiteout " + rel + ": '" + link +
                    "' is a symlink; deleting through it could escape the rootfs");
  bool overlay = m_whiteouts == Whiteouts::overlay;
  if (base == kOpaque) return overlay ? overlay_opaque(dir) : opaque(dir);
  std::string name = base.substr(kWhiteout.size());
  if (name.empty() || name == "." || name == "..")
    return fail_msg("whiteout " + rel + " names no file");
  std::string target = (dir.empty() ? "" : dir + "/") + name;
  if (m_seen.contains(target)) return {};
  return overlay ? overlay_whiteout(target) : remove_tree(m_dest + "/" + target);
}

// The directory that holds a whiteout may come later in the tar, or not at all (it
// is then implied): create it; its own entry, if any, sets its metadata later.
Result<void> LayerApplier::overlay_whiteout(const std::string& target) {
  std::string dir = parent_of(target);
  if (!dir.empty()) TRY(sys::mkdir_p(m_dest + "/" + dir));
  std::string path = m_dest + "/" + target;
  if (::mknod(path.c_str(), S_IFCHR | 0, makedev(0, 0)) < 0 && errno != EEXIST)
    return fail_errno("mknod overlay whiteout " + path + " (needs CAP_MKNOD)");
  m_whited_out.insert(target);
  return {};
}

Result<void> LayerApplier::overlay_opaque(const std::string& dir) {
  std::string path = dir.empty() ? m_dest : m_dest + "/" + dir;
  TRY(sys::mkdir_p(path));
  if (::lsetxattr(path.c_str(), kOverlayOpaqueXattr, "y", 1, 0) < 0)
    return fail_errno(std::string("setxattr ") + kOverlayOpaqueXattr + " on " + path +
                      " (needs CAP_SYS_ADMIN)");
  return {};
}

// ".wh..wh..opq": the directory hides everything lower layers put in it.
Result<void> LayerApplier::opaque(const std::string& dir) {
  std::string path = dir.empty() ? m_dest : m_dest + "/" + dir;
  DIR* d = ::opendir(path.c_str());
  if (!d) return errno == ENOENT ? Result<void>() : fail_errno("opendir " + path);
  std::vector<std::string> doomed;
  while (dirent* de = ::readdir(d)) {
    std::string n = de->d_name;
    std::string rel = dir.empty() ? n : dir + "/" + n;
    if (n != "." && n != ".." && !m_seen.contains(rel)) doomed.push_back(path + "/" + n);
  }
  ::closedir(d);
  for (const auto& p : doomed) TRY(remove_tree(p));
  return {};
}

// The policy checks for one entry that is not a whiteout.
Result<void> LayerApplier::check_entry(archive_entry* e, const std::string& rel) {
  if (m_seen.contains(rel))
    return fail_msg("duplicate entry '" + rel + "' in one layer: which one wins is ambiguous");
  if (auto link = symlink_component(m_dest, parent_of(rel)); !link.empty())
    return fail_msg("entry '" + rel + "': '" + link +
                    "' is a symlink; writing through it could escape the rootfs");
  auto type = archive_entry_filetype(e);
  if ((type == AE_IFCHR || type == AE_IFBLK) && !m_opts.allow_devices) {
    dev_t dev = archive_entry_rdev(e);
    return fail_msg("entry '" + rel + "' is a " + (type == AE_IFCHR ? "character" : "block") +
                    " device node (" + std::to_string(major(dev)) + ":" +
                    std::to_string(minor(dev)) +
                    "); device nodes are refused unless UnpackOptions::allow_devices is set");
  }
  mode_t mode = archive_entry_mode(e);
  if (type != AE_IFDIR && (mode & (S_ISUID | S_ISGID)) && !m_opts.allow_setuid) {
    char octal[16];
    std::snprintf(octal, sizeof octal, "%04o", mode & 07777);
    return fail_msg("entry '" + rel + "' is " + ((mode & S_ISUID) ? "setuid" : "setgid") +
                    " (mode " + octal +
                    "); setuid/setgid files are refused unless UnpackOptions::allow_setuid is set");
  }
  if (const char* link = archive_entry_hardlink(e)) {
    auto target = TRY_CTX(clean_entry_path(link), "hardlink " + rel);
    if (target.empty()) return fail_msg("hardlink " + rel + ": bad target '" + link + "'");
    if (auto sl = symlink_component(m_dest, parent_of(target)); !sl.empty())
      return fail_msg("hardlink " + rel + " -> " + target + ": '" + sl +
                      "' is a symlink; linking through it could escape the rootfs");
    archive_entry_set_hardlink(e, (m_dest + "/" + target).c_str());
  }
  return {};
}

Result<void> LayerApplier::write_entry(UncompressedStream& in, archive* out, archive_entry* e,
                                       const std::string& rel) {
  TRY(check_entry(e, rel));
  archive_entry_set_pathname(e, (m_dest + "/" + rel).c_str());
  if (archive_write_header(out, e) < ARCHIVE_WARN)
    return fail_msg(rel + ": " + archive_error_string(out));
  const void* buf;
  size_t len;
  la_int64_t off;
  int r;
  while ((r = archive_read_data_block(in.tar(), &buf, &len, &off)) == ARCHIVE_OK)
    if (archive_write_data_block(out, buf, len, off) < ARCHIVE_WARN)
      return fail_msg(rel + ": " + archive_error_string(out));
  if (r != ARCHIVE_EOF) return fail(in.explain("entry " + rel));
  if (archive_write_finish_entry(out) < ARCHIVE_WARN)
    return fail_msg(rel + ": " + archive_error_string(out));
  m_seen.insert(rel);
  // "Delete NAME, then create directory NAME" in one layer: the new directory must
  // hide the lower one's content, not merge with it.
  if (m_whited_out.contains(rel) && archive_entry_filetype(e) == AE_IFDIR) TRY(overlay_opaque(rel));
  return {};
}

Result<void> LayerApplier::apply(UncompressedStream& in, archive* out) {
  archive_entry* e;
  int r;
  while ((r = archive_read_next_header(in.tar(), &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
    const char* name = archive_entry_pathname(e);
    std::string rel = TRY(clean_entry_path(name ? name : ""));
    if (rel.empty()) continue;  // the root directory itself: dest already exists
    std::string_view base = rel;
    if (auto s = rel.rfind('/'); s != std::string::npos) base.remove_prefix(s + 1);
    if (base.starts_with(kWhiteout)) {
      TRY(whiteout(rel));
      continue;
    }
    TRY(write_entry(in, out, e, rel));
  }
  if (r != ARCHIVE_EOF) return fail(in.explain("reading the next header"));
  return {};
}

}  // namespace

Result<LayerStats> extract_layer(const std::string& blob_path, const std::string& dest,
                                 const UnpackOptions& opts, uint64_t max_bytes,
                                 Whiteouts whiteouts) {
  UncompressedStream in(max_bytes);
  TRY(in.open(blob_path));
  WritePtr out(archive_write_disk_new(), archive_write_free);
  // No archive_write_disk_set_standard_lookup: numeric uid/gid only, no NSS lookups.
  archive_write_disk_set_options(out.get(), ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM |
                                                ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_UNLINK |
                                                ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                                                ARCHIVE_EXTRACT_SECURE_SYMLINKS);
  LayerApplier applier(dest, opts, whiteouts);
  TRY(applier.apply(in, out.get()));
  if (archive_write_close(out.get()) != ARCHIVE_OK)
    return fail_msg(std::string("finishing extraction: ") + archive_error_string(out.get()));
  return in.finish();
}

}  // namespace keel::runtime
