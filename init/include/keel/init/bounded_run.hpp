// Running a helper program from PID 1 before the supervisor exists (keel-firstboot at
// boot): started by sys::spawn (clean signal mask, output on the console) and waited
// for through a pidfd with poll(2), so a hung helper is killed at its deadline instead
// of holding the boot.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "keel/common/error.hpp"

namespace keel::init {

struct BoundedExit {
  bool timed_out = false;  // killed (SIGKILL) at the deadline
  int status = 0;          // otherwise: sys::wait_exit's exit status, 128 + signal if killed
};

Result<BoundedExit> run_bounded(const std::vector<std::string>& argv,
                                std::chrono::milliseconds timeout);

}  // namespace keel::init
