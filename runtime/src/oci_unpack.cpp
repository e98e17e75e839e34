// Reading an OCI image layout (image-spec v1.1 "image-layout.md"): index.json ->
// manifest -> config -> layers, each blob verified against its descriptor before use.
#include <fcntl.h>
#include <sys/stat.h>

#include <climits>
#include <cstdlib>

#include "digest.hpp"
#include "json_util.hpp"
#include "keel/common/sys.hpp"
#include "keel/runtime/oci_image.hpp"
#include "layer.hpp"
#include "media_types.hpp"

namespace keel::runtime {
namespace {

using jsonu::json;

// Manifests and configs are small; a bigger blob is a broken or hostile image.
constexpr int64_t kMaxJsonBlob = 4 << 20;

struct Descriptor {
  std::string media_type, digest;
  int64_t size = 0;
  std::string path;  // blobs/sha256/<hex> inside the layout
};

// image-spec "descriptor.md": mediaType, digest and size are required.
Result<Descriptor> parse_descriptor(const json& j, const std::string& layout,
                                    const std::string& what) {
  Descriptor d;
  d.media_type = TRY_CTX(jsonu::get_string(j, "mediaType", "mediaType"), what).value_or("");
  auto digest = TRY_CTX(jsonu::get_string(j, "digest", "digest"), what);
  auto size = TRY_CTX(jsonu::get_int(j, "size", "size"), what);
  if (!digest || !size || *size < 0) return fail_msg(what + ": needs a digest and a size");
  d.digest = *digest;
  d.size = *size;
  d.path = layout + "/blobs/sha256/" + TRY_CTX(digest_hex(d.digest), what);
  return d;
}

Result<json> read_json_blob(const Descriptor& d, const std::string& what) {
  if (d.size > kMaxJsonBlob)
    return fail_msg(what + " " + d.digest + ": " + std::to_string(d.size) + " bytes is too big");
  TRY_CTX(verify_blob_file(d.path, d.digest, d.size), what);
  auto text = TRY_CTX(sys::read_file(d.path), what);
  return jsonu::parse(text, what + " " + d.digest);
}

bool ref_matches(const json& m, const std::string& ref) {
  const json* ann = jsonu::member(m, "annotations");
  const json* name = ann ? jsonu::member(*ann, kRefNameAnnotation) : nullptr;
  return name && name->is_string() && name->get_ref<const std::string&>() == ref;
}

Result<Descriptor> select_manifest(const std::string& layout, const std::string& ref) {
  std::string where = layout + "/index.json";
  auto text = TRY(sys::read_file(where));
  auto index = TRY(jsonu::parse(text, where));
  const json* ms = TRY_CTX(jsonu::get_array(index, "manifests", "manifests"), where);
  if (!ms || ms->empty()) return fail_msg(where + ": no manifests");
  for (const auto& m : *ms) {
    if (!ref.empty() && !ref_matches(m, ref)) continue;
    return parse_descriptor(m, layout, where + ": manifest");
  }
  return fail_msg(where + ": no manifest has " + kRefNameAnnotation + "=" + ref);
}

// image-spec "config.md": the execution parameters live under "config".
Result<ImageConfig> parse_image_config(const json& j, const std::string& what) {
  ImageConfig c;
  const json* cfg = TRY_CTX(jsonu::get_object(j, "config", "config"), what);
  if (!cfg) return c;
  c.entrypoint = TRY_CTX(jsonu::get_strings(*cfg, "Entrypoint", "config.Entrypoint"), what);
  c.cmd = TRY_CTX(jsonu::get_strings(*cfg, "Cmd", "config.Cmd"), what);
  c.env = TRY_CTX(jsonu::get_strings(*cfg, "Env", "config.Env"), what);
  c.working_dir =
      TRY_CTX(jsonu::get_string(*cfg, "WorkingDir", "config.WorkingDir"), what).value_or("");
  c.user = TRY_CTX(jsonu::get_string(*cfg, "User", "config.User"), what).value_or("");
  return c;
}

Result<std::string> real_dir(const std::string& path) {
  TRY(sys::mkdir_p(path));
  char buf[PATH_MAX];
  if (!::realpath(path.c_str(), buf)) return fail_errno("realpath " + path);
  return std::string(buf);
}

}  // namespace

Result<ImageConfig> unpack_oci_layout(const std::string& layout_dir, const std::string& dest_rootfs,
                                      const std::string& ref) {
  auto mdesc = TRY(select_manifest(layout_dir, ref));
  auto manifest = TRY(read_json_blob(mdesc, "manifest"));
  const json* cj = TRY_CTX(jsonu::get_object(manifest, "config", "config"), "manifest");
  if (!cj) return fail_msg("manifest " + mdesc.digest + ": no config descriptor");
  auto cdesc = TRY(parse_descriptor(*cj, layout_dir, "manifest " + mdesc.digest + ": config"));
  auto config_json = TRY(read_json_blob(cdesc, "config"));
  auto config = TRY(parse_image_config(config_json, "config " + cdesc.digest));
  const json* layers = TRY_CTX(jsonu::get_array(manifest, "layers", "layers"), "manifest");
  // Resolve dest once so the prefix of every extracted path contains no symlink.
  std::string dest = TRY(real_dir(dest_rootfs));
  if (!layers) return config;
  for (const auto& l : *layers) {
    auto d = TRY(parse_descriptor(l, layout_dir, "manifest " + mdesc.digest + ": layer"));
    TRY_CTX(verify_blob_file(d.path, d.digest, d.size), "layer");
    TRY_CTX(extract_layer(d.path, dest), "layer " + d.digest);
  }
  return config;
}

}  // namespace keel::runtime
