// Where first boot keeps its state, for keel-firstboot and for keel-init, which skips
// running it once first boot is complete. Header only, no dependencies.
#pragma once

namespace keel::firstboot {

inline constexpr const char* kBinary = "/usr/bin/keel-firstboot";
// Relative to the root ("/" on a host). The marker whose presence means first boot is
// done; render_changes() makes it the last file of every transaction.
inline constexpr const char* kDoneMarker = "etc/keel/firstboot.done";
// The transaction's staging directory: in /etc itself (the same file system as every
// target, which rename(2) needs), and outside /etc/keel, which the transaction may
// create. While it exists, a transaction is to be finished or undone.
inline constexpr const char* kTxnDir = "etc/.keel-firstboot.txn";
// In /run/keel: the outcome keelctl status shows.
inline constexpr const char* kStatusFile = "firstboot.json";

}  // namespace keel::firstboot
