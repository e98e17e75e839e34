// Reading an OCI image layout (image-spec v1.1 "image-layout.md"): index.json ->
// manifest -> config -> layer descriptors, each JSON blob verified against its
// descriptor before use. No libarchive here: keel-runtime reads images with this alone
// when their layers are in the store already (oci_unpack.cpp and layer_store.cpp, in
// keel-unpack, extract them).
#include <cstdint>

#include "digest.hpp"
#include "image_config.hpp"
#include "json_util.hpp"
#include "keel/common/sys.hpp"
#include "keel/runtime/oci_image.hpp"
#include "media_types.hpp"
#include "oci_read.hpp"

namespace keel::runtime {
namespace {

using jsonu::json;

// Manifests and configs are small; a bigger blob is a broken or hostile image.
constexpr int64_t kMaxJsonBlob = 4 << 20;

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

Result<void> check_media_type(const Descriptor& d, const char* want, const std::string& what) {
  if (d.media_type == want) return {};
  return fail_msg(what + " " + d.digest + " has media type '" + d.media_type + "', expected " +
                  want +
                  (d.media_type.find("docker") != std::string::npos
                       ? " (a Docker image: convert it with `skopeo copy` to OCI)"
                       : ""));
}

Result<json> read_json_blob(const Descriptor& d, const std::string& what) {
  if (d.size > kMaxJsonBlob)
    return fail_msg(what + " " + d.digest + ": " + std::to_string(d.size) + " bytes is too big");
  TRY(verify_blob(d, what));
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
  if (!sys::exists(layout + "/oci-layout"))
    return fail_msg(layout + " is not an OCI image layout: it has no oci-layout file");
  auto index = TRY(jsonu::parse(text, where));
  auto type = TRY_CTX(jsonu::get_string(index, "mediaType", "mediaType"), where);
  if (type && *type != kIndex)
    return fail_msg(where + ": media type '" + *type + "', expected " + kIndex);
  const json* ms = TRY_CTX(jsonu::get_array(index, "manifests", "manifests"), where);
  if (!ms || ms->empty()) return fail_msg(where + ": no manifests");
  for (const auto& m : *ms) {
    if (!ref.empty() && !ref_matches(m, ref)) continue;
    auto d = TRY(parse_descriptor(m, layout, where + ": manifest"));
    TRY(check_media_type(d, kManifest, where + ": manifest"));
    return d;
  }
  return fail_msg(where + ": no manifest has " + kRefNameAnnotation + "=" + ref);
}

// image-spec "config.md": rootfs.type is "layers" and diff_ids lists one digest per
// layer, of the uncompressed tar.
Result<std::vector<std::string>> parse_diff_ids(const json& j, const std::string& what) {
  const json* rootfs = TRY_CTX(jsonu::get_object(j, "rootfs", "rootfs"), what);
  if (!rootfs) return fail_msg(what + ": no rootfs object");
  auto type = TRY_CTX(jsonu::get_string(*rootfs, "type", "rootfs.type"), what);
  if (type != "layers") return fail_msg(what + ": rootfs.type must be \"layers\"");
  auto ids = TRY_CTX(jsonu::get_strings(*rootfs, "diff_ids", "rootfs.diff_ids"), what);
  for (const auto& id : ids) TRY_CTX(digest_hex(id), what + ": rootfs.diff_ids");
  return ids;
}

bool is_layer_type(const std::string& t) {
  for (const char* ok : {kLayerTar, kLayerTarGzip, kLayerTarZstd, kLayerNondistTar,
                         kLayerNondistTarGzip, kLayerNondistTarZstd})
    if (t == ok) return true;
  return false;
}

}  // namespace

Result<Image> read_image(const std::string& layout, const std::string& ref) {
  Image img;
  auto mdesc = TRY(select_manifest(layout, ref));
  img.manifest_digest = mdesc.digest;
  std::string mwhat = "manifest " + mdesc.digest;
  auto manifest = TRY(read_json_blob(mdesc, "manifest"));
  auto mtype = TRY_CTX(jsonu::get_string(manifest, "mediaType", "mediaType"), mwhat);
  if (mtype && *mtype != kManifest)
    return fail_msg(mwhat + ": media type '" + *mtype + "', expected " + kManifest);
  const json* cj = TRY_CTX(jsonu::get_object(manifest, "config", "config"), mwhat);
  if (!cj) return fail_msg(mwhat + ": no config descriptor");
  auto cdesc = TRY(parse_descriptor(*cj, layout, mwhat + ": config"));
  TRY(check_media_type(cdesc, kConfig, mwhat + ": config"));
  auto config_json = TRY(read_json_blob(cdesc, mwhat + ": config"));
  img.config = TRY(parse_image_config(config_json, "config " + cdesc.digest));
  img.diff_ids = TRY(parse_diff_ids(config_json, "config " + cdesc.digest));
  const json* layers = TRY_CTX(jsonu::get_array(manifest, "layers", "layers"), mwhat);
  for (size_t i = 0; layers && i < layers->size(); ++i) {
    auto what = mwhat + ": layer " + std::to_string(i + 1);
    auto d = TRY(parse_descriptor((*layers)[i], layout, what));
    if (!is_layer_type(d.media_type))
      return fail_msg(what + " " + d.digest + ": unsupported media type '" + d.media_type + "'");
    img.layers.push_back(std::move(d));
  }
  if (img.layers.size() != img.diff_ids.size())
    return fail_msg(mwhat + " has " + std::to_string(img.layers.size()) + " layers but config " +
                    cdesc.digest + " lists " + std::to_string(img.diff_ids.size()) + " diff_ids");
  return img;
}

// A descriptor whose blob is not in the layout is named, with what points to it.
Result<void> verify_blob(const Descriptor& d, const std::string& what) {
  if (!sys::exists(d.path))
    return fail_msg(what + " " + d.digest + " is missing from the layout (no " + d.path + ")");
  return with_context(verify_blob_file(d.path, d.digest, d.size), what);
}

}  // namespace keel::runtime
