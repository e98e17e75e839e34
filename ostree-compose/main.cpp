// keel-compose: builds a Keel image from an image definition (images/*.toml).
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <time.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <string>

#include "keel/common/log.hpp"
#include "keel/compose/cloud_formats.hpp"
#include "keel/compose/compose.hpp"
#include "keel/compose/live_bundle.hpp"
#include "keel/compose/release_cli.hpp"
#include "keel/compose/sign_cli.hpp"

namespace fs = std::filesystem;
using keel::compose::ComposeOptions;

namespace {

constexpr const char* kUsage =
    "usage: keel-compose build IMAGE.toml [--out DIR] [--repo DIR] [--cache DIR]\n"
    "                    [--work DIR] [--binaries DIR] [--flavours DIR] [--flavour NAME]\n"
    "                    [--hwcompat DIR] [--previous REV] [--update-key PUBLIC]\n"
    "       keel-compose keygen --secret FILE --public FILE\n"
    "       keel-compose sign --repo DIR --key SECRET [--verify PUBLIC] REV...\n"
    "       keel-compose export IMAGE_DIR [--formats all|aws,azure,gce,vmware] [--out DIR]\n"
    "       keel-compose live IMAGE_DIR [--out DIR] [--append KERNEL_ARG]...\n"
    "       keel-compose release --repo DIR --from REPO:BRANCH --key SECRET --version V\n"
    "                            [--deltas N] [--scratch-delta]\n"
    "Defaults: --out build/images/<name> --repo build/repo --cache build/cache/debs\n"
    "          --work build/work/<name> --binaries <dir of keel-compose>\n"
    "--flavour NAME composes with kernel/flavours/NAME.toml instead of [kernel] flavour;\n"
    "          <name> (variant, branch, default --out and --work) becomes <stem>-NAME.\n"
    "--previous REV deploys REV of --repo (checksum, ref, ref^) before the new commit:\n"
    "          the disk holds both, the new one the default and REV its fallback.\n"

    "--update-key PUBLIC: hosts of the image trust this key's releases (docs/UPDATES.md).\n";

double now() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

bool parse_args(int argc, char** argv, ComposeOptions& o) {
  if (argc < 3 || std::string(argv[1]) != "build") return false;
  o.definition = argv[2];
  std::map<std::string, std::string*> flags = {
      {"--out", &o.out_dir},       {"--repo", &o.repo},
      {"--cache", &o.cache_dir},   {"--work", &o.work_dir},
      {"--binaries", &o.binaries}, {"--flavours", &o.flavours_dir},
      {"--flavour", &o.flavour},   {"--hwcompat", &o.hwcompat_dir},
      {"--previous", &o.previous}, {"--update-key", &o.update_key}};
  for (int i = 3; i < argc; i += 2) {
    auto it = flags.find(argv[i]);
    if (it == flags.end() || i + 1 >= argc) return false;
    *it->second = argv[i + 1];
  }
  // The same name the composer gives the variant (load_image_def).
  std::string name = fs::path(o.definition).stem().string();
  if (!o.flavour.empty()) name += "-" + o.flavour;
  auto dflt = [](std::string& v, std::string d) {
    if (v.empty()) v = std::move(d);
  };
  dflt(o.out_dir, "build/images/" + name);
  dflt(o.repo, "build/repo");
  dflt(o.cache_dir, "build/cache/debs");
  dflt(o.work_dir, "build/work/" + name);
  dflt(o.binaries, fs::read_symlink("/proc/self/exe").parent_path().string());
  dflt(o.flavours_dir, std::string(KEEL_SOURCE_DIR) + "/kernel/flavours");
  dflt(o.hwcompat_dir, std::string(KEEL_SOURCE_DIR) + "/hardware-compat");
  for (std::string* p : {&o.out_dir, &o.repo, &o.cache_dir, &o.work_dir, &o.binaries})
    *p = fs::absolute(*p).lexically_normal().string();
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd == "keygen") return keel::compose::keygen_main(argc, argv);
  if (cmd == "sign") return keel::compose::sign_main(argc, argv);
  if (cmd == "export") return keel::compose::export_main(argc, argv);
  if (cmd == "live") return keel::compose::live_main(argc, argv);
  if (cmd == "release") return keel::compose::release_main(argc, argv);
  ComposeOptions opts;
  if (!parse_args(argc, argv, opts)) {
    fmt::print(stderr, "{}", kUsage);
    return 2;
  }
  if (geteuid() != 0) {
    keel::log::error("keel-compose",
                     "must run as root (mmdebstrap --mode=root, device nodes, "
                     "OSTree deployment); try: sudo make image");
    return 1;
  }
  opts.warn = [](const std::string& w) { keel::log::warn("keel-compose", "{}", w); };
  double start = now(), step_start = start;
  auto progress = [&](int step, int total, const std::string& what) {
    if (step > 1) fmt::print("      done in {:.1f} s\n", now() - step_start);
    step_start = now();
    fmt::print("[{}/{}] {}...\n", step, total, what);
    std::fflush(stdout);
  };
  auto r = keel::compose::compose(opts, progress);
  if (!r) {
    keel::log::error("keel-compose", "{}", r.error().message());
    keel::log::error("keel-compose", "{} is unchanged; {} holds only complete commits",
                     opts.out_dir, opts.repo);
    return 1;
  }
  fmt::print("      done in {:.1f} s\n", now() - step_start);
  fmt::print("\nComposed {} {} in {:.0f} s\n  branch  {}\n  commit  {}\n  repo    {}\n", r->branch,
             r->version, now() - start, r->branch, r->checksum, opts.repo);
  fmt::print("\nDisk image: {}\n  (raw: {}, {} MiB; kernel and initramfs beside it)\n",
             r->disk_qcow2, r->disk_raw, r->disk_raw_bytes >> 20);
  if (r->deployments.size() > 1)
    fmt::print("  deployments (default first): {}\n", fmt::join(r->deployments, ", "));
  std::string vars = r->out_dir + "/OVMF_VARS.fd";
  fmt::print(
      "\nBoot it through UEFI and GRUB (serial console; quit with Ctrl-A X):\n"
      "  cp /usr/share/OVMF/OVMF_VARS.fd {}\n  {}\n",
      vars, keel::compose::qemu_uefi_command(*r, "tcg", vars));
  fmt::print("or with direct kernel boot of the default deployment:\n  {}\n",
             keel::compose::qemu_command(*r, "tcg"));
  fmt::print("Where KVM works (not nested), -accel kvm boots much faster.\n");
  return 0;
}
