// runtime-spec "runtime.md#state" documents, and the live status behind them.
#include "state.hpp"

#include <filesystem>

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>

#include "json_util.hpp"
#include "keel/common/sys.hpp"

namespace keel::runtime {

using jsonu::json;

std::string render_state(const ContainerState& s, bool full) {
  json j = {{"ociVersion", s.oci_version}, {"id", s.id},
            {"status", s.status},          {"pid", s.pid},
            {"bundle", s.bundle},          {"annotations", s.annotations}};
  // The spec: pid is REQUIRED when status is created or running, absent otherwise
  // is allowed; runc prints 0 for stopped containers, and so do we.
  if (s.status == "stopped" && !full) j["pid"] = 0;
  if (full) {
    j["keel.startTime"] = s.start_time;
    j["keel.created"] = s.created;
    j["keel.cgroup"] = s.cgroup;
    j["keel.cgroupsV1"] = s.cgroups_v1;
  } else {
    j["created"] = s.created;  // runc's `state` prints it too
  }
  return jsonu::dump(j, 2) + "\n";
}

Result<ContainerState> parse_state(std::string_view text, const std::string& where) {
  auto j = TRY(jsonu::parse(text, where));
  if (!j.is_object()) return fail_msg(where + ": not a JSON object");
  ContainerState s;
  auto str = [&](const char* key) -> Result<std::string> {
    return TRY_CTX(jsonu::get_string(j, key, key), where).value_or("");
  };
  s.oci_version = TRY(str("ociVersion"));
  s.id = TRY(str("id"));
  s.status = TRY(str("status"));
  s.bundle = TRY(str("bundle"));
  s.created = TRY(str("keel.created"));
  s.cgroup = TRY(str("keel.cgroup"));
  s.cgroups_v1 = TRY_CTX(jsonu::get_strings(j, "keel.cgroupsV1", "keel.cgroupsV1"), where);
  auto pid = TRY_CTX(jsonu::get_int(j, "pid", "pid"), where).value_or(0);
  if (pid < 0 || pid > INT32_MAX) return fail_msg(where + ": pid out of range");
  s.pid = static_cast<pid_t>(pid);
  if (const json* t = jsonu::member(j, "keel.startTime"); t && t->is_number_unsigned())
    s.start_time = t->get<uint64_t>();
  if (const json* a = TRY_CTX(jsonu::get_object(j, "annotations", "annotations"), where))
    for (const auto& [k, v] : a->items())
      if (v.is_string()) s.annotations[k] = v.get<std::string>();
  if (s.id.empty()) return fail_msg(where + ": no id");
  return s;
}

Result<uint64_t> parse_start_time(std::string_view line) {
  size_t paren = line.rfind(')');
  if (paren == std::string_view::npos) return fail_msg("/proc/<pid>/stat: no ')'");
  // After ") " come fields 3.. separated by single spaces; starttime is field 22.
  std::string_view rest = line.substr(paren + 1);
  for (int field = 2; field < 22; ++field) {
    size_t sp = rest.find(' ');
    if (sp == std::string_view::npos) return fail_msg("/proc/<pid>/stat: too few fields");
    rest.remove_prefix(sp + 1);
  }
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), v);
  if (ec != std::errc() || p == rest.data()) return fail_msg("/proc/<pid>/stat: bad starttime");
  return v;
}

uint64_t process_start_time(pid_t pid) {
  auto stat = sys::read_file("/proc/" + std::to_string(pid) + "/stat");
  return stat ? parse_start_time(*stat).value_or(0) : 0;
}

char parse_proc_state(std::string_view line) {
  size_t paren = line.rfind(')');
  if (paren == std::string_view::npos || paren + 2 >= line.size()) return '?';
  return line[paren + 2];
}

std::string derive_status(const ContainerState& s, bool fifo_exists) {
  // Written by create before the init exists; replaced when create finishes, removed
  // when it fails.
  if (s.pid <= 0 && s.status == "creating") return "creating";
  if (s.pid <= 0) return "stopped";
  auto stat = sys::read_file("/proc/" + std::to_string(s.pid) + "/stat");
  if (!stat) return "stopped";
  auto start = parse_start_time(*stat);
  if (!start || (s.start_time && *start != s.start_time)) return "stopped";  // pid reused
  char st = parse_proc_state(*stat);
  if (st == 'Z' || st == 'X') return "stopped";
  return fifo_exists ? "created" : "running";
}

Result<void> check_container_id(std::string_view id) {
  if (id.empty()) return fail_msg("container ID must not be empty");
  if (id == "." || id == ".." || id.size() > 1024)
    return fail_msg("invalid container ID '" + std::string(id) + "'");
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '+' || c == '-' || c == '.';
    if (!ok)
      return fail_msg("invalid container ID '" + std::string(id) +
                      "': use letters, digits, '_', '+', '-' and '.'");
  }
  return {};
}

std::string state_dir(const std::string& root, const std::string& id) {
  return root + "/" + id;
}

std::string fifo_path(const std::string& root, const std::string& id) {
  return state_dir(root, id) + "/exec.fifo";
}

Result<ContainerState> load_container_state(const std::string& root, const std::string& id) {
  TRY(check_container_id(id));
  std::string path = state_dir(root, id) + "/state.json";
  auto text = sys::read_file(path);
  if (!text && text.error().code() == ENOENT)
    return fail_msg("container " + id + " does not exist (no " + path + ")");
  if (!text) return fail(std::move(text).error());
  return parse_state(*text, path);
}

Result<void> save_container_state(const std::string& root, const ContainerState& s) {
  return write_file_renamed(state_dir(root, s.id) + "/state.json", render_state(s, true), 0600);
}

Result<RunningRecord> RunningRecord::write(const std::string& root, ContainerState s) {
  TRY(check_container_id(s.id));
  std::string dir = state_dir(root, s.id);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);  // a killed runtime's leftover
  TRY(sys::mkdir_p(dir, 0700));
  RunningRecord r;
  r.m_dir = dir;
  s.status = "running";
  s.created = rfc3339_now();
  s.start_time = process_start_time(s.pid);
  TRY(save_container_state(root, s));
  return r;
}

RunningRecord::~RunningRecord() {
  std::error_code ec;
  if (!m_dir.empty()) std::filesystem::remove_all(m_dir, ec);
}

Result<void> write_file_renamed(const std::string& path, std::string_view data, mode_t mode) {
  std::string tmp = path + ".tmp";
  {
    auto fd = TRY(sys::open(tmp, O_WRONLY | O_CREAT | O_TRUNC, mode));
    TRY_CTX(sys::write_all(fd.get(), data), tmp);
  }
  if (::rename(tmp.c_str(), path.c_str()) < 0) {
    ::unlink(tmp.c_str());
    return fail_errno("rename " + tmp);
  }
  return {};
}

std::string rfc3339_now() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  tm t{};
  ::gmtime_r(&ts.tv_sec, &t);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", t.tm_year + 1900,
                t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, ts.tv_nsec);
  return buf;
}

}  // namespace keel::runtime
