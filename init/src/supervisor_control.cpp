// The supervisor's side of the control socket: what each keelctl request does
// (docs/KEELCTL.md). No exceptions here (PID 1): every field is type-checked first.
#include <fmt/format.h>

#include <chrono>

#include "keel/common/log.hpp"
#include "keel/common/sys.hpp"
#include "keel/init/supervisor.hpp"
#include "supervisor_container.hpp"

namespace keel::init {
namespace {

constexpr std::string_view kLog = "keel-init";
constexpr size_t kDefaultLogLines = 100;

Json fail_reply(std::string message) {
  return Json{{"ok", false}, {"error", std::move(message)}};
}

Json ok_reply(Json result) {
  return Json{{"ok", true}, {"result", std::move(result)}};
}

const std::string* string_field(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? &it->get_ref<const std::string&>() : nullptr;
}

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

}  // namespace

Supervisor::Container* Supervisor::find(std::string_view name) {
  for (auto& c : m_containers)
    if (c->def.name == name) return c.get();
  return nullptr;
}

Json Supervisor::handle_control(const Json& req, ControlClient& client) {
  const std::string* method = string_field(req, "method");
  if (!method) return fail_reply("the request has no \"method\" string");
  if (*method == "status") return control_status();
  if (*method == "logs") return control_logs(req, client);
  if (*method == "reboot" || *method == "poweroff") {
    log::info(kLog, "{} requested over the control socket", *method);
    begin_shutdown(*method == "reboot" ? ShutdownAction::reboot : ShutdownAction::poweroff);
    return ok_reply(Json::object());
  }
  if (*method != "start" && *method != "stop" && *method != "restart")
    return fail_reply(
        fmt::format("unknown method \"{}\"; known: status, logs, start, stop, "
                    "restart, reboot, poweroff",
                    *method));
  const std::string* name = string_field(req, "name");
  if (!name) return fail_reply(fmt::format("\"{}\" needs a \"name\" string", *method));
  Container* c = find(*name);
  if (!c) return fail_reply(fmt::format("no container named \"{}\"", *name));
  if (m_shutdown && *method != "stop") return fail_reply("the host is shutting down");
  if (*method == "start") return control_start(*c);
  return control_stop(*c, *method == "restart");
}

Json Supervisor::control_status() {
  Json list = Json::array();
  for (auto& c : m_containers) {
    bool up = c->pid >= 0;
    list.push_back({
        {"name", c->def.name},
        {"image", c->def.image},
        {"state", to_string(c->tracker.state())},
        {"restart", to_string(c->def.restart)},
        {"restarts", c->tracker.restarts()},
        {"crash_looping", c->tracker.crash_looping()},
        {"pid", up ? Json(c->pid) : Json(nullptr)},
        {"uptime_s", up ? Json(seconds_since(c->started_at)) : Json(nullptr)},
        {"last_exit", c->last_exit >= 0 ? Json(c->last_exit) : Json(nullptr)},
        {"health", to_string(c->health.state())},
    });
  }
  Json result{{"uptime_s", seconds_since(m_started_at)},
              {"shutting_down", m_shutdown.has_value()},
              {"boot", boot_status()},
              {"containers", std::move(list)}};
  // Read at each request: the first-boot metadata phase updates it after boot. Small,
  // on tmpfs, written atomically by keel-firstboot.
  if (!m_config.firstboot_status.empty())
    if (auto text = sys::read_file(m_config.firstboot_status)) {
      Json fb = Json::parse(*text, nullptr, false);
      result["firstboot"] = fb.is_object() ? fb : Json{{"state", "unreadable"}, {"message", *text}};
    }
  return ok_reply(std::move(result));
}

// {"method":"logs","name":N,"lines":100,"follow":false}; name "keel-init" is the
// init's own log. With follow, each new line comes as {"line": "..."}.
Json Supervisor::control_logs(const Json& req, ControlClient& client) {
  const std::string* name = string_field(req, "name");
  if (!name) return fail_reply("\"logs\" needs a \"name\" string");
  LogStore* store = *name == kLog ? &m_init_log : nullptr;
  if (Container* c = find(*name)) store = &c->log;
  if (!store) return fail_reply(fmt::format("no container named \"{}\"", *name));
  size_t lines = kDefaultLogLines;
  if (auto it = req.find("lines"); it != req.end()) {
    if (!it->is_number_unsigned()) return fail_reply("\"lines\" must be a non-negative integer");
    lines = it->get<size_t>();  // 0: everything kept in memory
  }
  bool follow = false;
  if (auto it = req.find("follow"); it != req.end()) {
    if (!it->is_boolean()) return fail_reply("\"follow\" must be true or false");
    follow = it->get<bool>();
  }
  if (follow) {
    // No line can arrive before this reply is queued: the loop is single-threaded.
    uint64_t id = store->follow([&client](const std::string& line) {
      client.send(Json{{"line", line}});
    });
    client.on_close([store, id] { store->unfollow(id); });
  }
  return ok_reply({{"lines", store->tail(lines)}, {"path", store->path()}, {"following", follow}});
}

Json Supervisor::control_start(Container& c) {
  auto st = c.tracker.state();
  if (c.pid >= 0 || st == ContainerState::running || st == ContainerState::starting)
    return fail_reply(fmt::format("container {} is already running", c.def.name));
  log::info(kLog, "container {}: start requested over the control socket", c.def.name);
  c.restart_timer.reset();
  c.start_when_down = false;
  c.tracker.on_manual_start();
  start(c);
  start_ready();
  return ok_reply({{"name", c.def.name}, {"state", to_string(c.tracker.state())}});
}

Json Supervisor::control_stop(Container& c, bool then_start) {
  log::info(kLog, "container {}: {} requested over the control socket", c.def.name,
            then_start ? "restart" : "stop");
  if (c.pid < 0) {
    c.restart_timer.reset();
    c.tracker.on_user_stop();
    if (then_start) return control_start(c);
    maybe_finish();
    return ok_reply({{"name", c.def.name}, {"state", to_string(c.tracker.state())}});
  }
  c.tracker.on_user_stop();
  c.start_when_down = then_start;
  if (!c.kill_timer) stop(c);  // a second stop while it is stopping changes nothing
  return ok_reply({{"name", c.def.name}, {"state", "stopping"}});
}

}  // namespace keel::init
