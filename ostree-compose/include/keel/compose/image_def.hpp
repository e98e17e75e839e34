// An image definition (images/*.toml): what keel-compose builds. See docs/IMAGES.md.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <optional>

#include "keel/bootloader/settings.hpp"
#include "keel/common/error.hpp"
#include "keel/hwcompat/image.hpp"

namespace keel::compose {

// A string from the TOML file together with where it was written, so later
// failures (a package apt cannot find) can point back at the line.
struct Located {
  std::string value;
  std::string where;  // "images/default.toml:12:5"
};

// A file of the image definition's own, copied into a container image's rootfs.
struct ImageFile {
  std::string target;  // absolute path inside the image
  std::string source;  // absolute path on the build machine
};

struct OciImageSource {
  std::string name;                     // layout name under /usr/lib/keel/images/
  std::vector<Located> packages;        // Debian packages that make its rootfs
  bool busybox_applets = false;         // create /bin/<applet> links to busybox
  std::vector<std::string> entrypoint;  // image config
  std::vector<std::string> cmd;
  std::vector<std::string> env;
  // files = { "/in/image" = "relative/to/the/definition" }: mode 0755 if the
  // source is executable, else 0644; they replace what the packages installed there.
  std::vector<ImageFile> files;
};

struct ImageDef {
  std::string path;     // the definition file
  std::string variant;  // file stem: "default"; "<stem>-<flavour>" with keel-compose --flavour
  std::string os_name;
  std::string os_version;
  std::string pretty_name;
  std::string arch = "x86_64";

  std::string kernel_flavour;  // [kernel] flavour, or keel-compose --flavour
  std::string kernel_package;  // from kernel/flavours/<flavour>.toml
  // [kernel] args, plus the console= arguments of [boot] console when args has none.
  std::vector<std::string> kernel_args;
  // [kernel] initramfs_modules and modules, plus [kernel.flavour_modules.<flavour>]'s
  // for the flavour in use.
  std::vector<std::string> initramfs_modules;
  std::vector<std::string> modules;
  bool all_modules = false;  // modules = ["*"]: the image keeps every module of the kernel
  // [hardware]: modules, initramfs drivers and firmware chosen from the hardware
  // matrix (hardware-compat/); the lists above are added on top of it.
  std::optional<hwcompat::HardwareSpec> hardware;

  std::string suite = "bookworm";
  std::string mirror;  // empty: mmdebstrap's default
  std::vector<Located> packages;
  std::vector<Located> excludes;

  std::vector<std::string> container_defs;  // absolute paths
  std::vector<OciImageSource> images;

  // [host]: the host's name and kernel settings, written into the image as
  // /usr/etc/hostname and /usr/lib/sysctl.d/50-keel-image.conf (keel-init applies
  // them at boot; /etc/hostname and /etc/sysctl.d on the host override them).
  std::string hostname;
  std::vector<std::pair<std::string, std::string>> sysctl;

  // [boot]: consoles, GRUB's menu timeout, boot counting (docs/BOOT.md). `gates` is
  // always set after loading: the names given, or every restart = "always" container.
  bootloader::BootSettings boot;
  // [update]: the host's update defaults (docs/UPDATES.md), written as
  // /usr/lib/keel/update.toml, and the public keys the host trusts (keys = [...], files
  // relative to the definition), installed in /usr/lib/keel/keys/.
  std::string update_toml;           // empty: no [update]
  std::vector<Located> update_keys;  // absolute paths

  std::string root_label = "keel-root";
  uint64_t disk_free_space = 256ull << 20;  // free space left in the root filesystem

  std::string branch() const { return os_name + "/" + arch + "/" + variant; }
};

// Reads the definition and the kernel flavour it names from `flavours_dir`. A non-empty
// `flavour` replaces [kernel] flavour (keel-compose --flavour) and names the variant
// "<stem>-<flavour>", so each flavour gets its own branch.
Result<ImageDef> load_image_def(const std::string& path, const std::string& flavours_dir,
                                const std::string& flavour = {});

}  // namespace keel::compose
