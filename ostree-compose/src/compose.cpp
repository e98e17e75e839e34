#include "keel/compose/compose.hpp"

#include <fmt/format.h>
#include <time.h>

#include <cstdlib>
#include <filesystem>
#include <set>

#include "keel/bootloader/boot_counter.hpp"
#include "keel/bootloader/generator.hpp"
#include "keel/bootloader/grubenv.hpp"
#include "keel/bootloader/settings.hpp"
#include "keel/common/sys.hpp"
#include "keel/compose/changelog.hpp"
#include "keel/compose/container_images.hpp"
#include "keel/compose/disk.hpp"
#include "keel/compose/elf_deps.hpp"
#include "keel/compose/grub_efi.hpp"
#include "keel/compose/hardware.hpp"
#include "keel/compose/image_def.hpp"
#include "keel/compose/initramfs_tree.hpp"
#include "keel/compose/modules.hpp"
#include "keel/compose/ostree_ops.hpp"
#include "keel/compose/packages.hpp"
#include "keel/compose/process.hpp"
#include "keel/compose/rootfs.hpp"
#include "keel/compose/sysroot_labels.hpp"
#include "keel/kernel/config_check.hpp"
#include "keel/runtime/layer_store.hpp"
#include "keel/sign/ed25519.hpp"

namespace keel::compose {

namespace fs = std::filesystem;

namespace {

constexpr int kSteps = 9;

// Everything one compose run carries from step to step.
struct Run {
  const ComposeOptions& opts;
  ImageDef def;
  std::string rootfs, sysroot, log, kver;
  std::vector<std::string> debs;
  std::vector<std::string> firmware_packages;   // from the hardware matrix
  std::vector<std::string> initramfs_modules;   // [hardware]'s drivers + [kernel] initramfs_modules
  std::vector<std::string> initramfs_firmware;  // the firmware those drivers request
  std::vector<std::string> live_modules;        // resolved from kLiveModules
  std::string facts_text;                       // the kernel's hardware facts, for the image
  std::string previous;                         // --previous, resolved to a checksum
  uint64_t time = 0;                            // the commit's time stamp
};

void warn(const Run& r, const std::string& what) {
  if (r.opts.warn) r.opts.warn(fmt::format("{}: {}", r.def.path, what));
}

uint64_t build_time() {
  // Reproducible builds: honour SOURCE_DATE_EPOCH when the caller sets it.
  if (const char* s = std::getenv("SOURCE_DATE_EPOCH")) return std::strtoull(s, nullptr, 10);
  return static_cast<uint64_t>(::time(nullptr));
}

Result<void> install_os_packages(Run& r) {
  PackageRequest req{r.def.suite, r.def.mirror, r.def.packages, r.def.excludes};
  req.include.push_back(
      {r.def.kernel_package, r.def.path + " (kernel flavour " + r.def.kernel_flavour + ")"});
  for (const auto& p : r.firmware_packages)
    req.include.push_back({p, r.opts.hwcompat_dir + "/policy.toml (firmware_package)"});
  // Debian 12 moved firmware to its own component (non-free-firmware).
  if (!r.firmware_packages.empty()) req.components.push_back("non-free-firmware");
  r.debs = TRY(install_packages(req, r.rootfs, r.opts.cache_dir, r.log));
  return {};
}

// The flavour's kernel must have every option Keel needs (kernel/config-rules.toml).
// `config` is the package's /boot/config-<kver>, moved by place_kernel().
Result<void> check_kernel_config(const Run& r, const std::string& config) {
  auto cfg = TRY_CTX(kernel::load_kernel_config(config), "checking the kernel");
  auto report = kernel::check_config(cfg, TRY(kernel::default_rules()));
  std::string missing;
  for (const auto& f : report.findings)
    if (f.is_failure()) missing += "\n  " + f.message;
  if (missing.empty()) return {};
  return fail_msg(fmt::format("{}: kernel {} ({}, flavour {}) lacks what Keel needs:{}", r.def.path,
                              r.kver, r.def.kernel_package, r.def.kernel_flavour, missing));
}

Result<void> shape_tree(Run& r) {
  TRY(merge_usr(r.rootfs));
  r.kver = TRY(place_kernel(r.rootfs));
  std::string moddir = r.rootfs + "/usr/lib/modules/" + r.kver;
  TRY(check_kernel_config(r, moddir + "/config"));
  std::vector<std::string> wanted = r.def.initramfs_modules;
  wanted.insert(wanted.end(), r.def.modules.begin(), r.def.modules.end());
  r.initramfs_modules = r.def.initramfs_modules;
  if (r.def.hardware) {
    auto plan = TRY(plan_hardware(r.def, r.opts.hwcompat_dir, r.rootfs, r.kver, r.debs,
                                  r.opts.cache_dir, [&](const std::string& w) { warn(r, w); }));
    wanted.insert(wanted.end(), plan.modules.begin(), plan.modules.end());
    r.initramfs_modules.insert(r.initramfs_modules.begin(), plan.initramfs.begin(),
                               plan.initramfs.end());
    r.facts_text = std::move(plan.facts_text);
    r.initramfs_firmware = std::move(plan.initramfs_firmware);
  }
  // Every image can become a live ISO (keel-compose live) without a new compose.
  wanted.insert(wanted.end(), kLiveModules.begin(), kLiveModules.end());
  r.live_modules.assign(kLiveModules.begin(), kLiveModules.end());
  auto keep = TRY_CTX(module_closure(moddir, wanted),
                      fmt::format("{}: [kernel] modules, kernel flavour {} (a module only some "
                                  "flavours have goes in [kernel.flavour_modules.<flavour>])",
                                  r.def.path, r.def.kernel_flavour));
  if (r.def.all_modules) return {};  // modules = ["*"]: the names above only had to resolve
  return prune_modules(r.rootfs, r.kver, keep);
}

// Keel's policy (selinux-policy/, compiled next to the binaries) as SELINUXTYPE=keel,
// enforcing: libselinux's layout (selinux_config(5)), which keel-init loads at boot and
// the commit is labelled from.
Result<void> install_selinux_policy(Run& r) {
  std::string built = r.opts.binaries + "/selinux";
  std::string dst = r.rootfs + "/etc/selinux";
  for (const char* f : {"policy.33", "file_contexts"})
    if (!fs::exists(built + "/" + f))
      return fail_msg(
          fmt::format("{}/{} not found; build the policy first (make build)", built, f));
  TRY(install_file(built + "/policy.33", dst + "/keel/policy/policy.33", 0644));
  TRY(install_file(built + "/file_contexts", dst + "/keel/contexts/files/file_contexts", 0644));
  return sys::write_file_atomic(dst + "/config",
                                "# Written by keel-compose: Keel's own policy, enforcing.\n"
                                "SELINUX=enforcing\nSELINUXTYPE=keel\n");
}

// Installs a Keel binary stripped, and checks its shared libraries are in the tree.
Result<void> install_binary(Run& r, const std::string& name, const std::string& dst) {
  std::string src = r.opts.binaries + "/" + name;
  if (!fs::exists(src))
    return fail_msg(
        fmt::format("{} not found; build it first (make build) or pass --binaries", src));
  TRY(install_file(src, dst, 0755));
  // Debug info stays in the build tree; the image gets lean binaries.
  TRY_CTX(run_command({"strip", "--strip-unneeded", dst}), "stripping " + dst);
  // Fail now, not at boot, if the image lacks a library a Keel binary needs.
  TRY_CTX(library_closure(r.rootfs, dst), r.def.path);
  return {};
}

// The grub.cfg generator, which the host's updater runs through libostree like
// keel-compose does here, and the image's [boot] settings (docs/BOOT.md).
Result<void> install_boot_files(Run& r) {
  TRY(install_binary(r, "keel-grub-generator", r.rootfs + bootloader::kGeneratorInImage));
  return sys::write_file_atomic(
      r.rootfs + "/" + bootloader::kSettingsInImage,
      bootloader::render_boot_settings(r.def.boot, r.def.path + " [boot]"));
}

// OSTree runs `semodule -N --rebuild-if-modules-changed` inside every new deployment that
// has /etc/selinux/config, through bwrap, and fails the deploy when that fails
// (ostree-sysroot-deploy.c, sysroot_finalize_selinux_policy): every update of a host. So the
// image carries a real semanage store of Keel's CIL modules under /etc/selinux (semanage.conf
// store-root, as Fedora CoreOS does), built here by the build host's semodule (libsemanage
// links the same CIL with libsepol); at deploy time semodule finds the modules unchanged.
// The policy and file_contexts it links must be byte-identical to secilc's.
Result<void> install_semanage_store(Run& r) {
  std::string cil_dir = r.opts.binaries + "/selinux/cil";
  std::vector<std::string> argv = {"semodule", "-p", r.rootfs, "-s", "keel", "-N", "-X", "100"};
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(cil_dir, ec))
    if (e.path().extension() == ".cil") argv.insert(argv.end(), {"-i", e.path().string()});
  if (ec || argv.size() == 8)
    return fail_msg(
        fmt::format("{}: no CIL modules; build the policy first (make build)", cil_dir));
  std::string etc = r.rootfs + "/etc/selinux";
  TRY(sys::write_file_atomic(etc + "/semanage.conf",
                             "# Written by keel-compose: the module store lives in the image's\n"
                             "# /etc/selinux, where OSTree's deploy-time semodule finds it.\n"
                             "module-store = direct\nstore-root = /etc/selinux\n"));
  TRY_CTX(run_command(argv, {.log_path = r.log}), "building the semanage store (semodule)");
  for (const char* f : {"policy/policy.33", "contexts/files/file_contexts"}) {
    auto built = TRY(sys::read_file(etc + "/keel/" + f));
    auto secilc =
        TRY(sys::read_file(r.opts.binaries + "/selinux/" + fs::path(f).filename().string()));
    if (built != secilc)
      return fail_msg(
          fmt::format("semodule linked a different {} than secilc from the same CIL "
                      "modules ({}/keel/{}); the semanage store would not match the "
                      "policy the image boots",
                      f, etc, f));
  }
  return {};
}

// What the update client needs: the package list for release changelogs, the update
// defaults and the trusted public keys (docs/UPDATES.md).
Result<void> install_update_files(Run& r) {
  std::vector<std::string> excluded;
  for (const auto& e : r.def.excludes) excluded.push_back(e.value);
  TRY(sys::mkdir_p(r.rootfs + "/usr/lib/keel", 0755));
  TRY(sys::write_file_atomic(r.rootfs + "/" + kPackageList, package_list(r.debs, excluded)));
  if (!r.def.update_toml.empty())
    TRY(sys::write_file_atomic(r.rootfs + "/usr/lib/keel/update.toml", r.def.update_toml));
  std::vector<Located> keys = r.def.update_keys;
  if (!r.opts.update_key.empty()) {
    TRY_CTX(sign::load_public_keys(r.opts.update_key), "keel-compose --update-key");
    keys.push_back({r.opts.update_key, "keel-compose --update-key"});
  }
  std::set<std::string> names;
  for (const auto& k : keys) {
    std::string name = fs::path(k.value).stem().string() + ".pub";
    if (!names.insert(name).second)
      return fail_msg(
          fmt::format("{}: a second update key named {} (key files are installed "
                      "by name in /usr/lib/keel/keys/)",
                      k.where, name));
    TRY(install_file(k.value, r.rootfs + "/usr/lib/keel/keys/" + name, 0644));
  }
  return {};
}

Result<void> install_keel(Run& r) {
  // keel-unpack beside keel-runtime: the runtime runs it from its own directory.
  // keel-notify is for containers: definitions bind-mount it (images/containers/network.toml).
  for (const char* bin : {"keel-init", "keel-runtime", "keel-unpack", "keelctl", "keel-hwcompat",
                          "keel-growfs", "keel-install", "keel-firstboot", "keel-notify"})
    TRY(install_binary(r, bin, r.rootfs + "/usr/bin/" + bin));
  TRY(install_boot_files(r));
  // keelctl update's helpers, which libostree runs itself: checked like Keel's binaries so
  // that [packages] exclude cannot drop a library they need.
  for (const char* tool : {"/usr/bin/bwrap", "/usr/sbin/semodule"})
    if (fs::exists(r.rootfs + tool))
      TRY_CTX(library_closure(r.rootfs, r.rootfs + tool),
              fmt::format("{}: {} (keelctl update deploys through it)", r.def.path, tool));
  TRY(install_selinux_policy(r));
  TRY(install_semanage_store(r));
  TRY(install_update_files(r));
  if (r.def.hardware) TRY(install_matrix(r.def, r.opts.hwcompat_dir, r.rootfs, r.facts_text));
  for (const auto& c : r.def.container_defs)
    TRY(install_file(c, r.rootfs + "/usr/lib/keel/containers/" + fs::path(c).filename().string(),
                     0644));
  return {};
}

Result<void> build_images(Run& r) {
  for (const auto& img : r.def.images)
    TRY_CTX(build_container_image(img, r.def, r.opts.work_dir, r.opts.cache_dir, r.log,
                                  r.rootfs + "/usr/lib/keel/images/" + img.name),
            fmt::format("building container image '{}'", img.name));
  return {};
}

Result<void> build_initramfs(Run& r) {
  InitramfsInput in{r.rootfs,
                    r.kver,
                    r.rootfs + "/usr/bin/keel-init",
                    r.initramfs_modules,
                    r.initramfs_firmware,
                    r.live_modules};
  std::string out = r.rootfs + "/usr/lib/modules/" + r.kver + "/initramfs.img";
  return write_initramfs(in, out);
}

Result<void> finish_tree(Run& r) {
  TRY(write_os_release(r.rootfs, r.def));
  TRY(write_host_config(r.rootfs, r.def));
  return finalize_layout(r.rootfs);
}

Result<std::string> commit(Run& r) {
  bool fresh = !fs::exists(r.opts.repo + "/config");
  // A new repository is built beside its final path and renamed in only once it
  // holds a complete commit: a failed first compose leaves no repository at all.
  std::string repo = fresh ? r.opts.repo + ".tmp" : r.opts.repo;
  if (fresh) {
    TRY(remove_tree(repo));
    TRY_CTX(sys::mkdir_p(fs::path(repo).parent_path().string()), "creating --repo's parent");
  }
  CommitRequest req{
      repo,
      r.rootfs,
      r.def.branch(),
      fmt::format("{} {} ({})", r.def.pretty_name, r.def.os_version, r.def.variant),
      {{"version", r.def.os_version}, {"keel.variant", r.def.variant}, {"keel.kernel", r.kver}},
      r.time};
  req.require_labels = true;  // Keel always boots enforcing: an unlabelled tree would not boot
  auto checksum = TRY(commit_tree(req));
  if (fresh && std::rename(repo.c_str(), r.opts.repo.c_str()) < 0)
    return fail_errno("rename " + repo);
  return checksum;
}

// Extracts the built-in images' layers into the stateroot's /var/lib/keel/layers, as
// keel-runtime would on first use, so a host's first boot extracts nothing. /var is
// not part of the commit: an upgrade's new layers are extracted on the host.
Result<void> seed_layer_store(Run& r) {
  // The stateroot's var directory is the booted host's /var.
  std::string_view in_var = std::string_view(runtime::kDefaultLayerStore).substr(4);  // "/var"
  std::string store = fmt::format("{}/ostree/deploy/{}/var{}", r.sysroot, r.def.os_name, in_var);
  for (const auto& img : r.def.images)
    TRY_CTX(runtime::store_oci_layout(r.rootfs + "/usr/lib/keel/images/" + img.name, store),
            fmt::format("seeding the layer store with image '{}'", img.name));
  return {};
}

std::vector<std::string> kernel_args(const ImageDef& def) {
  std::vector<std::string> args = {"root=LABEL=" + def.root_label, "rw"};
  args.insert(args.end(), def.kernel_args.begin(), def.kernel_args.end());
  return args;
}

// "<index> <deployment id>" per line, the default first: what the disk boots, for
// people and for the boot tests.
std::string deployments_manifest(const Deployment& dep) {
  std::string out;
  for (size_t i = 0; i < dep.ids.size(); ++i) out += fmt::format("{} {}\n", i, dep.ids[i]);
  return out;
}

Result<ComposeResult> write_outputs(Run& r, const Deployment& dep, const std::string& checksum) {
  std::string tmp = r.opts.out_dir + ".tmp";
  TRY(remove_tree(tmp));
  TRY(sys::mkdir_p(tmp));
  std::string efi = r.opts.work_dir + "/BOOTX64.EFI";
  TRY(build_grub_efi(r.def.root_label, r.opts.work_dir, efi));
  DiskRequest dreq{r.sysroot, tmp,   r.opts.work_dir, r.def.root_label, r.def.disk_free_space,
                   efi,       r.time};
  auto disk = TRY(write_disk_images(dreq));
  TRY(install_file(r.sysroot + "/" + dep.kernel, tmp + "/vmlinuz", 0644));
  TRY(install_file(r.sysroot + "/" + dep.initramfs, tmp + "/initramfs.img", 0644));
  TRY(sys::write_file_atomic(tmp + "/cmdline", dep.options + "\n"));
  TRY(sys::write_file_atomic(tmp + "/deployments", deployments_manifest(dep)));
  // Swap the finished directory in; the previous output survives until then.
  std::string old = r.opts.out_dir + ".old";
  TRY(remove_tree(old));
  if (fs::exists(r.opts.out_dir) && std::rename(r.opts.out_dir.c_str(), old.c_str()) < 0)
    return fail_errno("rename " + r.opts.out_dir);
  if (std::rename(tmp.c_str(), r.opts.out_dir.c_str()) < 0) return fail_errno("rename " + tmp);
  TRY(remove_tree(old));
  std::string out = r.opts.out_dir;
  return ComposeResult{r.def.branch(),
                       checksum,
                       r.def.os_version,
                       out,
                       out + "/disk.raw",
                       out + "/disk.qcow2",
                       out + "/vmlinuz",
                       out + "/initramfs.img",
                       dep.options,
                       disk.raw_bytes,
                       dep.ids};
}

// Deploys the commit (after --previous, if given) with keel-grub-generator writing
// grub.cfg, and gives the sysroot an empty GRUB environment block for boot counting.
Result<Deployment> deploy(Run& r, const std::string& checksum) {
  DeployRequest req{r.sysroot,
                    r.opts.repo,
                    r.def.os_name,
                    r.def.branch(),
                    {checksum},
                    kernel_args(r.def),
                    r.opts.binaries + "/keel-grub-generator"};
  if (!r.previous.empty()) req.checksums.insert(req.checksums.begin(), r.previous);
  auto dep = TRY(deploy_commits(req));
  std::string env = r.sysroot + "/" + bootloader::kGrubenvInSysroot;
  TRY(sys::mkdir_p(fs::path(env).parent_path().string()));
  TRY_CTX(bootloader::write_grubenv(env, bootloader::GrubEnv{}), "creating " + env);
  return dep;
}

Result<ComposeResult> run_steps(Run& r, const ProgressFn& progress) {
  int step = 0;
  auto next = [&](const std::string& what) { progress(++step, kSteps, what); };
  next("Reading the image definition");
  r.def = TRY(load_image_def(r.opts.definition, r.opts.flavours_dir, r.opts.flavour));
  if (!r.opts.previous.empty())
    r.previous = TRY_CTX(resolve_rev(r.opts.repo, r.opts.previous), "keel-compose --previous");
  if (r.def.hardware)
    r.firmware_packages = TRY(check_hardware_early(*r.def.hardware, r.opts.hwcompat_dir));
  next("Installing Debian packages (mmdebstrap, log: " + r.log + ")");
  TRY(install_os_packages(r));
  next("Placing the kernel and selecting modules");
  TRY(shape_tree(r));
  next("Installing Keel's binaries and container definitions");
  TRY(install_keel(r));
  next("Building container images");
  TRY(build_images(r));
  next("Writing the initramfs");
  TRY(build_initramfs(r));
  TRY(finish_tree(r));
  next("Committing to the OSTree repository " + r.opts.repo);
  auto checksum = TRY(commit(r));
  next("Deploying into a fresh sysroot");
  auto dep = TRY(deploy(r, checksum));
  TRY(seed_layer_store(r));
  TRY_CTX(label_sysroot(r.sysroot, r.def.os_name, dep.deployment_dir),
          "labelling the sysroot for SELinux");
  next("Writing disk images");
  return write_outputs(r, dep, checksum);
}

}  // namespace

std::string cache_lock_path(const std::string& cache_dir) {
  std::string dir = cache_dir;
  while (dir.size() > 1 && dir.ends_with('/')) dir.pop_back();
  return dir + ".keel-compose.lock";
}

Result<ComposeResult> compose(const ComposeOptions& opts, const ProgressFn& progress) {
  Run r{opts, {}, opts.work_dir + "/rootfs", opts.work_dir + "/sysroot", opts.work_dir + ".log",
        {},   {}};
  r.time = build_time();
  // One compose at a time per download cache: mmdebstrap's sync-out rewrites the cached
  // .debs in place, and a compose beside it read one half-written ("Truncated ar
  // archive"). Held until compose() returns.
  TRY(sys::mkdir_p(opts.cache_dir));
  std::string lock_path = cache_lock_path(opts.cache_dir);
  auto cache_lock = TRY(sys::try_lock_exclusive(lock_path));
  if (!cache_lock) {
    fmt::print(stderr, "keel-compose: waiting for another keel-compose that uses {}\n",
               opts.cache_dir);
    cache_lock = TRY(sys::lock_exclusive(lock_path));
  }
  TRY(remove_tree(opts.work_dir));
  TRY(sys::mkdir_p(opts.work_dir));
  fs::remove(r.log);
  auto result = run_steps(r, progress);
  // Scratch space goes on success and on failure alike; the log stays for reading.
  (void)remove_tree(opts.work_dir);
  if (!result) (void)remove_tree(opts.out_dir + ".tmp");
  return result;
}

std::string qemu_command(const ComposeResult& r, const std::string& accel) {
  return fmt::format(
      "qemu-system-x86_64 -machine q35 -accel {} -m 1024 -smp 2 -nographic -no-reboot "
      "-kernel {} -initrd {} -append '{}' "
      "-drive file={},if=virtio,format=qcow2,snapshot=on "
      "-netdev user,id=n0 -device virtio-net-pci,netdev=n0",
      accel, r.kernel, r.initramfs, r.cmdline, r.disk_qcow2);
}

std::string qemu_uefi_command(const ComposeResult& r, const std::string& accel,
                              const std::string& vars) {
  // No -no-reboot: a failed boot's reboot is how GRUB gets to count it.
  return fmt::format(
      "qemu-system-x86_64 -machine q35 -accel {} -m 1024 -smp 2 -nographic "
      "-drive if=pflash,format=raw,unit=0,file=/usr/share/OVMF/OVMF_CODE.fd,readonly=on "
      "-drive if=pflash,format=raw,unit=1,file={} "
      "-drive file={},if=virtio,format=qcow2,snapshot=on "
      "-netdev user,id=n0 -device virtio-net-pci,netdev=n0",
      accel, vars, r.disk_qcow2);
}

}  // namespace keel::compose
