// SHA-256 digests in OCI form ("sha256:<64 hex>", image-spec "descriptor.md#digests").
#pragma once

#include <sodium.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "keel/common/error.hpp"

namespace keel::runtime {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t len);
  void update(std::string_view s) { update(s.data(), s.size()); }
  std::string hex();  // finishes the hash
  uint64_t bytes() const { return m_bytes; }

 private:
  crypto_hash_sha256_state m_state;
  uint64_t m_bytes = 0;
};

std::string sha256_hex(std::string_view data);
// Accepts only "sha256:" + 64 lowercase hex digits, so it can be used as a file name.
Result<std::string> digest_hex(std::string_view digest);
// Hashes the file at path; fails unless its size and digest match.
Result<void> verify_blob_file(const std::string& path, std::string_view digest, int64_t size);

}  // namespace keel::runtime
