// The published support matrix: facts rows joined with policy tiers.
#include <fmt/format.h>

#include <map>
#include <set>

#include "keel/hwcompat/report.hpp"

namespace keel::hwcompat {

namespace {

struct Row {
  std::string bus, vendor, device, cls, chain;
  std::map<std::string, Tier> tiers;  // per flavour
};

std::string label(const std::string& name, const std::string& id) {
  if (id == "*") return name.empty() ? "any" : name;
  return name.empty() ? id : fmt::format("{} ({})", name, id);
}

Tier entry_tier(const Policy& p, const IdEntry& e, const std::string& flavour) {
  if (e.bus == Bus::pci)
    if (auto vd = parse_vendor_device(e.vendor + ":" + e.device))
      if (const DevicePolicy* d = p.device(vd->first, vd->second); d && d->tier) return *d->tier;
  Tier t = Tier::certified;
  std::string_view c = e.chain;
  while (!c.empty()) {
    auto gt = c.find('>');
    t = std::max(t, p.module_tier(std::string(c.substr(0, gt)), flavour));
    c = gt == std::string_view::npos ? std::string_view{} : c.substr(gt + 1);
  }
  return t;
}

std::string html_escape(const std::string& s) {
  std::string out;
  for (char ch : s) {
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += ch;
    }
  }
  return out;
}

std::string md_escape(const std::string& s) {
  std::string out;
  for (char ch : s) out += ch == '|' ? std::string("\\|") : std::string(1, ch);
  return out;
}

std::string tiers_text(const Row& r) {
  std::set<Tier> distinct;
  for (const auto& [_, t] : r.tiers) distinct.insert(t);
  if (distinct.size() == 1) return std::string(tier_name(*distinct.begin()));
  std::string out;
  for (const auto& [f, t] : r.tiers)
    out += fmt::format("{}{} ({})", out.empty() ? "" : ", ", tier_name(t), f);
  return out;
}

}  // namespace

std::string export_matrix(const std::vector<Facts>& facts, const Policy& policy,
                          MatrixFormat format, Tier min_tier) {
  std::map<std::tuple<std::string, std::string, std::string, std::string>, Row> rows;
  for (const auto& f : facts)
    for (const auto& e : f.entries) {
      std::string bus(bus_name(e.bus));
      std::string sub = e.subsystem == "*" ? "" : " sub " + e.subsystem;
      Row& r = rows[{bus, e.vendor + ":" + e.device + sub, e.cls, e.chain}];
      r.bus = bus;
      r.vendor = label(e.vendor_name, e.vendor);
      r.device = label(e.name, e.device + sub);
      r.cls = e.cls;
      r.chain = e.chain;
      r.tiers[f.flavour] = entry_tier(policy, e, f.flavour);
    }
  std::string out;
  std::string counts;
  for (const auto& f : facts)
    counts += fmt::format("{}{}: kernel {}, {} rows, {} modules, {} firmware files",
                          counts.empty() ? "" : "; ", f.flavour, f.kernel, f.entries.size(),
                          f.modules.size(), f.firmware_count());
  bool md = format == MatrixFormat::markdown;
  out += md ? fmt::format(
                  "{}\n\n| bus | vendor | device | class | module | tier | flavours |\n"
                  "|---|---|---|---|---|---|---|\n",
                  counts)
            : fmt::format(
                  "<p>{}</p>\n<table>\n<tr><th>bus</th><th>vendor</th><th>device</th>"
                  "<th>class</th><th>module</th><th>tier</th><th>flavours</th></tr>\n",
                  html_escape(counts));
  size_t shown = 0;
  for (const auto& [_, r] : rows) {
    Tier best = Tier::unsupported;
    std::string flavours;
    for (const auto& [f, t] : r.tiers) {
      best = std::min(best, t);
      flavours += (flavours.empty() ? "" : ", ") + f;
    }
    if (best > min_tier) continue;
    ++shown;
    std::string chain = r.chain;
    for (size_t p; (p = chain.find('>')) != std::string::npos;) chain.replace(p, 1, " → ");
    std::vector<std::string> cells = {r.bus, r.vendor,      r.device, r.cls,
                                      chain, tiers_text(r), flavours};
    if (md) {
      for (const auto& c : cells) out += "| " + md_escape(c) + " ";
      out += "|\n";
    } else {
      out += "<tr>";
      for (const auto& c : cells) out += "<td>" + html_escape(c) + "</td>";
      out += "</tr>\n";
    }
  }
  out += md ? fmt::format("\n{} rows at tier {} or better.\n", shown, tier_name(min_tier))
            : fmt::format("</table>\n<p>{} rows at tier {} or better.</p>\n", shown,
                          tier_name(min_tier));
  return out;
}

}  // namespace keel::hwcompat
