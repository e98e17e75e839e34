#include "keel/init/check_kernel.hpp"

#include <fmt/format.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <sys/utsname.h>

#include <cerrno>
#include <cstring>

#include "keel/common/sys.hpp"
#include "keel/init/control.hpp"
#include "keel/kernel/config_check.hpp"

namespace keel::init {
namespace {

// Leaves errno set on failure, for the caller's message.
bool read_text(const std::string& path, std::string& text) {
  auto r = sys::read_file(path);
  if (!r) {
    errno = r.error().code();
    return false;
  }
  text = std::move(*r);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return true;
}

bool list_has(std::string_view list, std::string_view item) {
  while (!list.empty()) {
    size_t comma = list.find(',');
    if (list.substr(0, comma) == item) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

HostCheck check_lsm(const std::string& path) {
  HostCheck c{.name = "lsm"};
  std::string text;
  if (!read_text(path, text)) {
    c.detail =
        fmt::format("cannot read {}: {} (is securityfs mounted?)", path, std::strerror(errno));
    return c;
  }
  c.ok = list_has(text, "selinux");
  c.detail = c.ok ? fmt::format("selinux is active ({})", text)
                  : fmt::format(
                        "selinux is not among the active LSMs ({}): boot with "
                        "security=selinux",
                        text);
  return c;
}

HostCheck check_cgroup2(const std::string& path) {
  HostCheck c{.name = "cgroup2"};
  struct statfs st {};
  if (::statfs(path.c_str(), &st) < 0) {
    c.detail = fmt::format("statfs {}: {}", path, std::strerror(errno));
    return c;
  }
  // statfs(2): CGROUP2_SUPER_MAGIC for the unified hierarchy; a tmpfs here means
  // hybrid or legacy cgroups (v1 controllers below it).
  c.ok = st.f_type == CGROUP2_SUPER_MAGIC;
  c.detail = c.ok ? fmt::format("cgroup2 is mounted at {}", path)
                  : fmt::format(
                        "{} is not cgroup2 (filesystem magic {:#x}): Keel needs pure "
                        "cgroup v2 (hybrid or v1 hosts are not supported)",
                        path, static_cast<unsigned long>(st.f_type));
  return c;
}

HostCheck check_cmdline(const std::string& path) {
  HostCheck c{.name = "cmdline"};
  std::string text;
  if (!read_text(path, text)) {
    c.detail = fmt::format("cannot read {}: {}", path, std::strerror(errno));
    return c;
  }
  c.ok = cmdline_enables_selinux(text);
  c.detail = c.ok ? "the kernel command line enables selinux"
                  : "the kernel command line has neither security=selinux nor an lsm= list "
                    "with selinux";
  return c;
}

std::string default_config_path() {
  struct utsname u {};
  ::uname(&u);
  return fmt::format("/usr/lib/modules/{}/config", u.release);
}

}  // namespace

bool cmdline_enables_selinux(std::string_view cmdline) {
  bool enabled = false;
  while (!cmdline.empty()) {
    size_t sp = cmdline.find(' ');
    std::string_view word = cmdline.substr(0, sp);
    if (word.starts_with("security=")) enabled = word == "security=selinux";
    if (word.starts_with("lsm=")) enabled = list_has(word.substr(4), "selinux");
    if (sp == std::string_view::npos) break;
    cmdline.remove_prefix(sp + 1);
  }
  return enabled;
}

std::vector<HostCheck> host_checks(const KernelCheckPaths& paths) {
  return {check_lsm(paths.lsm), check_cgroup2(paths.cgroup), check_cmdline(paths.cmdline)};
}

int run_check_kernel(const KernelCheckPaths& paths, bool json, std::FILE* out, std::FILE* err) {
  std::string config_path = paths.config.empty() ? default_config_path() : paths.config;
  auto rules = kernel::default_rules();
  auto config =
      rules ? kernel::load_kernel_config(config_path) : std::unexpected(std::move(rules).error());
  if (!config) {
    std::fprintf(err, "keelctl: %s\n", config.error().message().c_str());
    return 2;
  }
  kernel::Report report = kernel::check_config(*config, *rules);
  std::vector<HostCheck> host = host_checks(paths);
  bool ok = report.failures() == 0;
  Json errors = Json::array(), warnings = Json::array(), runtime = Json::array();
  for (const auto& f : report.findings) {
    if (f.is_failure()) errors.push_back(f.message);
    if (f.is_warning()) warnings.push_back(f.message);
  }
  for (const auto& h : host) {
    ok = ok && h.ok;
    runtime.push_back({{"check", h.name}, {"ok", h.ok}, {"detail", h.detail}});
  }
  std::string kver = report.version ? report.version->str() : "";
  if (json) {
    Json j = {{"ok", ok},         {"config", config_path}, {"kernel", kver},
              {"errors", errors}, {"warnings", warnings},  {"runtime", runtime}};
    std::fputs(json_line(j).c_str(), out);
    return ok ? 0 : 1;
  }
  for (const auto& e : errors) std::fprintf(out, "error: %s\n", e.get<std::string>().c_str());
  for (const auto& w : warnings) std::fprintf(out, "warning: %s\n", w.get<std::string>().c_str());
  for (const auto& h : host)
    std::fprintf(out, "%s: %s: %s\n", h.ok ? "ok" : "error", h.name.c_str(), h.detail.c_str());
  std::fprintf(out, "%s: kernel %s: %d errors, %d warnings, host checks %s\n", config_path.c_str(),
               kver.empty() ? "(no version header)" : kver.c_str(), report.failures(),
               report.warnings(), ok ? "passed" : "failed");
  return ok ? 0 : 1;
}

}  // namespace keel::init
