// The BPF program for a container's linux.seccomp. Keel's default profile
// (default_seccomp_profile(), about 350 rules for three architectures) is compiled
// once, when keel-runtime is built: libseccomp compiled it in 0.16-0.24 s of each
// confined container's start under TCG, more than a tenth of the whole start
// (docs/BENCHMARKS.md, "Boot"). The generated program is libseccomp's own output
// (keel-seccomp-bpf, runtime/tools/seccomp_bpf.cpp), and a unit test checks that it
// is still what compile_seccomp makes of the profile. Other profiles are compiled at
// each start, as before.
#pragma once

#include <linux/filter.h>

#include <cstddef>

#include "child.hpp"
#include "keel/common/error.hpp"
#include "keel/runtime/spec.hpp"

namespace keel::runtime {

// Written by keel-seccomp-bpf into the build tree (default_seccomp_bpf.cpp).
extern const sock_filter kDefaultSeccompProgram[];
extern const size_t kDefaultSeccompProgramLength;
extern const unsigned kDefaultSeccompProgramFlags;

// The build-time program when `profile` is exactly the default profile, else
// compile_seccomp(profile).
Result<ChildSeccomp> seccomp_program(const SpecSeccomp& profile);

}  // namespace keel::runtime
