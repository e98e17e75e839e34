// linux.resources -> cgroup interface files, as pure functions so the mapping is
// unit-tested without a cgroup filesystem (cgroup_v2_map.cpp, cgroup_v1_map.cpp).
#pragma once

#include <string>
#include <vector>

#include "keel/runtime/spec.hpp"

namespace keel::runtime {

struct CgroupWrite {
  std::string controller;  // v2: name in cgroup.controllers; v1: hierarchy dir; "" for none
  std::string file, value;
  // Written instead when `file` does not exist (io.bfq.weight -> io.weight).
  std::string fallback_file, fallback_value;
};

struct CgroupPlan {
  std::vector<CgroupWrite> writes;       // in order
  std::vector<std::string> not_applied;  // fields with no file on this cgroup version
};

// Kernel Documentation/admin-guide/cgroup-v2.rst. Devices are not in the plan: on
// v2 they are a BPF program (device_cgroup.hpp).
Result<CgroupPlan> plan_v2(const SpecResources& r);
// Kernel Documentation/admin-guide/cgroup-v1/*.rst, devices included.
Result<CgroupPlan> plan_v1(const SpecResources& r);

// runc's documented conversion of cgroup v1 cpu.shares [2, 262144] to cgroup v2
// cpu.weight [1, 10000] (runc docs/systemd.md, "cpu.weight").
uint64_t shares_to_weight(uint64_t shares);
// blkio weight [10, 1000] to io.weight [1, 10000], the same linear mapping.
uint64_t blkio_to_io_weight(uint64_t weight);

// The rules actually enforced: deny everything, the spec's rules, then allow the
// devices the runtime itself creates in /dev (devices.cpp); the last match wins.
std::vector<SpecDeviceRule> effective_device_rules(const SpecResources& r);

}  // namespace keel::runtime
