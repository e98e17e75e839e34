// `keel-runtime up`: Keel's own entry point (docs/ARCHITECTURE.md "keel-runtime").
#include <sys/mount.h>

#include <filesystem>
#include <optional>

#include "container_labels.hpp"
#include "definition_spec.hpp"
#include "keel/common/container_def.hpp"
#include "keel/common/sys.hpp"
#include "keel/runtime/container.hpp"
#include "keel/runtime/layer_store.hpp"
#include "keel/runtime/spec.hpp"
#include "overlay.hpp"
#include "selinux_label.hpp"
#include "trace.hpp"
#include "unpack_client.hpp"

namespace keel::runtime {
namespace {

// An image is a layout directory <images>/<image>, or else an oci-archive
// <images>/<image>.tar (what `skopeo copy ... oci-archive:` writes).
ImageSource find_image(const UpOptions& opts, const std::string& image) {
  std::string layout = opts.images_dir + "/" + image;
  std::string archive = layout + ".tar";
  if (!sys::is_dir(layout) && sys::exists(archive)) return {archive, ImageFormat::archive};
  return {layout, ImageFormat::layout};
}

struct Rootfs {
  ImageConfig config;
  std::optional<OverlayMount> overlay;  // unmounted when the Rootfs goes away
};

// A fresh bundle every start: a container never sees a previous run's writes. A
// runtime that was killed may have left its overlay mounted: detach it first, or
// removing the bundle would delete through it.
Result<void> fresh_bundle(const std::string& bundle) {
  ::umount2((bundle + "/rootfs").c_str(), MNT_DETACH | UMOUNT_NOFOLLOW);
  std::error_code ec;
  std::filesystem::remove_all(bundle, ec);
  if (ec) return fail(Error::from_errno("removing old bundle " + bundle, ec.value()));
  return sys::mkdir_p(bundle, 0700);
}

Result<Rootfs> copy_rootfs(const ImageSource& src, const std::string& bundle) {
  auto config = TRY(copied_rootfs(src, bundle + "/rootfs"));
  return Rootfs{std::move(config), std::nullopt};
}

// Image errors (digests, hostile layers, too many layers) fail the start; only a
// missing or refusing overlayfs falls back to the copy.
Result<Rootfs> overlay_rootfs(const ImageSource& src, const std::string& bundle,
                              const UpOptions& opts, const std::string& mount_label) {
  auto warn = [&](const Error& e) {
    if (opts.warn)
      opts.warn("no overlayfs (" + e.message() + "): copying the image into " + bundle +
                "/rootfs instead");
  };
  if (auto ok = ensure_overlayfs(); !ok) {
    warn(ok.error());
    return copy_rootfs(src, bundle);
  }
  trace("overlayfs registered (overlay.ko loaded if it was not)");
  auto stored = TRY(stored_image(src, opts.layers_dir));
  trace("image read from the layer store");
  for (const char* d : {"/upper", "/work", "/rootfs"}) TRY(sys::mkdir_p(bundle + d, 0755));
  auto mount = OverlayMount::mount(stored.layer_dirs, bundle + "/upper", bundle + "/work",
                                   bundle + "/rootfs", mount_label);
  if (!mount) {
    warn(mount.error());
    return copy_rootfs(src, bundle);
  }
  return Rootfs{std::move(stored.config), std::move(*mount)};
}

}  // namespace

Result<int> up(const std::string& definition_path, const UpOptions& opts) {
  auto def = TRY(parse_container_def(definition_path));
  // Without SELinux on the host the labels would be refused by nothing and mean nothing.
  ContainerLabels labels;
  if (selinux_enabled())
    labels = TRY_CTX(container_labels(def, opts.mcs_level), "container " + def.name);
  trace("definition read, labels chosen");
  std::string bundle = opts.state_dir + "/" + def.name;
  TRY(fresh_bundle(bundle));
  trace("fresh bundle");
  auto src = find_image(opts, def.image);
  auto rootfs =
      TRY_CTX(opts.rootfs == RootfsMode::overlay ? overlay_rootfs(src, bundle, opts, labels.mount)
                                                 : copy_rootfs(src, bundle),
              "container " + def.name + ": unpacking image " + src.path);
  trace("rootfs mounted");
  // A copied rootfs (by choice or overlayfs' refusal) has no context= to label it.
  if (!rootfs.overlay && !labels.mount.empty())
    TRY_CTX(relabel_tree(bundle + "/rootfs", labels.mount), "container " + def.name);
  auto json =
      TRY_CTX(make_spec_json(rootfs.config, def, opts.volumes_dir), "container " + def.name);
  trace("spec made");
  if (!opts.notify_socket.empty())
    json = TRY_CTX(with_notify_socket(json, opts.notify_socket), "container " + def.name);
  if (!labels.process.empty())
    json = TRY_CTX(with_selinux_labels(json, labels), "container " + def.name);
  TRY_CTX(create_volumes(def, opts.volumes_dir), "container " + def.name);
  // Each start makes the volumes this container's alone (its categories), as
  // podman's :Z does; another container's files there become unreadable to it.
  for (const auto& v : def.volumes)
    if (!labels.mount.empty())
      TRY_CTX(relabel_tree(volume_dir(opts.volumes_dir, def, v), labels.mount),
              def.source_path + ": volume " + v.name);
  std::string config = bundle + "/config.json";
  TRY(sys::write_file_atomic(config, json));
  auto spec = TRY(parse_spec(json, config));
  trace("spec written and read back");
  return run_container(spec, bundle, def.name,
                       RunOptions{.state_root = opts.runtime_root, .started_fd = opts.started_fd});
}

}  // namespace keel::runtime
