// runc's command line (urfave/cli): options may come as "--name value" or
// "--name=value"; boolean options take no value.
#include "cli_args.hpp"

namespace keel::runtime::cli {
namespace {

const Option* find(std::span<const Option> options, std::string_view name) {
  for (const auto& o : options)
    if (o.name == name || (!o.alias.empty() && o.alias == name)) return &o;
  return nullptr;
}

constexpr Option kGlobal[] = {
    {"--root", "", true},
    {"--log", "", true},
    {"--log-format", "", true},
    // Accepted so runc callers work unchanged: debug output is what --log gets anyway,
    // cgroups are always driven directly (no systemd), criu is not supported.
    {"--debug", "", false},
    {"--systemd-cgroup", "", false},
    {"--criu", "", true},
    {"--rootless", "", true},
};

}  // namespace

Result<Args> parse(std::span<const std::string> args, std::span<const Option> options,
                   bool stop_at_positional) {
  Args out;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      out.positional.insert(out.positional.end(), args.begin() + i + 1, args.end());
      break;
    }
    if (a.size() < 2 || a[0] != '-') {
      if (stop_at_positional) {
        out.positional.insert(out.positional.end(), args.begin() + i, args.end());
        break;
      }
      out.positional.push_back(a);
      continue;
    }
    size_t eq = a.find('=');
    std::string name = a.substr(0, eq);
    const Option* o = find(options, name);
    if (!o) return fail_msg("unknown option " + name);
    std::string key(o->name);
    if (!o->takes_value) {
      if (eq != std::string::npos) return fail_msg(key + " takes no value");
      out.values[key] = "";
    } else if (eq != std::string::npos) {
      out.values[key] = a.substr(eq + 1);
    } else if (i + 1 < args.size()) {
      out.values[key] = args[++i];
    } else {
      return fail_msg(key + " needs a value");
    }
    out.all.emplace_back(key, out.values[key]);
  }
  return out;
}

Result<Global> parse_global(std::span<const std::string> args) {
  auto p = TRY(parse(args, kGlobal, true));
  Global g;
  g.root = p.get("--root");
  g.log = p.get("--log");
  g.log_format = p.get("--log-format", "text");
  if (g.log_format != "text" && g.log_format != "json")
    return fail_msg("--log-format takes text or json, not '" + g.log_format + "'");
  if (p.positional.empty()) return fail_msg("no command given");
  g.command = p.positional.front();
  g.rest.assign(p.positional.begin() + 1, p.positional.end());
  return g;
}

}  // namespace keel::runtime::cli
