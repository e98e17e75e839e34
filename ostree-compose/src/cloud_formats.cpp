#include "keel/compose/cloud_formats.hpp"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "keel/common/sys.hpp"
#include "keel/common/text.hpp"
#include "keel/compose/process.hpp"

namespace keel::compose {

namespace {

constexpr uint64_t kMiB = 1ull << 20;
constexpr uint64_t kGiB = 1ull << 30;

struct FormatInfo {
  CloudFormat format;
  const char* name;
  const char* file;
};

constexpr FormatInfo kFormats[] = {
    {CloudFormat::aws, "aws", "aws.raw"},
    {CloudFormat::azure, "azure", "azure.vhd"},
    {CloudFormat::gce, "gce", "gce.tar.gz"},
    {CloudFormat::vmware, "vmware", "vmware.vmdk"},
};

Result<uint64_t> file_size(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) < 0) return fail_errno("stat " + path);
  return static_cast<uint64_t>(st.st_size);
}

// AWS's VM Import (import-snapshot) takes the raw disk as it is.
Result<void> write_aws(const std::string& raw, const std::string& tmp) {
  return run_command({"cp", "--sparse=always", raw, tmp});
}

// Azure takes only fixed-size VHDs whose virtual size is a whole number of MiB.
// force_size keeps qemu-img from rounding the size to VHD's cylinder geometry.
Result<void> write_azure(const std::string& raw, const std::string& tmp, uint64_t raw_bytes) {
  if (raw_bytes % kMiB != 0)
    return fail_msg(
        fmt::format("{} is {} bytes; Azure needs a whole number of MiB. Fix: recompose the image "
                    "(keel-compose sizes disks in MiB) instead of resizing disk.raw by hand",
                    raw, raw_bytes));
  return run_command({"qemu-img", "convert", "-f", "raw", "-O", "vpc", "-o",
                      "subformat=fixed,force_size=on", raw, tmp});
}

// GCE imports a gzipped tar holding exactly one file named disk.raw, whose size is a
// whole number of GiB, made with GNU tar's oldgnu sparse format (Google's "Manually
// import boot disks" guide gives this tar command; libarchive cannot write those
// sparse entries). Growing the disk moves GPT's backup header to the new end.
Result<void> write_gce(const std::string& raw, const std::string& tmp,
                       const std::string& work_dir) {
  std::string disk = work_dir + "/disk.raw";
  TRY(run_command({"cp", "--sparse=always", raw, disk}));
  uint64_t size = TRY(file_size(disk));
  uint64_t grown = (size + kGiB - 1) / kGiB * kGiB;
  if (::truncate(disk.c_str(), static_cast<off_t>(grown)) < 0)
    return fail_errno("truncate " + disk);
  // sfdisk notes the mismatched backup header it is fixing; that goes to the log.
  TRY_CTX(run_command({"sfdisk", "--quiet", "--relocate", "gpt-bak-std", disk},
                      {.log_path = work_dir + "/sfdisk.log"}),
          "moving the backup GPT to the end of the grown disk");
  TRY(run_command({"tar", "--format=oldgnu", "-Sczf", tmp, "-C", work_dir, "disk.raw"}));
  ::unlink(disk.c_str());
  return {};
}

// VMware's OVF import and ovftool take stream-optimised (compressed) VMDKs.
Result<void> write_vmware(const std::string& raw, const std::string& tmp) {
  return run_command({"qemu-img", "convert", "-f", "raw", "-O", "vmdk", "-o",
                      "subformat=streamOptimized", raw, tmp});
}

}  // namespace

std::string cloud_file_name(CloudFormat f) {
  for (const auto& info : kFormats)
    if (info.format == f) return info.file;
  return "";
}

Result<std::vector<CloudFormat>> parse_cloud_formats(const std::string& list) {
  std::vector<CloudFormat> out;
  std::string_view all = list;
  for (size_t start = 0; start != std::string_view::npos;) {
    size_t comma = all.find(',', start);
    std::string w(trim(all.substr(start, comma == std::string_view::npos ? comma : comma - start)));
    start = comma == std::string_view::npos ? comma : comma + 1;
    bool found = false;
    for (const auto& info : kFormats) {
      if (w != info.name && w != "all") continue;
      found = true;
      if (std::find(out.begin(), out.end(), info.format) == out.end()) out.push_back(info.format);
    }
    if (!found)
      return fail_msg(
          fmt::format("unknown format '{}'. Fix: use all, or some of aws, azure, "
                      "gce, vmware separated by commas",
                      w));
  }
  return out;
}

Result<CloudImage> export_cloud_image(CloudFormat format, const std::string& raw,
                                      const std::string& out_dir, const std::string& work_dir) {
  uint64_t raw_bytes = TRY(file_size(raw));
  CloudImage img{format, out_dir + "/" + cloud_file_name(format), 0, raw_bytes};
  std::string tmp = img.path + ".tmp";
  ::unlink(tmp.c_str());
  Result<void> wrote;
  switch (format) {
    case CloudFormat::aws:
      wrote = write_aws(raw, tmp);
      break;
    case CloudFormat::azure:
      wrote = write_azure(raw, tmp, raw_bytes);
      break;
    case CloudFormat::gce:
      wrote = write_gce(raw, tmp, work_dir);
      break;
    case CloudFormat::vmware:
      wrote = write_vmware(raw, tmp);
      break;
  }
  if (!wrote) {
    ::unlink(tmp.c_str());
    return fail(std::move(wrote.error().context("writing " + img.path)));
  }
  if (format == CloudFormat::gce) img.virtual_bytes = (raw_bytes + kGiB - 1) / kGiB * kGiB;
  img.file_bytes = TRY(file_size(tmp));
  TRY(sys::replace_file(tmp, img.path));
  return img;
}

}  // namespace keel::compose
