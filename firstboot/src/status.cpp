#include "keel/firstboot/status.hpp"

#include <nlohmann/json.hpp>

#include "keel/common/sys.hpp"

namespace keel::firstboot {

std::string_view to_string(State s) {
  switch (s) {
    case State::applied:
      return "applied";
    case State::invalid:
      return "invalid";
    case State::failed:
      return "failed";
    case State::done:
      return "done";
    case State::none:
      return "none";
    case State::waiting:
      return "waiting";
    case State::disabled:
      return "disabled";
  }
  return "?";
}

Result<void> write_status(const std::string& path, State state, const std::string& message) {
  nlohmann::json j{{"state", to_string(state)}, {"message", message}};
  // User-data is not guaranteed to be UTF-8, and a message may quote it.
  std::string text = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  return sys::write_file_atomic(path, text, 0644);
}

}  // namespace keel::firstboot
