#include "keel/update/state.hpp"

#include <time.h>

#include "keel/common/sys.hpp"

namespace keel::update {

namespace {

std::string state_dir(const std::string& var_dir) {
  return var_dir + "/lib/keel/update";
}

}  // namespace

Result<void> write_record(const std::string& var_dir, const std::string& name,
                          const nlohmann::json& record) {
  std::string dir = state_dir(var_dir);
  TRY(sys::mkdir_p(dir, 0755));
  return sys::write_file_atomic(
      dir + "/" + name,
      record.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

std::optional<nlohmann::json> read_record(const std::string& var_dir, const std::string& name) {
  auto text = sys::read_file(state_dir(var_dir) + "/" + name);
  if (!text) return std::nullopt;
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  return j;
}

std::string utc_time(std::time_t t) {
  tm utc{};
  gmtime_r(&t, &utc);
  char buf[32];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buf;
}

}  // namespace keel::update
