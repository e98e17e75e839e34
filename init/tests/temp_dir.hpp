// The init tests use the shared test support (common/testing).
#pragma once

#include "keel/testing/temp_dir.hpp"

namespace keel::init::test {
using keel::testing::read_text;
using keel::testing::TempDir;
using keel::testing::write_text;
}  // namespace keel::init::test
