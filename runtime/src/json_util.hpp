// Non-throwing access to nlohmann::json documents read from disk: parse with
// exceptions off and check every member's type before reading it, because the
// runtime must not unwind on fork/clone paths (STYLE.md rule 1).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "keel/common/error.hpp"

namespace keel::runtime::jsonu {

using json = nlohmann::json;

// `where` names the document in errors ("bundle/config.json").
Result<json> parse(std::string_view text, const std::string& where);
// Serializes, replacing invalid UTF-8 instead of throwing.
std::string dump(const json& j, int indent = -1);

// A member of an object, or nullptr if absent or null (null means absent in OCI
// documents written by other tools, e.g. "Cmd": null).
const json* member(const json& obj, std::string_view key);

// Field accessors: `name` is the dotted field path for messages ("process.args").
Result<std::optional<std::string>> get_string(const json& obj, std::string_view key,
                                              const std::string& name);
Result<std::vector<std::string>> get_strings(const json& obj, std::string_view key,
                                             const std::string& name);
Result<std::optional<int64_t>> get_int(const json& obj, std::string_view key,
                                       const std::string& name);
Result<std::optional<bool>> get_bool(const json& obj, std::string_view key,
                                     const std::string& name);
Result<const json*> get_object(const json& obj, std::string_view key, const std::string& name);
Result<const json*> get_array(const json& obj, std::string_view key, const std::string& name);

}  // namespace keel::runtime::jsonu
