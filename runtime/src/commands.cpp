// One function per command; each parses its own flags (cli_args.hpp). Exit status:
// the container's, or 125 when the runtime itself fails (the runc/crun convention,
// so a supervisor can tell "container failed" from "could not start").
#include "commands.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string_view>

#include "cli_args.hpp"
#include "features.hpp"
#include "keel/common/log.hpp"
#include "keel/common/signals.hpp"
#include "keel/common/sys.hpp"
#include "keel/runtime/container.hpp"
#include "keel/runtime/lifecycle.hpp"
#include "keel/runtime/spec.hpp"

namespace keel::runtime::cli {
namespace {

constexpr int kRuntimeError = 125;
constexpr std::string_view kComponent = "keel-runtime";
std::string g_root = kDefaultStateRoot;
bool g_log_to_file = false;

constexpr const char* kUsage =
    "usage: keel-runtime [--root DIR] [--log FILE] [--log-format text|json] COMMAND ...\n"
    "  create [-b|--bundle DIR] [--pid-file F] [--console-socket S] [--no-pivot]\n"
    "         [--preserve-fds N] ID\n"
    "  start ID | state ID | kill [--all] ID [SIGNAL] | delete [-f|--force] ID\n"
    "  list [-q] [--format table|json] | ps [--format table|json] ID\n"
    "  run [-b|--bundle DIR] [-d|--detach] [create's flags] ID\n"
    "  exec [-e|--env K=V]... [--cwd DIR] [-u|--user UID[:GID]] [-p|--process FILE]\n"
    "       [-d|--detach] [--pid-file F] ID [COMMAND [ARG...]]\n"
    "  spec [-b|--bundle DIR] | features\n"
    "  up DEFINITION.toml [--images DIR] [--state DIR] [--layers DIR] [--volumes DIR]\n"
    "     [--rootfs overlay|copy] [--notify-socket SOCKET] [--ready-fd FD] [--mcs s0:cX,cY]\n";

int report(const Error& e) {
  log::error(kComponent, "{}", e.message());
  // With --log the log goes to the file; the caller still sees the error, as with runc.
  if (g_log_to_file) std::fprintf(stderr, "keel-runtime: %s\n", e.message().c_str());
  return kRuntimeError;
}

int usage_error(std::string_view why) {
  report(Error::msg(std::string(why)));
  std::fputs(kUsage, stderr);
  return kRuntimeError;
}

template <class T>
int finish(const Result<T>& r) {
  if (!r) return report(r.error());
  if constexpr (std::is_same_v<T, int>)
    return *r;
  else
    return 0;
}

// Parses `args` and checks that exactly `n` positionals came; sets `error` otherwise.
Result<Args> parse_n(const std::vector<std::string>& args, std::span<const Option> opts, size_t min,
                     size_t max, std::string_view what) {
  auto p = TRY(parse(args, opts));
  if (p.positional.size() < min || p.positional.size() > max)
    return fail_msg(std::string(what) + ": wrong number of arguments");
  return p;
}

constexpr Option kCreateOpts[] = {
    {"--bundle", "-b", true},        {"--pid-file", "", true},     {"--console-socket", "", true},
    {"--no-pivot", "", false},       {"--preserve-fds", "", true}, {"--detach", "-d", false},
    {"--no-new-keyring", "", false},  // accepted: keel-runtime never creates a keyring
};

// A flag's non-negative number: --preserve-fds N, --ready-fd FD.
Result<int> count_flag(const Args& p, std::string_view flag, std::string fallback) {
  std::string n = p.get(flag, std::move(fallback));
  int v = -1;
  auto [end, ec] = std::from_chars(n.data(), n.data() + n.size(), v);
  if (ec != std::errc() || end != n.data() + n.size() || v < 0)
    return fail_msg(std::string(flag) + " takes a number, not '" + n + "'");
  return v;
}

Result<CreateOptions> create_options(const Args& p) {
  CreateOptions o;
  o.root = g_root;
  o.bundle = p.get("--bundle", ".");
  o.pid_file = p.get("--pid-file");
  o.console_socket = p.get("--console-socket");
  o.no_pivot = p.has("--no-pivot");
  o.preserve_fds = TRY(count_flag(p, "--preserve-fds", "0"));
  return o;
}

int cmd_create(const std::vector<std::string>& args, bool run) {
  auto p = parse_n(args, kCreateOpts, 1, 1, run ? "run ID" : "create ID");
  if (!p) return usage_error(p.error().message());
  auto o = create_options(*p);
  if (!o) return usage_error(o.error().message());
  const std::string& id = p->positional[0];
  if (!run) return finish(create_container(id, *o));
  return finish(run_lifecycle(id, *o, p->has("--detach") ? Detach::yes : Detach::no));
}

int cmd_kill(const std::vector<std::string>& args) {
  constexpr Option opts[] = {{"--all", "-a", false}};
  auto p = parse_n(args, opts, 1, 2, "kill ID [SIGNAL]");
  if (!p) return usage_error(p.error().message());
  auto sig = parse_signal(p->positional.size() > 1 ? p->positional[1] : "SIGTERM");
  if (!sig) return usage_error(sig.error().message());
  return finish(kill_container(g_root, p->positional[0], *sig, p->has("--all")));
}

int cmd_simple(const std::string& cmd, const std::vector<std::string>& args) {
  constexpr Option opts[] = {{"--force", "-f", false}};
  auto p =
      parse_n(args, cmd == "delete" ? std::span<const Option>(opts) : std::span<const Option>(), 1,
              1, cmd + " ID");
  if (!p) return usage_error(p.error().message());
  const std::string& id = p->positional[0];
  if (cmd == "start") return finish(start_container(g_root, id));
  if (cmd == "delete") return finish(delete_container(g_root, id, p->has("--force")));
  auto s = container_state(g_root, id);
  if (s) std::fputs(s->c_str(), stdout);
  return finish(s);
}

// runc list: a table, -q for IDs only, or --format json (an array of states).
int cmd_list(const std::vector<std::string>& args) {
  constexpr Option opts[] = {{"--format", "-f", true}, {"--quiet", "-q", false}};
  auto p = parse_n(args, opts, 0, 0, "list");
  if (!p) return usage_error(p.error().message());
  auto states = list_containers(g_root);
  if (!states) return report(states.error());
  auto all = nlohmann::json::array();
  for (const auto& text : *states) all.push_back(nlohmann::json::parse(text, nullptr, false));
  if (p->get("--format") == "json") {
    std::puts(all.dump().c_str());
    return 0;
  }
  if (!p->has("--quiet")) std::printf("%-20s %-8s %-8s %s\n", "ID", "PID", "STATUS", "BUNDLE");
  for (const auto& s : all) {
    std::string id = s["id"];
    if (p->has("--quiet")) {
      std::puts(id.c_str());
      continue;
    }
    std::string status = s["status"], bundle = s["bundle"];
    std::printf("%-20s %-8d %-8s %s\n", id.c_str(), s["pid"].get<int>(), status.c_str(),
                bundle.c_str());
  }
  return 0;
}

// runc ps: --format json gives the pids as a JSON array; the table is PID and command.
int cmd_ps(const std::vector<std::string>& args) {
  constexpr Option opts[] = {{"--format", "-f", true}};
  auto p = parse_n(args, opts, 1, 1, "ps ID");
  if (!p) return usage_error(p.error().message());
  auto pids = container_pids(g_root, p->positional[0]);
  if (!pids) return report(pids.error());
  if (p->get("--format") == "json") {
    std::puts(nlohmann::json(*pids).dump().c_str());
    return 0;
  }
  std::puts("PID\tCMD");
  for (int pid : *pids) {
    std::string cmd;
    if (auto c = sys::read_file("/proc/" + std::to_string(pid) + "/cmdline"); c)
      for (char ch : *c) cmd += ch ? ch : ' ';
    std::printf("%d\t%s\n", pid, cmd.c_str());
  }
  return 0;
}

// runc exec: options, then the ID, then the command (its own options untouched).
int cmd_exec(const std::vector<std::string>& args) {
  constexpr Option opts[] = {{"--env", "-e", true},     {"--cwd", "", true},
                             {"--user", "-u", true},    {"--process", "-p", true},
                             {"--detach", "-d", false}, {"--pid-file", "", true},
                             {"--tty", "-t", false}};
  auto p = parse(args, opts, true);
  if (!p) return usage_error(p.error().message());
  if (p->positional.empty()) return usage_error("exec: no container ID");
  if (p->has("--tty")) return usage_error("exec --tty: not supported yet");
  ExecOptions o{.args = {p->positional.begin() + 1, p->positional.end()},
                .process_file = p->get("--process"),
                .env = p->get_all("--env"),
                .cwd = p->get("--cwd"),
                .user = p->get("--user"),
                .detach = p->has("--detach"),
                .pid_file = p->get("--pid-file")};
  if (o.args.empty() && o.process_file.empty()) return usage_error("exec: no command given");
  return finish(exec_container(g_root, p->positional[0], o));
}

int cmd_spec(const std::vector<std::string>& args) {
  constexpr Option opts[] = {{"--bundle", "-b", true}, {"--rootless", "", false}};
  auto p = parse_n(args, opts, 0, 0, "spec");
  if (!p) return usage_error(p.error().message());
  if (p->has("--rootless"))
    return usage_error("--rootless: keel-runtime has no user-namespace support yet; run as root");
  if (!p->has("--bundle")) {
    std::fputs(default_spec_json().c_str(), stdout);
    return 0;
  }
  // runc writes config.json into the bundle and refuses to overwrite one.
  std::string path = p->get("--bundle") + "/config.json";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return finish(Result<void>(fail_errno("create " + path)));
  std::string text = default_spec_json();
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  return ok ? 0 : finish(Result<void>(fail_errno("write " + path)));
}

int cmd_up(const std::vector<std::string>& args) {
  constexpr Option opts[] = {{"--images", "", true},   {"--state", "", true},
                             {"--layers", "", true},   {"--volumes", "", true},
                             {"--rootfs", "", true},   {"--notify-socket", "", true},
                             {"--ready-fd", "", true}, {"--mcs", "", true}};
  auto p = parse_n(args, opts, 1, 1, "up DEFINITION.toml");
  if (!p) return usage_error(p.error().message());
  UpOptions o;
  std::string mode = p->get("--rootfs", "overlay");
  if (mode != "overlay" && mode != "copy") return usage_error("--rootfs takes overlay or copy");
  o.rootfs = mode == "copy" ? RootfsMode::copy : RootfsMode::overlay;
  o.images_dir = p->get("--images", o.images_dir);
  o.state_dir = p->get("--state", o.state_dir);
  o.layers_dir = p->get("--layers", o.layers_dir);
  o.volumes_dir = p->get("--volumes", o.volumes_dir);
  o.warn = [](const std::string& why) { log::warn(kComponent, "{}", why); };
  o.runtime_root = g_root;  // `keel-runtime exec NAME` finds it there
  o.notify_socket = p->get("--notify-socket");
  if (p->has("--ready-fd")) {
    auto fd = count_flag(*p, "--ready-fd", "");
    if (!fd) return usage_error(fd.error().message());
    // The container must not inherit it: the init reads it until it closes.
    if (::fcntl(*fd, F_SETFD, FD_CLOEXEC) < 0)
      return usage_error("--ready-fd " + std::to_string(*fd) + " is not an open file descriptor");
    o.started_fd = *fd;
  }
  o.mcs_level = p->get("--mcs");
  return finish(up(p->positional[0], o));
}

Result<void> set_up_logging(const Global& g) {
  if (!g.root.empty()) g_root = g.root;
  log::set_json(g.log_format == "json");
  if (g.log.empty()) return {};
  int fd = ::open(g.log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return fail_errno("--log " + g.log);
  log::set_fd(fd);  // for the process's lifetime
  g_log_to_file = true;
  return {};
}

}  // namespace

int main(const std::vector<std::string>& args) {
  auto g = parse_global(args);
  if (!g) return usage_error(g.error().message());
  if (auto r = set_up_logging(*g); !r) return report(r.error());
  const std::string& cmd = g->command;
  if (cmd == "create" || cmd == "run") return cmd_create(g->rest, cmd == "run");
  if (cmd == "start" || cmd == "state" || cmd == "delete") return cmd_simple(cmd, g->rest);
  if (cmd == "kill") return cmd_kill(g->rest);
  if (cmd == "list") return cmd_list(g->rest);
  if (cmd == "ps") return cmd_ps(g->rest);
  if (cmd == "up") return cmd_up(g->rest);
  if (cmd == "exec") return cmd_exec(g->rest);
  if (cmd == "spec") return cmd_spec(g->rest);
  if (cmd == "features") {
    std::fputs(features_json().c_str(), stdout);
    return 0;
  }
  if (cmd == "--help" || cmd == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  return usage_error("unknown command '" + cmd + "'");
}

}  // namespace keel::runtime::cli
