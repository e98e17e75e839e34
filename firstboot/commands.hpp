// keel-firstboot's commands (main.cpp parses the arguments). Each logs what it did
// and its errors once, as "<level> keel-firstboot: ...", and returns the exit status.
#pragma once

#include <cstdio>
#include <string>

#include "keel/firstboot/sources.hpp"

namespace keel::firstboot {

// Where a command looks; tests point these into temporary directories.
struct Paths {
  std::string root = "";  // prefix of /etc and /usr/lib/keel ("" is the host's /)
  std::string sys = "/sys";
  std::string dev = "/dev";
  std::string run = "/run/keel";  // status, the user-data copy, generated containers
  std::string cmdline = "/proc/cmdline";
  std::string keelctl = "/usr/bin/keelctl";  // empty: no reboot after the metadata phase
};

// At boot, from keel-init: the config drive, then fw_cfg; or, on a cloud, a container
// for the metadata phase (in <run>/containers, which keel-init reads).
int run_local(const Paths& paths);
// In that container, once the network is up: the metadata service; reboots once
// after applying what it got, so that every setting takes effect.
int run_metadata(const Paths& paths, const std::string& url, const MetadataOptions& options);
// Undoes (or completes) what an interrupted `local` left under /etc; keel-init runs
// it when it had to kill `local` at its deadline.
int run_recover(const Paths& paths);
// Checks a user-data file against the tree at <root> and prints the files it would
// write. Nothing is written.
int run_check(const std::string& file, const Paths& paths, std::FILE* out);

}  // namespace keel::firstboot
