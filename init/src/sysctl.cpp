// sysctl.d files at boot (see keel/init/sysctl.hpp).
#include "keel/init/sysctl.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "keel/common/sys.hpp"
#include "keel/common/text.hpp"

namespace keel::init {
namespace {}  // namespace

Result<std::vector<SysctlSetting>> parse_sysctl_conf(std::string_view text,
                                                     const std::string& file) {
  std::vector<SysctlSetting> out;
  size_t line_no = 0;
  for (std::string_view raw : split_lines(text)) {
    std::string_view line = trim(raw);
    ++line_no;
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    std::string where = fmt::format("{}:{}", file, line_no);
    size_t eq = line.find('=');
    if (eq == std::string_view::npos)
      return fail_msg(where + ": expected \"key = value\", like \"vm.max_map_count = 262144\"");
    SysctlSetting s{std::string(trim(line.substr(0, eq))), std::string(trim(line.substr(eq + 1))),
                    false, where};
    if (s.key.starts_with('-')) {
      s.ignore_failure = true;
      s.key.erase(0, 1);
    }
    if (s.key.empty()) return fail_msg(where + ": the key is empty");
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<std::string> sysctl_files(const std::vector<std::string>& dirs) {
  std::map<std::string, std::string> by_name;  // sorted by file name
  for (auto it = dirs.rbegin(); it != dirs.rend(); ++it) {
    auto names = sys::list_dir(*it);
    if (!names) continue;  // a directory that is not there holds no settings
    std::string dir = it->ends_with('/') ? it->substr(0, it->size() - 1) : *it;
    for (auto& name : *names)
      if (name.size() > 5 && name.ends_with(".conf")) by_name[name] = dir + "/" + name;
  }
  std::vector<std::string> out;
  for (auto& [name, path] : by_name) out.push_back(path);
  return out;
}

std::string sysctl_path(const std::string& key, const std::string& proc_sys) {
  std::string rel = key;
  // sysctl.d(5): with dots as separators, a slash is part of a name (an interface
  // "eth0.100" is written with slashes instead): swap them.
  if (rel.find('.') != std::string::npos && rel.find('/') == std::string::npos)
    std::replace(rel.begin(), rel.end(), '.', '/');
  if (rel.empty() || rel.front() == '/' || rel.find("..") != std::string::npos) return {};
  return proc_sys + "/" + rel;
}

SysctlReport apply_sysctls(const std::vector<std::string>& dirs, const std::string& proc_sys) {
  SysctlReport report;
  for (const auto& file : sysctl_files(dirs)) {
    auto text = sys::read_file(file);
    if (!text) {
      report.errors.push_back(text.error().message());
      continue;
    }
    auto settings = parse_sysctl_conf(*text, file);
    if (!settings) {
      report.errors.push_back(settings.error().message());
      continue;
    }
    for (const auto& s : *settings) {
      std::string path = sysctl_path(s.key, proc_sys);
      auto r = path.empty() ? fail_msg("not a sysctl key") : sys::write_file(path, s.value);
      if (r)
        ++report.applied;
      else if (!s.ignore_failure)
        report.errors.push_back(
            fmt::format("{}: {} = {}: {}", s.where, s.key, s.value, r.error().message()));
    }
  }
  return report;
}

}  // namespace keel::init
