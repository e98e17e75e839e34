#include "device_cgroup.hpp"

#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

namespace keel::runtime {
namespace {

// Registers of the program: r1 is the context, r2..r5 its unpacked fields.
constexpr uint8_t kCtx = 1, kType = 2, kAccess = 3, kMajor = 4, kMinor = 5, kTmp = 6;

bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  bpf_insn i;
  std::memset(&i, 0, sizeof i);
  i.code = code;
  i.dst_reg = dst & 0xf;
  i.src_reg = src & 0xf;
  i.off = off;
  i.imm = imm;
  return i;
}

bpf_insn load_u32(uint8_t dst, int16_t off) {
  return insn(BPF_LDX | BPF_W | BPF_MEM, dst, kCtx, off, 0);
}

// 32-bit compares: majors and minors are u32, and a 64-bit compare would
// sign-extend the immediate.
bpf_insn jne(uint8_t reg, uint32_t value, int16_t skip) {
  return insn(BPF_JMP32 | BPF_JNE | BPF_K, reg, 0, skip, static_cast<int32_t>(value));
}

uint32_t access_bits(std::string_view access) {
  uint32_t bits = 0;
  for (char c : access)
    bits |= c == 'r' ? BPF_DEVCG_ACC_READ : c == 'w' ? BPF_DEVCG_ACC_WRITE : BPF_DEVCG_ACC_MKNOD;
  return bits;
}

constexpr uint32_t kAllAccess = BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD;

// One rule: each test jumps past the rule's end when it does not match. At most 7
// instructions; a fixed array (g++ 12 warns falsely on vectors of bitfield structs).
void emit_rule(const SpecDeviceRule& r, std::vector<bpf_insn>& out) {
  bpf_insn block[8];
  size_t n = 0, jumps[4], njumps = 0;
  auto test = [&](bpf_insn i) {
    jumps[njumps++] = n;
    block[n++] = i;
  };
  if (r.type != 'a') test(jne(kType, r.type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR, 0));
  uint32_t allowed = access_bits(r.access);
  if (allowed != kAllAccess) {
    // Matches only if every requested access is in the rule's set.
    block[n++] = insn(BPF_ALU64 | BPF_MOV | BPF_X, kTmp, kAccess, 0, 0);
    block[n++] =
        insn(BPF_ALU64 | BPF_AND | BPF_K, kTmp, 0, 0, static_cast<int32_t>(~allowed & kAllAccess));
    test(jne(kTmp, 0, 0));
  }
  if (r.major >= 0) test(jne(kMajor, static_cast<uint32_t>(r.major), 0));
  if (r.minor >= 0) test(jne(kMinor, static_cast<uint32_t>(r.minor), 0));
  block[n++] = insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, r.allow ? 1 : 0);
  block[n++] = insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
  for (size_t j = 0; j < njumps; ++j)
    block[jumps[j]].off = static_cast<int16_t>(n - (jumps[j] + 1));
  out.insert(out.end(), block, block + n);
}

bool rule_matches(const SpecDeviceRule& r, char type, uint32_t major, uint32_t minor,
                  uint32_t access) {
  if (r.type != 'a' && r.type != type) return false;
  if ((access & ~access_bits(r.access)) != 0) return false;
  if (r.major >= 0 && static_cast<uint32_t>(r.major) != major) return false;
  return r.minor < 0 || static_cast<uint32_t>(r.minor) == minor;
}

long bpf(int cmd, bpf_attr& attr) {
  long r;
  do r = ::syscall(SYS_bpf, cmd, &attr, sizeof attr);
  while (r < 0 && errno == EINTR);
  return r;
}

}  // namespace

std::vector<bpf_insn> compile_device_rules(const std::vector<SpecDeviceRule>& rules) {
  std::vector<bpf_insn> out = {
      load_u32(kType, offsetof(bpf_cgroup_dev_ctx, access_type)),
      insn(BPF_ALU64 | BPF_AND | BPF_K, kType, 0, 0, 0xffff),
      load_u32(kAccess, offsetof(bpf_cgroup_dev_ctx, access_type)),
      insn(BPF_ALU64 | BPF_RSH | BPF_K, kAccess, 0, 0, 16),
      load_u32(kMajor, offsetof(bpf_cgroup_dev_ctx, major)),
      load_u32(kMinor, offsetof(bpf_cgroup_dev_ctx, minor)),
  };
  // Last match wins: test the rules from the last one back, the first hit returns.
  // A rule that matches everything ends the program: the verifier refuses
  // unreachable instructions.
  for (auto it = rules.rbegin(); it != rules.rend(); ++it) {
    emit_rule(*it, out);
    if (it->type == 'a' && it->major < 0 && it->minor < 0 && access_bits(it->access) == kAllAccess)
      return out;
  }
  out.push_back(insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0));  // default deny
  out.push_back(insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
  return out;
}

bool device_allowed(const std::vector<SpecDeviceRule>& rules, char type, uint32_t major,
                    uint32_t minor, std::string_view access) {
  for (auto it = rules.rbegin(); it != rules.rend(); ++it)
    if (rule_matches(*it, type, major, minor, access_bits(access))) return it->allow;
  return false;
}

Result<UniqueFd> attach_device_program(int cgroup_fd, const std::vector<SpecDeviceRule>& rules) {
  auto prog = compile_device_rules(rules);
  static char log[8192];
  log[0] = '\0';
  bpf_attr attr;
  std::memset(&attr, 0, sizeof attr);
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = reinterpret_cast<uintptr_t>(prog.data());
  attr.insn_cnt = static_cast<uint32_t>(prog.size());
  attr.license = reinterpret_cast<uintptr_t>("Apache-2.0");
  attr.log_buf = reinterpret_cast<uintptr_t>(log);
  attr.log_size = sizeof log;
  attr.log_level = 1;
  long fd = bpf(BPF_PROG_LOAD, attr);
  if (fd < 0)
    return fail_errno(std::string("bpf BPF_PROG_LOAD (device cgroup program") +
                      (log[0] ? ": " + std::string(log) : "") + ")");
  UniqueFd prog_fd(static_cast<int>(fd));
  std::memset(&attr, 0, sizeof attr);
  attr.target_fd = static_cast<uint32_t>(cgroup_fd);
  attr.attach_bpf_fd = static_cast<uint32_t>(prog_fd.get());
  attr.attach_type = BPF_CGROUP_DEVICE;
  attr.attach_flags = BPF_F_ALLOW_MULTI;
  if (bpf(BPF_PROG_ATTACH, attr) < 0) return fail_errno("bpf BPF_PROG_ATTACH BPF_CGROUP_DEVICE");
  return prog_fd;
}

Result<void> detach_device_program(int cgroup_fd, int prog_fd) {
  bpf_attr attr;
  std::memset(&attr, 0, sizeof attr);
  attr.target_fd = static_cast<uint32_t>(cgroup_fd);
  attr.attach_bpf_fd = static_cast<uint32_t>(prog_fd);
  attr.attach_type = BPF_CGROUP_DEVICE;
  if (bpf(BPF_PROG_DETACH, attr) < 0) return fail_errno("bpf BPF_PROG_DETACH BPF_CGROUP_DEVICE");
  return {};
}

}  // namespace keel::runtime
