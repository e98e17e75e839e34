// keelctl update / rollback / status --sysroot: argument parsing and the commands.
#include "keel/update/cli.hpp"

#include <fmt/format.h>

#include <ctime>

#include "keel/update/boot.hpp"
#include "keel/update/client.hpp"
#include "keel/update/state.hpp"

namespace keel::update {

namespace {

using Json = nlohmann::json;

constexpr int kOk = 0, kFailed = 1, kUsage = 2;

struct CliArgs {
  std::string verb;  // update, rollback, status
  std::string sub;   // update's: check, download, apply, auto
  ClientOptions client;
  bool configs_given = false;
  bool sysroot_given = false;
  bool json = false;
  bool no_reboot = false;
  bool allow_downgrade = false;
  std::string version;
  std::string socket;
};

Result<CliArgs> parse(const std::vector<std::string>& args) {
  CliArgs a;
  auto value = [&](size_t& i) -> Result<std::string> {
    if (i + 1 >= args.size()) return fail_msg(args[i] + " needs a value");
    return args[++i];
  };
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& s = args[i];
    if (s == "--json") {
      a.json = true;
    } else if (s == "--no-reboot") {
      a.no_reboot = true;
    } else if (s == "--allow-downgrade") {
      a.allow_downgrade = true;
    } else if (s == "--sysroot") {
      a.client.sysroot = TRY(value(i));
      a.sysroot_given = true;
    } else if (s == "--config") {
      if (!a.configs_given) a.client.config_files.clear();
      a.configs_given = true;
      a.client.config_files.push_back(TRY(value(i)));
    } else if (s == "--version") {
      a.version = TRY(value(i));
    } else if (s == "--socket") {
      a.socket = TRY(value(i));
    } else if (s.starts_with("-")) {
      return fail_msg("unknown option " + s);
    } else if (a.verb.empty()) {
      a.verb = s;
    } else if (a.verb == "update" && a.sub.empty()) {
      a.sub = s;
    } else {
      return fail_msg(fmt::format("unexpected argument '{}'", s));
    }
  }
  if (a.verb != "update" && a.verb != "rollback" && a.verb != "status")
    return fail_msg(fmt::format("'{}' is not an update command", a.verb));
  if (a.verb == "status" && !a.sysroot_given)
    return fail_msg("keelctl status shows a sysroot's deployments with --sysroot DIR");
  if (a.verb == "update" && a.sub != "check" && a.sub != "download" && a.sub != "apply" &&
      a.sub != "auto")
    return fail_msg("keelctl update needs check, download, apply or auto");
  if (!a.version.empty() && a.sub != "check" && a.sub != "download" && a.sub != "apply")
    return fail_msg("--version goes with update check, download or apply");
  return a;
}

std::string short_id(const std::string& checksum) {
  return checksum.substr(0, 12);
}

Json release_json(const Release& r) {
  return {{"version", r.version},     {"checksum", r.checksum}, {"parent", r.parent},
          {"timestamp", r.timestamp}, {"subject", r.subject},   {"changelog", r.changelog},
          {"signed_by", r.signed_by}};
}

Json stats_json(const PullStats& s) {
  return {{"bytes", s.bytes},
          {"objects", s.objects},
          {"static_delta", s.used_delta()},
          {"delta_parts", s.delta_parts},
          {"delta_part_bytes", s.delta_part_bytes},
          {"seconds", s.seconds}};
}

void print_check(const Client& c, const CheckResult& r, std::FILE* out) {
  const Release& rel = r.release;
  fmt::print(out, "Current:   {} ({}{})\n", c.current().version, short_id(c.current().checksum),
             c.current().booted ? ", booted" : "");
  fmt::print(out, "Published: {} ({}) on {} at {}, {}\n", rel.version, short_id(rel.checksum),
             c.branch(), c.config().url, utc_time(static_cast<std::time_t>(rel.timestamp)));
  fmt::print(out, "Signed by: {}\n", rel.signed_by);
  if (r.current) {
    fmt::print(out, "Up to date.\n");
    return;
  }
  if (r.pending) fmt::print(out, "It is deployed already and boots next.\n");
  if (!r.newer)
    fmt::print(out,
               "It is not newer than the current version (keelctl update apply "
               "--allow-downgrade installs it).\n");
  if (!rel.changelog.empty()) {
    fmt::print(out, "Changes in {}:\n", rel.version);
    for (const auto& line : rel.changelog) fmt::print(out, "  {}\n", line);
  }
}

void print_download(const Release& rel, const PullStats& s, std::FILE* out) {
  if (s.bytes == 0 && s.objects == 0 && !s.used_delta()) {
    fmt::print(out, "Release {} is downloaded already.\n", rel.version);
    return;
  }
  fmt::print(out, "Downloaded {} ({}): {} bytes in {:.1f} s, {}\n", rel.version,
             short_id(rel.checksum), s.bytes, s.seconds,
             s.used_delta() ? fmt::format("through a static delta ({} part(s), {} bytes)",
                                          s.delta_parts, s.delta_part_bytes)
                            : fmt::format("{} objects one by one", s.objects));
}

void warn_all(const Client& c, std::FILE* err) {
  for (const auto& w : c.warnings()) fmt::print(err, "keelctl: warning: {}\n", w);
}

// Reboots into the new default when this is the booted host and the caller wants it.
int maybe_reboot(Client& c, const CliArgs& a, const CliHooks& hooks, std::FILE* out) {
  if (a.no_reboot) {
    fmt::print(out, "Not rebooting (--no-reboot): the next boot starts the new default.\n");
    return kOk;
  }
  if (!c.current().booted) {
    fmt::print(out, "Not rebooting: {} is not the booted system.\n", c.sysroot().path());
    return kOk;
  }
  fmt::print(out, "Rebooting.\n");
  std::fflush(out);
  return hooks.reboot ? hooks.reboot(a.socket) : kFailed;
}

Result<Client> open_client(const CliArgs& a, bool lock) {
  ClientOptions o = a.client;
  o.lock = lock;
  return Client::open(o);
}

int failed(std::FILE* err, const Error& e) {
  fmt::print(err, "keelctl: {}\n", e.message());
  return kFailed;
}

void print_json(std::FILE* out, const Json& j) {
  fmt::print(out, "{}\n", j.dump(-1, ' ', false, Json::error_handler_t::replace));
}

int cmd_status(const CliArgs& a, std::FILE* out, std::FILE* err) {
  auto s = Sysroot::open(a.client.sysroot);
  if (!s) return failed(err, s.error());
  auto j = deployments_status(*s);
  if (!j) return failed(err, j.error());
  if (a.json)
    print_json(out, *j);
  else
    fmt::print(out, "{}", format_deployments(*j));
  return kOk;
}

Json check_json(const Client& c, const CheckResult& r) {
  return {{"branch", c.branch()},
          {"url", c.config().url},
          {"current", {{"version", c.current().version}, {"checksum", c.current().checksum}}},
          {"release", release_json(r.release)},
          {"is_current", r.current},
          {"pending", r.pending},
          {"newer", r.newer},
          {"update_available", !r.current && !r.pending && r.newer},
          {"fetched", stats_json(r.stats)}};
}

int cmd_check(const CliArgs& a, std::FILE* out, std::FILE* err) {
  auto c = open_client(a, false);
  if (!c) return failed(err, c.error());
  auto r = c->check(a.version);
  if (!r) return failed(err, r.error());
  if (a.json)
    print_json(out, check_json(*c, *r));
  else
    print_check(*c, *r, out);
  return kOk;
}

int cmd_download(const CliArgs& a, std::FILE* out, std::FILE* err) {
  auto c = open_client(a, true);
  if (!c) return failed(err, c.error());
  auto r = c->check(a.version);
  if (!r) return failed(err, r.error());
  auto s = c->download(r->release);
  if (!s) return failed(err, s.error());
  warn_all(*c, err);
  if (a.json) {
    Json j = check_json(*c, *r);
    j["downloaded"] = stats_json(*s);
    print_json(out, j);
  } else {
    print_download(r->release, *s, out);
  }
  return kOk;
}

// Download and deploy; prints what it did. The caller decides about the reboot.
int install(Client& c, const CliArgs& a, const CheckResult& r, std::FILE* out, std::FILE* err) {
  // One "Update: ..." line as each step starts, flushed at once: a pipe (a container's
  // log) would otherwise hold them until keelctl exits, or for ever if the power goes.
  auto step = [&a, out](const std::string& what) {
    if (a.json) return;
    fmt::print(out, "Update: {}\n", what);
    std::fflush(out);
  };
  step(fmt::format("downloading {} ({}) from {}", r.release.version, short_id(r.release.checksum),
                   c.config().url));
  auto s = c.download(r.release);
  if (!s) return failed(err, s.error());
  if (!a.json) print_download(r.release, *s, out);
  std::fflush(out);
  auto d = c.apply(r.release, DeployHooks{.arm_new_deployment = arm_boot_trial, .step = step});
  if (!d) return failed(err, d.error());
  warn_all(c, err);
  if (a.json) {
    Json j = check_json(c, r);
    j["downloaded"] = stats_json(*s);
    j["deployed"] = {{"version", d->version}, {"checksum", d->checksum}, {"index", d->index}};
    print_json(out, j);
  } else {
    fmt::print(out, "Deployed {} ({}) as the default; /etc merged from {}.\n", d->version,
               short_id(d->checksum), c.current().version);
  }
  return kOk;
}

int retry_trial(Client& c, const CheckResult& r, std::FILE* out, std::FILE* err) {
  auto deps = c.sysroot().deployments();
  if (!deps) return failed(err, deps.error());
  if (deps->empty() || deps->front().checksum != r.release.checksum)
    return failed(err, Error::msg(fmt::format("release {} is no longer the default deployment",
                                              r.release.version)));
  if (auto t = arm_boot_trial(c.sysroot(), deps->front()); !t)
    return failed(err, t.error().context("arming boot counting"));
  fmt::print(out,
             "Release {} failed its boot trial before (deployment {}); it goes on trial "
             "again as you asked.\n",
             r.release.version, r.failed_trial);
  return kOk;
}

int cmd_apply(const CliArgs& a, const CliHooks& hooks, std::FILE* out, std::FILE* err) {
  auto c = open_client(a, true);
  if (!c) return failed(err, c.error());
  auto r = c->check(a.version);
  if (!r) return failed(err, r.error());
  if (r->current) {
    fmt::print(out, "Release {} runs already; nothing to apply.\n", r->release.version);
    return kOk;
  }
  if (!r->newer && !a.allow_downgrade)
    return failed(err, Error::msg(fmt::format(
                           "release {} is not newer than the current {}; refusing to go back "
                           "(keelctl update apply --allow-downgrade, or keelctl rollback)",
                           r->release.version, c->current().version)));
  if (!r->pending) {
    if (int rc = install(*c, a, *r, out, err); rc != kOk) return rc;
  } else if (!r->failed_trial.empty()) {
    // Deployed, but GRUB went back from it and keeps booting the fallback: an operator
    // asking for it again gets a new trial (`keelctl update auto` never does this).
    if (int rc = retry_trial(*c, *r, out, err); rc != kOk) return rc;
  }
  return maybe_reboot(*c, a, hooks, out);
}

int cmd_auto(const CliArgs& a, const CliHooks& hooks, std::FILE* out, std::FILE* err) {
  auto c = open_client(a, true);
  if (!c) return failed(err, c.error());
  const UpdateConfig& cfg = c->config();
  if (cfg.policy == Policy::manual) {
    fmt::print(out,
               "Update policy is manual: nothing to do (keelctl update apply installs "
               "updates).\n");
    return kOk;
  }
  auto r = c->check(cfg.policy == Policy::pinned ? cfg.version : "");
  if (!r) return failed(err, r.error());
  switch (decide_auto(cfg.policy, *r)) {
    case AutoStep::manual:
      return kOk;
    case AutoStep::current:
      fmt::print(out, "Release {} runs already (policy {}).\n", r->release.version,
                 policy_name(cfg.policy));
      return kOk;
    case AutoStep::older:
      fmt::print(out,
                 "The published {} is not newer than the current {}: staying (policy "
                 "automatic never goes back).\n",
                 r->release.version, c->current().version);
      return kOk;
    case AutoStep::failed:
      fmt::print(out,
                 "Release {} ({}) failed its boot trial on this host: deployment {} used up "
                 "its boot attempts and the host went back to {}. Policy {} does not apply it "
                 "again; a newer release will be, or `keelctl update apply` tries it again.\n",
                 r->release.version, short_id(r->release.checksum), r->failed_trial,
                 c->current().version, policy_name(cfg.policy));
      return kOk;
    case AutoStep::pending:
      break;
    case AutoStep::install:
      if (int rc = install(*c, a, *r, out, err); rc != kOk) return rc;
      break;
  }
  std::time_t now = std::time(nullptr);
  if (may_reboot_now(cfg, now)) return maybe_reboot(*c, a, hooks, out);
  fmt::print(out, "Release {} boots in the next maintenance window, from {}.\n", r->release.version,
             utc_time(next_window_start(*cfg.window, now)));
  return kOk;
}

int cmd_rollback(const CliArgs& a, const CliHooks& hooks, std::FILE* out, std::FILE* err) {
  auto s = Sysroot::open(a.client.sysroot);
  if (!s) return failed(err, s.error());
  if (auto l = s->lock(); !l) return failed(err, l.error());
  std::vector<std::string> warnings;
  auto r = rollback_and_record(*s, "keelctl rollback", warnings);
  if (!r) return failed(err, r.error());
  for (const auto& w : warnings) fmt::print(err, "keelctl: warning: {}\n", w);
  if (a.json)
    print_json(out, {{"from", {{"version", r->from.version}, {"checksum", r->from.checksum}}},
                     {"to", {{"version", r->to.version}, {"checksum", r->to.checksum}}}});
  else
    fmt::print(out, "Rolled back: the next boot starts {} ({}) instead of {} ({}).\n",
               r->to.version, short_id(r->to.checksum), r->from.version,
               short_id(r->from.checksum));
  if (a.no_reboot) return kOk;
  if (!ostree_sysroot_get_booted_deployment(s->get())) {
    fmt::print(out, "Not rebooting: {} is not the booted system.\n", s->path());
    return kOk;
  }
  fmt::print(out, "Rebooting.\n");
  std::fflush(out);
  return hooks.reboot ? hooks.reboot(a.socket) : kFailed;
}

int run(const CliArgs& a, const CliHooks& hooks, std::FILE* out, std::FILE* err) {
  if (a.verb == "status") return cmd_status(a, out, err);
  if (a.verb == "rollback") return cmd_rollback(a, hooks, out, err);
  if (a.sub == "check") return cmd_check(a, out, err);
  if (a.sub == "download") return cmd_download(a, out, err);
  if (a.sub == "apply") return cmd_apply(a, hooks, out, err);
  return cmd_auto(a, hooks, out, err);
}

}  // namespace

bool is_update_command(const std::vector<std::string>& args) {
  bool sysroot = false, status = false;
  for (const auto& a : args) {
    if (a == "update" || a == "rollback") return true;
    sysroot = sysroot || a == "--sysroot";
    status = status || a == "status";
  }
  return sysroot && status;
}

int run_update_cli(const std::vector<std::string>& args, const CliHooks& hooks, std::FILE* out,
                   std::FILE* err) {
  auto a = parse(args);
  if (!a) {
    fmt::print(err, "keelctl: {}\n", a.error().message());
    return kUsage;
  }
  return run(*a, hooks, out, err);
}

}  // namespace keel::update
