// rlimits (setrlimit(2)), oom_score_adj (proc(5)) and sysctls (runtime-spec
// "config-linux.md#sysctl"), set in the container process before execve.
#include "process_attrs.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <utility>

namespace keel::runtime {
namespace {

constexpr std::pair<const char*, int> kRlimits[] = {
    {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},
    {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},
    {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
    {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_STACK", RLIMIT_STACK},
};

// IPC sysctls that the kernel keeps per IPC namespace (ipc_namespaces(7)), as in
// runc's libcontainer/configs/validate sysctl check.
constexpr const char* kIpcSysctls[] = {"kernel.msgmax", "kernel.msgmnb",         "kernel.msgmni",
                                       "kernel.sem",    "kernel.shmall",         "kernel.shmmax",
                                       "kernel.shmmni", "kernel.shm_rmid_forced"};

bool has_ns(const std::vector<std::string>& ns, std::string_view type) {
  return std::ranges::find(ns, type) != ns.end();
}

ChildErr write_proc(const char* path, const std::string& value) {
  int fd = ::open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return child_err("open", path);
  ssize_t n = ::write(fd, value.data(), value.size());
  int saved = errno;
  ::close(fd);
  errno = saved;
  if (n != static_cast<ssize_t>(value.size())) return child_err("write", path);
  return {};
}

}  // namespace

Result<int> rlimit_from_name(std::string_view name) {
  for (auto [n, v] : kRlimits)
    if (name == n) return v;
  return fail_msg("unknown rlimit type '" + std::string(name) + "'");
}

Result<void> check_sysctl(std::string_view key, std::string_view value,
                          const std::vector<std::string>& ns) {
  std::string k(key);
  if (k.empty() || k.find('/') != std::string::npos || k.find("..") != std::string::npos ||
      k.starts_with('.') || k.ends_with('.'))
    return fail_msg("sysctl key '" + k + "' is not valid");
  if (value.find('\0') != std::string_view::npos)
    return fail_msg("sysctl " + k + " has a NUL in its value");
  auto need = [&](std::string_view type) -> Result<void> {
    if (has_ns(ns, type)) return {};
    return fail_msg("sysctl " + k + " needs a new " + std::string(type) + " namespace");
  };
  if (k.starts_with("net.")) return need("network");
  if (k.starts_with("fs.mqueue.")) return need("ipc");
  for (const char* s : kIpcSysctls)
    if (k == s) return need("ipc");
  if (k == "kernel.hostname" || k == "kernel.domainname") return need("uts");
  return fail_msg("sysctl " + k +
                  " is not namespaced: setting it would change the host (allowed: net.*, "
                  "fs.mqueue.*, kernel IPC limits, kernel.hostname, kernel.domainname)");
}

Result<void> plan_process_attrs(const Spec& spec, ChildPlan& plan) {
  for (const auto& r : spec.process.rlimits) {
    int res = TRY_CTX(rlimit_from_name(r.type), "process.rlimits");
    plan.rlimits.push_back({res, {r.soft, r.hard}, r.type});
  }
  if (spec.process.oom_score_adj) plan.oom_score_adj = std::to_string(*spec.process.oom_score_adj);
  for (const auto& [key, value] : spec.linux_.sysctl) {
    std::string path = "/proc/sys/" + key;
    std::ranges::replace(path, '.', '/');
    plan.sysctls.push_back({std::move(path), value});
  }
  return {};
}

ChildErr child_write_sysctls(const ChildPlan& plan) {
  for (const auto& s : plan.sysctls)
    if (ChildErr e = write_proc(s.path.c_str(), s.value)) return e;
  return {};
}

ChildErr child_set_limits(const ChildPlan& plan) {
  for (const auto& r : plan.rlimits)
    if (::setrlimit(static_cast<__rlimit_resource>(r.resource), &r.limit) < 0)
      return child_err("setrlimit", r.name.c_str());
  if (!plan.oom_score_adj.empty())
    return write_proc("/proc/self/oom_score_adj", plan.oom_score_adj);
  return {};
}

}  // namespace keel::runtime
