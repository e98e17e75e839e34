// linux.resources parsing: every field, and the error text for bad values.
#include <gtest/gtest.h>

#include "keel/runtime/spec.hpp"

namespace keel::runtime {
namespace {

std::string with_resources(const std::string& resources) {
  return R"({"ociVersion":"1.2.0","process":{"args":["sh"]},"root":{"path":"r"},
             "linux":{"resources":)" +
         resources + "}}";
}

Result<SpecResources> parse(const std::string& resources) {
  auto s = parse_spec(with_resources(resources), "b/config.json");
  if (!s) return fail(s.error());
  return s->linux_.resources;
}

void expect_error(const std::string& resources, std::string_view needle) {
  auto s = parse_spec(with_resources(resources), "b/config.json");
  ASSERT_FALSE(s) << "accepted: " << resources;
  EXPECT_NE(s.error().message().find(needle), std::string::npos) << s.error().message();
  EXPECT_TRUE(s.error().message().starts_with("b/config.json")) << s.error().message();
}

TEST(SpecResources, ParsesEveryField) {
  auto r = parse(R"({
    "memory": {"limit": 33554432, "reservation": 16777216, "swap": 67108864, "kernel": 1,
               "kernelTCP": 2, "swappiness": 10, "disableOOMKiller": true},
    "cpu": {"shares": 512, "quota": 50000, "period": 100000, "realtimeRuntime": 950,
            "realtimePeriod": 1000, "cpus": "0-1", "mems": "0", "idle": 1},
    "pids": {"limit": 32},
    "blockIO": {"weight": 500, "leafWeight": 300,
                "weightDevice": [{"major": 8, "minor": 0, "weight": 600}],
                "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 1048576}],
                "throttleWriteBpsDevice": [{"major": 8, "minor": 0, "rate": 2097152}],
                "throttleReadIOPSDevice": [{"major": 8, "minor": 16, "rate": 100}],
                "throttleWriteIOPSDevice": [{"major": 8, "minor": 16, "rate": 200}]},
    "hugepageLimits": [{"pageSize": "2MB", "limit": 4194304}],
    "unified": {"memory.high": "50000000"},
    "devices": [{"allow": false, "access": "rwm"},
                {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rw"},
                {"allow": true, "type": "c", "major": 136, "minor": null}]
  })");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->memory.limit, 33554432);
  EXPECT_EQ(r->memory.reservation, 16777216);
  EXPECT_EQ(r->memory.swap, 67108864);
  EXPECT_EQ(r->memory.swappiness, 10u);
  EXPECT_TRUE(r->memory.disable_oom_killer);
  EXPECT_EQ(r->ignored, (std::vector<std::string>{"linux.resources.memory.kernel",
                                                  "linux.resources.memory.kernelTCP"}));
  EXPECT_EQ(r->cpu.shares, 512u);
  EXPECT_EQ(r->cpu.quota, 50000);
  EXPECT_EQ(r->cpu.period, 100000u);
  EXPECT_EQ(r->cpu.realtime_runtime, 950);
  EXPECT_EQ(r->cpu.realtime_period, 1000u);
  EXPECT_EQ(r->cpu.cpus, "0-1");
  EXPECT_EQ(r->cpu.mems, "0");
  EXPECT_EQ(r->cpu.idle, 1);
  EXPECT_EQ(r->pids_limit, 32);
  EXPECT_EQ(r->block_io.weight, 500);
  EXPECT_EQ(r->block_io.leaf_weight, 300);
  ASSERT_EQ(r->block_io.weight_device.size(), 1u);
  EXPECT_EQ(r->block_io.weight_device[0].weight, 600);
  ASSERT_EQ(r->block_io.read_bps.size(), 1u);
  EXPECT_EQ(r->block_io.read_bps[0].rate, 1048576u);
  EXPECT_EQ(r->block_io.write_bps[0].rate, 2097152u);
  EXPECT_EQ(r->block_io.read_iops[0].minor, 16);
  EXPECT_EQ(r->block_io.write_iops[0].rate, 200u);
  ASSERT_EQ(r->hugepage_limits.size(), 1u);
  EXPECT_EQ(r->hugepage_limits[0].page_size, "2MB");
  EXPECT_EQ(r->hugepage_limits[0].limit, 4194304u);
  EXPECT_EQ(r->unified.at("memory.high"), "50000000");
  ASSERT_EQ(r->devices.size(), 3u);
  EXPECT_FALSE(r->devices[0].allow);
  EXPECT_EQ(r->devices[0].type, 'a');
  EXPECT_EQ(r->devices[0].major, -1);
  EXPECT_EQ(r->devices[1].type, 'c');
  EXPECT_EQ(r->devices[1].minor, 3);
  EXPECT_EQ(r->devices[1].access, "rw");
  EXPECT_EQ(r->devices[2].minor, -1);  // null: any
  EXPECT_EQ(r->devices[2].access, "rwm");
}

TEST(SpecResources, UnlimitedIsMinusOne) {
  auto r = parse(R"({"memory": {"limit": -1, "swap": -1}, "pids": {"limit": -1},
                     "cpu": {"quota": -1}})");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->memory.limit, -1);
  EXPECT_EQ(r->memory.swap, -1);
  EXPECT_EQ(r->pids_limit, -1);
  EXPECT_EQ(r->cpu.quota, -1);
}

TEST(SpecResources, RejectsBadValuesNamingTheField) {
  expect_error(R"({"memory": {"limit": "1G"}})",
               "'linux.resources.memory.limit' must be an integer");
  expect_error(R"({"memory": {"limit": -2}})", "'linux.resources.memory.limit' must be -1");
  expect_error(R"({"memory": {"swappiness": 101}})", "linux.resources.memory.swappiness");
  expect_error(R"({"memory": {"disableOOMKiller": 1}})", "linux.resources.memory.disableOOMKiller");
  expect_error(R"({"cpu": {"shares": -5}})", "'linux.resources.cpu.shares' must not be negative");
  expect_error(R"({"cpu": {"cpus": "0;1"}})", "'linux.resources.cpu.cpus' must be a list");
  expect_error(R"({"cpu": {"idle": 2}})", "'linux.resources.cpu.idle' must be 0 or 1");
  expect_error(R"({"pids": {"limit": "many"}})", "linux.resources.pids.limit");
  expect_error(R"({"blockIO": {"weight": 5}})",
               "'linux.resources.blockIO.weight' must be between 10 and 1000");
  expect_error(R"({"blockIO": {"throttleReadBpsDevice": [{"major": 8, "rate": 1}]}})",
               "linux.resources.blockIO.throttleReadBpsDevice[]' needs non-negative");
  expect_error(R"({"blockIO": {"throttleWriteIOPSDevice": [{"major": 8, "minor": 0}]}})",
               "linux.resources.blockIO.throttleWriteIOPSDevice[].rate' is required");
  expect_error(R"({"hugepageLimits": [{"pageSize": "2M", "limit": 1}]})",
               "linux.resources.hugepageLimits[].pageSize");
  expect_error(R"({"unified": {"../memory.max": "1"}})", "key '../memory.max'");
  expect_error(R"({"unified": {"a/b": "1"}})", "key 'a/b' must be a plain file name");
  expect_error(R"({"unified": {"memory.max": 1}})", "value of 'memory.max' must be a string");
  expect_error(R"({"devices": [{"allow": true, "type": "x"}]})",
               "'linux.resources.devices[].type' must be \"a\", \"b\" or \"c\"");
  expect_error(R"({"devices": [{"allow": true, "access": "rx"}]})",
               "'linux.resources.devices[].access' must be made of r, w and m");
  expect_error(R"({"devices": [{"type": "c"}]})", "'linux.resources.devices[].allow' is required");
  expect_error(R"({"devices": [{"allow": true, "major": -3}]})", "linux.resources.devices[].major");
  expect_error(R"({"memory": []})", "linux.resources.memory");
}

}  // namespace
}  // namespace keel::runtime
