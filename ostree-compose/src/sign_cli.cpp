#include "keel/compose/sign_cli.hpp"

#include <fmt/format.h>

#include <map>
#include <string>
#include <vector>

#include "keel/common/log.hpp"
#include "keel/sign/ed25519.hpp"

namespace keel::compose {

namespace {

constexpr const char* kLog = "keel-compose";

// --flag VALUE pairs into `flags` (only the names given); anything else into `rest`.
bool parse(int argc, char** argv, std::map<std::string, std::string>& flags,
           std::vector<std::string>& rest) {
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    auto it = flags.find(a);
    if (it != flags.end()) {
      if (i + 1 >= argc) return false;
      it->second = argv[++i];
    } else if (a.starts_with("--")) {
      return false;
    } else {
      rest.push_back(a);
    }
  }
  return true;
}

}  // namespace

int keygen_main(int argc, char** argv) {
  std::map<std::string, std::string> f = {{"--secret", ""}, {"--public", ""}};
  std::vector<std::string> rest;
  if (!parse(argc, argv, f, rest) || !rest.empty() || f["--secret"].empty() ||
      f["--public"].empty()) {
    fmt::print(stderr, "usage: keel-compose keygen --secret FILE --public FILE\n");
    return 2;
  }
  auto pk = sign::keygen(f["--secret"], f["--public"]);
  if (!pk) {
    log::error(kLog, "keygen: {}", pk.error().message());
    return 1;
  }
  fmt::print("secret key: {} (mode 0600; keep it off the build machine's shared disks)\n",
             f["--secret"]);
  fmt::print("public key: {} = {}\n", f["--public"], sign::to_base64(pk->data(), pk->size()));
  return 0;
}

int sign_main(int argc, char** argv) {
  std::map<std::string, std::string> f = {{"--repo", ""}, {"--key", ""}, {"--verify", ""}};
  std::vector<std::string> revs;
  if (!parse(argc, argv, f, revs) || revs.empty() || f["--repo"].empty() || f["--key"].empty()) {
    fmt::print(stderr,
               "usage: keel-compose sign --repo DIR --key SECRET [--verify PUBLIC] REV...\n");
    return 2;
  }
  auto sk = sign::load_secret_key(f["--key"]);
  if (!sk) {
    log::error(kLog, "sign: {}", sk.error().message());
    return 1;
  }
  std::vector<sign::PublicKey> trusted;
  if (!f["--verify"].empty()) {
    auto keys = sign::load_public_keys(f["--verify"]);
    if (!keys) {
      log::error(kLog, "sign: {}", keys.error().message());
      return 1;
    }
    trusted = std::move(*keys);
  }
  for (const auto& rev : revs) {
    if (auto r = sign::sign_commit(f["--repo"], rev, *sk); !r) {
      log::error(kLog, "sign {}: {}", rev, r.error().message());
      return 1;
    }
    if (trusted.empty()) {
      fmt::print("signed {}\n", rev);
      continue;
    }
    auto v = sign::verify_commit(f["--repo"], rev, trusted);
    if (!v) {
      log::error(kLog, "sign {}: {}", rev, v.error().message());
      return 1;
    }
    fmt::print("signed {} ({}), verified with {}\n", rev, v->checksum, f["--verify"]);
  }
  return 0;
}

}  // namespace keel::compose
