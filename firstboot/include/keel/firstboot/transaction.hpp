// Writing the rendered files into /etc all or nothing, across power cuts too.
//
// Every file is first written and fsynced in a staging directory (kTxnDir) beside
// its target, then a journal lists the targets and the directories to create. The
// commit renames the staged files over their targets one by one, keeping a hard
// link to each file it replaces; the last target is the done marker. Until the
// marker is renamed in, the transaction can be undone: an error in this run undoes
// it at once, and recover() undoes what a crash left behind at the next boot
// (rename(2) is atomic; each rename is fsynced before the next). Once the marker is
// in place the transaction is complete, and only the staging directory is removed.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "keel/common/error.hpp"
#include "keel/firstboot/paths.hpp"
#include "keel/firstboot/render.hpp"

namespace keel::firstboot {

struct ApplyOptions {
  // Tests only: stop after this many renames as a power cut would, leaving the
  // staging directory for recover().
  std::optional<size_t> crash_after;
};

// `root` is "/" on a host. The last change must be the done marker (render_changes
// puts it there). Refuses to start over an unrecovered transaction.
Result<void> apply_changes(const std::string& root, const std::vector<FileChange>& changes,
                           const ApplyOptions& options = {});

enum class Recovery { nothing, rolled_back, completed };
// Finishes what an interrupted apply_changes() left: removes a complete transaction's
// staging directory, or puts every target back as it was before an incomplete one.
Result<Recovery> recover(const std::string& root);

}  // namespace keel::firstboot
