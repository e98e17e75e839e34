// linux.seccomp with libseccomp (seccomp_init(3), seccomp_rule_add(3),
// seccomp_export_bpf(3)); runtime-spec "config-linux.md#seccomp". Like crun, the
// filter is built before clone and the child loads the BPF program with seccomp(2).
#include "seccomp.hpp"

#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <memory>
#include <optional>

#include "keel/common/sys.hpp"
#include "keel/common/unique_fd.hpp"

namespace keel::runtime {
namespace {

struct CtxFree {
  void operator()(void* ctx) const { seccomp_release(ctx); }
};
using Ctx = std::unique_ptr<void, CtxFree>;

// SCMP_ACT_* by name; errno_ret applies to ERRNO and TRACE (default EPERM).
std::optional<uint32_t> action_value(std::string_view a, std::optional<uint32_t> errno_ret) {
  uint32_t e = errno_ret.value_or(EPERM);
  if (a == "SCMP_ACT_ALLOW") return SCMP_ACT_ALLOW;
  if (a == "SCMP_ACT_ERRNO") return SCMP_ACT_ERRNO(e);
  if (a == "SCMP_ACT_KILL" || a == "SCMP_ACT_KILL_THREAD") return SCMP_ACT_KILL_THREAD;
  if (a == "SCMP_ACT_KILL_PROCESS") return SCMP_ACT_KILL_PROCESS;
  if (a == "SCMP_ACT_TRAP") return SCMP_ACT_TRAP;
  if (a == "SCMP_ACT_TRACE") return SCMP_ACT_TRACE(e);
  if (a == "SCMP_ACT_LOG") return SCMP_ACT_LOG;
  return std::nullopt;  // SCMP_ACT_NOTIFY needs a listener socket: not supported
}

std::optional<scmp_compare> operator_value(std::string_view op) {
  if (op == "SCMP_CMP_NE") return SCMP_CMP_NE;
  if (op == "SCMP_CMP_LT") return SCMP_CMP_LT;
  if (op == "SCMP_CMP_LE") return SCMP_CMP_LE;
  if (op == "SCMP_CMP_EQ") return SCMP_CMP_EQ;
  if (op == "SCMP_CMP_GE") return SCMP_CMP_GE;
  if (op == "SCMP_CMP_GT") return SCMP_CMP_GT;
  if (op == "SCMP_CMP_MASKED_EQ") return SCMP_CMP_MASKED_EQ;
  return std::nullopt;
}

// "SCMP_ARCH_X86_64" -> libseccomp's "x86_64".
uint32_t arch_value(std::string_view arch) {
  if (!arch.starts_with("SCMP_ARCH_")) return 0;
  std::string name(arch.substr(10));
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return seccomp_arch_resolve_name(name.c_str());
}

std::optional<unsigned> flag_value(std::string_view f) {
  if (f == "SECCOMP_FILTER_FLAG_TSYNC") return SECCOMP_FILTER_FLAG_TSYNC;
  if (f == "SECCOMP_FILTER_FLAG_LOG") return SECCOMP_FILTER_FLAG_LOG;
  if (f == "SECCOMP_FILTER_FLAG_SPEC_ALLOW") return SECCOMP_FILTER_FLAG_SPEC_ALLOW;
  return std::nullopt;
}

Error scmp_error(std::string what, int rc) {
  return Error::from_errno(what, -rc);
}

// libseccomp refuses two conditions on one argument in one rule; such rules become
// one rule per condition (as runc does), which matches if any condition holds.
Result<void> add_rule(void* ctx, const SpecSyscall& rule, uint32_t action, int nr,
                      const std::string& name) {
  std::vector<scmp_arg_cmp> cmps;
  bool repeated = false;
  for (const auto& a : rule.args) {
    for (const auto& c : cmps) repeated |= c.arg == a.index;
    cmps.push_back({a.index, *operator_value(a.op), a.value, a.value_two});
  }
  if (!repeated) {
    int rc =
        seccomp_rule_add_array(ctx, action, nr, static_cast<unsigned>(cmps.size()), cmps.data());
    if (rc < 0) return fail(scmp_error("seccomp rule for " + name, rc));
    return {};
  }
  for (const auto& c : cmps) {
    int rc = seccomp_rule_add_array(ctx, action, nr, 1, &c);
    if (rc < 0) return fail(scmp_error("seccomp rule for " + name, rc));
  }
  return {};
}

Result<ChildSeccomp> export_bpf(void* ctx) {
  int fd = ::memfd_create("keel-seccomp", MFD_CLOEXEC);
  if (fd < 0) return fail_errno("memfd_create");
  UniqueFd mem(fd);
  if (int rc = seccomp_export_bpf(ctx, fd); rc < 0)
    return fail(scmp_error("seccomp_export_bpf", rc));
  off_t size = ::lseek(fd, 0, SEEK_END);
  if (size < 0 || ::lseek(fd, 0, SEEK_SET) < 0) return fail_errno("lseek seccomp program");
  ChildSeccomp out;
  out.program.resize(static_cast<size_t>(size) / sizeof(sock_filter));
  auto* p = reinterpret_cast<char*>(out.program.data());
  size_t want = out.program.size() * sizeof(sock_filter), got = 0;
  while (got < want) {
    ssize_t n = ::read(fd, p + got, want - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail_errno("read seccomp program");
    got += static_cast<size_t>(n);
  }
  return out;
}

}  // namespace

Result<void> check_seccomp_action(std::string_view action) {
  if (!action_value(action, std::nullopt))
    return fail_msg("seccomp action '" + std::string(action) + "' is not supported");
  return {};
}

Result<void> check_seccomp_operator(std::string_view op) {
  if (!operator_value(op))
    return fail_msg("seccomp operator '" + std::string(op) + "' is not supported");
  return {};
}

Result<void> check_seccomp_arch(std::string_view arch) {
  if (arch_value(arch) == 0)
    return fail_msg("seccomp architecture '" + std::string(arch) + "' is not supported");
  return {};
}

Result<void> check_seccomp_flag(std::string_view flag) {
  if (!flag_value(flag))
    return fail_msg("seccomp flag '" + std::string(flag) + "' is not supported");
  return {};
}

Result<ChildSeccomp> compile_seccomp(const SpecSeccomp& profile) {
  auto def = action_value(profile.default_action, profile.default_errno_ret);
  if (!def) return fail_msg("seccomp action '" + profile.default_action + "' is not supported");
  Ctx ctx(seccomp_init(*def));
  if (!ctx) return fail_msg("seccomp_init failed");
  for (const auto& a : profile.architectures) {
    int rc = seccomp_arch_add(ctx.get(), arch_value(a));
    if (rc < 0 && rc != -EEXIST) return fail(scmp_error("seccomp_arch_add " + a, rc));
  }
  for (const auto& rule : profile.syscalls) {
    auto action = action_value(rule.action, rule.errno_ret);
    if (!action) return fail_msg("seccomp action '" + rule.action + "' is not supported");
    if (*action == *def) continue;  // libseccomp refuses rules that repeat the default
    for (const auto& name : rule.names) {
      int nr = seccomp_syscall_resolve_name(name.c_str());
      if (nr == __NR_SCMP_ERROR) continue;
      TRY(add_rule(ctx.get(), rule, *action, nr, name));
    }
  }
  auto out = TRY(export_bpf(ctx.get()));
  for (const auto& f : profile.flags) {
    auto v = flag_value(f);
    if (!v) return fail_msg("seccomp flag '" + f + "' is not supported");
    out.flags |= *v;
  }
  return out;
}

}  // namespace keel::runtime
