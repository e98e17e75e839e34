#include "keel/compose/changelog.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <sstream>

#include "keel/common/gerror.hpp"
#include "keel/common/text.hpp"

namespace keel::compose {

namespace {

// Added, removed and changed entries of one kind, in name order.
void diff_map(const char* kind, const std::map<std::string, std::string>& from,
              const std::map<std::string, std::string>& to, bool show_values,
              std::vector<std::string>& out) {
  for (const auto& [name, value] : to) {
    auto it = from.find(name);
    if (it == from.end())
      out.push_back(show_values ? fmt::format("{} added {} {}", kind, name, value)
                                : fmt::format("{} added {}", kind, name));
    else if (it->second != value)
      out.push_back(show_values ? fmt::format("{} {} {} -> {}", kind, name, it->second, value)
                                : fmt::format("{} changed {}", kind, name));
  }
  for (const auto& [name, value] : from)
    if (!to.contains(name))
      out.push_back(show_values ? fmt::format("{} removed {} {}", kind, name, value)
                                : fmt::format("{} removed {}", kind, name));
}

// "abc%3a1.0" -> "abc:1.0": apt escapes the epoch's colon in cached file names.
std::string unescape(std::string s) {
  for (size_t p; (p = s.find("%3a")) != std::string::npos;) s.replace(p, 3, ":");
  return s;
}

// name -> checksum of each entry of directory `rel` (none if it does not exist).
Result<std::map<std::string, std::string>> entries(GFile* root, const char* rel) {
  std::map<std::string, std::string> out;
  g_autoptr(GFile) dir = g_file_resolve_relative_path(root, rel);
  GError* err = nullptr;
  g_autoptr(GFileEnumerator) it = g_file_enumerate_children(
      dir, "standard::name,standard::type", G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, nullptr, &err);
  if (!it) {
    bool missing = g_error_matches(err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
    if (missing) {
      g_error_free(err);
      return out;
    }
    return fail(gerror(fmt::format("listing /{}", rel), err));
  }
  for (;;) {
    GFileInfo* info = nullptr;
    GFile* child = nullptr;
    if (!g_file_enumerator_iterate(it, &info, &child, nullptr, &err))
      return fail(gerror(fmt::format("listing /{}", rel), err));
    if (!info) break;
    auto* rf = OSTREE_REPO_FILE(child);
    if (!ostree_repo_file_ensure_resolved(rf, &err))
      return fail(gerror(fmt::format("reading /{}", rel), err));
    std::string name = g_file_info_get_name(info);
    bool is_dir = g_file_info_get_file_type(info) == G_FILE_TYPE_DIRECTORY;
    out[name] = is_dir ? ostree_repo_file_tree_get_contents_checksum(rf)
                       : ostree_repo_file_get_checksum(rf);
  }
  return out;
}

}  // namespace

std::map<std::string, std::string> parse_package_list(const std::string& text) {
  std::map<std::string, std::string> out;
  for (std::string_view raw : split_lines(text)) {
    std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#') continue;
    std::istringstream in{std::string(line)};
    std::string name, version;
    if (in >> name >> version) out[name] = version;
  }
  return out;
}

std::string package_list(const std::vector<std::string>& debs,
                         const std::vector<std::string>& excluded) {
  std::vector<std::string> lines;
  for (const auto& deb : debs) {
    std::string base = deb.ends_with(".deb") ? deb.substr(0, deb.size() - 4) : deb;
    auto a = base.find('_'), b = base.rfind('_');
    if (a == std::string::npos || a == b) continue;
    std::string name = base.substr(0, a);
    if (std::find(excluded.begin(), excluded.end(), name) != excluded.end()) continue;
    lines.push_back(
        fmt::format("{} {} {}", name, unescape(base.substr(a + 1, b - a - 1)), base.substr(b + 1)));
  }
  std::sort(lines.begin(), lines.end());
  std::string out =
      "# The Debian packages of this image (keel-compose): NAME VERSION ARCH.\n"
      "# keel-compose release compares it with the previous release for the changelog.\n";
  for (const auto& l : lines) out += l + "\n";
  return out;
}

Result<TreeManifest> read_tree_manifest(OstreeRepo* repo, const std::string& commit) {
  GFile* raw_root = nullptr;
  GError* err = nullptr;
  if (!ostree_repo_read_commit(repo, commit.c_str(), &raw_root, nullptr, nullptr, &err))
    return fail(gerror(fmt::format("reading commit {}", commit), err));
  g_autoptr(GFile) root = raw_root;
  TreeManifest m;
  g_autoptr(GFile) list = g_file_resolve_relative_path(root, kPackageList);
  char* data = nullptr;
  gsize len = 0;
  if (g_file_load_contents(list, nullptr, &data, &len, nullptr, nullptr)) {
    m.has_packages = true;
    m.packages = parse_package_list(std::string(data, len));
    g_free(data);
  }
  // Container definitions by container name: hello.toml -> hello.
  for (auto& [file, sum] : TRY_CTX(entries(root, "usr/lib/keel/containers"), commit))
    m.containers[file.ends_with(".toml") ? file.substr(0, file.size() - 5) : file] = sum;
  m.images = TRY_CTX(entries(root, "usr/lib/keel/images"), commit);
  return m;
}

std::vector<std::string> diff_manifests(const TreeManifest& from, const TreeManifest& to) {
  std::vector<std::string> out;
  if (from.has_packages && to.has_packages)
    diff_map("package", from.packages, to.packages, true, out);
  else if (from.has_packages != to.has_packages)
    out.push_back(fmt::format("packages: the {} release has no package list ({})",
                              from.has_packages ? "new" : "previous", kPackageList));
  diff_map("container", from.containers, to.containers, false, out);
  diff_map("image", from.images, to.images, false, out);
  return out;
}

}  // namespace keel::compose
