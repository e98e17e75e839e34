#include "keel/bootloader/bls.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <optional>
#include <set>

#include "keel/common/sys.hpp"
#include "keel/common/text.hpp"

namespace keel::bootloader {

namespace {

Error at(const std::string& path, size_t line, std::string_view what) {
  return Error::msg(fmt::format("{}:{}: {}", path, line, what));
}

// The field of `e` that `key` fills, or null for keys Keel does not use.
std::string* field(BlsEntry& e, std::string_view key) {
  if (key == "title") return &e.title;
  if (key == "version") return &e.version;
  if (key == "linux") return &e.kernel;
  if (key == "options") return &e.options;
  if (key == "devicetree") return &e.devicetree;
  return nullptr;
}

std::optional<unsigned long> as_number(std::string_view s) {
  unsigned long v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

}  // namespace

Result<BlsEntry> parse_bls_entry(std::string_view text, const std::string& path) {
  BlsEntry e;
  e.path = path;
  std::set<std::string, std::less<>> seen;
  size_t n = 0;
  for (std::string_view raw : split_lines(text)) {
    ++n;
    std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#') continue;
    size_t sep = line.find_first_of(" \t");
    std::string_view key = line.substr(0, sep);
    std::string_view value = sep == std::string_view::npos ? "" : trim(line.substr(sep + 1));
    if (value.empty())
      return fail(at(path, n, fmt::format("'{}' has no value (a line is \"key value\")", key)));
    if (key == "initrd") {  // may repeat: overlay initrds follow the first (BLS)
      e.initrds.emplace_back(value);
      continue;
    }
    std::string* f = field(e, key);
    if (!f) continue;
    if (!seen.emplace(key).second)
      return fail(at(path, n, fmt::format("'{}' appears twice; an entry has one", key)));
    *f = value;
  }
  if (e.kernel.empty())
    return fail(at(path, n, "no 'linux' line: the entry names no kernel to boot"));
  if (e.options.empty())
    return fail(at(path, n,
                   "no 'options' line: the entry has no kernel command line "
                   "(OSTree always writes one with ostree=)"));
  if (e.title.empty()) e.title = "(untitled)";
  return e;
}

Result<std::vector<BlsEntry>> load_bls_entries(const std::string& dir) {
  auto dfd = TRY_CTX(sys::open(dir, O_RDONLY | O_DIRECTORY), "reading the boot entries");
  DIR* d = ::fdopendir(dfd.get());
  if (!d) return fail_errno("fdopendir " + dir);
  dfd.release();  // the DIR owns it now
  std::vector<std::string> names;
  while (dirent* de = ::readdir(d)) {
    std::string_view name = de->d_name;
    if (name.size() > 5 && name.ends_with(".conf")) names.emplace_back(name);
  }
  ::closedir(d);
  std::vector<std::pair<unsigned long, BlsEntry>> entries;
  for (const auto& name : names) {
    std::string path = dir + "/" + name;
    std::string text = TRY(sys::read_file(path));
    auto e = TRY(parse_bls_entry(text, path));
    auto v = as_number(e.version);
    if (!v)
      return fail_msg(
          fmt::format("{}: version '{}' is not a number; OSTree numbers its "
                      "entries 1..N (newest highest)",
                      path, e.version));
    entries.emplace_back(*v, std::move(e));
  }
  if (entries.empty())
    return fail_msg(fmt::format("{}: no *.conf boot entries; nothing to boot", dir));
  std::ranges::sort(entries, [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second.path < b.second.path;
  });
  for (size_t i = 1; i < entries.size(); ++i)
    if (entries[i].first == entries[i - 1].first)
      return fail_msg(
          fmt::format("{} and {} have the same version {}: the order of the "
                      "deployments is ambiguous",
                      entries[i - 1].second.path, entries[i].second.path, entries[i].first));
  std::vector<BlsEntry> out;
  for (auto& [v, e] : entries) out.push_back(std::move(e));
  return out;
}

std::string kernel_arg(std::string_view options, std::string_view key) {
  std::string prefix = std::string(key) + "=";
  while (!options.empty()) {
    size_t b = options.find_first_not_of(" \t");
    if (b == std::string_view::npos) break;
    options = options.substr(b);
    size_t e = options.find_first_of(" \t");
    std::string_view word = options.substr(0, e);
    if (word.starts_with(prefix)) return std::string(word.substr(prefix.size()));
    options = e == std::string_view::npos ? std::string_view{} : options.substr(e);
  }
  return {};
}

}  // namespace keel::bootloader
