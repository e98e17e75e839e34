// TOML loading with errors a user can act on: "file:line:col: what is wrong".
// toml++ runs header-only with TOML_EXCEPTIONS=0, so nothing here throws.
#pragma once

#include "keel/common/tomlpp.hpp"

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "keel/common/error.hpp"

namespace keel {

// A parsed TOML document plus the path used in every error message.
class TomlDoc {
 public:
  static Result<TomlDoc> load_file(const std::string& path);
  static Result<TomlDoc> parse(std::string_view text, const std::string& path);

  const toml::table& root() const { return m_table; }
  const std::string& path() const { return m_path; }

  // "path:line:col: what" for the node (or the file if node is null).
  Error error_at(const toml::node* node, std::string_view what) const;

  // Typed getters: a missing key gives nullopt (or an error if `required`);
  // a key of the wrong type is an error naming the key, the position and the fix.
  Result<std::optional<std::string>> get_string(const toml::table& t, std::string_view key,
                                                bool required = false) const;
  Result<std::optional<int64_t>> get_int(const toml::table& t, std::string_view key) const;
  Result<std::optional<bool>> get_bool(const toml::table& t, std::string_view key) const;
  Result<std::vector<std::string>> get_string_array(const toml::table& t,
                                                    std::string_view key) const;
  // Byte sizes: an integer, or a string like "64M" / "1G" (binary units).
  Result<std::optional<uint64_t>> get_size(const toml::table& t, std::string_view key) const;
  // Durations: whole seconds as an integer, or a string like "500ms", "10s", "2m".
  Result<std::optional<std::chrono::milliseconds>> get_duration(const toml::table& t,
                                                                std::string_view key) const;
  Result<const toml::table*> get_table(const toml::table& t, std::string_view key) const;

  // Typos are the most common config bug: reject keys nobody reads.
  Result<void> reject_unknown_keys(const toml::table& t, std::string_view section,
                                   std::initializer_list<std::string_view> known) const;

 private:
  TomlDoc(std::string path, toml::table table)
      : m_path(std::move(path)), m_table(std::move(table)) {}
  std::string m_path;
  toml::table m_table;
};

// Parse "64M"-style sizes; exposed for tests.
std::optional<uint64_t> parse_size(std::string_view text);
// Parse "500ms" / "10s" / "2m" / "1h"; exposed for tests.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

}  // namespace keel
