// features.md: every list here is what keel-runtime accepts, checked against the
// same functions the config.json parser uses, so the two cannot drift apart.
#include "features.hpp"

#include "namespaces.hpp"

#include <sys/capability.h>

#include <cctype>

#include "capabilities.hpp"
#include "child.hpp"
#include "json_util.hpp"
#include "keel/runtime/spec.hpp"
#include "seccomp.hpp"

namespace keel::runtime {
namespace {

using jsonu::json;

template <class Check>
json filtered(std::initializer_list<const char*> candidates, Check check) {
  json out = json::array();
  for (const char* c : candidates)
    if (check(c)) out.push_back(c);
  return out;
}

json capabilities() {
  json out = json::array();
  for (int i = 0; i <= CAP_LAST_CAP; ++i) {
    char* n = ::cap_to_name(static_cast<cap_value_t>(i));
    if (!n) continue;
    std::string name = n;
    ::cap_free(n);
    for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (capability_from_name(name)) out.push_back(name);
  }
  return out;
}

json seccomp() {
  return {
      {"enabled", true},
      {"actions", filtered({"SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
                            "SCMP_ACT_TRAP", "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW",
                            "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY"},
                           [](const char* a) { return check_seccomp_action(a).has_value(); })},
      {"operators", filtered({"SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ",
                              "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"},
                             [](const char* o) { return check_seccomp_operator(o).has_value(); })},
      {"archs",
       filtered({"SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_ARM",
                 "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32",
                 "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
                 "SCMP_ARCH_PPC64", "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390", "SCMP_ARCH_S390X",
                 "SCMP_ARCH_RISCV64"},
                [](const char* a) { return check_seccomp_arch(a).has_value(); })},
      {"knownFlags",
       filtered({"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
                 "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"},
                [](const char* f) { return check_seccomp_flag(f).has_value(); })},
  };
}

}  // namespace

std::string features_json() {
  json hooks = json::array();
  for (const char* h : kHookNames) hooks.push_back(h);
  json linux_ = {
      // Each may be new or joined by path, except mount (namespaces.cpp).
      {"namespaces", namespace_types()},
      {"capabilities", capabilities()},
      // Hybrid hosts: v1 controllers get v1 groups (cgroup_v1.cpp).
      {"cgroup", {{"v1", true}, {"v2", true}, {"systemd", false}, {"systemdUser", false}}},
      {"seccomp", seccomp()},
      {"apparmor", {{"enabled", false}}},
      {"selinux", {{"enabled", false}}},
  };
  json f = {{"ociVersionMin", "1.0.0"}, {"ociVersionMax", "1.2.0"},
            {"hooks", hooks},           {"mountOptions", known_mount_options()},
            {"linux", linux_},          {"annotations", json::object()}};
  return jsonu::dump(f, 2) + "\n";
}

}  // namespace keel::runtime
