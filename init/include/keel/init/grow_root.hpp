// Growing the root filesystem into a disk bigger than the image, at boot.
#pragma once

#include <string>

namespace keel::init {

// If sysfs shows room after the root partition, runs keel-growfs (which rewrites the
// GPT and grows ext4 online) and logs the outcome. Checking costs a few sysfs reads, so
// it runs on every boot: a cloud volume resized later grows at the next boot. Failures
// are logged; the boot goes on with the root as it was.
void grow_root_if_room(const std::string& growfs = "/usr/bin/keel-growfs");

}  // namespace keel::init
