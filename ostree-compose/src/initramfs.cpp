#include "keel/compose/initramfs.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cstdio>
#include <filesystem>
#include <memory>

#include "keel/common/sys.hpp"

namespace keel::compose {

namespace {

using WritePtr = std::unique_ptr<archive, decltype(&archive_write_free)>;
using EntryPtr = std::unique_ptr<archive_entry, decltype(&archive_entry_free)>;

Result<void> add_entry(archive* a, const CpioEntry& e) {
  EntryPtr ae(archive_entry_new(), archive_entry_free);
  archive_entry_set_pathname(ae.get(), e.path.c_str());
  archive_entry_set_uid(ae.get(), 0);
  archive_entry_set_gid(ae.get(), 0);
  archive_entry_set_mtime(ae.get(), 0, 0);
  std::string data;
  switch (e.kind) {
    case CpioEntry::Kind::dir:
      archive_entry_set_filetype(ae.get(), AE_IFDIR);
      break;
    case CpioEntry::Kind::symlink:
      archive_entry_set_filetype(ae.get(), AE_IFLNK);
      archive_entry_set_symlink(ae.get(), e.source.c_str());
      break;
    case CpioEntry::Kind::char_device:
      archive_entry_set_filetype(ae.get(), AE_IFCHR);
      archive_entry_set_rdev(ae.get(), makedev(e.dev_major, e.dev_minor));
      break;
    case CpioEntry::Kind::file:
      data = TRY(sys::read_file(e.source));
      archive_entry_set_filetype(ae.get(), AE_IFREG);
      break;
    case CpioEntry::Kind::text:
      data = e.source;
      archive_entry_set_filetype(ae.get(), AE_IFREG);
      break;
  }
  archive_entry_set_perm(ae.get(), e.mode);
  archive_entry_set_size(ae.get(), static_cast<la_int64_t>(data.size()));
  if (archive_write_header(a, ae.get()) != ARCHIVE_OK)
    return fail_msg(fmt::format("cpio header for {}: {}", e.path, archive_error_string(a)));
  if (!data.empty() && archive_write_data(a, data.data(), data.size()) < 0)
    return fail_msg(fmt::format("cpio data for {}: {}", e.path, archive_error_string(a)));
  return {};
}

}  // namespace

Result<void> write_cpio(const std::string& out_path, const std::vector<CpioEntry>& entries) {
  std::string tmp = out_path + ".tmp";
  {
    WritePtr a(archive_write_new(), archive_write_free);
    archive_write_set_format_cpio_newc(a.get());
    archive_write_add_filter_gzip(a.get());
    archive_write_set_filter_option(a.get(), "gzip", "timestamp", nullptr);  // no mtime
    if (archive_write_open_filename(a.get(), tmp.c_str()) != ARCHIVE_OK)
      return fail_msg(fmt::format("{}: {}", tmp, archive_error_string(a.get())));
    for (const auto& e : entries) TRY_CTX(add_entry(a.get(), e), "writing the initramfs");
    if (archive_write_close(a.get()) != ARCHIVE_OK)
      return fail_msg(fmt::format("{}: {}", tmp, archive_error_string(a.get())));
  }
  if (std::rename(tmp.c_str(), out_path.c_str()) < 0)
    return fail_errno(fmt::format("rename {}", tmp));
  return {};
}

}  // namespace keel::compose
