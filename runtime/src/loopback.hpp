// A new network namespace starts with its loopback interface down, so nothing in the
// container could reach 127.0.0.1, not even itself (and keel-init's health probes
// could not either). runc and crun bring "lo" up; so does keel-runtime.
#pragma once

#include "child.hpp"

namespace keel::runtime {

// Child side, inside the new network namespace: sets IFF_UP on "lo" (netdevice(7)).
ChildErr child_loopback_up();

}  // namespace keel::runtime
