#include "keel/update/config.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <limits>

#include "keel/update/version.hpp"

namespace keel::update {

namespace {

constexpr std::array<std::string_view, 7> kDays = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

bool ref_char(char c, bool first) {
  bool word =
      (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  return word || (!first && (c == '-' || c == '.'));
}

}  // namespace

// OSTree's ref grammar (OSTREE_REF_REGEXP in ostree-core.c): fragments of [\w\d][-._\w\d]*
// joined by '/'. Checked here rather than with ostree_validate_rev() so that this file
// needs no libostree: keel-firstboot checks user-data's [update] with it at every first
// boot, and linking libostree (and GLib) there would cost every first boot. The unit test
// compares it with ostree_validate_rev(). Stricter in one way: \w is ASCII here, where
// GLib's regex also takes non-ASCII letters.
bool valid_branch_name(std::string_view name) {
  bool first = true;
  for (char c : name) {
    if (c == '/' && !first) {
      first = true;
      continue;
    }
    if (!ref_char(c, first)) return false;
    first = false;
  }
  return !first;
}

namespace {

Result<void> parse_url(const TomlDoc& doc, const toml::table& t, UpdateConfig& cfg) {
  auto url = TRY(doc.get_string(t, "url"));
  if (!url) return {};
  if (!url->starts_with("http://") && !url->starts_with("https://") &&
      !url->starts_with("file:///"))
    return fail(doc.error_at(t.get("url"), fmt::format("url '{}' must start with http://, "
                                                       "https:// or file:/// (the directory "
                                                       "keel-compose release publishes)",
                                                       *url)));
  cfg.url = *url;
  return {};
}

Result<void> parse_policy(const TomlDoc& doc, const toml::table& t, UpdateConfig& cfg) {
  if (auto branch = TRY(doc.get_string(t, "branch"))) {
    if (!valid_branch_name(*branch))
      return fail(
          doc.error_at(t.get("branch"), fmt::format("branch '{}' is not an OSTree branch name like "
                                                    "\"keel/x86_64/default\"",
                                                    *branch)));
    cfg.branch = *branch;
  }
  if (auto p = TRY(doc.get_string(t, "policy"))) {
    if (*p == "manual")
      cfg.policy = Policy::manual;
    else if (*p == "automatic")
      cfg.policy = Policy::automatic;
    else if (*p == "pinned")
      cfg.policy = Policy::pinned;
    else
      return fail(doc.error_at(t.get("policy"), fmt::format("policy '{}' is not one of \"manual\", "
                                                            "\"automatic\" or \"pinned\"",
                                                            *p)));
  }
  if (auto every = TRY(doc.get_duration(t, "check_interval"))) {
    if (*every < std::chrono::minutes(1))  // get_duration caps it at a day
      return fail(doc.error_at(t.get("check_interval"),
                               "check_interval must be at least \"1m\", e.g. \"1h\""));
    cfg.check_interval = std::chrono::duration_cast<std::chrono::seconds>(*every);
  }
  if (auto v = TRY(doc.get_string(t, "version"))) {
    if (auto ok = check_version(*v); !ok)
      return fail(doc.error_at(t.get("version"), ok.error().message()));
    cfg.version = *v;
  }
  return {};
}

Result<void> parse_keys(const TomlDoc& doc, const toml::table& t, UpdateConfig& cfg) {
  if (!t.get("trusted_keys")) return {};
  auto keys = TRY(doc.get_string_array(t, "trusted_keys"));
  for (const auto& k : keys)
    if (!k.starts_with("/"))
      return fail(doc.error_at(t.get("trusted_keys"),
                               fmt::format("trusted_keys: '{}' must be an absolute path (a "
                                           "*.pub file or a directory of them)",
                                           k)));
  cfg.trusted_keys = std::move(keys);
  return {};
}

// "HH:MM" -> minutes after midnight.
std::optional<int> parse_clock(std::string_view s) {
  if (s.size() != 5 || s[2] != ':') return std::nullopt;
  auto digit = [&](size_t i) { return s[i] >= '0' && s[i] <= '9' ? s[i] - '0' : -100; };
  int h = digit(0) * 10 + digit(1), m = digit(3) * 10 + digit(4);
  if (h < 0 || h > 23 || m < 0 || m > 59) return std::nullopt;
  return h * 60 + m;
}

Result<void> parse_window(const TomlDoc& doc, const toml::table& t, std::string_view section,
                          UpdateConfig& cfg) {
  const toml::table* w = TRY(doc.get_table(t, "window"));
  if (!w) return {};
  // The table is [window] in update.toml and [update.window] in an image definition.
  std::string name = section.empty() ? "[window]" : "[update.window]";
  TRY(doc.reject_unknown_keys(*w, name, {"days", "start", "duration"}));
  Window win;
  if (w->get("days")) {
    win.days = 0;
    for (const auto& d : TRY(doc.get_string_array(*w, "days"))) {
      size_t i = 0;
      while (i < kDays.size() && kDays[i] != d) ++i;
      if (i == kDays.size())
        return fail(doc.error_at(w->get("days"), fmt::format("{} days: '{}' is not one of sun, "
                                                             "mon, tue, wed, thu, fri, sat",
                                                             name, d)));
      win.days |= 1u << i;
    }
    if (win.days == 0)
      return fail(doc.error_at(w->get("days"), fmt::format("{} days is empty: name at least one "
                                                           "day, or leave days out for every day",
                                                           name)));
  }
  auto start = TRY(doc.get_string(*w, "start", true));
  auto clock = parse_clock(*start);
  if (!clock)
    return fail(doc.error_at(w->get("start"), fmt::format("{} start '{}' must be a UTC time "
                                                          "\"HH:MM\", e.g. \"03:00\"",
                                                          name, *start)));
  win.start_min = *clock;
  auto length = TRY(doc.get_duration(*w, "duration"));
  if (!length || length->count() < 60'000)
    return fail(doc.error_at(w->get("duration") ? w->get("duration") : w,
                             fmt::format("{} needs duration = \"2h\" (at least a minute, at "
                                         "most a day)",
                                         name)));
  win.length_min = static_cast<int>(length->count() / 60'000);
  cfg.window = win;
  return {};
}

}  // namespace

std::string_view policy_name(Policy p) {
  switch (p) {
    case Policy::manual:
      return "manual";
    case Policy::automatic:
      return "automatic";
    case Policy::pinned:
      return "pinned";
  }
  return "?";
}

Result<void> apply_update_table(const TomlDoc& doc, const toml::table& t, std::string_view section,
                                UpdateConfig& cfg,
                                std::initializer_list<std::string_view> extra_keys) {
  constexpr std::array<std::string_view, 7> kKnown = {
      "url", "branch", "policy", "version", "trusted_keys", "window", "check_interval"};
  std::string where(section.empty() ? "update.toml" : section);
  for (const auto& [k, v] : t) {
    bool ok = std::find(kKnown.begin(), kKnown.end(), k.str()) != kKnown.end();
    for (auto e : extra_keys) ok = ok || k.str() == e;
    if (ok) continue;
    std::string list;
    for (auto name : kKnown) list += fmt::format("{}, ", name);
    for (auto name : extra_keys) list += fmt::format("{}, ", name);
    list.resize(list.size() - 2);
    return fail(doc.error_at(
        &v, fmt::format("unknown key '{}' in {} (known keys: {})", k.str(), where, list)));
  }
  TRY(parse_url(doc, t, cfg));
  TRY(parse_policy(doc, t, cfg));
  TRY(parse_keys(doc, t, cfg));
  TRY(parse_window(doc, t, section, cfg));
  if (cfg.policy == Policy::pinned && cfg.version.empty())
    return fail(doc.error_at(t.get("policy"),
                             "policy = \"pinned\" needs version = \"X.Y.Z\": "
                             "the release the host should run"));
  return {};
}

Result<UpdateConfig> load_update_config(const std::vector<std::string>& files) {
  UpdateConfig cfg;
  for (const auto& f : files) {
    std::error_code ec;
    if (!std::filesystem::exists(f, ec)) continue;
    auto doc = TRY(TomlDoc::load_file(f));
    TRY(apply_update_table(doc, doc.root(), "", cfg));
    cfg.sources.push_back(f);
  }
  return cfg;
}

Result<void> check_complete(const UpdateConfig& cfg) {
  std::string read = cfg.sources.empty() ? "no update.toml was found" : "read ";
  for (size_t i = 0; i < cfg.sources.size(); ++i) read += (i ? ", " : "") + cfg.sources[i];
  if (cfg.url.empty())
    return fail_msg(
        fmt::format("no update URL is configured ({}); set url = \"http://...\" "
                    "in {} (docs/UPDATES.md)",
                    read, kHostConfig));
  return {};
}

bool in_window(const Window& w, std::time_t t) {
  return next_window_start(w, t) == t;
}

std::time_t next_window_start(const Window& w, std::time_t t) {
  // Start with yesterday: its window may run past midnight into today.
  std::time_t day = t - t % 86'400 - 86'400;
  for (int i = 0; i < 9; ++i, day += 86'400) {
    int weekday = static_cast<int>((day / 86'400 + 4) % 7);  // 1970-01-01 was a Thursday
    if (!(w.days & (1u << weekday))) continue;
    std::time_t start = day + static_cast<std::time_t>(w.start_min) * 60;
    if (t < start + static_cast<std::time_t>(w.length_min) * 60) return std::max(start, t);
  }
  return std::numeric_limits<std::time_t>::max();  // no day selected: never
}

}  // namespace keel::update
