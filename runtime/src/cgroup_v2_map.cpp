// linux.resources on cgroup v2 (Documentation/admin-guide/cgroup-v2.rst "Controllers").
#include <algorithm>
#include <string>

#include "cgroup_map.hpp"

namespace keel::runtime {
namespace {

std::string limit(int64_t v) {
  return v < 0 ? "max" : std::to_string(v);  // -1 is unlimited
}

std::string dev(int64_t major, int64_t minor) {
  return std::to_string(major) + ":" + std::to_string(minor);
}

// memory.swap.max counts swap only; the spec's swap is memory+swap (v1 memsw).
Result<void> plan_memory(const SpecMemory& m, CgroupPlan& p) {
  if (m.limit) p.writes.push_back({"memory", "memory.max", limit(*m.limit)});
  if (m.reservation) p.writes.push_back({"memory", "memory.low", limit(*m.reservation)});
  if (m.swap) {
    std::string v;
    if (*m.swap < 0)
      v = "max";
    else if (!m.limit || *m.limit < 0)
      return fail_msg("linux.resources.memory.swap needs a memory.limit on cgroup v2");
    else if (*m.swap < *m.limit)
      return fail_msg("linux.resources.memory.swap (memory+swap) must be >= memory.limit");
    else
      v = std::to_string(*m.swap - *m.limit);
    p.writes.push_back({"memory", "memory.swap.max", v});
  }
  if (m.swappiness) p.not_applied.push_back("linux.resources.memory.swappiness");
  if (m.disable_oom_killer) p.not_applied.push_back("linux.resources.memory.disableOOMKiller");
  return {};
}

void plan_cpu(const SpecCpu& c, CgroupPlan& p) {
  if (c.shares)
    p.writes.push_back({"cpu", "cpu.weight", std::to_string(shares_to_weight(*c.shares))});
  if (c.quota || c.period) {
    // cpu.max is "$MAX $PERIOD"; the kernel's default period is 100000 us.
    std::string q = c.quota && *c.quota >= 0 ? std::to_string(*c.quota) : "max";
    p.writes.push_back({"cpu", "cpu.max", q + " " + std::to_string(c.period.value_or(100000))});
  }
  if (c.idle) p.writes.push_back({"cpu", "cpu.idle", std::to_string(*c.idle)});
  if (!c.cpus.empty()) p.writes.push_back({"cpuset", "cpuset.cpus", c.cpus});
  if (!c.mems.empty()) p.writes.push_back({"cpuset", "cpuset.mems", c.mems});
  if (c.realtime_runtime) p.not_applied.push_back("linux.resources.cpu.realtimeRuntime");
  if (c.realtime_period) p.not_applied.push_back("linux.resources.cpu.realtimePeriod");
}

// io.max takes one line per device; the keys of one device may share a line.
void plan_io_max(const SpecBlockIo& b, CgroupPlan& p) {
  std::vector<std::pair<std::string, std::string>> lines;  // device, "rbps=.."
  auto add = [&](const std::vector<SpecThrottleDevice>& list, const char* key) {
    for (const auto& t : list) {
      std::string d = dev(t.major, t.minor), kv = std::string(key) + "=" + std::to_string(t.rate);
      auto it = std::find_if(lines.begin(), lines.end(), [&](auto& l) { return l.first == d; });
      if (it == lines.end())
        lines.emplace_back(d, kv);
      else
        it->second += " " + kv;
    }
  };
  add(b.read_bps, "rbps");
  add(b.write_bps, "wbps");
  add(b.read_iops, "riops");
  add(b.write_iops, "wiops");
  for (const auto& [d, kv] : lines) p.writes.push_back({"io", "io.max", d + " " + kv});
}

// io.bfq.weight takes the blkio scale; io.weight (no BFQ) the 1..10000 one.
void plan_io(const SpecBlockIo& b, CgroupPlan& p) {
  if (b.weight)
    p.writes.push_back({"io", "io.bfq.weight", std::to_string(*b.weight), "io.weight",
                        "default " + std::to_string(blkio_to_io_weight(*b.weight))});
  for (const auto& w : b.weight_device)
    if (w.weight)
      p.writes.push_back(
          {"io", "io.bfq.weight", dev(w.major, w.minor) + " " + std::to_string(*w.weight),
           "io.weight",
           dev(w.major, w.minor) + " " + std::to_string(blkio_to_io_weight(*w.weight))});
  if (b.leaf_weight) p.not_applied.push_back("linux.resources.blockIO.leafWeight");
  for (const auto& w : b.weight_device)
    if (w.leaf_weight) p.not_applied.push_back("linux.resources.blockIO.weightDevice[].leafWeight");
  plan_io_max(b, p);
}

// The controller a unified key belongs to: its prefix ("memory.high" -> memory);
// cgroup.* files are the core's.
std::string unified_controller(const std::string& key) {
  std::string prefix = key.substr(0, key.find('.'));
  return prefix == "cgroup" ? "" : prefix;
}

}  // namespace

uint64_t shares_to_weight(uint64_t shares) {
  if (shares == 0) return 100;  // unset in some tools: the kernel default weight
  if (shares < 2) shares = 2;
  if (shares > 262144) shares = 262144;
  return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t blkio_to_io_weight(uint64_t weight) {
  return 1 + ((weight - 10) * 9999) / 990;
}

Result<CgroupPlan> plan_v2(const SpecResources& r) {
  CgroupPlan p;
  TRY(plan_memory(r.memory, p));
  plan_cpu(r.cpu, p);
  if (r.pids_limit) p.writes.push_back({"pids", "pids.max", limit(*r.pids_limit)});
  plan_io(r.block_io, p);
  for (const auto& h : r.hugepage_limits)
    p.writes.push_back({"hugetlb", "hugetlb." + h.page_size + ".max", std::to_string(h.limit)});
  // Last, so that they override the mapped fields (config-linux.md#unified).
  for (const auto& [key, value] : r.unified)
    p.writes.push_back({unified_controller(key), key, value});
  return p;
}

std::vector<SpecDeviceRule> effective_device_rules(const SpecResources& r) {
  std::vector<SpecDeviceRule> rules = {{.allow = false, .type = 'a'}};
  rules.insert(rules.end(), r.devices.begin(), r.devices.end());
  // After the spec's rules, as runc appends its allowed devices: the nodes
  // child_make_devices creates, /dev/ptmx and /dev/pts/* (devpts, major 136), which
  // the container needs even when its spec starts with "deny all".
  for (auto [major, minor] : {std::pair{1, 3}, {1, 5}, {1, 7}, {1, 8}, {1, 9}, {5, 0}, {5, 2}})
    rules.push_back({.allow = true, .type = 'c', .major = major, .minor = minor, .access = "rwm"});
  rules.push_back({.allow = true, .type = 'c', .major = 136, .minor = -1, .access = "rwm"});
  return rules;
}

}  // namespace keel::runtime
