#include <fmt/format.h>
#include <sodium.h>

#include <filesystem>

#include "keel/common/sys.hpp"
#include "keel/common/text.hpp"
#include "keel/sign/ed25519.hpp"

namespace keel::sign {

namespace {

// Decodes one base64 line into exactly N bytes.
template <size_t N>
bool decode(std::string_view text, std::array<uint8_t, N>& out) {
  size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(out.data(), N, text.data(), text.size(), " \t\r", &len, &end,
                        sodium_base64_VARIANT_ORIGINAL) != 0)
    return false;
  return len == N && end == text.data() + text.size();
}

}  // namespace

std::string to_base64(const uint8_t* data, size_t len) {
  std::string out(sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), data, len, sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

Result<PublicKey> keygen(const std::string& secret_path, const std::string& public_path) {
  if (std::filesystem::exists(secret_path))
    return fail_msg(
        fmt::format("{} exists already; keel-compose keygen never overwrites a "
                    "secret key (move it away first)",
                    secret_path));
  // Key generation needs libsodium's RNG, unlike hashing: initialise it here only.
  if (sodium_init() < 0) return fail_msg("libsodium failed to initialise");
  PublicKey pk;
  SecretKey sk;
  crypto_sign_keypair(pk.data(), sk.data());
  std::string secret = to_base64(sk.data(), sk.size()) + "\n";
  sodium_memzero(sk.data(), sk.size());
  auto wrote = sys::write_file_atomic(secret_path, secret, 0600);
  sodium_memzero(secret.data(), secret.size());
  TRY(std::move(wrote));
  TRY(sys::write_file_atomic(public_path, to_base64(pk.data(), pk.size()) + "\n", 0644));
  return pk;
}

Result<std::vector<PublicKey>> parse_public_keys(const std::string& text, const std::string& path) {
  std::vector<PublicKey> keys;
  size_t lineno = 0;
  for (std::string_view raw : split_lines(text)) {
    std::string_view line = trim(raw);
    ++lineno;
    if (line.empty() || line.front() == '#') continue;
    PublicKey pk;
    if (!decode(line, pk))
      return fail_msg(
          fmt::format("{}:{}: not an ed25519 public key (one base64-encoded 32-byte "
                      "key per line, as keel-compose keygen writes)",
                      path, lineno));
    keys.push_back(pk);
  }
  if (keys.empty()) return fail_msg(fmt::format("{}: no public keys in the file", path));
  return keys;
}

Result<std::vector<PublicKey>> load_public_keys(const std::string& path) {
  auto text = TRY_CTX(sys::read_file(path), "reading trusted keys");
  return parse_public_keys(text, path);
}

Result<SecretKey> load_secret_key(const std::string& path) {
  auto text = TRY_CTX(sys::read_file(path), "reading the signing key");
  SecretKey sk;
  std::string_view line = trim(std::string_view(text).substr(0, text.find('\n')));
  bool ok = decode(line, sk);
  sodium_memzero(text.data(), text.size());
  if (!ok)
    return fail_msg(
        fmt::format("{}: not an ed25519 secret key (one base64-encoded 64-byte key, "
                    "as keel-compose keygen writes)",
                    path));
  return sk;
}

Signature sign_bytes(const std::string& data, const SecretKey& sk) {
  Signature sig;
  crypto_sign_detached(sig.data(), nullptr, reinterpret_cast<const uint8_t*>(data.data()),
                       data.size(), sk.data());
  return sig;
}

bool verify_bytes(const std::string& data, const Signature& sig, const PublicKey& pk) {
  return crypto_sign_verify_detached(sig.data(), reinterpret_cast<const uint8_t*>(data.data()),
                                     data.size(), pk.data()) == 0;
}

}  // namespace keel::sign
