// keel-compose release (docs/UPDATES.md "Publishing"): the command line of publish_release.
#pragma once

namespace keel::compose {

// keel-compose release --repo DIR --from REPO:BRANCH --key SECRET --version V
//                      [--deltas N] [--scratch-delta]
int release_main(int argc, char** argv);

}  // namespace keel::compose
