// libFuzzer harness: container definitions come from /etc on a running host, so the
// parser must survive any bytes without crashing, hanging or reading out of bounds,
// and every rejection must say where (docs/FUZZING.md).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "keel/common/container_def.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto def = keel::parse_container_def_text(text, "/etc/keel/containers/fuzz.toml");
  // An error must name the file; an accepted definition must hold what it promised.
  if (!def && def.error().message().find("fuzz.toml") == std::string::npos) std::abort();
  if (def && (def->name != "fuzz" || def->image.empty())) std::abort();
  return 0;
}
