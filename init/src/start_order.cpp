#include "keel/init/start_order.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace keel::init {
namespace {

// Marks containers whose required container is missing or unstartable, until
// nothing changes (a chain a requires b requires missing fails entirely).
void propagate_missing(const std::vector<ContainerDef>& defs,
                       const std::map<std::string, size_t>& index, StartOrder& o) {
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t i = 0; i < defs.size(); ++i) {
      if (o.unstartable[i]) continue;
      for (const auto& name : defs[i].required) {
        auto it = index.find(name);
        if (it != index.end() && !o.unstartable[it->second]) continue;
        o.unstartable[i] = changed = true;
        o.errors.push_back(
            Error::msg(fmt::format("container {} ({}): not started: it requires '{}', which {}",
                                   defs[i].name, defs[i].source_path, name,
                                   it == index.end() ? "is not defined" : "cannot start either")));
        break;
      }
    }
  }
}

// Kahn's algorithm over the startable containers: whatever is left once no
// container becomes ready is in a cycle or waits on one.
void reject_cycles(const std::vector<ContainerDef>& defs, StartOrder& o) {
  std::vector<size_t> pending(defs.size(), 0);
  std::vector<std::vector<size_t>> dependents(defs.size());
  std::vector<size_t> ready;
  for (size_t i = 0; i < defs.size(); ++i) {
    if (o.unstartable[i]) continue;
    for (size_t d : o.waits_for[i])
      if (!o.unstartable[d]) {
        ++pending[i];
        dependents[d].push_back(i);
      }
    if (pending[i] == 0) ready.push_back(i);
  }
  std::vector<bool> done(defs.size(), false);
  while (!ready.empty()) {
    size_t i = ready.back();
    ready.pop_back();
    done[i] = true;
    for (size_t dep : dependents[i])
      if (--pending[dep] == 0) ready.push_back(dep);
  }
  std::string stuck;
  for (size_t i = 0; i < defs.size(); ++i)
    if (!o.unstartable[i] && !done[i]) stuck += (stuck.empty() ? "" : ", ") + defs[i].name;
  for (size_t i = 0; i < defs.size(); ++i) {
    if (o.unstartable[i] || done[i]) continue;
    o.unstartable[i] = true;
    o.errors.push_back(
        Error::msg(fmt::format("container {} ({}): not started: its after/requires form a cycle "
                               "(containers involved: {}); remove one of the dependencies",
                               defs[i].name, defs[i].source_path, stuck)));
  }
}

}  // namespace

StartOrder resolve_start_order(const std::vector<ContainerDef>& defs) {
  StartOrder o;
  o.waits_for.resize(defs.size());
  o.required.resize(defs.size());
  o.unstartable.assign(defs.size(), false);
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < defs.size(); ++i) index[defs[i].name] = i;
  for (size_t i = 0; i < defs.size(); ++i) {
    for (const auto& name : defs[i].after) {
      auto it = index.find(name);
      if (it == index.end()) {
        o.warnings.push_back(
            fmt::format("container {}: after = '{}', which is not defined; "
                        "ignored",
                        defs[i].name, name));
        continue;
      }
      o.waits_for[i].push_back(it->second);
    }
    for (const auto& name : defs[i].required) {
      auto it = index.find(name);
      if (it == index.end()) continue;  // propagate_missing reports it
      o.waits_for[i].push_back(it->second);
      o.required[i].push_back(it->second);
    }
    std::ranges::sort(o.waits_for[i]);
    auto dup = std::ranges::unique(o.waits_for[i]);
    o.waits_for[i].erase(dup.begin(), dup.end());
  }
  propagate_missing(defs, index, o);
  reject_cycles(defs, o);
  return o;
}

}  // namespace keel::init
