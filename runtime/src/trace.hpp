// Start-up trace for measuring a container start step by step (docs/BENCHMARKS.md,
// "Boot"). With KEEL_RUNTIME_TRACE=1 in the environment each step writes
//   keel-runtime trace <CLOCK_BOOTTIME seconds> <step>
// to stderr. CLOCK_BOOTTIME is the clock printk and keel-init stamp their lines with,
// so the steps line up with the serial log. keel-init passes its environment on, and
// the kernel puts unknown `NAME=value` boot parameters there: bench/boot-steps adds
// KEEL_RUNTIME_TRACE=1 to the kernel command line.
#pragma once

namespace keel::runtime {

// Safe in the cloned child before execve: no allocation, one write(2).
void trace(const char* step) noexcept;

}  // namespace keel::runtime
