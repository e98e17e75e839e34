#include "keel/init/boot_check.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <cstdlib>

#include "keel/bootloader/settings.hpp"
#include "keel/common/sys.hpp"
#include "keel/common/text.hpp"

namespace keel::init {

namespace {

namespace bl = keel::bootloader;

// VERSION_ID="0.1.0" from os-release(5).
std::string os_version(const std::string& path) {
  auto text = sys::read_file(path);
  if (!text) return {};
  for (auto line : split_lines(*text)) {
    if (!line.starts_with("VERSION_ID=")) continue;
    std::string_view v = trim(line.substr(11));
    if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'')) v = v.substr(1, v.size() - 2);
    return std::string(v);
  }
  return {};
}

// The deployment's directory name, from the ostree= link the initramfs followed.
std::string booted_deployment(const KernelCmdline& cmd, const std::string& sysroot) {
  if (cmd.ostree.empty()) return {};
  char buf[PATH_MAX];
  std::string link = sysroot + cmd.ostree;
  if (!::realpath(link.c_str(), buf)) return {};
  std::string_view p = buf;
  return std::string(p.substr(p.rfind('/') + 1));
}

}  // namespace

BootInfo read_boot_info(const KernelCmdline& cmd, const BootPaths& paths) {
  BootInfo b;
  b.deployment = booted_deployment(cmd, paths.sysroot);
  b.version = os_version(paths.os_release);
  if (sys::exists(paths.settings)) {
    auto s = bl::load_boot_settings(paths.settings);
    if (s) {
      b.gates = s->gates.value_or(std::vector<std::string>{});
      b.deadline = s->deadline;
    } else {
      b.problems.push_back(s.error().message());
    }
  }
  if (b.deployment.empty() || !bl::is_deployment_id(b.deployment)) {
    b.problems.push_back(
        "not booted from an OSTree deployment (ostree= on the kernel command "
        "line does not lead to one); no boot counting");
    return b;
  }
  auto counter = bl::read_boot_counter(paths.grubenv);
  if (!counter) {
    b.problems.push_back(counter.error().message() + "; no boot counting this boot");
    return b;
  }
  b.counter = *counter;
  b.grubenv = paths.grubenv;
  b.kind = bl::classify_boot(b.counter, b.deployment, cmd.rollback);
  b.rolled_back_from = cmd.rollback;
  return b;
}

GateVerdict judge_gates(const std::vector<std::string>& gates, const std::vector<GateView>& seen,
                        std::string& why) {
  bool all_ready = true;
  for (const auto& g : gates) {
    auto it = std::ranges::find(seen, g, &GateView::name);
    if (it == seen.end()) {
      why = fmt::format(
          "gate {} is not a container this host runs (its definition is missing "
          "or could not start)",
          g);
      return GateVerdict::failed;
    }
    if (it->ready) continue;
    all_ready = false;
    if (it->ended || it->crash_looping) {
      why = fmt::format("gate {} {} without becoming ready", g,
                        it->ended ? "ended" : "is crash-looping");
      return GateVerdict::failed;
    }
  }
  return all_ready ? GateVerdict::good : GateVerdict::waiting;
}

std::string describe_boot(const BootInfo& b) {
  switch (b.kind) {
    case bl::BootKind::normal:
      return "normal boot";
    case bl::BootKind::trial:
      return fmt::format("trial boot of this deployment, {} attempts left after this one",
                         b.counter.tries_left.value_or(0));
    case bl::BootKind::rollback:
      return fmt::format(
          "rollback: deployment {} used up its boot attempts; booted the "
          "previous one",
          b.rolled_back_from);
    case bl::BootKind::other:
      return fmt::format("deployment {} is on trial, but this one was chosen in the menu",
                         b.counter.pending);
  }
  return "?";
}

}  // namespace keel::init
