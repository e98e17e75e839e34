#include "keel/init/kmsg.hpp"

namespace keel::init {

std::optional<std::string> avc_denial(std::string_view record) {
  auto semi = record.find(';');
  if (semi == std::string_view::npos) return std::nullopt;
  std::string_view msg = record.substr(semi + 1);
  msg = msg.substr(0, msg.find('\n'));
  auto avc = msg.find("avc:  denied ");
  if (avc == std::string_view::npos) return std::nullopt;
  return std::string(msg.substr(avc));
}

}  // namespace keel::init
