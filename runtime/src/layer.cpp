// Layer extraction with libarchive's archive_write_disk.
//
// Why full paths instead of chdir(dest): chdir changes the cwd of the whole process
// (the runtime may one day run inside PID 1's helpers and tests share the process),
// so every entry is written as <dest>/<clean relative path>. That rules out
// ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS (our own paths are absolute), so
// clean_entry_path() refuses absolute and ".." names itself, and dest is realpath'd
// so ARCHIVE_EXTRACT_SECURE_SYMLINKS can check every component below "/" and refuse
// to write through a symlink planted by an earlier entry or layer.
#include "layer.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <sys/stat.h>

#include <filesystem>
#include <memory>
#include <set>
#include <vector>

namespace keel::runtime {
namespace {

using ReadPtr = std::unique_ptr<archive, decltype(&archive_read_free)>;
using WritePtr = std::unique_ptr<archive, decltype(&archive_write_free)>;

constexpr std::string_view kWhiteout = ".wh.";
constexpr std::string_view kOpaque = ".wh..wh..opq";

// Refuses to act on rel's parent if any component is a symlink: whiteouts must not
// delete outside dest.
Result<void> check_no_symlink(const std::string& dest, const std::string& rel_dir) {
  std::string path = dest;
  size_t pos = 0;
  while (pos < rel_dir.size()) {
    size_t end = rel_dir.find('/', pos);
    if (end == std::string::npos) end = rel_dir.size();
    path += "/" + rel_dir.substr(pos, end - pos);
    struct stat st;
    if (::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode))
      return fail_msg("whiteout under " + rel_dir + ": " + path + " is a symlink");
    pos = end + 1;
  }
  return {};
}

Result<void> remove_tree(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);  // does not follow a symlink at path itself
  if (ec) return fail(Error::from_errno("removing " + path, ec.value()));
  return {};
}

class LayerApplier {
 public:
  LayerApplier(std::string dest) : m_dest(std::move(dest)) {}
  Result<void> apply(archive* in, archive* out);

 private:
  Result<void> whiteout(const std::string& rel);
  Result<void> opaque(const std::string& dir);
  Result<void> write_entry(archive* in, archive* out, archive_entry* e, const std::string& rel);
  std::string m_dest;
  std::set<std::string> m_seen;  // paths written by this layer (whiteouts hide lower layers only)
};

Result<void> LayerApplier::whiteout(const std::string& rel) {
  size_t slash = rel.rfind('/');
  std::string dir = slash == std::string::npos ? "" : rel.substr(0, slash);
  std::string base = rel.substr(slash == std::string::npos ? 0 : slash + 1);
  TRY(check_no_symlink(m_dest, dir));
  if (base == kOpaque) return opaque(dir);
  std::string target = (dir.empty() ? "" : dir + "/") + base.substr(kWhiteout.size());
  if (m_seen.contains(target)) return {};
  return remove_tree(m_dest + "/" + target);
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

Result<void> LayerApplier::write_entry(archive* in, archive* out, archive_entry* e,
                                       const std::string& rel) {
  if (const char* link = archive_entry_hardlink(e)) {
    auto target = TRY_CTX(clean_entry_path(link), std::string("hardlink ") + rel);
    if (target.empty()) return fail_msg("hardlink " + rel + ": bad target '" + link + "'");
    archive_entry_set_hardlink(e, (m_dest + "/" + target).c_str());
  }
  archive_entry_set_pathname(e, (m_dest + "/" + rel).c_str());
  if (archive_write_header(out, e) < ARCHIVE_WARN)
    return fail_msg(rel + ": " + archive_error_string(out));
  const void* buf;
  size_t len;
  la_int64_t off;
  int r;
  while ((r = archive_read_data_block(in, &buf, &len, &off)) == ARCHIVE_OK)
    if (archive_write_data_block(out, buf, len, off) < ARCHIVE_WARN)
      return fail_msg(rel + ": " + archive_error_string(out));
  if (r != ARCHIVE_EOF) return fail_msg(rel + ": " + archive_error_string(in));
  if (archive_write_finish_entry(out) < ARCHIVE_WARN)
    return fail_msg(rel + ": " + archive_error_string(out));
  m_seen.insert(rel);
  return {};
}

Result<void> LayerApplier::apply(archive* in, archive* out) {
  archive_entry* e;
  int r;
  while ((r = archive_read_next_header(in, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
    const char* name = archive_entry_pathname(e);
    std::string rel = TRY(clean_entry_path(name ? name : ""));
    if (rel.empty()) continue;  // the root directory itself: dest already exists
    std::string_view base = rel;
    if (auto s = rel.rfind('/'); s != std::string::npos) base.remove_prefix(s + 1);
    if (base.starts_with(kWhiteout)) {
      TRY(whiteout(rel));
      continue;
    }
    // Device nodes are the runtime's job (the container gets a minimal /dev).
    auto type = archive_entry_filetype(e);
    if (type == AE_IFCHR || type == AE_IFBLK) continue;
    TRY(write_entry(in, out, e, rel));
  }
  if (r != ARCHIVE_EOF) return fail_msg(std::string("reading tar: ") + archive_error_string(in));
  return {};
}

}  // namespace

Result<std::string> clean_entry_path(std::string_view name) {
  if (name.starts_with('/')) return fail_msg("entry '" + std::string(name) + "' is absolute");
  std::string out;
  size_t pos = 0;
  while (pos <= name.size()) {
    size_t end = name.find('/', pos);
    if (end == std::string_view::npos) end = name.size();
    std::string_view comp = name.substr(pos, end - pos);
    if (comp == "..") return fail_msg("entry '" + std::string(name) + "' has a '..' component");
    if (!comp.empty() && comp != ".") {
      if (!out.empty()) out += '/';
      out += comp;
    }
    pos = end + 1;
  }
  return out;
}

Result<void> extract_layer(const std::string& blob_path, const std::string& dest) {
  ReadPtr in(archive_read_new(), archive_read_free);
  // image-spec "media-types.md": layers are tar, tar+gzip or tar+zstd.
  archive_read_support_filter_gzip(in.get());
  archive_read_support_filter_zstd(in.get());
  archive_read_support_format_tar(in.get());
  if (archive_read_open_filename(in.get(), blob_path.c_str(), 65536) != ARCHIVE_OK)
    return fail_msg(blob_path + ": " + archive_error_string(in.get()));
  WritePtr out(archive_write_disk_new(), archive_write_free);
  // No archive_write_disk_set_standard_lookup: numeric uid/gid only, no NSS lookups.
  archive_write_disk_set_options(out.get(), ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM |
                                                ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_UNLINK |
                                                ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                                                ARCHIVE_EXTRACT_SECURE_SYMLINKS);
  LayerApplier applier(dest);
  TRY(applier.apply(in.get(), out.get()));
  if (archive_write_close(out.get()) != ARCHIVE_OK)
    return fail_msg(std::string("finishing extraction: ") + archive_error_string(out.get()));
  return {};
}

}  // namespace keel::runtime
