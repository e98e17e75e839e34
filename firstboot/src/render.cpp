#include "keel/firstboot/render.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "toml_text.hpp"

namespace keel::firstboot {

namespace {

// Busybox `ip` in the network image sets what DHCP would have. `replace` instead of
// `add`, so a restart of the container (restart = "always") finds nothing in its way.
std::string static_script(const NetworkConfig& net) {
  std::string s =
      fmt::format("ip link set {0} up && ip addr replace {1} dev {0}", net.interface, net.address);
  if (!net.gateway.empty())
    s += fmt::format(" && ip route replace default via {} dev {}", net.gateway, net.interface);
  if (!net.dns.empty()) {
    std::string lines;
    for (const auto& d : net.dns) lines += "nameserver " + d + "\\n";
    s += fmt::format(" && printf '{}' > /etc/resolv.conf", lines);
  }
  // Stay up: keel-init supervises it like the DHCP client, and its health check
  // keeps telling whether the address is still there.
  return s + " && echo \"static address " + net.address + " on " + net.interface +
         "\" && exec sleep 2147483647";
}

toml::array strings(std::initializer_list<std::string> items) {
  toml::array a;
  for (const auto& s : items) a.push_back(s);
  return a;
}

}  // namespace

std::optional<std::string> render_network(const NetworkConfig& net, const HostFacts& facts) {
  bool image_default = net.mode == NetworkConfig::Mode::dhcp && net.interface == "eth0" &&
                       facts.containers.contains("network");
  if (image_default) return std::nullopt;
  toml::table t;
  t.insert("image", "network");
  t.insert("system", true);
  t.insert("restart", "always");
  t.insert("ready", "healthy");
  if (net.mode == NetworkConfig::Mode::fixed)
    t.insert("command", strings({"/bin/sh", "-c", static_script(net)}));
  else
    t.insert("command", strings({"udhcpc", "-f", "-R", "-i", net.interface}));
  // Ready once the interface has a route: its address's subnet route appears with it.
  toml::table health;
  health.insert("exec",
                strings({"/bin/grep", "-q", "^" + net.interface + "\t", "/proc/net/route"}));
  health.insert("interval", "1s");
  health.insert("timeout", "1s");
  health.insert("retries", 1);
  health.insert("start_period", "60s");
  health.insert("start_interval", "100ms");
  t.insert("health", std::move(health));
  toml::table mount;
  mount.insert("source", "/etc/resolv.conf");
  mount.insert("target", "/etc/resolv.conf");
  toml::array mounts;
  mounts.push_back(std::move(mount));
  t.insert("mounts", std::move(mounts));
  std::string mode = net.mode == NetworkConfig::Mode::fixed ? "a static address" : "DHCP";
  return fmt::format(
      "# Written by keel-firstboot from the user-data's [network]: {} on {}.\n"
      "# It replaces the image's network container (docs/FIRSTBOOT.md).\n{}",
      mode, net.interface, toml_text(t));
}

std::vector<FileChange> render_changes(const UserData& ud, const HostFacts& facts,
                                       const std::string& source) {
  std::vector<FileChange> out;
  if (ud.hostname) out.push_back({"etc/hostname", *ud.hostname + "\n"});
  if (ud.network)
    if (auto def = render_network(*ud.network, facts))
      out.push_back({"etc/keel/containers/network.toml", std::move(*def)});
  for (const auto& a : ud.add)
    out.push_back({"etc/keel/containers/" + a.name + ".toml", a.definition});
  for (const auto& d : ud.disable)
    out.push_back({"etc/keel/containers/" + d + ".toml",
                   fmt::format("# Disabled by keel-firstboot: the user-data's [containers] "
                               "disable ({}).\nenabled = false\n",
                               source)});
  if (ud.update)
    out.push_back({"etc/keel/update.toml",
                   "# Written by keel-firstboot from the user-data's [update] "
                   "(docs/FIRSTBOOT.md).\n" +
                       ud.update->text});
  if (!ud.trusted_keys.empty())
    out.push_back({"etc/keel/keys/user-data.pub",
                   fmt::format("# Trusted by keel-firstboot from the user-data's [keys].\n{}\n",
                               fmt::join(ud.trusted_keys, "\n"))});
  if (ud.authorized_keys) {
    std::string text;
    for (const auto& k : *ud.authorized_keys) text += k + "\n";
    out.push_back({"etc/keel/admin/authorized_keys", std::move(text), 0600});
  }
  toml::table done;
  done.insert("source", source);
  out.push_back({kDoneMarker,
                 "# First boot is done: Keel reads no user-data while this file "
                 "exists (docs/FIRSTBOOT.md).\n" +
                     toml_text(done)});
  return out;
}

}  // namespace keel::firstboot
