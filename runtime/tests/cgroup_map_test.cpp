// linux.resources -> cgroup files (v2 and v1), and the device rule compiler: the
// BPF program is run by a small interpreter of the instructions it uses and must
// agree with the plain C++ evaluator.
#include <gtest/gtest.h>

#include <cstring>

#include "cgroup_map.hpp"
#include "device_cgroup.hpp"

namespace keel::runtime {
namespace {

std::vector<std::string> lines(const CgroupPlan& p) {
  std::vector<std::string> out;
  for (const auto& w : p.writes)
    out.push_back(
        w.controller + " " + w.file + "=" + w.value +
        (w.fallback_file.empty() ? "" : " | " + w.fallback_file + "=" + w.fallback_value));
  return out;
}

SpecResources full() {
  SpecResources r;
  r.memory = {.limit = 32 << 20, .reservation = 16 << 20, .swap = 48 << 20};
  r.cpu.shares = 1024;
  r.cpu.quota = 50000;
  r.cpu.period = 200000;
  r.cpu.cpus = "0";
  r.cpu.mems = "0";
  r.cpu.idle = 1;
  r.pids_limit = 16;
  r.block_io.weight = 500;
  r.block_io.read_bps = {{8, 0, 1048576}};
  r.block_io.write_iops = {{8, 0, 100}, {8, 16, 200}};
  r.hugepage_limits = {{"2MB", 4194304}, {"1GB", 0}};
  r.unified = {{"memory.high", "30000000"}, {"cgroup.freeze", "0"}};
  return r;
}

TEST(CgroupV2Map, MapsEveryResource) {
  auto p = plan_v2(full());
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(lines(*p), (std::vector<std::string>{
                           "memory memory.max=33554432",
                           "memory memory.low=16777216",
                           "memory memory.swap.max=16777216",  // swap is memory+swap
                           "cpu cpu.weight=39",
                           "cpu cpu.max=50000 200000",
                           "cpu cpu.idle=1",
                           "cpuset cpuset.cpus=0",
                           "cpuset cpuset.mems=0",
                           "pids pids.max=16",
                           "io io.bfq.weight=500 | io.weight=default 4950",
                           "io io.max=8:0 rbps=1048576 wiops=100",
                           "io io.max=8:16 wiops=200",
                           "hugetlb hugetlb.2MB.max=4194304",
                           "hugetlb hugetlb.1GB.max=0",
                           " cgroup.freeze=0",  // unified entries last, in key order
                           "memory memory.high=30000000",
                       }));
  EXPECT_TRUE(p->not_applied.empty());
}

TEST(CgroupV2Map, SharesToWeightIsRuncsFormula) {
  EXPECT_EQ(shares_to_weight(2), 1u);
  EXPECT_EQ(shares_to_weight(1024), 39u);  // 1 + (1022 * 9999) / 262142
  EXPECT_EQ(shares_to_weight(262144), 10000u);
  EXPECT_EQ(blkio_to_io_weight(10), 1u);
  EXPECT_EQ(blkio_to_io_weight(1000), 10000u);
}

TEST(CgroupV2Map, UnlimitedAndSwapArithmetic) {
  SpecResources r;
  r.memory = {.limit = -1, .swap = -1};
  r.pids_limit = -1;
  r.cpu.quota = -1;
  auto p = plan_v2(r);
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(lines(*p),
            (std::vector<std::string>{"memory memory.max=max", "memory memory.swap.max=max",
                                      "cpu cpu.max=max 100000", "pids pids.max=max"}));
  r.memory = {.limit = 100, .swap = 100};  // no swap at all
  EXPECT_EQ(lines(*plan_v2(r))[1], "memory memory.swap.max=0");
  r.memory = {.limit = 100, .swap = 50};
  auto bad = plan_v2(r);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("must be >= memory.limit"), std::string::npos);
  r.memory = {.swap = 50};
  bad = plan_v2(r);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("needs a memory.limit"), std::string::npos);
}

TEST(CgroupV2Map, V1OnlyFieldsAreReportedNotApplied) {
  SpecResources r;
  r.memory.swappiness = 10;
  r.memory.disable_oom_killer = true;
  r.cpu.realtime_runtime = 5;
  r.block_io.leaf_weight = 100;
  auto p = plan_v2(r);
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->writes.empty());
  EXPECT_EQ(p->not_applied,
            (std::vector<std::string>{
                "linux.resources.memory.swappiness", "linux.resources.memory.disableOOMKiller",
                "linux.resources.cpu.realtimeRuntime", "linux.resources.blockIO.leafWeight"}));
}

TEST(CgroupV1Map, MapsToV1FilesWithDevicesLast) {
  SpecResources r = full();
  r.memory.swappiness = 0;
  r.memory.disable_oom_killer = true;
  r.unified.clear();
  r.hugepage_limits.resize(1);
  r.devices = {{.allow = false, .type = 'c', .major = 1, .minor = 5, .access = "w"}};
  auto p = plan_v1(r);
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(lines(*p), (std::vector<std::string>{
                           "memory memory.limit_in_bytes=33554432",
                           "memory memory.soft_limit_in_bytes=16777216",
                           "memory memory.memsw.limit_in_bytes=50331648",
                           "memory memory.swappiness=0",
                           "memory memory.oom_control=1",
                           "cpu cpu.shares=1024",
                           "cpu cpu.cfs_period_us=200000",
                           "cpu cpu.cfs_quota_us=50000",
                           "cpuset cpuset.cpus=0",
                           "cpuset cpuset.mems=0",
                           "pids pids.max=16",
                           "blkio blkio.weight=500",
                           "blkio blkio.throttle.read_bps_device=8:0 1048576",
                           "blkio blkio.throttle.write_iops_device=8:0 100",
                           "blkio blkio.throttle.write_iops_device=8:16 200",
                           "hugetlb hugetlb.2MB.limit_in_bytes=4194304",
                           "devices devices.deny=a",
                           "devices devices.deny=c 1:5 w",
                           "devices devices.allow=c 1:3 rwm",
                           "devices devices.allow=c 1:5 rwm",
                           "devices devices.allow=c 1:7 rwm",
                           "devices devices.allow=c 1:8 rwm",
                           "devices devices.allow=c 1:9 rwm",
                           "devices devices.allow=c 5:0 rwm",
                           "devices devices.allow=c 5:2 rwm",
                           "devices devices.allow=c 136:* rwm",
                       }));
  EXPECT_EQ(p->not_applied, std::vector<std::string>{"linux.resources.cpu.idle"});
  r.unified = {{"memory.high", "1"}};
  EXPECT_EQ(plan_v1(r)->not_applied.back(), "linux.resources.unified");
}

// Runs a compiled device program on one access: the instructions compile_device_rules
// emits (32-bit loads, ALU64 and/rsh/mov, JMP32 jne, exit).
int run_program(const std::vector<bpf_insn>& prog, uint32_t type, uint32_t access, uint32_t major,
                uint32_t minor) {
  bpf_cgroup_dev_ctx ctx{.access_type = (access << 16) | type, .major = major, .minor = minor};
  uint64_t reg[11] = {};
  for (size_t pc = 0; pc < prog.size(); ++pc) {
    const bpf_insn& i = prog[pc];
    uint64_t& dst = reg[i.dst_reg];
    switch (i.code) {
      case BPF_LDX | BPF_W | BPF_MEM: {
        EXPECT_EQ(i.src_reg, 1);
        uint32_t v;
        std::memcpy(&v, reinterpret_cast<const char*>(&ctx) + i.off, 4);
        dst = v;
        break;
      }
      case BPF_ALU64 | BPF_AND | BPF_K:
        dst &= static_cast<uint64_t>(static_cast<int64_t>(i.imm));
        break;
      case BPF_ALU64 | BPF_RSH | BPF_K:
        dst >>= i.imm;
        break;
      case BPF_ALU64 | BPF_MOV | BPF_K:
        dst = static_cast<uint64_t>(static_cast<int64_t>(i.imm));
        break;
      case BPF_ALU64 | BPF_MOV | BPF_X:
        dst = reg[i.src_reg];
        break;
      case BPF_JMP32 | BPF_JNE | BPF_K:
        if (static_cast<uint32_t>(dst) != static_cast<uint32_t>(i.imm)) pc += i.off;
        break;
      case BPF_JMP | BPF_EXIT:
        return static_cast<int>(reg[0]);
      default:
        ADD_FAILURE() << "unexpected opcode " << int(i.code);
        return -1;
    }
  }
  ADD_FAILURE() << "program fell off its end";
  return -1;
}

TEST(DeviceCgroup, ProgramAgreesWithTheEvaluator) {
  SpecResources r;
  r.devices = {{.allow = true, .type = 'b', .major = 8, .minor = -1, .access = "r"},
               {.allow = true, .type = 'c', .major = 10, .minor = 200, .access = "rwm"},
               {.allow = false, .type = 'c', .major = 1, .minor = 9, .access = "w"},
               {.allow = true, .type = 'c', .major = 4000000000, .minor = 1, .access = "rw"}};
  auto rules = effective_device_rules(r);
  auto prog = compile_device_rules(rules);
  const char* accesses[] = {"r", "w", "m", "rw", "rwm"};
  const uint32_t access_bits[] = {BPF_DEVCG_ACC_READ, BPF_DEVCG_ACC_WRITE, BPF_DEVCG_ACC_MKNOD,
                                  BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE,
                                  BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD};
  for (char type : {'b', 'c'})
    for (uint32_t major : {1u, 5u, 8u, 10u, 136u, 4000000000u})
      for (uint32_t minor : {0u, 1u, 2u, 3u, 9u, 200u})
        for (size_t a = 0; a < 5; ++a) {
          bool want = device_allowed(rules, type, major, minor, accesses[a]);
          int got = run_program(prog, type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR,
                                access_bits[a], major, minor);
          ASSERT_EQ(got, want ? 1 : 0)
              << type << " " << major << ":" << minor << " " << accesses[a];
        }
  // Spot checks of the evaluator itself: default deny, last match wins, access subsets.
  EXPECT_TRUE(device_allowed(rules, 'c', 1, 3, "rwm"));  // /dev/null, default list
  EXPECT_FALSE(device_allowed(rules, 'c', 1, 1, "r"));   // /dev/mem: never listed
  EXPECT_TRUE(device_allowed(rules, 'b', 8, 3, "r"));
  EXPECT_FALSE(device_allowed(rules, 'b', 8, 3, "rw"));  // w is not in "r"
  EXPECT_TRUE(device_allowed(rules, 'c', 1, 9, "w"));    // default list comes after the deny
  EXPECT_TRUE(device_allowed(rules, 'c', 4000000000, 1, "r"));
  EXPECT_FALSE(device_allowed(rules, 'c', 4000000000, 1, "m"));
}

TEST(DeviceCgroup, AllowAllEndsTheProgram) {
  std::vector<SpecDeviceRule> rules = {{.allow = false, .type = 'c', .major = 1, .minor = 3},
                                       {.allow = true}};
  auto prog = compile_device_rules(rules);
  // Only the last rule: the loads, then r0 = 1 and exit (nothing unreachable follows).
  ASSERT_EQ(prog.size(), 8u);
  EXPECT_EQ(run_program(prog, BPF_DEVCG_DEV_CHAR, BPF_DEVCG_ACC_READ, 1, 3), 1);
}

}  // namespace
}  // namespace keel::runtime
