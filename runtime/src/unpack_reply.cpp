#include "unpack_reply.hpp"

#include "image_config.hpp"
#include "json_util.hpp"

namespace keel::runtime {

using jsonu::json;

std::string unpack_reply(const StoredImage& image) {
  json j = {{"config", image_config_object(image.config)}, {"layer_dirs", image.layer_dirs}};
  return jsonu::dump(j) + "\n";
}

std::string unpack_error_reply(const Error& error) {
  return jsonu::dump(json{{"error", error.message()}}) + "\n";
}

Result<StoredImage> parse_unpack_reply(const std::string& text, const std::string& what) {
  auto j = TRY(jsonu::parse(text, what));
  if (!j.is_object()) return fail_msg(what + ": not a JSON object");
  if (auto message = TRY_CTX(jsonu::get_string(j, "error", "error"), what))
    return fail_msg(std::move(*message));
  StoredImage out;
  // Always written, even empty: a reply without it is not keel-unpack's.
  if (!jsonu::member(j, "config")) return fail_msg(what + ": no config");
  out.config = TRY(parse_image_config(j, what));
  out.layer_dirs = TRY_CTX(jsonu::get_strings(j, "layer_dirs", "layer_dirs"), what);
  return out;
}

}  // namespace keel::runtime
