#include "json_util.hpp"

namespace keel::runtime::jsonu {

namespace {
Error wrong_type(const std::string& name, std::string_view expected) {
  return Error::msg("field '" + name + "' must be " + std::string(expected));
}
}  // namespace

Result<json> parse(std::string_view text, const std::string& where) {
  // parse(text, nullptr, false): no callback, no exceptions; errors give a discarded value.
  json j = json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded()) return fail_msg(where + ": not valid JSON");
  if (!j.is_object()) return fail_msg(where + ": the top level must be a JSON object");
  return j;
}

std::string dump(const json& j, int indent) {
  return j.dump(indent, ' ', false, json::error_handler_t::replace);
}

const json* member(const json& obj, std::string_view key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

Result<std::optional<std::string>> get_string(const json& obj, std::string_view key,
                                              const std::string& name) {
  const json* v = member(obj, key);
  if (!v) return std::optional<std::string>();
  if (!v->is_string()) return fail(wrong_type(name, "a string"));
  return std::optional<std::string>(v->get_ref<const std::string&>());
}

Result<std::vector<std::string>> get_strings(const json& obj, std::string_view key,
                                             const std::string& name) {
  std::vector<std::string> out;
  const json* v = member(obj, key);
  if (!v) return out;
  if (!v->is_array()) return fail(wrong_type(name, "an array of strings"));
  for (const auto& e : *v) {
    if (!e.is_string()) return fail(wrong_type(name, "an array of strings"));
    out.push_back(e.get_ref<const std::string&>());
  }
  return out;
}

Result<std::optional<int64_t>> get_int(const json& obj, std::string_view key,
                                       const std::string& name) {
  const json* v = member(obj, key);
  if (!v) return std::optional<int64_t>();
  if (v->is_number_integer()) return std::optional<int64_t>(v->get<int64_t>());
  if (v->is_number_unsigned() && v->get<uint64_t>() <= INT64_MAX)
    return std::optional<int64_t>(static_cast<int64_t>(v->get<uint64_t>()));
  return fail(wrong_type(name, "an integer"));
}

Result<std::optional<bool>> get_bool(const json& obj, std::string_view key,
                                     const std::string& name) {
  const json* v = member(obj, key);
  if (!v) return std::optional<bool>();
  if (!v->is_boolean()) return fail(wrong_type(name, "true or false"));
  return std::optional<bool>(v->get<bool>());
}

Result<const json*> get_object(const json& obj, std::string_view key, const std::string& name) {
  const json* v = member(obj, key);
  if (v && !v->is_object()) return fail(wrong_type(name, "an object"));
  return v;
}

Result<const json*> get_array(const json& obj, std::string_view key, const std::string& name) {
  const json* v = member(obj, key);
  if (v && !v->is_array()) return fail(wrong_type(name, "an array"));
  return v;
}

}  // namespace keel::runtime::jsonu
