// What a Keel container definition adds to the base config.json (make_spec_json):
// system containers, capability changes, the user, host mounts and volumes.
#pragma once

#include <string>

#include "json_util.hpp"
#include "keel/common/container_def.hpp"
#include "keel/common/error.hpp"

namespace keel::runtime {

inline constexpr const char* kDefaultVolumesRoot = "/var/lib/keel/volumes";

// <root>/<container>/<volume name>: where a volume lives on the host.
std::string volume_dir(const std::string& root, const ContainerDef& def, const ContainerVolume& v);

// Edits spec (as built by make_spec_json) for the definition's fields. Unknown
// capability names are errors naming the definition file.
Result<void> apply_definition(jsonu::json& spec, const ContainerDef& def,
                              const std::string& volumes_root);

// The sd_notify protocol (sd_notify(3)) for ready = "notify": the directory of the
// init's datagram socket `host_socket` is bound at kNotifyDir in the container, and
// NOTIFY_SOCKET points at the socket there. A directory, not the socket file, so a
// socket the init makes again later is the one the container sees.
inline constexpr const char* kNotifyDir = "/run/keel-notify";
Result<std::string> with_notify_socket(const std::string& spec_json,
                                       const std::string& host_socket);

// Creates the definition's volume directories (0755) if missing; contents are kept.
Result<void> create_volumes(const ContainerDef& def, const std::string& volumes_root);

}  // namespace keel::runtime
