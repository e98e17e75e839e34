// process.capabilities with libcap (cap_from_name(3), cap_set_proc(3),
// cap_drop_bound(3), cap_set_ambient(3)); runtime-spec "config.md#linux-process".
#include "capabilities.hpp"

#include <sys/capability.h>
#include <sys/prctl.h>

#include <algorithm>
#include <set>

#include "keel/common/log.hpp"

namespace keel::runtime {

void ChildCaps::CapFree::operator()(::_cap_struct* c) const {
  cap_free(c);
}

Result<int> capability_from_name(std::string_view name) {
  // cap_from_name also accepts numbers and lower case; the spec's names are CAP_*.
  std::string n(name);
  cap_value_t v;
  if (!n.starts_with("CAP_") || cap_from_name(n.c_str(), &v) != 0)
    return fail_msg("unknown capability '" + n + "'");
  return static_cast<int>(v);
}

namespace {

bool in_own_bounding_set(int cap) {
  return ::prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1;
}

// Names -> numbers, without the ones the runtime cannot grant (each warned about once).
Result<std::vector<int>> resolve(const std::vector<std::string>& names, const char* set,
                                 std::set<std::string>& warned, std::vector<std::string>* kept) {
  std::vector<int> out;
  for (const auto& name : names) {
    int cap = TRY_CTX(capability_from_name(name), std::string("process.capabilities.") + set);
    if (!in_own_bounding_set(cap)) {
      if (warned.insert(name).second)
        log::warn("keel-runtime",
                  "process.capabilities: {} is not in keel-runtime's own bounding set; skipped",
                  name);
      continue;
    }
    out.push_back(cap);
    if (kept) kept->push_back(name);
  }
  return out;
}

}  // namespace

Result<void> plan_capabilities(const SpecCapabilities& spec, ChildCaps& out) {
  std::set<std::string> warned;
  auto bounding = TRY(resolve(spec.bounding, "bounding", warned, nullptr));
  auto effective = TRY(resolve(spec.effective, "effective", warned, nullptr));
  auto permitted = TRY(resolve(spec.permitted, "permitted", warned, nullptr));
  auto inheritable = TRY(resolve(spec.inheritable, "inheritable", warned, nullptr));
  out.ambient_names.clear();
  out.ambient = TRY(resolve(spec.ambient, "ambient", warned, &out.ambient_names));
  out.drop_bounding.clear();
  out.drop_names.clear();
  // PR_CAPBSET_READ fails (EINVAL) past the kernel's last capability.
  for (int cap = 0; cap < 64; ++cap) {
    if (!in_own_bounding_set(cap) || std::ranges::find(bounding, cap) != bounding.end()) continue;
    out.drop_bounding.push_back(cap);
    char* name = cap_to_name(static_cast<cap_value_t>(cap));
    out.drop_names.push_back(name ? name : std::to_string(cap));
    cap_free(name);
  }
  ChildCaps::CapPtr state(cap_init());
  if (!state) return fail_errno("cap_init");
  auto set = [&](const std::vector<int>& caps, cap_flag_t flag) -> Result<void> {
    std::vector<cap_value_t> v(caps.begin(), caps.end());
    if (!v.empty() &&
        cap_set_flag(state.get(), flag, static_cast<int>(v.size()), v.data(), CAP_SET) != 0)
      return fail_errno("cap_set_flag");
    return {};
  };
  TRY(set(effective, CAP_EFFECTIVE));
  TRY(set(permitted, CAP_PERMITTED));
  TRY(set(inheritable, CAP_INHERITABLE));
  out.state = std::move(state);
  return {};
}

ChildErr child_drop_bounding(const ChildCaps& caps) {
  for (size_t i = 0; i < caps.drop_bounding.size(); ++i)
    if (cap_drop_bound(static_cast<cap_value_t>(caps.drop_bounding[i])) != 0)
      return child_err("drop from the bounding set", caps.drop_names[i].c_str());
  return {};
}

ChildErr child_set_capabilities(const ChildCaps& caps) {
  if (cap_set_proc(caps.state.get()) != 0) return child_err("capset", "");
  if (cap_reset_ambient() != 0) return child_err("reset ambient capabilities", "");
  for (size_t i = 0; i < caps.ambient.size(); ++i)
    if (cap_set_ambient(static_cast<cap_value_t>(caps.ambient[i]), CAP_SET) != 0)
      return child_err("raise ambient capability", caps.ambient_names[i].c_str());
  return {};
}

}  // namespace keel::runtime
