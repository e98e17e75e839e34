#include "keel/common/toml.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <charconv>

#include "keel/common/sys.hpp"

namespace keel {

namespace {
std::string position(const std::string& path, const toml::source_region& src) {
  if (src.begin.line == 0) return path;
  return fmt::format("{}:{}:{}", path, src.begin.line, src.begin.column);
}
}  // namespace

Result<TomlDoc> TomlDoc::parse(std::string_view text, const std::string& path) {
  toml::parse_result r = toml::parse(text, std::string_view(path));
  if (!r) {
    const auto& e = r.error();
    return fail_msg(fmt::format("{}: TOML syntax error: {} (fix the syntax at this position)",
                                position(path, e.source()), e.description()));
  }
  return TomlDoc(path, std::move(r).table());
}

Result<TomlDoc> TomlDoc::load_file(const std::string& path) {
  auto text = sys::read_file(path);
  if (!text)
    return fail(Error::from_errno(fmt::format("cannot read {}", path), text.error().code()));
  return parse(*text, path);
}

Error TomlDoc::error_at(const toml::node* node, std::string_view what) const {
  if (!node) return Error::msg(fmt::format("{}: {}", m_path, what));
  return Error::msg(fmt::format("{}: {}", position(m_path, node->source()), what));
}

Result<std::optional<std::string>> TomlDoc::get_string(const toml::table& t, std::string_view key,
                                                       bool required) const {
  const toml::node* n = t.get(key);
  if (!n) {
    if (required)
      return fail(
          error_at(&t, fmt::format("missing required key '{}' (add {} = \"...\")", key, key)));
    return std::optional<std::string>{};
  }
  auto v = n->value<std::string>();
  if (!v)
    return fail(error_at(n, fmt::format("'{}' must be a string, e.g. {} = \"...\"", key, key)));
  return std::optional<std::string>(*v);
}

Result<std::optional<int64_t>> TomlDoc::get_int(const toml::table& t, std::string_view key) const {
  const toml::node* n = t.get(key);
  if (!n) return std::optional<int64_t>{};
  if (!n->is_integer()) return fail(error_at(n, fmt::format("'{}' must be an integer", key)));
  return std::optional<int64_t>(n->as_integer()->get());
}

Result<std::optional<bool>> TomlDoc::get_bool(const toml::table& t, std::string_view key) const {
  const toml::node* n = t.get(key);
  if (!n) return std::optional<bool>{};
  if (!n->is_boolean()) return fail(error_at(n, fmt::format("'{}' must be true or false", key)));
  return std::optional<bool>(n->as_boolean()->get());
}

Result<std::vector<std::string>> TomlDoc::get_string_array(const toml::table& t,
                                                           std::string_view key) const {
  std::vector<std::string> out;
  const toml::node* n = t.get(key);
  if (!n) return out;
  const toml::array* arr = n->as_array();
  if (!arr)
    return fail(error_at(
        n, fmt::format("'{}' must be an array of strings, e.g. {} = [\"a\", \"b\"]", key, key)));
  for (const toml::node& el : *arr) {
    auto v = el.value<std::string>();
    if (!v) return fail(error_at(&el, fmt::format("every element of '{}' must be a string", key)));
    out.push_back(*v);
  }
  return out;
}

std::optional<uint64_t> parse_size(std::string_view text) {
  uint64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr == text.data()) return std::nullopt;
  std::string_view unit(ptr, static_cast<size_t>(text.data() + text.size() - ptr));
  uint64_t mult = 1;
  if (unit.empty() || unit == "B")
    mult = 1;
  else if (unit == "K" || unit == "KiB")
    mult = 1ull << 10;
  else if (unit == "M" || unit == "MiB")
    mult = 1ull << 20;
  else if (unit == "G" || unit == "GiB")
    mult = 1ull << 30;
  else
    return std::nullopt;
  if (value > UINT64_MAX / mult) return std::nullopt;
  return value * mult;
}

Result<std::optional<uint64_t>> TomlDoc::get_size(const toml::table& t,
                                                  std::string_view key) const {
  const toml::node* n = t.get(key);
  if (!n) return std::optional<uint64_t>{};
  if (n->is_integer() && n->as_integer()->get() >= 0)
    return std::optional<uint64_t>(static_cast<uint64_t>(n->as_integer()->get()));
  if (auto s = n->value<std::string>()) {
    if (auto v = parse_size(*s)) return std::optional<uint64_t>(*v);
  }
  return fail(error_at(n, fmt::format("'{}' must be a size: bytes as an integer, or a string "
                                      "like \"64M\" or \"1G\" (units K, M, G)",
                                      key)));
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  uint64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr == text.data()) return std::nullopt;
  std::string_view unit(ptr, static_cast<size_t>(text.data() + text.size() - ptr));
  uint64_t ms_per_unit = 0;
  if (unit == "ms")
    ms_per_unit = 1;
  else if (unit == "s")
    ms_per_unit = 1000;
  else if (unit == "m")
    ms_per_unit = 60'000;
  else if (unit == "h")
    ms_per_unit = 3'600'000;
  else
    return std::nullopt;
  // A day is far beyond any grace period or interval Keel waits for.
  constexpr uint64_t kMaxMs = 24ull * 3'600'000;
  if (value > kMaxMs / ms_per_unit) return std::nullopt;
  return std::chrono::milliseconds(value * ms_per_unit);
}

Result<std::optional<std::chrono::milliseconds>> TomlDoc::get_duration(const toml::table& t,
                                                                       std::string_view key) const {
  using Out = std::optional<std::chrono::milliseconds>;
  const toml::node* n = t.get(key);
  if (!n) return Out{};
  if (n->is_integer() && n->as_integer()->get() >= 0 && n->as_integer()->get() <= 86'400)
    return Out(std::chrono::seconds(n->as_integer()->get()));
  if (auto s = n->value<std::string>()) {
    if (auto v = parse_duration(*s)) return Out(*v);
  }
  return fail(error_at(n, fmt::format("'{}' must be a duration of at most a day: seconds as an "
                                      "integer, or a string like \"500ms\", \"10s\" or \"2m\"",
                                      key)));
}

Result<const toml::table*> TomlDoc::get_table(const toml::table& t, std::string_view key) const {
  const toml::node* n = t.get(key);
  if (!n) return static_cast<const toml::table*>(nullptr);
  if (!n->is_table())
    return fail(error_at(n, fmt::format("'{}' must be a table ([{}])", key, key)));
  return n->as_table();
}

Result<void> TomlDoc::reject_unknown_keys(const toml::table& t, std::string_view section,
                                          std::initializer_list<std::string_view> known) const {
  for (const auto& [k, v] : t) {
    bool ok = false;
    for (auto name : known) ok = ok || k.str() == name;
    if (!ok) {
      std::string list;
      for (auto name : known) list += fmt::format("{}{}", list.empty() ? "" : ", ", name);
      return fail(error_at(
          &v, fmt::format("unknown key '{}' in {} (known keys: {})", k.str(), section, list)));
    }
  }
  return {};
}

}  // namespace keel
