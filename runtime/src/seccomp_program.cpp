#include "seccomp_program.hpp"

#include "seccomp.hpp"

namespace keel::runtime {

Result<ChildSeccomp> seccomp_program(const SpecSeccomp& profile) {
  if (profile != default_seccomp_profile()) return compile_seccomp(profile);
  ChildSeccomp out;
  out.program.assign(kDefaultSeccompProgram, kDefaultSeccompProgram + kDefaultSeccompProgramLength);
  out.flags = kDefaultSeccompProgramFlags;
  return out;
}

}  // namespace keel::runtime
