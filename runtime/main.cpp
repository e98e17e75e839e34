// keel-runtime: Keel's OCI runtime (docs/ARCHITECTURE.md "keel-runtime").
// Exit status: the container's, or 125 when the runtime itself fails (the runc/crun
// convention, so a supervisor can tell "container failed" from "could not start").
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "keel/common/log.hpp"
#include "keel/runtime/container.hpp"
#include "keel/runtime/spec.hpp"

namespace {

constexpr int kRuntimeError = 125;
constexpr std::string_view kComponent = "keel-runtime";

constexpr const char* kUsage =
    "usage: keel-runtime run [--bundle DIR] ID\n"
    "       keel-runtime up DEFINITION.toml [--images DIR] [--state DIR] [--layers DIR]\n"
    "                       [--volumes DIR] [--rootfs overlay|copy]\n"
    "       keel-runtime spec\n";

int usage_error(std::string_view why) {
  keel::log::error(kComponent, "{}", why);
  std::fputs(kUsage, stderr);
  return kRuntimeError;
}

int finish(const keel::Result<int>& r) {
  if (r) return *r;
  keel::log::error(kComponent, "{}", r.error().message());
  return kRuntimeError;
}

// Splits args into positionals and "--name VALUE" options from `known`.
struct Parsed {
  std::vector<std::string> positional;
  std::vector<std::pair<std::string, std::string>> options;
  std::string error;
};

Parsed parse_args(const std::vector<std::string>& args, std::initializer_list<std::string> known) {
  Parsed p;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (!a.starts_with("--")) {
      p.positional.push_back(a);
      continue;
    }
    bool ok = false;
    for (const auto& k : known) ok = ok || k == a;
    if (!ok || i + 1 >= args.size()) {
      p.error = ok ? a + " needs a value" : "unknown option " + a;
      return p;
    }
    p.options.emplace_back(a, args[++i]);
  }
  return p;
}

int cmd_run(const std::vector<std::string>& args) {
  auto p = parse_args(args, {"--bundle"});
  if (!p.error.empty()) return usage_error(p.error);
  if (p.positional.size() != 1) return usage_error("run needs exactly one container ID");
  std::string bundle = ".";
  for (const auto& [k, v] : p.options) bundle = v;
  auto spec = keel::runtime::load_spec(bundle + "/config.json");
  if (!spec) return finish(keel::fail(spec.error()));
  return finish(keel::runtime::run_container(*spec, bundle, p.positional[0]));
}

int cmd_up(const std::vector<std::string>& args) {
  auto p = parse_args(args, {"--images", "--state", "--layers", "--volumes", "--rootfs"});
  if (!p.error.empty()) return usage_error(p.error);
  if (p.positional.size() != 1) return usage_error("up needs exactly one definition file");
  keel::runtime::UpOptions opts;
  for (const auto& [k, v] : p.options) {
    if (k == "--rootfs") {
      if (v != "overlay" && v != "copy") return usage_error("--rootfs takes overlay or copy");
      opts.rootfs =
          v == "copy" ? keel::runtime::RootfsMode::copy : keel::runtime::RootfsMode::overlay;
    } else if (k == "--volumes") {
      opts.volumes_dir = v;
    } else {
      (k == "--images" ? opts.images_dir : k == "--state" ? opts.state_dir : opts.layers_dir) = v;
    }
  }
  opts.warn = [](const std::string& why) { keel::log::warn(kComponent, "{}", why); };
  return finish(keel::runtime::up(p.positional[0], opts));
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) return usage_error("no command given");
  std::string cmd = args.front();
  args.erase(args.begin());
  if (cmd == "run") return cmd_run(args);
  if (cmd == "up") return cmd_up(args);
  if (cmd == "spec") {
    std::fputs(keel::runtime::default_spec_json().c_str(), stdout);
    return 0;
  }
  if (cmd == "--help" || cmd == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  return usage_error("unknown command '" + cmd + "'");
}
