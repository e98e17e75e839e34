#include "keel/init/keelctl.hpp"

#include <fmt/format.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "keel/common/unique_fd.hpp"
#include "keel/init/check_kernel.hpp"

namespace keel::init {
namespace {

constexpr int kRefused = 1, kNoConnection = 3, kNoRuntime = 127;

Result<UniqueFd> connect_to(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return fail_msg("socket path too long: " + path);
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return fail_errno("socket");
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0)
    return fail_errno("connecting to keel-init at " + path);
  return fd;
}

Result<void> send_all(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno("sending to keel-init");
    done += static_cast<size_t>(n);
  }
  return {};
}

// Reads JSON lines and hands each to `on_line` until it returns false or EOF.
template <class F>
Result<void> read_lines(int fd, F&& on_line) {
  std::string buf;
  char chunk[8192];
  for (;;) {
    for (auto nl = buf.find('\n'); nl != std::string::npos; nl = buf.find('\n')) {
      Json j = Json::parse(buf.substr(0, nl), nullptr, false);
      buf.erase(0, nl + 1);
      if (j.is_discarded()) return fail_msg("keel-init sent something that is not JSON");
      if (!on_line(j)) return {};
    }
    ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno("reading from keel-init");
    if (n == 0) return fail_msg("keel-init closed the connection");
    buf.append(chunk, static_cast<size_t>(n));
  }
}

// Field access that cannot throw (built without exceptions: a throw would abort).
std::string str_field(const Json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

bool bool_field(const Json& j, const char* key) {
  if (!j.is_object()) return false;
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}

const Json* field(const Json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}

std::string cell(const Json& j) {
  if (j.is_null()) return "-";
  if (j.is_string()) return j.get<std::string>();
  if (j.is_number_float()) return fmt::format("{:.0f}s", j.get<double>());
  return j.dump();
}

Result<std::string> need_name(const std::vector<std::string>& rest, const std::string& verb) {
  if (rest.size() != 1) return fail_msg(fmt::format("keelctl {} needs one container name", verb));
  return rest[0];
}

}  // namespace

Result<KeelctlCommand> parse_keelctl_args(const std::vector<std::string>& args) {
  KeelctlCommand cmd;
  std::vector<std::string> rest;
  std::string verb;
  int64_t lines = 100;
  for (size_t i = 0; i < args.size(); ++i) {
    const auto& a = args[i];
    if (verb == "exec" && !rest.empty()) {
      // After the name: the command, untouched (its own options included).
      rest.insert(rest.end(), args.begin() + static_cast<long>(i + (a == "--")), args.end());
      break;
    }
    if (a == "--json") {
      cmd.json = true;
    } else if (a == "--socket" && i + 1 < args.size()) {
      cmd.socket = args[++i];
    } else if (a == "--config" && i + 1 < args.size()) {
      cmd.kernel_config = args[++i];
    } else if (a == "--runtime" && i + 1 < args.size()) {
      cmd.runtime = args[++i];
    } else if (a == "-f" || a == "--follow") {
      cmd.follow = true;
    } else if ((a == "-n" || a == "--lines") && i + 1 < args.size()) {
      char* end = nullptr;
      lines = std::strtoll(args[++i].c_str(), &end, 10);
      if (*end || lines < 0) return fail_msg("-n takes a number of lines (0: all)");
    } else if (a.starts_with("-")) {
      return fail_msg("unknown option " + a);
    } else if (verb.empty()) {
      verb = a;
    } else {
      rest.push_back(a);
    }
  }
  if (verb.empty()) return fail_msg("no command given");
  if (verb == "status" || verb == "reboot" || verb == "poweroff") {
    if (!rest.empty()) return fail_msg("keelctl " + verb + " takes no arguments");
    cmd.request = {{"method", verb}};
  } else if (verb == "check-kernel") {
    if (!rest.empty()) return fail_msg("keelctl check-kernel takes no arguments");
    cmd.check_kernel = true;
  } else if (verb == "logs") {
    auto name = TRY(need_name(rest, verb));
    cmd.request = {{"method", "logs"}, {"name", name}, {"lines", lines}, {"follow", cmd.follow}};
  } else if (verb == "exec") {
    if (rest.size() < 2) return fail_msg("keelctl exec needs a container name and a command");
    cmd.exec_argv = {"keel-runtime", "exec"};
    cmd.exec_argv.insert(cmd.exec_argv.end(), rest.begin(), rest.end());
  } else if (verb == "start" || verb == "stop" || verb == "restart") {
    auto name = TRY(need_name(rest, verb));
    cmd.request = {{"method", verb}, {"name", name}};
  } else {
    return fail_msg("unknown command '" + verb + "'");
  }
  return cmd;
}

// The booted deployment and the boot's verdict (docs/BOOT.md), above the containers.
std::string format_boot(const Json* boot) {
  if (!boot || !boot->is_object()) return {};
  auto text = [&](const char* k) {
    const Json* v = field(*boot, k);
    return v && v->is_string() ? v->get<std::string>() : std::string("-");
  };
  std::string out = fmt::format("deployment {} (version {})\nboot: {}; {}\n", text("deployment"),
                                text("version"), text("description"), text("state"));
  if (text("kind") != "trial" && text("pending") != "-")
    out += fmt::format("on trial: deployment {}\n", text("pending"));
  if (text("last_failed") != "-")
    out += fmt::format("last rollback: deployment {} used up its boot attempts\n",
                       text("last_failed"));
  return out;
}

std::string format_status(const Json& result) {
  std::string out = format_boot(field(result, "boot"));
  out += fmt::format("{:<20} {:<12} {:>8} {:>7} {:>8} {:>9}  {}\n", "NAME", "STATE", "RESTARTS",
                     "PID", "UPTIME", "LAST-EXIT", "HEALTH");
  const Json* list = field(result, "containers");
  if (!list || !list->is_array()) return out;
  for (const auto& c : *list) {
    auto f = [&](const char* k) {
      const Json* v = field(c, k);
      return v ? cell(*v) : std::string("-");
    };
    std::string state = f("state");
    if (bool_field(c, "crash_looping")) state += " (crash-looping)";
    out += fmt::format("{:<20} {:<12} {:>8} {:>7} {:>8} {:>9}  {}\n", f("name"), state,
                       f("restarts"), f("pid"), f("uptime_s"), f("last_exit"), f("health"));
  }
  // First boot's outcome under the table (docs/FIRSTBOOT.md): one line, the state
  // first, so an invalid user-data is seen at a glance.
  if (const Json* fb = field(result, "firstboot"))
    out +=
        fmt::format("\nfirst boot: {}: {}\n", str_field(*fb, "state"), str_field(*fb, "message"));
  return out;
}

namespace {

int exec_runtime(const KeelctlCommand& cmd, std::FILE* err) {
  std::vector<char*> argv;
  for (const auto& a : cmd.exec_argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::fflush(nullptr);
  ::execv(cmd.runtime.c_str(), argv.data());
  std::fprintf(err, "keelctl: cannot run %s: %s\n", cmd.runtime.c_str(), std::strerror(errno));
  return kNoRuntime;
}

}  // namespace

int run_keelctl(const KeelctlCommand& cmd, std::FILE* out, std::FILE* err) {
  if (!cmd.exec_argv.empty()) return exec_runtime(cmd, err);
  if (cmd.check_kernel) return run_check_kernel({.config = cmd.kernel_config}, cmd.json, out, err);
  auto fd = connect_to(cmd.socket);
  if (!fd) {
    std::fprintf(err, "keelctl: %s\n", fd.error().message().c_str());
    return kNoConnection;
  }
  if (auto r = send_all(fd->get(), json_line(cmd.request)); !r) {
    std::fprintf(err, "keelctl: %s\n", r.error().message().c_str());
    return kNoConnection;
  }
  int status = 0;
  bool first = true;
  const std::string method = str_field(cmd.request, "method");
  auto r = read_lines(fd->get(), [&](const Json& j) {
    if (cmd.json) {
      Json line = j;
      if (first && method == "status" && !cmd.status_os.is_null() && bool_field(j, "ok") &&
          line["result"].is_object())
        line["result"]["os"] = cmd.status_os;
      std::fputs(json_line(line).c_str(), out);
      std::fflush(out);
    }
    if (first) {
      first = false;
      if (!bool_field(j, "ok")) {
        std::string why = str_field(j, "error");
        if (!cmd.json) std::fprintf(err, "keelctl: %s\n", why.empty() ? "failed" : why.c_str());
        status = kRefused;
        return false;
      }
      const Json* found = field(j, "result");
      const Json& res = found ? *found : j;
      const Json* lines = field(res, "lines");
      if (!cmd.json && method == "status") {
        std::fputs(format_status(res).c_str(), out);
        if (!cmd.status_os_text.empty()) std::fprintf(out, "\n%s", cmd.status_os_text.c_str());
      }
      if (!cmd.json && method == "logs" && lines && lines->is_array())
        for (const auto& l : *lines)
          if (l.is_string()) std::fprintf(out, "%s\n", l.get<std::string>().c_str());
      if (!cmd.json && (method == "start" || method == "stop" || method == "restart"))
        std::fprintf(out, "%s: %s\n", str_field(res, "name").c_str(),
                     str_field(res, "state").c_str());
      std::fflush(out);
      return cmd.follow && method == "logs";
    }
    if (const Json* line = field(j, "line"); !cmd.json && line && line->is_string()) {
      std::fprintf(out, "%s\n", line->get<std::string>().c_str());
      std::fflush(out);
    }
    return true;
  });
  if (!r) {
    // After reboot/poweroff the init may close before answering; that is success.
    if (method == "reboot" || method == "poweroff") return 0;
    std::fprintf(err, "keelctl: %s\n", r.error().message().c_str());
    return kNoConnection;
  }
  return status;
}

}  // namespace keel::init
