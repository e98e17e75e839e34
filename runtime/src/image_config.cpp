#include "image_config.hpp"

namespace keel::runtime {

using jsonu::json;

json image_config_object(const ImageConfig& cfg) {
  json c = json::object();
  if (!cfg.entrypoint.empty()) c["Entrypoint"] = cfg.entrypoint;
  if (!cfg.cmd.empty()) c["Cmd"] = cfg.cmd;
  if (!cfg.env.empty()) c["Env"] = cfg.env;
  if (!cfg.working_dir.empty()) c["WorkingDir"] = cfg.working_dir;
  if (!cfg.user.empty()) c["User"] = cfg.user;
  return c;
}

Result<ImageConfig> parse_image_config(const json& doc, const std::string& what) {
  ImageConfig c;
  const json* cfg = TRY_CTX(jsonu::get_object(doc, "config", "config"), what);
  if (!cfg) return c;
  c.entrypoint = TRY_CTX(jsonu::get_strings(*cfg, "Entrypoint", "config.Entrypoint"), what);
  c.cmd = TRY_CTX(jsonu::get_strings(*cfg, "Cmd", "config.Cmd"), what);
  c.env = TRY_CTX(jsonu::get_strings(*cfg, "Env", "config.Env"), what);
  c.working_dir =
      TRY_CTX(jsonu::get_string(*cfg, "WorkingDir", "config.WorkingDir"), what).value_or("");
  c.user = TRY_CTX(jsonu::get_string(*cfg, "User", "config.User"), what).value_or("");
  return c;
}

}  // namespace keel::runtime
