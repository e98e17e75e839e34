#include "unpack_reply.hpp"

#include "json_util.hpp"

namespace keel::runtime {
namespace {

using jsonu::json;

Result<ImageConfig> parse_config(const json& j, const std::string& what) {
  const json* c = TRY_CTX(jsonu::get_object(j, "config", "config"), what);
  if (!c) return fail_msg(what + ": no config");
  ImageConfig cfg;
  cfg.entrypoint = TRY_CTX(jsonu::get_strings(*c, "entrypoint", "config.entrypoint"), what);
  cfg.cmd = TRY_CTX(jsonu::get_strings(*c, "cmd", "config.cmd"), what);
  cfg.env = TRY_CTX(jsonu::get_strings(*c, "env", "config.env"), what);
  cfg.working_dir =
      TRY_CTX(jsonu::get_string(*c, "working_dir", "config.working_dir"), what).value_or("");
  cfg.user = TRY_CTX(jsonu::get_string(*c, "user", "config.user"), what).value_or("");
  return cfg;
}

}  // namespace

std::string unpack_reply(const StoredImage& image) {
  const ImageConfig& c = image.config;
  json j = {{"config",
             {{"entrypoint", c.entrypoint},
              {"cmd", c.cmd},
              {"env", c.env},
              {"working_dir", c.working_dir},
              {"user", c.user}}},
            {"layer_dirs", image.layer_dirs}};
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
  out.config = TRY(parse_config(j, what));
  out.layer_dirs = TRY_CTX(jsonu::get_strings(j, "layer_dirs", "layer_dirs"), what);
  return out;
}

}  // namespace keel::runtime
