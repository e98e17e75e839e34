// The host's update settings: where releases come from, which keys sign them, and the
// policy that says when the host takes them (docs/UPDATES.md "Rolling out").
// The image's defaults are /usr/lib/keel/update.toml (keel-compose writes it from the image
// definition's [update]); /etc/keel/update.toml on the host overrides them key by key.
#pragma once

#include <chrono>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include "keel/common/error.hpp"
#include "keel/common/toml.hpp"

namespace keel::update {

inline constexpr const char* kImageConfig = "/usr/lib/keel/update.toml";
inline constexpr const char* kHostConfig = "/etc/keel/update.toml";

enum class Policy {
  manual,     // only `keelctl update apply` installs an update
  automatic,  // `keelctl update auto` stages every newer release, reboots in the window
  pinned,     // `keelctl update auto` keeps the host on `version` (up or down)
};

// When automatic updates may reboot the host, in UTC (a Keel host has no time zone).
struct Window {
  unsigned days = 0x7f;  // bit 0 Sunday ... bit 6 Saturday
  int start_min = 0;     // minutes after midnight
  int length_min = 0;    // > 0, at most a week
};

struct UpdateConfig {
  std::string url;     // the published repository (keel-compose release), http(s) or file
  std::string branch;  // empty: the branch the current deployment came from
  Policy policy = Policy::manual;
  std::string version;  // policy pinned
  std::optional<Window> window;
  // How often keel-init runs `keelctl update auto` (policy automatic or pinned).
  std::chrono::seconds check_interval{3600};
  // Files or directories of *.pub files (keel-compose keygen's public keys).
  std::vector<std::string> trusted_keys = {"/usr/lib/keel/keys", "/etc/keel/keys"};
  std::vector<std::string> sources;  // the files read, in order
};

std::string_view policy_name(Policy p);

// Whether `name` is a valid OSTree branch ("keel/x86_64/default"), as ostree_validate_rev().
bool valid_branch_name(std::string_view name);

// Reads each existing file of `files` in order, later ones overriding earlier ones key by
// key; a missing file is skipped. Errors carry file:line:column and the fix.
Result<UpdateConfig> load_update_config(const std::vector<std::string>& files);

// The keys of one update table (an update.toml, or the image definition's [update]) onto
// `cfg`. `section` names the table in messages ("[update]", or "" for a whole file);
// `extra_keys` are further keys the caller reads itself (the image definition's "keys").
Result<void> apply_update_table(const TomlDoc& doc, const toml::table& t, std::string_view section,
                                UpdateConfig& cfg,
                                std::initializer_list<std::string_view> extra_keys = {});

// The settings that every command needs: a URL, a pinned version when pinned.
Result<void> check_complete(const UpdateConfig& cfg);

// Whether `t` (seconds since the epoch) falls inside the window.
bool in_window(const Window& w, std::time_t t);
// The start of the next window at or after `t` (t itself if a window is open then).
std::time_t next_window_start(const Window& w, std::time_t t);

}  // namespace keel::update
