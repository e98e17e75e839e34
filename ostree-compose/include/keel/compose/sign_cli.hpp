// keel-compose keygen and keel-compose sign (docs/UPDATES.md): the subcommands that
// make an ed25519 key pair and sign commits in a repository, in OSTree's format.
#pragma once

namespace keel::compose {

// keel-compose keygen --secret FILE --public FILE
int keygen_main(int argc, char** argv);
// keel-compose sign --repo DIR --key SECRET [--verify PUBLIC] REV...
int sign_main(int argc, char** argv);

}  // namespace keel::compose
