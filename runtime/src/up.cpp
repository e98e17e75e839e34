// `keel-runtime up`: Keel's own entry point (docs/ARCHITECTURE.md "keel-runtime").
#include <filesystem>

#include "keel/common/container_def.hpp"
#include "keel/common/sys.hpp"
#include "keel/runtime/container.hpp"
#include "keel/runtime/oci_image.hpp"
#include "keel/runtime/spec.hpp"

namespace keel::runtime {

Result<int> up(const std::string& definition_path, const UpOptions& opts) {
  auto def = TRY(parse_container_def(definition_path));
  std::string bundle = opts.state_dir + "/" + def.name;
  // A fresh bundle every start: a container never sees a previous run's writes.
  std::error_code ec;
  std::filesystem::remove_all(bundle, ec);
  if (ec) return fail(Error::from_errno("removing old bundle " + bundle, ec.value()));
  TRY(sys::mkdir_p(bundle, 0700));
  // An image is a layout directory <images>/<image>, or else an oci-archive
  // <images>/<image>.tar (what `skopeo copy ... oci-archive:` writes).
  std::string layout = opts.images_dir + "/" + def.image;
  std::string archive = layout + ".tar";
  bool use_archive = !sys::is_dir(layout) && sys::exists(archive);
  auto image =
      TRY_CTX(use_archive ? unpack_oci_archive(archive, bundle + "/rootfs")
                          : unpack_oci_layout(layout, bundle + "/rootfs"),
              "container " + def.name + ": unpacking image " + (use_archive ? archive : layout));
  auto json = TRY_CTX(make_spec_json(image, def), "container " + def.name);
  std::string config = bundle + "/config.json";
  TRY(sys::write_file_atomic(config, json));
  auto spec = TRY(parse_spec(json, config));
  return run_container(spec, bundle, def.name);
}

}  // namespace keel::runtime
