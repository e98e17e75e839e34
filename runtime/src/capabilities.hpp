// process.capabilities (runtime-spec "config.md#linux-process"): names are checked and
// the sets computed in the parent with libcap; the child only applies them.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "child.hpp"
#include "keel/runtime/spec.hpp"

namespace keel::runtime {

// The capability number for "CAP_CHOWN" etc., or an error naming the name.
Result<int> capability_from_name(std::string_view name);

// Fills plan.caps from the spec. Capabilities the runtime itself does not hold in its
// bounding set cannot be granted: they are skipped with a warning (as crun does).
Result<void> plan_capabilities(const SpecCapabilities& spec, ChildCaps& out);

// Child side: before the uid change, drop from the bounding set everything not listed.
ChildErr child_drop_bounding(const ChildCaps& caps);
// Child side: after the uid change, set effective/permitted/inheritable, then ambient.
ChildErr child_set_capabilities(const ChildCaps& caps);

}  // namespace keel::runtime
