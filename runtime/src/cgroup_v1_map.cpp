// linux.resources on cgroup v1 hierarchies (Documentation/admin-guide/cgroup-v1/),
// for hybrid and legacy hosts. Controllers are named by their hierarchy's directory.
#include <string>

#include "cgroup_map.hpp"

namespace keel::runtime {
namespace {

std::string num(int64_t v) {
  return std::to_string(v);  // v1 takes -1 for unlimited
}

std::string dev(int64_t major, int64_t minor) {
  return std::to_string(major) + ":" + std::to_string(minor);
}

void plan_memory(const SpecMemory& m, CgroupPlan& p) {
  // limit before memsw: memsw.limit_in_bytes must stay >= limit_in_bytes (memory.rst).
  if (m.limit) p.writes.push_back({"memory", "memory.limit_in_bytes", num(*m.limit)});
  if (m.reservation)
    p.writes.push_back({"memory", "memory.soft_limit_in_bytes", num(*m.reservation)});
  // Only present with swap accounting; absent, the write is skipped with a warning.
  if (m.swap) p.writes.push_back({"memory", "memory.memsw.limit_in_bytes", num(*m.swap)});
  if (m.swappiness)
    p.writes.push_back({"memory", "memory.swappiness", std::to_string(*m.swappiness)});
  if (m.disable_oom_killer) p.writes.push_back({"memory", "memory.oom_control", "1"});
}

void plan_cpu(const SpecCpu& c, CgroupPlan& p) {
  if (c.shares) p.writes.push_back({"cpu", "cpu.shares", std::to_string(*c.shares)});
  if (c.period) p.writes.push_back({"cpu", "cpu.cfs_period_us", std::to_string(*c.period)});
  if (c.quota) p.writes.push_back({"cpu", "cpu.cfs_quota_us", num(*c.quota)});
  if (c.realtime_period)
    p.writes.push_back({"cpu", "cpu.rt_period_us", std::to_string(*c.realtime_period)});
  if (c.realtime_runtime)
    p.writes.push_back({"cpu", "cpu.rt_runtime_us", num(*c.realtime_runtime)});
  if (c.idle) p.not_applied.push_back("linux.resources.cpu.idle");
  // cpuset.cpus/mems are always written (copied from the parent when unset) by the
  // v1 code, because a v1 cpuset group with empty lists cannot take tasks.
  if (!c.cpus.empty()) p.writes.push_back({"cpuset", "cpuset.cpus", c.cpus});
  if (!c.mems.empty()) p.writes.push_back({"cpuset", "cpuset.mems", c.mems});
}

void plan_blkio(const SpecBlockIo& b, CgroupPlan& p) {
  if (b.weight) p.writes.push_back({"blkio", "blkio.weight", std::to_string(*b.weight)});
  if (b.leaf_weight)
    p.writes.push_back({"blkio", "blkio.leaf_weight", std::to_string(*b.leaf_weight)});
  for (const auto& w : b.weight_device) {
    if (w.weight)
      p.writes.push_back({"blkio", "blkio.weight_device",
                          dev(w.major, w.minor) + " " + std::to_string(*w.weight)});
    if (w.leaf_weight)
      p.writes.push_back({"blkio", "blkio.leaf_weight_device",
                          dev(w.major, w.minor) + " " + std::to_string(*w.leaf_weight)});
  }
  auto add = [&](const std::vector<SpecThrottleDevice>& list, const char* file) {
    for (const auto& t : list)
      p.writes.push_back({"blkio", file, dev(t.major, t.minor) + " " + std::to_string(t.rate)});
  };
  add(b.read_bps, "blkio.throttle.read_bps_device");
  add(b.write_bps, "blkio.throttle.write_bps_device");
  add(b.read_iops, "blkio.throttle.read_iops_device");
  add(b.write_iops, "blkio.throttle.write_iops_device");
}

// devices.rst: "a" or "c 1:3 rwm", '*' for any major or minor.
std::string device_line(const SpecDeviceRule& d) {
  if (d.type == 'a' && d.major < 0 && d.minor < 0 && d.access == "rwm") return "a";
  auto n = [](int64_t v) { return v < 0 ? std::string("*") : std::to_string(v); };
  return std::string(1, d.type) + " " + n(d.major) + ":" + n(d.minor) + " " + d.access;
}

}  // namespace

Result<CgroupPlan> plan_v1(const SpecResources& r) {
  CgroupPlan p;
  plan_memory(r.memory, p);
  plan_cpu(r.cpu, p);
  if (r.pids_limit)
    p.writes.push_back({"pids", "pids.max", *r.pids_limit < 0 ? "max" : num(*r.pids_limit)});
  plan_blkio(r.block_io, p);
  for (const auto& h : r.hugepage_limits)
    p.writes.push_back(
        {"hugetlb", "hugetlb." + h.page_size + ".limit_in_bytes", std::to_string(h.limit)});
  for (const auto& d : effective_device_rules(r))
    p.writes.push_back({"devices", d.allow ? "devices.allow" : "devices.deny", device_line(d)});
  if (!r.unified.empty()) p.not_applied.push_back("linux.resources.unified");
  return p;
}

}  // namespace keel::runtime
