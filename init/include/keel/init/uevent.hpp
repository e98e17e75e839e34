// Hotplug: the kernel's uevents (NETLINK_KOBJECT_UEVENT, the messages udev reads). A
// device that appears after boot carries its MODALIAS in the "add" event; keel-init
// hands it to modprobe as it does for the devices present at boot (drivers.hpp).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "keel/common/error.hpp"
#include "keel/common/unique_fd.hpp"

namespace keel::init {

struct Uevent {
  std::string action, devpath, subsystem, modalias;
};

// One kernel uevent datagram: "ACTION@DEVPATH\0KEY=VALUE\0...". Anything else (a
// libudev message, a truncated or empty one) is nullopt.
std::optional<Uevent> parse_uevent(std::string_view datagram);

// A non-blocking socket bound to the kernel's uevent multicast group.
Result<UniqueFd> open_uevent_socket();

// Receives one datagram and parses it; nullopt when nothing is waiting or it was not a
// kernel uevent (only the kernel, port 0, is believed).
std::optional<Uevent> receive_uevent(int fd, bool& more);

}  // namespace keel::init
