// The deployments part of `keelctl status`: JSON first, the table is made from it.
#include <fmt/format.h>

#include "keel/update/boot.hpp"
#include "keel/update/cli.hpp"
#include "keel/update/config.hpp"
#include "keel/update/state.hpp"

namespace keel::update {

namespace {

using Json = nlohmann::json;

// Records are read back from files: never assume their types (a throw would abort).
const Json& field(const Json& j, const char* key) {
  static const Json none;
  if (!j.is_object()) return none;
  auto it = j.find(key);
  return it == j.end() ? none : *it;
}

double number(const Json& j, const char* key) {
  const Json& v = field(j, key);
  return v.is_number() ? v.get<double>() : 0;
}

bool flag(const Json& j, const char* key) {
  const Json& v = field(j, key);
  return v.is_boolean() && v.get<bool>();
}

std::string str(const Json& j, const char* key) {
  const Json& v = field(j, key);
  return v.is_string() ? v.get<std::string>() : "";
}

std::string state_of(const Json& d) {
  std::string s;
  auto add = [&](const char* w) { s += (s.empty() ? "" : ", ") + std::string(w); };
  if (flag(d, "booted")) add("booted");
  if (flag(d, "failed_trial")) {
    add("failed its boot trial, not booted again");
    return s;
  }
  if (flag(d, "pending")) add("pending: boots next");
  if (flag(d, "default") && !flag(d, "booted") && !flag(d, "pending")) add("default");
  if (!flag(d, "default") && !flag(d, "booted")) add("rollback");
  if (flag(d, "staged")) add("staged");
  if (flag(d, "pinned")) add("pinned");
  return s;
}

}  // namespace

std::string boot_counting_text(const bootloader::BootCounter& b) {
  std::string s = b.pending.empty()
                      ? std::string("GRUB; no deployment on trial")
                      : fmt::format("GRUB; deployment {} on trial, {} boot attempt(s) left",
                                    b.pending, b.tries_left.value_or(0));
  if (!b.failed.empty())
    s +=
        fmt::format("; deployment {} used up its boot attempts and was rolled back from", b.failed);
  return s;
}

Result<Json> deployments_status(Sysroot& sysroot) {
  Json out = {{"sysroot", sysroot.path()}, {"deployments", Json::array()}};
  std::string osname;
  for (const auto& d : TRY(sysroot.deployments())) {
    if (osname.empty()) osname = d.osname;
    out["deployments"].push_back({{"index", d.index},
                                  {"osname", d.osname},
                                  {"version", d.version},
                                  {"checksum", d.checksum},
                                  {"serial", d.serial},
                                  {"origin", d.refspec},
                                  {"timestamp", d.timestamp},
                                  {"default", d.index == 0},
                                  {"booted", d.booted},
                                  {"pending", d.pending},
                                  {"staged", d.staged},
                                  {"pinned", d.pinned}});
  }
  // GRUB's boot counter (docs/BOOT.md): what is on trial, what was rolled back from.
  out["boot_counter"] = nullptr;
  if (auto c = read_boot_trial(sysroot); !c) {
    out["boot_counting"] = "unknown: " + c.error().message();
  } else if (!*c) {
    out["boot_counting"] = "not used (no GRUB environment block in this sysroot)";
  } else {
    const auto& b = **c;
    out["boot_counter"] = {{"pending", b.pending.empty() ? Json() : Json(b.pending)},
                           {"tries_left", b.tries_left ? Json(*b.tries_left) : Json()},
                           {"failed", b.failed.empty() ? Json() : Json(b.failed)}};
    out["boot_counting"] = boot_counting_text(b);
    // OSTree still lists a deployment that used up its attempts first, but GRUB boots the
    // previous one until the deployments change: it does not boot next.
    for (auto& d : out["deployments"])
      if (fmt::format("{}.{}", str(d, "checksum"), static_cast<long long>(number(d, "serial"))) ==
          b.failed) {
        d["pending"] = false;
        d["failed_trial"] = true;
      }
  }
  for (auto [key, file] :
       {std::pair{"last_download", kLastDownload}, {"last_rollback", kLastRollback}})
    out[key] =
        osname.empty() ? Json() : read_record(sysroot.var_dir(osname), file).value_or(Json());
  return out;
}

std::string format_deployments(const Json& s) {
  std::string out = fmt::format("Deployments of {}:\n  {:<12} {:<14} {:<30} {}\n",
                                str(s, "sysroot"), "VERSION", "COMMIT", "ORIGIN", "STATE");
  const Json& deps = field(s, "deployments");
  for (const auto& d : deps.is_array() ? deps : Json::array()) {
    std::string version = str(d, "version");
    out += fmt::format("{} {:<12} {:<14} {:<30} {}\n", flag(d, "booted") ? "*" : " ",
                       version.empty() ? "-" : version, str(d, "checksum").substr(0, 12),
                       str(d, "origin"), state_of(d));
  }
  if (const Json& dl = field(s, "last_download"); dl.is_object())
    out += fmt::format("Last download: {} at {}: {:.0f} bytes{} in {:.1f} s\n", str(dl, "version"),
                       str(dl, "time"), number(dl, "bytes"),
                       flag(dl, "static_delta") ? " (static delta)" : " (objects)",
                       number(dl, "seconds"));
  if (const Json& rb = field(s, "last_rollback"); rb.is_object())
    out += fmt::format("Last rollback: {} from {} to {}: {}\n", str(rb, "time"),
                       str(field(rb, "from"), "version"), str(field(rb, "to"), "version"),
                       str(rb, "reason"));
  out += fmt::format("Boot counting: {}\n", str(s, "boot_counting"));
  return out;
}

}  // namespace keel::update
