// keel-compose export: a composed image's disk in the formats clouds import.
#include <fmt/format.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "keel/common/log.hpp"
#include "keel/common/sys.hpp"
#include "keel/compose/cloud_formats.hpp"
#include "keel/compose/process.hpp"

namespace keel::compose {

namespace {

constexpr const char* kUsage =
    "usage: keel-compose export IMAGE_DIR [--formats all|aws,azure,gce,vmware] [--out DIR]\n"
    "Writes the image's disk.raw as aws.raw, azure.vhd, gce.tar.gz and vmware.vmdk into\n"
    "DIR (default IMAGE_DIR/cloud), with manifest.json listing their sizes.\n";

struct ExportArgs {
  std::string image_dir, formats = "all", out;
};

bool parse(int argc, char** argv, ExportArgs& a) {
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if ((arg == "--formats" || arg == "--out") && i + 1 < argc)
      (arg == "--formats" ? a.formats : a.out) = argv[++i];
    else if (!arg.starts_with("-") && a.image_dir.empty())
      a.image_dir = arg;
    else
      return false;
  }
  if (a.out.empty()) a.out = a.image_dir + "/cloud";
  return !a.image_dir.empty();
}

double mib(uint64_t bytes) {
  return static_cast<double>(bytes) / (1 << 20);
}

Result<std::vector<CloudImage>> run(const ExportArgs& a) {
  auto formats = TRY_CTX(parse_cloud_formats(a.formats), "--formats");
  std::string raw = a.image_dir + "/disk.raw";
  if (!sys::exists(raw))
    return fail_msg(
        fmt::format("{} does not exist. Fix: compose the image first (make image, "
                    "or keel-compose build IMAGE.toml --out {})",
                    raw, a.image_dir));
  TRY(sys::mkdir_p(a.out));
  std::string work = a.out + "/.work";
  TRY(remove_tree(work));
  TRY(sys::mkdir_p(work));
  std::vector<CloudImage> done;
  for (auto f : formats) {
    auto img = export_cloud_image(f, raw, a.out, work);
    if (!img) {
      (void)remove_tree(work);
      return fail(std::move(img.error()));
    }
    fmt::print("{:<12} {:>8.1f} MiB  (disk {:.0f} MiB)  {}\n", cloud_file_name(f),
               mib(img->file_bytes), mib(img->virtual_bytes), img->path);
    done.push_back(*img);
  }
  TRY(remove_tree(work));
  return done;
}

Result<void> write_manifest(const std::string& out, const std::vector<CloudImage>& images) {
  nlohmann::json m = nlohmann::json::object();
  for (const auto& img : images)
    m[cloud_file_name(img.format)] = {{"bytes", img.file_bytes},
                                      {"virtual_bytes", img.virtual_bytes}};
  return sys::write_file_atomic(out + "/manifest.json", m.dump(2) + "\n");
}

}  // namespace

int export_main(int argc, char** argv) {
  ExportArgs a;
  if (!parse(argc, argv, a)) {
    fmt::print(stderr, "{}", kUsage);
    return 2;
  }
  auto images = run(a);
  if (!images) {
    log::error("keel-compose", "export: {}", images.error().message());
    return 1;
  }
  if (auto m = write_manifest(a.out, *images); !m) {
    log::error("keel-compose", "export: {}", m.error().message());
    return 1;
  }
  return 0;
}

}  // namespace keel::compose
