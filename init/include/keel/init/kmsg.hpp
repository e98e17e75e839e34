// SELinux denials from the kernel log (/dev/kmsg), so keel-init can put them in its
// own log where `keelctl logs keel-init` shows them. Without auditd the kernel prints
// each AVC record through printk (kernel/audit.c kauditd_printk_skb).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace keel::init {

// The "avc:  denied ..." text of one /dev/kmsg record ("PRIO,SEQ,USEC,FLAGS;MESSAGE\n"
// plus continuation lines, Documentation/ABI/testing/dev-kmsg), or nothing if the
// record is not an SELinux denial.
std::optional<std::string> avc_denial(std::string_view record);

}  // namespace keel::init
