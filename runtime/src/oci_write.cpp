// Writing an OCI image layout (image-spec v1.1 "image-layout.md") with one layer.
// Output is reproducible: the same rootfs gives the same digests, so composed
// OSTree commits do not change when nothing changed.
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "digest.hpp"
#include "image_config.hpp"
#include "json_util.hpp"
#include "keel/common/sys.hpp"
#include "keel/runtime/oci_image.hpp"
#include "media_types.hpp"

namespace keel::runtime {
namespace {

using json = nlohmann::json;
using ArchivePtr = std::unique_ptr<archive, decltype(&archive_write_free)>;
using EntryPtr = std::unique_ptr<archive_entry, decltype(&archive_entry_free)>;

// Where a writer's bytes go: always hashed, written to fd when it is valid.
struct Sink {
  Sha256 hash;
  int fd = -1;
};

la_ssize_t sink_write(archive*, void* data, const void* buf, size_t len) {
  auto* s = static_cast<Sink*>(data);
  s->hash.update(buf, len);
  if (s->fd >= 0 && !sys::write_all(s->fd, {static_cast<const char*>(buf), len})) return -1;
  return static_cast<la_ssize_t>(len);
}

Result<ArchivePtr> open_writer(Sink& sink, bool gzip) {
  ArchivePtr a(archive_write_new(), archive_write_free);
  // pax_restricted writes plain ustar headers unless a field needs an extension.
  bool ok = archive_write_set_format_pax_restricted(a.get()) == ARCHIVE_OK;
  // libarchive pads only the last stage of the chain to a 10240-byte block: the
  // compressed bytes of the gzip writer, the tar itself of the plain one. Without
  // padding here the plain stream is exactly what the gzip blob decompresses to,
  // as rootfs.diff_ids requires (image-spec "config.md").
  if (!gzip) ok = ok && archive_write_set_bytes_in_last_block(a.get(), 1) == ARCHIVE_OK;
  if (gzip) {
    ok = ok && archive_write_add_filter_gzip(a.get()) == ARCHIVE_OK;
    // No mtime in the gzip header (RFC 1952 MTIME = 0) for reproducible blobs.
    ok = ok && archive_write_set_filter_option(a.get(), "gzip", "timestamp", nullptr) >= 0;
  }
  ok = ok && archive_write_open(a.get(), &sink, nullptr, sink_write, nullptr) == ARCHIVE_OK;
  if (!ok) return fail_msg(std::string("libarchive: ") + archive_error_string(a.get()));
  return a;
}

// Writes the same tar stream twice: plain (hashed for rootfs.diff_ids) and gzip
// (hashed and stored as the layer blob).
class LayerWriter {
 public:
  static Result<std::unique_ptr<LayerWriter>> create(int blob_fd, int64_t mtime);
  Result<void> add_tree(const std::string& root, const std::string& rel);
  Result<void> finish();
  std::string diff_hex() { return m_plain_sink.hash.hex(); }
  std::string blob_hex() { return m_gz_sink.hash.hex(); }
  uint64_t blob_size() const { return m_gz_sink.hash.bytes(); }

 private:
  LayerWriter() : m_plain(nullptr, archive_write_free), m_gz(nullptr, archive_write_free) {}
  Result<void> add_entry(const std::string& root, const std::string& rel);
  Result<void> write_header(archive_entry* e, const std::string& rel);
  Result<void> write_data(const std::string& path);
  Sink m_plain_sink, m_gz_sink;
  ArchivePtr m_plain, m_gz;
  int64_t m_mtime = 0;
  std::map<std::pair<dev_t, ino_t>, std::string> m_links;
};

Result<std::unique_ptr<LayerWriter>> LayerWriter::create(int blob_fd, int64_t mtime) {
  std::unique_ptr<LayerWriter> w(new LayerWriter());
  w->m_gz_sink.fd = blob_fd;
  w->m_mtime = mtime;
  w->m_plain = TRY(open_writer(w->m_plain_sink, false));
  w->m_gz = TRY(open_writer(w->m_gz_sink, true));
  return w;
}

Result<std::vector<std::string>> sorted_children(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) return fail_errno("opendir " + dir);
  std::vector<std::string> names;
  while (dirent* de = ::readdir(d)) {
    std::string n = de->d_name;
    if (n != "." && n != "..") names.push_back(std::move(n));
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

Result<void> LayerWriter::add_tree(const std::string& root, const std::string& rel) {
  std::string dir = rel.empty() ? root : root + "/" + rel;
  for (const auto& name : TRY(sorted_children(dir))) {
    std::string child = rel.empty() ? name : rel + "/" + name;
    TRY(add_entry(root, child));
    struct stat st;
    if (::lstat((root + "/" + child).c_str(), &st) == 0 && S_ISDIR(st.st_mode))
      TRY(add_tree(root, child));
  }
  return {};
}

Result<void> LayerWriter::add_entry(const std::string& root, const std::string& rel) {
  std::string path = root + "/" + rel;
  struct stat st;
  if (::lstat(path.c_str(), &st) < 0) return fail_errno("lstat " + path);
  if (S_ISSOCK(st.st_mode)) return {};  // tar cannot carry sockets
  EntryPtr e(archive_entry_new(), archive_entry_free);
  archive_entry_set_pathname(e.get(), rel.c_str());
  archive_entry_set_mode(e.get(), st.st_mode);
  archive_entry_set_uid(e.get(), st.st_uid);
  archive_entry_set_gid(e.get(), st.st_gid);
  archive_entry_set_mtime(e.get(), m_mtime, 0);
  bool data = false;
  if (S_ISREG(st.st_mode) && st.st_nlink > 1) {
    auto [it, fresh] = m_links.emplace(std::pair{st.st_dev, st.st_ino}, rel);
    if (!fresh) archive_entry_set_hardlink(e.get(), it->second.c_str());
    data = fresh;
  } else {
    data = S_ISREG(st.st_mode);
  }
  if (data) archive_entry_set_size(e.get(), st.st_size);
  if (S_ISLNK(st.st_mode)) {
    char target[4096];
    ssize_t n = ::readlink(path.c_str(), target, sizeof target - 1);
    if (n < 0) return fail_errno("readlink " + path);
    target[n] = '\0';
    archive_entry_set_symlink(e.get(), target);
  }
  if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) archive_entry_set_rdev(e.get(), st.st_rdev);
  TRY(write_header(e.get(), rel));
  if (data) TRY(write_data(path));
  return {};
}

Result<void> LayerWriter::write_header(archive_entry* e, const std::string& rel) {
  for (archive* a : {m_plain.get(), m_gz.get()})
    if (archive_write_header(a, e) != ARCHIVE_OK)
      return fail_msg("tar header for " + rel + ": " + archive_error_string(a));
  return {};
}

Result<void> LayerWriter::write_data(const std::string& path) {
  auto fd = TRY(sys::open(path, O_RDONLY | O_NOFOLLOW));
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno("read " + path);
    if (n == 0) return {};
    for (archive* a : {m_plain.get(), m_gz.get()})
      if (archive_write_data(a, buf, static_cast<size_t>(n)) != n)
        return fail_msg("tar data for " + path + ": " + archive_error_string(a));
  }
}

Result<void> LayerWriter::finish() {
  for (archive* a : {m_plain.get(), m_gz.get()})
    if (archive_write_close(a) != ARCHIVE_OK)
      return fail_msg(std::string("closing tar stream: ") + archive_error_string(a));
  return {};
}

// reproducible-builds.org: honour SOURCE_DATE_EPOCH for every timestamp.
int64_t layer_mtime() {
  const char* s = std::getenv("SOURCE_DATE_EPOCH");
  if (!s || !*s) return 0;
  char* end = nullptr;
  long long v = std::strtoll(s, &end, 10);
  return (*end == '\0' && v >= 0) ? v : 0;
}

json descriptor(std::string_view media_type, const std::string& hex, uint64_t size) {
  return {{"mediaType", media_type}, {"digest", "sha256:" + hex}, {"size", size}};
}

// Stores data as blobs/sha256/<hex> and returns its descriptor.
Result<json> write_blob(const std::string& dir, std::string_view media_type,
                        const std::string& data) {
  std::string hex = sha256_hex(data);
  TRY(sys::write_file_atomic(dir + "/blobs/sha256/" + hex, data));
  return descriptor(media_type, hex, data.size());
}

Result<json> write_layer(const std::string& rootfs, const std::string& tmp, std::string& diff_id) {
  std::string tmp_blob = tmp + "/blobs/sha256/layer.partial";
  auto fd = TRY(sys::open(tmp_blob, O_WRONLY | O_CREAT | O_TRUNC, 0644));
  auto w = TRY(LayerWriter::create(fd.get(), layer_mtime()));
  TRY_CTX(w->add_tree(rootfs, ""), "packing " + rootfs);
  TRY(w->finish());
  if (::fsync(fd.get()) < 0) return fail_errno("fsync " + tmp_blob);
  std::string hex = w->blob_hex();
  diff_id = "sha256:" + w->diff_hex();
  if (::rename(tmp_blob.c_str(), (tmp + "/blobs/sha256/" + hex).c_str()) < 0)
    return fail_errno("rename " + tmp_blob);
  return descriptor(kLayerTarGzip, hex, w->blob_size());
}

const char* oci_architecture() {
#if defined(__x86_64__)
  return "amd64";
#elif defined(__aarch64__)
  return "arm64";
#else
  return "unknown";
#endif
}

json image_config_json(const ImageConfig& cfg, const std::string& diff_id) {
  return {{"architecture", oci_architecture()},
          {"os", "linux"},
          {"config", image_config_object(cfg)},
          {"rootfs", {{"type", "layers"}, {"diff_ids", {diff_id}}}}};
}

Result<void> write_layout_files(const std::string& rootfs, const ImageConfig& cfg,
                                const std::string& tmp, const std::string& ref_name) {
  TRY(sys::mkdir_p(tmp + "/blobs/sha256"));
  std::string diff_id;
  json layer = TRY(write_layer(rootfs, tmp, diff_id));
  json config = TRY(write_blob(tmp, kConfig, jsonu::dump(image_config_json(cfg, diff_id))));
  json manifest = {
      {"schemaVersion", 2}, {"mediaType", kManifest}, {"config", config}, {"layers", {layer}}};
  json mdesc = TRY(write_blob(tmp, kManifest, jsonu::dump(manifest)));
  mdesc["annotations"] = {{kRefNameAnnotation, ref_name}};
  json index = {{"schemaVersion", 2}, {"mediaType", kIndex}, {"manifests", {mdesc}}};
  TRY(sys::write_file_atomic(tmp + "/index.json", jsonu::dump(index)));
  TRY(sys::write_file_atomic(tmp + "/oci-layout", R"({"imageLayoutVersion":"1.0.0"})"));
  return {};
}

}  // namespace

Result<void> write_oci_layout(const std::string& rootfs_dir, const ImageConfig& cfg,
                              const std::string& layout_dir, const std::string& ref_name) {
  std::string tmp = layout_dir + ".tmp";
  std::error_code ec;
  std::filesystem::remove_all(tmp, ec);
  if (ec) return fail(Error::from_errno("removing " + tmp, ec.value()));
  auto r = write_layout_files(rootfs_dir, cfg, tmp, ref_name);
  if (!r) {
    std::filesystem::remove_all(tmp, ec);
    return fail(std::move(r).error().context("writing OCI layout " + layout_dir));
  }
  // Swap the new layout in with one rename so readers never see a partial one.
  if (sys::exists(layout_dir)) {
    if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, layout_dir.c_str(), RENAME_EXCHANGE) < 0)
      return fail_errno("renameat2 " + tmp + " <-> " + layout_dir);
    std::filesystem::remove_all(tmp, ec);
  } else if (::rename(tmp.c_str(), layout_dir.c_str()) < 0) {
    return fail_errno("rename " + tmp + " -> " + layout_dir);
  }
  return {};
}

}  // namespace keel::runtime
