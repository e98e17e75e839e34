// Hybrid and legacy hosts: linux.resources through the v1 hierarchies mounted at
// <root>/<controller> (kernel Documentation/admin-guide/cgroup-v1/). The child joins
// them by pid (Cgroup::join) before it execs; clone3 cannot place it in v1 groups.
#include <sys/stat.h>
#include <unistd.h>

#include <map>

#include "cgroup.hpp"
#include "keel/common/log.hpp"
#include "keel/common/sys.hpp"

namespace keel::runtime {
namespace {

constexpr const char* kKnown[] = {"memory", "pids", "cpu", "cpuset", "blkio", "devices", "hugetlb"};

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// Says once per process which kind of host this is and what goes where.
void announce_mode(const std::string& root) {
  static bool said = false;
  if (std::exchange(said, true)) return;
  std::vector<std::string> v1;
  for (const char* c : kKnown)
    if (sys::is_dir(root + "/" + c)) v1.push_back(c);
  std::string list;
  for (size_t i = 0; i < v1.size(); ++i)
    list += (i == 0 ? "" : i + 1 == v1.size() ? " and " : ", ") + v1[i];
  std::string unified = root + "/unified";
  if (detect_cgroup_mode(unified) == CgroupMode::unified) {
    std::string c = trim(sys::read_file(unified + "/cgroup.controllers").value_or(""));
    log::warn("keel-runtime",
              "cgroup: hybrid v1/v2 host (v2 at {} has controllers: {}): applying {} via v1",
              unified, c.empty() ? "none" : c, list.empty() ? "nothing" : list);
  } else {
    log::warn("keel-runtime", "cgroup: legacy v1 host: applying {} via v1",
              list.empty() ? "nothing" : list);
  }
}

// A v1 cpuset group starts with empty cpus and mems and refuses tasks until they are
// set (cpusets.rst): copy the parent's into each new level.
Result<void> fill_cpuset(const std::string& dir) {
  std::string parent = dir.substr(0, dir.rfind('/'));
  for (const char* f : {"cpuset.cpus", "cpuset.mems"}) {
    if (!trim(TRY(sys::read_file(dir + "/" + f))).empty()) continue;
    std::string inherited = TRY(sys::read_file(parent + "/" + f));
    TRY(sys::write_file(dir + "/" + f, inherited));
  }
  return {};
}

Result<std::string> make_group(const std::string& hierarchy, const std::string& rel,
                               const Cgroup::MkdirHook& on_mkdir) {
  std::string dir = hierarchy;
  bool cpuset = hierarchy.ends_with("/cpuset");
  for (size_t pos = 0; pos != std::string::npos;) {
    size_t end = rel.find('/', pos);
    dir = hierarchy + "/" + rel.substr(0, end);
    pos = end == std::string::npos ? end : end + 1;
    if (pos == std::string::npos)
      TRY(cgroup_make_leaf(dir));
    else if (::mkdir(dir.c_str(), 0755) < 0 && errno != EEXIST)
      return fail_errno("mkdir " + dir);
    if (on_mkdir) on_mkdir(dir);
    if (cpuset) TRY(fill_cpuset(dir));
  }
  return dir;
}

}  // namespace

Result<void> Cgroup::create_v1(const SpecResources& r, const std::string& rel,
                               const std::string& root) {
  announce_mode(root);
  auto plan = TRY(plan_v1(r));
  for (const auto& f : plan.not_applied) cgroup_warn_not_applied(f, "cgroup v2 only");
  std::map<std::string, std::string> groups;  // controller -> its group
  for (const auto& w : plan.writes) {
    std::string hierarchy = root + "/" + w.controller;
    if (!sys::is_dir(hierarchy)) {
      cgroup_warn_not_applied(w.file, "no v1 " + w.controller + " hierarchy at " + hierarchy);
      continue;
    }
    if (!groups.contains(w.controller)) {
      std::string dir = TRY(make_group(hierarchy, rel, m_on_mkdir));
      m_v1_paths.push_back(dir);
      groups[w.controller] = dir;
    }
    std::string file = groups[w.controller] + "/" + w.file;
    if (!sys::exists(file)) {  // e.g. memsw without swap accounting
      cgroup_warn_not_applied(w.file, file + " does not exist");
      continue;
    }
    TRY(with_context(sys::write_file(file, w.value), "writing '" + w.value + "' to " + file));
  }
  return {};
}

Result<void> Cgroup::join(pid_t pid) const {
  for (const auto& dir : m_v1_paths)
    TRY(with_context(sys::write_file(dir + "/cgroup.procs", std::to_string(pid)),
                     "adding the container to " + dir));
  return {};
}

}  // namespace keel::runtime
