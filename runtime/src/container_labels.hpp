// The SELinux labels keel-runtime up gives a container from its definition
// (docs/SELINUX.md): application containers run in container_t at the category
// pair keel-init allocated (--mcs), system containers in spc_t over all categories.
// The rootfs, tmpfs mounts and volumes get the matching container_file_t label.
#pragma once

#include <string>

#include "keel/common/container_def.hpp"
#include "keel/common/error.hpp"

namespace keel::runtime {

struct ContainerLabels {
  std::string process;  // process.selinuxLabel
  std::string mount;    // linux.mountLabel, the overlay's context= and the volumes' label
};

// mcs_level is "s0:cX,cY" with 0 <= X < Y <= 1023; ignored for system containers.
Result<ContainerLabels> container_labels(const ContainerDef& def, const std::string& mcs_level);

// config.json with process.selinuxLabel and linux.mountLabel set.
Result<std::string> with_selinux_labels(const std::string& spec_json, const ContainerLabels& l);

// Gives every file under dir (and dir) `label`, as podman's :Z volume option does:
// the volume becomes this container's alone, whatever label it had before.
Result<void> relabel_tree(const std::string& dir, const std::string& label);

}  // namespace keel::runtime
