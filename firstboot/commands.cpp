#include "commands.hpp"

#include <unistd.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "keel/common/log.hpp"
#include "keel/common/sys.hpp"
#include "keel/common/text.hpp"
#include "keel/firstboot/render.hpp"
#include "keel/firstboot/status.hpp"
#include "keel/firstboot/transaction.hpp"
#include "keel/firstboot/user_data.hpp"

namespace keel::firstboot {

namespace {

constexpr std::string_view kLog = "keel-firstboot";
constexpr std::string_view kDefaults = "the host runs with the image's defaults";

void report(const Paths& p, State state, const std::string& message) {
  auto r = sys::mkdir_p(p.run, 0755);
  if (r) r = write_status(p.run + "/" + kStatusFile, state, message);
  if (!r) log::warn(kLog, "keelctl status will not show this: {}", r.error().message());
}

// keel.firstboot=0 turns first boot off; keel.firstboot.metadata=1 or =0 forces the
// metadata service on or off whatever the DMI data says.
struct Flags {
  bool disabled = false;
  std::optional<bool> metadata;
};

Flags read_flags(const std::string& cmdline_path) {
  Flags f;
  std::string text = sys::read_file(cmdline_path).value_or("");
  std::string_view rest = trim(std::string_view(text).substr(0, text.find('\n')));
  while (!rest.empty()) {
    std::string_view word = rest.substr(0, rest.find(' '));
    rest.remove_prefix(std::min(rest.size(), word.size() + 1));
    auto value = [&](std::string_view key) -> std::optional<bool> {
      if (!word.starts_with(key) || word.size() <= key.size() || word[key.size()] != '=')
        return std::nullopt;
      std::string_view v = word.substr(key.size() + 1);
      return !(v == "0" || v == "off" || v == "no" || v == "false");
    };
    if (auto v = value("keel.firstboot")) f.disabled = !*v;
    if (auto v = value("keel.firstboot.metadata")) f.metadata = *v;
  }
  return f;
}

std::string written_list(const std::vector<FileChange>& changes) {
  std::vector<std::string> names;
  for (const auto& c : changes) names.push_back("/" + c.path);
  return fmt::format("{}", fmt::join(names, ", "));
}

// Checks and applies user-data from `found`. The text is kept in <run>/firstboot/
// user-data (root only: it may hold keys) and messages name that copy.
bool apply_found(const Paths& p, const Found& found) {
  std::string copy = p.run + "/firstboot/user-data";
  auto saved = sys::mkdir_p(p.run + "/firstboot", 0700);
  if (saved) saved = sys::write_file_atomic(copy, found.text, 0600);
  if (!saved) log::warn(kLog, "keeping a copy of the user-data: {}", saved.error().message());
  log::info(kLog, "user-data from {} ({} bytes)", found.source, found.text.size());
  HostFacts facts = load_host_facts(p.root);
  auto ud = parse_user_data(found.text, copy, facts);
  if (!ud) {
    std::string m = fmt::format("invalid user-data from {}: {}; nothing was applied, {}",
                                found.source, ud.error().message(), kDefaults);
    log::error(kLog, "{}", m);
    report(p, State::invalid, m);
    return false;
  }
  auto changes = render_changes(*ud, facts, found.source);
  if (auto r = apply_changes(p.root, changes); !r) {
    std::string m = fmt::format("applying the user-data from {}: {}; {}", found.source,
                                r.error().message(), kDefaults);
    log::error(kLog, "{}", m);
    report(p, State::failed, m);
    return false;
  }
  std::string m =
      fmt::format("applied the user-data from {}: wrote {}", found.source, written_list(changes));
  log::info(kLog, "{}", m);
  report(p, State::applied, m);
  return true;
}

bool recover_interrupted(const Paths& p) {
  auto r = recover(p.root);
  if (!r) {
    std::string m = fmt::format(
        "an interrupted first boot left {}/{} that could not be undone: "
        "{}; /etc may be half-written",
        p.root, kTxnDir, r.error().message());
    log::error(kLog, "{}", m);
    report(p, State::failed, m);
    return false;
  }
  if (*r == Recovery::rolled_back)
    log::warn(kLog, "undid the changes of a first boot that was interrupted; trying again");
  return true;
}

// The metadata phase's container, generated into <run>/containers (keel-init reads
// that directory between the image's and /etc's): it exists only on boots that need it.
Result<void> write_metadata_container(const Paths& p) {
  std::string def =
      "# Written by keel-firstboot at boot (docs/FIRSTBOOT.md): asks the metadata service\n"
      "# for user-data once the network is up, through the host's own keel-firstboot.\n"
      "image = \"busybox\"\nsystem = true\nrestart = \"never\"\nafter = [\"network\"]\n"
      "command = [\"chroot\", \"/host\", \"/usr/bin/keel-firstboot\", \"metadata\"]\n\n"
      "[[mounts]]\nsource = \"/\"\ntarget = \"/host\"\n";
  TRY(sys::mkdir_p(p.run + "/containers", 0755));
  return sys::write_file_atomic(p.run + "/containers/firstboot.toml", def, 0644);
}

int look_further(const Paths& p, const Flags& flags) {
  std::string cloud;
  bool cloudy = dmi_says_cloud(p.sys, &cloud);
  bool ask = flags.metadata.value_or(cloudy);
  std::string nothing =
      "no config drive labelled cidata or config-2 and no fw_cfg entry "
      "opt/keel/user-data";
  if (!ask) {
    std::string m = fmt::format(
        "no user-data: {}, and no cloud metadata service {}; {}", nothing,
        flags.metadata ? "(keel.firstboot.metadata=0)" : "(the DMI data names no known cloud)",
        kDefaults);
    log::info(kLog, "{}", m);
    report(p, State::none, m);
    return 0;
  }
  if (!load_host_facts(p.root).images.contains("busybox")) {
    std::string m = fmt::format(
        "no user-data: {}; the metadata service is not asked because "
        "the image has no busybox image for its container; {}",
        nothing, kDefaults);
    log::warn(kLog, "{}", m);
    report(p, State::none, m);
    return 0;
  }
  if (auto r = write_metadata_container(p); !r) {
    log::error(kLog, "setting up the metadata phase: {}; {}", r.error().message(), kDefaults);
    report(p, State::failed, r.error().message());
    return 1;
  }
  std::string m = fmt::format("{}; asking the metadata service ({}) once the network is up",
                              nothing, cloud.empty() ? "keel.firstboot.metadata=1" : cloud);
  log::info(kLog, "{}", m);
  report(p, State::waiting, m);
  return 0;
}

}  // namespace

int run_local(const Paths& p) {
  if (!recover_interrupted(p)) return 1;
  if (auto marker = sys::read_file(p.root + "/" + kDoneMarker)) {
    report(p, State::done,
           "first boot was completed on an earlier boot (/" + std::string(kDoneMarker) + ")");
    return 0;
  }
  Flags flags = read_flags(p.cmdline);
  if (flags.disabled) {
    log::info(kLog, "keel.firstboot=0: not looking for user-data");
    report(p, State::disabled, "keel.firstboot=0 on the kernel command line");
    return 0;
  }
  DrivePaths drive{p.sys + "/class/block", p.dev, p.run + "/firstboot/drive"};
  auto found = read_config_drive(drive);
  if (found && !*found) found = read_fw_cfg(p.sys);
  if (!found) {
    std::string m = fmt::format("{}; nothing was applied, {}", found.error().message(), kDefaults);
    log::error(kLog, "{}", m);
    report(p, State::failed, m);
    return 1;
  }
  if (!*found) return look_further(p, flags);
  return apply_found(p, **found) ? 0 : 1;
}

int run_metadata(const Paths& p, const std::string& url, const MetadataOptions& options) {
  if (!recover_interrupted(p)) return 1;
  if (sys::exists(p.root + "/" + kDoneMarker)) return 0;
  log::info(kLog, "asking the metadata service: {}", url);
  MetadataAnswer a = fetch_metadata(url, options);
  if (a.kind != MetadataAnswer::Kind::found) {
    std::string m = fmt::format("no user-data: {}; {}", a.detail, kDefaults);
    log::info(kLog, "{}", m);
    report(p, State::none, m);
    return 0;
  }
  if (!apply_found(p, Found{std::move(a.text), "the metadata service " + url})) return 1;
  // The hostname, network and containers are read at boot (keel-init, the network
  // container's definition): one reboot makes all of them take effect together.
  if (p.keelctl.empty()) return 0;  // tests: no reboot
  log::info(kLog, "rebooting once so that the user-data takes effect");
  std::fflush(nullptr);
  char* argv[] = {const_cast<char*>(p.keelctl.c_str()), const_cast<char*>("reboot"), nullptr};
  ::execv(p.keelctl.c_str(), argv);
  log::error(kLog, "running {} reboot: {}; the user-data takes effect at the next boot", p.keelctl,
             Error::from_errno("execv").message());
  return 1;
}

int run_recover(const Paths& p) {
  return recover_interrupted(p) ? 0 : 1;
}

int run_check(const std::string& file, const Paths& p, std::FILE* out) {
  auto text = sys::read_file(file);
  if (!text) {
    log::error(kLog, "{}", text.error().message());
    return 1;
  }
  HostFacts facts = load_host_facts(p.root);
  auto ud = parse_user_data(*text, file, facts);
  if (!ud) {
    log::error(kLog, "{}", ud.error().message());
    return 1;
  }
  for (const auto& c : render_changes(*ud, facts, file))
    std::fprintf(out, "==> /%s (mode %04o)\n%s\n", c.path.c_str(), c.mode, c.content.c_str());
  return 0;
}

}  // namespace keel::firstboot
