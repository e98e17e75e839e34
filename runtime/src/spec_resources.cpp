// linux.resources of config.json (runtime-spec config-linux.md#control-groups).
// Only the syntax and ranges are checked here; which fields a host can apply is
// decided by the cgroup code (cgroup_v2_map.cpp, cgroup_v1_map.cpp).
#include "spec_resources.hpp"

#include <utility>

namespace keel::runtime {
namespace {

using jsonu::json;
const std::string kPrefix = "linux.resources.";

Result<std::optional<uint64_t>> get_uint(const json& obj, std::string_view key,
                                         const std::string& name) {
  auto v = TRY(jsonu::get_int(obj, key, name));
  if (!v) {
    // Values above INT64_MAX (rates, "unlimited" written as 2^64-1) are unsigned only.
    const json* j = jsonu::member(obj, key);
    if (j && j->is_number_unsigned()) return std::optional<uint64_t>(j->get<uint64_t>());
    return std::optional<uint64_t>();
  }
  if (*v < 0) return fail_msg("field '" + name + "' must not be negative");
  return std::optional<uint64_t>(static_cast<uint64_t>(*v));
}

// Limits where -1 means "unlimited" (config-linux.md#memory, #pids).
Result<std::optional<int64_t>> get_limit(const json& obj, std::string_view key,
                                         const std::string& name) {
  auto v = TRY(jsonu::get_int(obj, key, name));
  if (v && *v < -1) return fail_msg("field '" + name + "' must be -1 (unlimited) or >= 0");
  return v;
}

// blkio weights: "valid values are 10 to 1000" (config-linux.md#block-io).
Result<std::optional<uint16_t>> get_weight(const json& obj, std::string_view key,
                                           const std::string& name) {
  auto v = TRY(jsonu::get_int(obj, key, name));
  if (!v) return std::optional<uint16_t>();
  if (*v < 10 || *v > 1000) return fail_msg("field '" + name + "' must be between 10 and 1000");
  return std::optional<uint16_t>(static_cast<uint16_t>(*v));
}

Result<SpecMemory> parse_memory(const json& m, std::vector<std::string>& ignored) {
  SpecMemory out;
  const std::string p = kPrefix + "memory.";
  out.limit = TRY(get_limit(m, "limit", p + "limit"));
  out.reservation = TRY(get_limit(m, "reservation", p + "reservation"));
  out.swap = TRY(get_limit(m, "swap", p + "swap"));
  out.swappiness = TRY(get_uint(m, "swappiness", p + "swappiness"));
  if (out.swappiness && *out.swappiness > 100)
    return fail_msg("field '" + p + "swappiness' must be between 0 and 100");
  out.disable_oom_killer =
      TRY(jsonu::get_bool(m, "disableOOMKiller", p + "disableOOMKiller")).value_or(false);
  // Deprecated in the spec; cgroup v2 has no separate kernel memory limit.
  for (const char* k : {"kernel", "kernelTCP"})
    if (TRY(jsonu::get_int(m, k, p + k))) ignored.push_back(p + k);
  return out;
}

Result<SpecCpu> parse_cpu(const json& c) {
  SpecCpu out;
  const std::string p = kPrefix + "cpu.";
  out.shares = TRY(get_uint(c, "shares", p + "shares"));
  out.quota = TRY(get_limit(c, "quota", p + "quota"));
  out.period = TRY(get_uint(c, "period", p + "period"));
  out.realtime_runtime = TRY(jsonu::get_int(c, "realtimeRuntime", p + "realtimeRuntime"));
  out.realtime_period = TRY(get_uint(c, "realtimePeriod", p + "realtimePeriod"));
  out.cpus = TRY(jsonu::get_string(c, "cpus", p + "cpus")).value_or("");
  out.mems = TRY(jsonu::get_string(c, "mems", p + "mems")).value_or("");
  for (auto [list, name] : {std::pair{&out.cpus, "cpus"}, std::pair{&out.mems, "mems"}})
    if (list->find_first_not_of("0123456789,-") != std::string::npos)
      return fail_msg("field '" + p + name + "' must be a list like \"0-3,7\", not '" + *list +
                      "'");
  out.idle = TRY(jsonu::get_int(c, "idle", p + "idle"));
  if (out.idle && *out.idle != 0 && *out.idle != 1)
    return fail_msg("field '" + p + "idle' must be 0 or 1");
  return out;
}

Result<std::pair<int64_t, int64_t>> get_dev(const json& d, const std::string& name) {
  auto major = TRY(jsonu::get_int(d, "major", name + ".major"));
  auto minor = TRY(jsonu::get_int(d, "minor", name + ".minor"));
  if (!major || !minor || *major < 0 || *minor < 0)
    return fail_msg("field '" + name + "' needs non-negative 'major' and 'minor'");
  return std::pair{*major, *minor};
}

Result<std::vector<SpecThrottleDevice>> parse_throttle(const json& b, const char* key) {
  std::vector<SpecThrottleDevice> out;
  const std::string name = kPrefix + "blockIO." + key + "[]";
  const json* list = TRY(jsonu::get_array(b, key, kPrefix + "blockIO." + key));
  for (const json& d : list ? *list : json::array()) {
    auto [major, minor] = TRY(get_dev(d, name));
    auto rate = TRY(get_uint(d, "rate", name + ".rate"));
    if (!rate) return fail_msg("field '" + name + ".rate' is required");
    out.push_back({major, minor, *rate});
  }
  return out;
}

Result<SpecBlockIo> parse_block_io(const json& b) {
  SpecBlockIo out;
  const std::string p = kPrefix + "blockIO.";
  out.weight = TRY(get_weight(b, "weight", p + "weight"));
  out.leaf_weight = TRY(get_weight(b, "leafWeight", p + "leafWeight"));
  const json* wd = TRY(jsonu::get_array(b, "weightDevice", p + "weightDevice"));
  for (const json& d : wd ? *wd : json::array()) {
    SpecWeightDevice w;
    std::tie(w.major, w.minor) = TRY(get_dev(d, p + "weightDevice[]"));
    w.weight = TRY(get_weight(d, "weight", p + "weightDevice[].weight"));
    w.leaf_weight = TRY(get_weight(d, "leafWeight", p + "weightDevice[].leafWeight"));
    out.weight_device.push_back(w);
  }
  out.read_bps = TRY(parse_throttle(b, "throttleReadBpsDevice"));
  out.write_bps = TRY(parse_throttle(b, "throttleWriteBpsDevice"));
  out.read_iops = TRY(parse_throttle(b, "throttleReadIOPSDevice"));
  out.write_iops = TRY(parse_throttle(b, "throttleWriteIOPSDevice"));
  return out;
}

Result<std::vector<SpecHugepageLimit>> parse_hugepages(const json& r) {
  std::vector<SpecHugepageLimit> out;
  const std::string name = kPrefix + "hugepageLimits[]";
  const json* list = TRY(jsonu::get_array(r, "hugepageLimits", kPrefix + "hugepageLimits"));
  for (const json& h : list ? *list : json::array()) {
    SpecHugepageLimit l;
    l.page_size = TRY(jsonu::get_string(h, "pageSize", name + ".pageSize")).value_or("");
    if (!valid_hugepage_size(l.page_size))
      return fail_msg("field '" + name + ".pageSize' must be like \"2MB\" or \"1GB\", not '" +
                      l.page_size + "'");
    auto limit = TRY(get_uint(h, "limit", name + ".limit"));
    if (!limit) return fail_msg("field '" + name + ".limit' is required");
    l.limit = *limit;
    out.push_back(std::move(l));
  }
  return out;
}

// Keys are file names in the container's own group: no paths (config-linux.md#unified).
Result<std::map<std::string, std::string>> parse_unified(const json& u) {
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : u.items()) {
    if (key.empty() || key.find('/') != std::string::npos || key.find("..") != std::string::npos)
      return fail_msg("linux.resources.unified: key '" + key + "' must be a plain file name");
    if (!value.is_string())
      return fail_msg("linux.resources.unified: value of '" + key + "' must be a string");
    out[key] = value.get<std::string>();
  }
  return out;
}

Result<SpecDeviceRule> parse_device_rule(const json& d) {
  const std::string p = kPrefix + "devices[].";
  SpecDeviceRule rule;
  auto allow = TRY(jsonu::get_bool(d, "allow", p + "allow"));
  if (!allow) return fail_msg("field '" + p + "allow' is required");
  rule.allow = *allow;
  std::string type = TRY(jsonu::get_string(d, "type", p + "type")).value_or("a");
  if (type != "a" && type != "b" && type != "c")
    return fail_msg("field '" + p + "type' must be \"a\", \"b\" or \"c\", not '" + type + "'");
  rule.type = type[0];
  rule.major = TRY(jsonu::get_int(d, "major", p + "major")).value_or(-1);
  rule.minor = TRY(jsonu::get_int(d, "minor", p + "minor")).value_or(-1);
  if (rule.major < -1 || rule.minor < -1 || rule.major > UINT32_MAX || rule.minor > UINT32_MAX)
    return fail_msg("field '" + p + "major/minor' must be -1 (any) or a device number");
  rule.access = TRY(jsonu::get_string(d, "access", p + "access")).value_or("rwm");
  if (rule.access.empty() || rule.access.find_first_not_of("rwm") != std::string::npos)
    return fail_msg("field '" + p + "access' must be made of r, w and m, not '" + rule.access +
                    "'");
  return rule;
}

}  // namespace

bool valid_hugepage_size(std::string_view size) {
  size_t digits = size.find_first_not_of("0123456789");
  if (digits == 0 || digits == std::string_view::npos) return false;
  auto unit = size.substr(digits);
  return unit == "KB" || unit == "MB" || unit == "GB";
}

Result<SpecResources> parse_resources(const json& r) {
  SpecResources out;
  if (const json* m = TRY(jsonu::get_object(r, "memory", kPrefix + "memory")))
    out.memory = TRY(parse_memory(*m, out.ignored));
  if (const json* c = TRY(jsonu::get_object(r, "cpu", kPrefix + "cpu")))
    out.cpu = TRY(parse_cpu(*c));
  if (const json* p = TRY(jsonu::get_object(r, "pids", kPrefix + "pids")))
    out.pids_limit = TRY(get_limit(*p, "limit", kPrefix + "pids.limit"));
  if (const json* b = TRY(jsonu::get_object(r, "blockIO", kPrefix + "blockIO")))
    out.block_io = TRY(parse_block_io(*b));
  out.hugepage_limits = TRY(parse_hugepages(r));
  if (const json* u = TRY(jsonu::get_object(r, "unified", kPrefix + "unified")))
    out.unified = TRY(parse_unified(*u));
  const json* devs = TRY(jsonu::get_array(r, "devices", kPrefix + "devices"));
  for (const json& d : devs ? *devs : json::array())
    out.devices.push_back(TRY(parse_device_rule(d)));
  return out;
}

}  // namespace keel::runtime
