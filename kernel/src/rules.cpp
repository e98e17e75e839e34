// Loading kernel/config-rules.toml: an array of [[rule]] tables. Every error names
// file:line:col (toml++ source positions) and what to write instead.
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>

#include "keel/common/sys.hpp"
#include "keel/common/toml.hpp"
#include "keel/kernel/config_check.hpp"

namespace keel::kernel {

extern const char* const k_default_rules_text;  // generated from config-rules.toml

namespace {

constexpr std::string_view k_groups[] = {"containers", "seccomp", "selinux", "boot", "extras"};

Result<void> parse_allowed(const TomlDoc& doc, const toml::table& t, Rule& rule) {
  const toml::node* n = t.get("allowed");
  auto values = TRY(doc.get_string_array(t, "allowed"));
  if (values.empty())
    return fail(doc.error_at(n ? n : &t,
                             "'allowed' must list \"y\" and/or \"m\", e.g. "
                             "allowed = [\"y\", \"m\"]"));
  rule.allow_builtin = rule.allow_module = false;
  for (const auto& v : values) {
    if (v == "y") {
      rule.allow_builtin = true;
    } else if (v == "m") {
      rule.allow_module = true;
    } else {
      return fail(doc.error_at(
          n, fmt::format(
                 "unknown value \"{}\" in 'allowed': use \"y\" (built in) or \"m\" (module)", v)));
    }
  }
  return {};
}

Result<Rule> parse_rule(const TomlDoc& doc, const toml::table& t) {
  TRY(doc.reject_unknown_keys(t, "rule",
                              {"option", "group", "reason", "required", "allowed", "min_kernel"}));
  Rule rule;
  rule.where = fmt::format("{}:{}", doc.path(), t.source().begin.line);
  rule.option = *TRY(doc.get_string(t, "option", true));
  if (!rule.option.starts_with("CONFIG_"))
    return fail(doc.error_at(t.get("option"),
                             fmt::format("option \"{}\" must start with CONFIG_", rule.option)));
  rule.group = *TRY(doc.get_string(t, "group", true));
  if (std::find(std::begin(k_groups), std::end(k_groups), rule.group) == std::end(k_groups))
    return fail(doc.error_at(
        t.get("group"),
        fmt::format("unknown group \"{}\": use containers, seccomp, selinux, boot or extras",
                    rule.group)));
  rule.reason = *TRY(doc.get_string(t, "reason", true));
  auto required = TRY(doc.get_bool(t, "required"));
  if (!required) return fail(doc.error_at(&t, "missing 'required' (add required = true or false)"));
  rule.required = *required;
  TRY(parse_allowed(doc, t, rule));
  if (auto min = TRY(doc.get_string(t, "min_kernel"))) {
    rule.min_kernel = parse_kernel_version(*min);
    if (!rule.min_kernel)
      return fail(doc.error_at(
          t.get("min_kernel"),
          fmt::format("min_kernel \"{}\" is not a version: write e.g. min_kernel = \"5.2\"",
                      *min)));
  }
  return rule;
}

}  // namespace

Result<std::vector<Rule>> parse_rules(std::string_view text, const std::string& path) {
  TomlDoc doc = TRY(TomlDoc::parse(text, path));
  TRY(doc.reject_unknown_keys(doc.root(), "top level", {"rule"}));
  std::vector<Rule> rules;
  const toml::node* n = doc.root().get("rule");
  if (!n) return rules;
  const toml::array* arr = n->as_array();
  if (!arr || !arr->is_array_of_tables())
    return fail(doc.error_at(n, "'rule' must be an array of tables: write each as [[rule]]"));
  for (const toml::node& el : *arr) rules.push_back(TRY(parse_rule(doc, *el.as_table())));
  return rules;
}

Result<std::vector<Rule>> load_rules(const std::string& path) {
  auto text = sys::read_file(path);
  if (!text)
    return fail(
        Error::from_errno(fmt::format("cannot read kernel rules {}", path), text.error().code()));
  return parse_rules(*text, path);
}

Result<std::vector<Rule>> default_rules() {
  return parse_rules(k_default_rules_text, "kernel/config-rules.toml");
}

}  // namespace keel::kernel
