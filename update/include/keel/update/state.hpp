// What the update client remembers between runs, as JSON files in the stateroot's
// /var/lib/keel/update/ (the booted host's /var, shared by every deployment): the last
// download (bytes, delta or not) and the last rollback (when, from what, why).
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

#include "keel/common/error.hpp"

namespace keel::update {

inline constexpr const char* kLastDownload = "last-download.json";
inline constexpr const char* kLastRollback = "last-rollback.json";

// `var_dir` is Sysroot::var_dir(osname). Written atomically.
Result<void> write_record(const std::string& var_dir, const std::string& name,
                          const nlohmann::json& record);
// Null when there is none (or it cannot be read: the records are informational).
std::optional<nlohmann::json> read_record(const std::string& var_dir, const std::string& name);

// "2026-11-20T10:00:00Z"
std::string utc_time(std::time_t t);

}  // namespace keel::update
