// The public keys a host trusts to sign its updates: keel-compose keygen's *.pub files,
// built into the image (/usr/lib/keel/keys) or added on the host (/etc/keel/keys).
#pragma once

#include <string>
#include <vector>

#include "keel/common/error.hpp"
#include "keel/sign/ed25519.hpp"

namespace keel::update {

struct TrustedKeys {
  std::vector<sign::PublicKey> keys;
  std::vector<std::string> files;  // files[i] holds keys[i]
};

// Every key of every path: a file is read as a key file, a directory for its *.pub files
// (in name order). A path that does not exist is skipped; a bad key file is an error
// naming its file and line. No key at all is an error saying where to put one.
Result<TrustedKeys> load_trusted_keys(const std::vector<std::string>& paths);

}  // namespace keel::update
