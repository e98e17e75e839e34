// Kernel module selection with libkmod: names or aliases in, ordered files out.
#pragma once

#include <string>
#include <vector>

#include "keel/common/error.hpp"

namespace keel::compose {

// Resolves each name (or alias) in the modules directory `moddir`
// (<root>/usr/lib/modules/<kver>) and returns the module files, relative to
// `moddir`, with every dependency before the modules that need it. Built-in
// modules resolve to nothing (they need no file). Unknown names are an error.
Result<std::vector<std::string>> module_closure(const std::string& moddir,
                                                const std::vector<std::string>& names);

// Deletes every module file under `moddir` not in `keep`, then reruns depmod so
// modules.dep and modules.alias match what is left.
Result<void> prune_modules(const std::string& rootfs, const std::string& kver,
                           const std::vector<std::string>& keep);

}  // namespace keel::compose
