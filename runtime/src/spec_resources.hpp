// Parsing of config.json's linux.resources (runtime-spec config-linux.md#control-groups).
#pragma once

#include "json_util.hpp"
#include "keel/runtime/spec.hpp"

namespace keel::runtime {

// `r` is the linux.resources object; errors name the field ("linux.resources.cpu.quota").
Result<SpecResources> parse_resources(const jsonu::json& r);

// "2MB", "1GB", "64KB": a number and a unit, as hugetlb names its files.
bool valid_hugepage_size(std::string_view size);

}  // namespace keel::runtime
