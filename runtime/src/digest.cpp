#include "digest.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "keel/common/sys.hpp"

namespace keel::runtime {

// No sodium_init() here. It only seeds libsodium's RNG and picks CPU-specific code for
// blake2b, poly1305, curve25519 and chacha20 (sodium/core.c); SHA-256 and bin2hex are
// plain C with no such dispatch. Seeding calls getrandom(2), which blocks until the
// kernel's CRNG is ready: at boot on a machine without RDRAND (QEMU's default TCG
// CPU) that held the first container start back by about a second.
Sha256::Sha256() {
  crypto_hash_sha256_init(&m_state);
}

void Sha256::update(const void* data, size_t len) {
  crypto_hash_sha256_update(&m_state, static_cast<const unsigned char*>(data), len);
  m_bytes += len;
}

std::string Sha256::hex() {
  unsigned char out[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(&m_state, out);
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, out, sizeof out);
  return hex;
}

std::string sha256_hex(std::string_view data) {
  Sha256 h;
  h.update(data);
  return h.hex();
}

Result<std::string> digest_hex(std::string_view digest) {
  constexpr std::string_view prefix = "sha256:";
  if (!digest.starts_with(prefix))
    return fail_msg("unsupported digest '" + std::string(digest) + "' (only sha256 is supported)");
  std::string_view hex = digest.substr(prefix.size());
  bool ok = hex.size() == 64;
  for (char c : hex) ok = ok && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
  if (!ok) return fail_msg("malformed digest '" + std::string(digest) + "'");
  return std::string(hex);
}

Result<void> verify_blob_file(const std::string& path, std::string_view digest, int64_t size) {
  auto hex = TRY(digest_hex(digest));
  auto fd = TRY(sys::open(path, O_RDONLY));
  Sha256 h;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno("read " + path);
    if (n == 0) break;
    h.update(buf, static_cast<size_t>(n));
  }
  if (static_cast<int64_t>(h.bytes()) != size)
    return fail_msg("blob " + std::string(digest) + ": size is " + std::to_string(h.bytes()) +
                    " bytes, the descriptor says " + std::to_string(size));
  if (h.hex() != hex)
    return fail_msg("blob " + std::string(digest) + ": content does not match its digest");
  return {};
}

}  // namespace keel::runtime
