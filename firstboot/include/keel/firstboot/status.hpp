// The outcome of first boot for `keelctl status`: keel-firstboot writes it to
// /run/keel/firstboot.json at every boot, and keel-init passes it on in its status
// reply (docs/KEELCTL.md). {"state": "...", "message": "..."}.
#pragma once

#include <string>
#include <string_view>

#include "keel/common/error.hpp"
#include "keel/firstboot/paths.hpp"

namespace keel::firstboot {

enum class State {
  applied,   // user-data was found, checked and written under /etc this boot
  invalid,   // user-data was found but is wrong: nothing was written
  failed,    // a source could not be read, or writing failed and was rolled back
  done,      // applied on an earlier boot; no source is read any more
  none,      // no user-data anywhere: the image's defaults
  waiting,   // none locally; the metadata service is asked once the network is up
  disabled,  // keel.firstboot=0 on the kernel command line
};

std::string_view to_string(State s);

// Atomically (write, fsync, rename), so keelctl never reads half a file.
Result<void> write_status(const std::string& path, State state, const std::string& message);

}  // namespace keel::firstboot
