#include "keel/compose/packages.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <regex>

#include "keel/common/sys.hpp"
#include "keel/compose/process.hpp"

namespace keel::compose {

namespace fs = std::filesystem;

namespace {

using ArchivePtr = std::unique_ptr<archive, decltype(&archive_read_free)>;

std::vector<std::string> mmdebstrap_argv(const PackageRequest& req, const std::string& rootfs,
                                         const std::string& cache, const std::string& manifest) {
  std::string include;
  for (const auto& p : req.include) include += (include.empty() ? "" : ",") + p.value;
  std::string components;
  for (const auto& c : req.components) components += (components.empty() ? "" : ",") + c;
  std::vector<std::string> argv = {
      "mmdebstrap", "--variant=extract", "--mode=root", "--include=" + include,
      "--components=" + components,
      // Docs, man pages and translations are dead weight on a host nobody logs into;
      // copyright files stay for license compliance.
      "--dpkgopt=path-exclude=/usr/share/doc/*",
      "--dpkgopt=path-include=/usr/share/doc/*/copyright",
      "--dpkgopt=path-exclude=/usr/share/man/*", "--dpkgopt=path-exclude=/usr/share/info/*",
      "--dpkgopt=path-exclude=/usr/share/locale/*", "--dpkgopt=path-exclude=/usr/share/lintian/*",
      // bubblewrap's sysctl.d file allows unprivileged user namespaces, for use without
      // setuid. Keel runs bwrap only as root (OSTree's deploy-time semodule); a host's
      // kernel settings come from the image definition's [host.sysctl], nowhere else.
      "--dpkgopt=path-exclude=/usr/lib/sysctl.d/50-bubblewrap.conf",
      // The download cache: mmdebstrap's documented sync-in/sync-out recipe; in the extract
      // variant the .debs are still there at extract-hook time.
      "--setup-hook=mkdir -p \"$1\"/var/cache/apt/archives/",
      "--setup-hook=sync-in " + cache + " /var/cache/apt/archives/",
      "--extract-hook=sync-out /var/cache/apt/archives " + cache,
      // The .debs actually extracted: the extract variant hands exactly those to its hooks
      // in MMDEBSTRAP_ESSENTIAL (mmdebstrap(1), HOOKS); the archives directory also holds
      // the rest of the shared download cache.
      "--extract-hook=for d in $MMDEBSTRAP_ESSENTIAL; do basename \"$d\"; done > " + manifest,
      req.suite, rootfs};
  if (!req.mirror.empty()) argv.push_back(req.mirror);
  return argv;
}

Result<std::string> read_member(archive* a) {
  std::string data;
  char buf[65536];
  for (;;) {
    la_ssize_t n = archive_read_data(a, buf, sizeof buf);
    if (n < 0) return fail_msg(archive_error_string(a));
    if (n == 0) return data;
    data.append(buf, static_cast<size_t>(n));
  }
}

Result<std::vector<std::string>> list_tar(const std::string& tar_bytes) {
  ArchivePtr a(archive_read_new(), archive_read_free);
  archive_read_support_filter_all(a.get());
  archive_read_support_format_tar(a.get());
  if (archive_read_open_memory(a.get(), tar_bytes.data(), tar_bytes.size()) != ARCHIVE_OK)
    return fail_msg(archive_error_string(a.get()));
  std::vector<std::string> out;
  archive_entry* e;
  int rc;
  while ((rc = archive_read_next_header(a.get(), &e)) == ARCHIVE_OK) {
    std::string p = archive_entry_pathname(e);
    if (p.starts_with("./")) p.erase(0, 2);
    if (!p.empty() && p != ".") out.push_back(p);
  }
  if (rc != ARCHIVE_EOF) return fail_msg(archive_error_string(a.get()));
  return out;
}

Result<void> delete_package_files(const std::string& rootfs, std::vector<std::string> files) {
  // Deepest paths first, so directories are empty by the time we reach them.
  std::sort(files.begin(), files.end(), std::greater<>());
  for (const auto& f : files) {
    fs::path p = fs::path(rootfs) / f;
    std::error_code ec;
    auto st = fs::symlink_status(p, ec);
    if (ec || !fs::exists(st)) continue;  // already excluded by a dpkg path filter
    if (fs::is_directory(st)) {
      if (fs::is_empty(p, ec)) fs::remove(p, ec);  // shared dirs stay
    } else if (!fs::remove(p, ec) || ec) {
      return fail(Error::from_errno(fmt::format("removing {}", p.string()), ec.value()));
    }
  }
  return {};
}

Result<void> apply_excludes(const PackageRequest& req, const std::string& rootfs,
                            const std::string& cache, const std::vector<std::string>& debs) {
  for (const auto& ex : req.exclude) {
    auto it = std::find_if(debs.begin(), debs.end(),
                           [&](const std::string& d) { return d.starts_with(ex.value + "_"); });
    if (it == debs.end())
      return fail_msg(
          fmt::format("{}: exclude names '{}', which is not among the installed "
                      "packages; remove it from [packages] exclude",
                      ex.where, ex.value));
    TRY_CTX(remove_deb_files(rootfs, cache + "/" + *it), ex.where + ": excluding " + ex.value);
  }
  return {};
}

}  // namespace

std::string missing_package_from_log(const std::string& log_text) {
  static const std::regex patterns[] = {
      std::regex(R"(Unable to locate package ([^\s]+))"),
      std::regex(R"(Package '([^']+)' has no installation candidate)"),
      std::regex(R"(E: Couldn't find any package by \S+ '([^']+)')"),
  };
  std::smatch m;
  for (const auto& re : patterns)
    if (std::regex_search(log_text, m, re)) return m[1].str();
  return {};
}

Result<void> remove_deb_files(const std::string& rootfs, const std::string& deb_path) {
  return delete_package_files(rootfs, TRY(deb_file_list(deb_path)));
}

Result<std::vector<std::string>> deb_file_list(const std::string& deb_path) {
  ArchivePtr a(archive_read_new(), archive_read_free);
  archive_read_support_format_ar(a.get());
  if (archive_read_open_filename(a.get(), deb_path.c_str(), 65536) != ARCHIVE_OK)
    return fail_msg(fmt::format("{}: {}", deb_path, archive_error_string(a.get())));
  archive_entry* e;
  while (archive_read_next_header(a.get(), &e) == ARCHIVE_OK) {
    std::string name = archive_entry_pathname(e);
    if (!name.starts_with("data.tar")) continue;
    auto bytes = TRY_CTX(read_member(a.get()), deb_path);
    return TRY_CTX(list_tar(bytes), deb_path + ": " + name);
  }
  return fail_msg(fmt::format("{}: no data.tar member; is it a Debian package?", deb_path));
}

Result<std::vector<std::string>> install_packages(const PackageRequest& req,
                                                  const std::string& rootfs,
                                                  const std::string& cache_dir,
                                                  const std::string& log_path) {
  TRY(sys::mkdir_p(cache_dir));
  std::string manifest = rootfs + ".debs";
  auto ran = run_command(mmdebstrap_argv(req, rootfs, cache_dir, manifest), {.log_path = log_path});
  if (!ran) {
    auto log = sys::read_file(log_path).value_or("");
    std::string missing = missing_package_from_log(log);
    for (const auto& p : req.include)
      if (!missing.empty() && p.value == missing)
        return fail_msg(
            fmt::format("{}: package '{}' does not exist in Debian {}; check the "
                        "name with `apt-cache search`",
                        p.where, missing, req.suite));
    return fail(std::move(ran.error())
                    .context(fmt::format("installing Debian packages (full log: {})", log_path)));
  }
  auto text = TRY(sys::read_file(manifest));
  std::vector<std::string> debs;
  for (size_t pos = 0, nl; pos < text.size(); pos = nl + 1) {
    nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    if (nl > pos) debs.push_back(text.substr(pos, nl - pos));
  }
  fs::remove(manifest);
  TRY(apply_excludes(req, rootfs, cache_dir, debs));
  return debs;
}

}  // namespace keel::compose
