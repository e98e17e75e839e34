// Ed25519 signatures on OSTree commits, in OSTree's own detached-metadata format, so
// upstream OSTree clients built with libsodium (`ostree sign --verify`, pulls with
// sign-verify=true) accept Keel's commits and Keel accepts theirs:
//  - the detached metadata key "ostree.sign.ed25519" holds an array of signatures
//    (GVariant "aay"), each a 64-byte crypto_sign_detached() signature over the
//    commit object's serialized bytes (ostree-sign-ed25519.c, ostree_sign_commit());
//  - key files hold base64 keys, one per line: public keys 32 bytes, secret keys the
//    64-byte libsodium form (seed + public key), as `ostree sign --keys-file` reads.
// Debian's OSTree 2022.7 is built without libsodium, so Keel signs and verifies itself.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "keel/common/error.hpp"

namespace keel::sign {

inline constexpr const char* kMetadataKey = "ostree.sign.ed25519";

using PublicKey = std::array<uint8_t, 32>;
using SecretKey = std::array<uint8_t, 64>;
using Signature = std::array<uint8_t, 64>;

// Base64 (RFC 4648, with padding), as GLib's g_base64_encode writes it.
std::string to_base64(const uint8_t* data, size_t len);

// Writes a new key pair: the secret key file mode 0600, both atomically. Refuses to
// overwrite an existing secret key.
Result<PublicKey> keygen(const std::string& secret_path, const std::string& public_path);

// Every key in a public-key file (blank lines and # comments skipped). Errors name
// the file and line.
Result<std::vector<PublicKey>> parse_public_keys(const std::string& text, const std::string& path);
Result<std::vector<PublicKey>> load_public_keys(const std::string& path);
Result<SecretKey> load_secret_key(const std::string& path);

Signature sign_bytes(const std::string& data, const SecretKey& sk);
bool verify_bytes(const std::string& data, const Signature& sig, const PublicKey& pk);

// Adds a signature by `sk` to the commit's detached metadata in the repository at
// `repo` (keeping other signatures and GPG metadata). `rev` is a ref or a checksum.
Result<void> sign_commit(const std::string& repo, const std::string& rev, const SecretKey& sk);

struct Verified {
  std::string checksum;
  size_t key_index = 0;  // which trusted key matched
};

// Succeeds if any signature on the commit verifies with any of `keys`. Fails with a
// message saying whether the commit is unsigned or signed only by unknown keys.
Result<Verified> verify_commit(const std::string& repo, const std::string& rev,
                               const std::vector<PublicKey>& keys);

}  // namespace keel::sign
