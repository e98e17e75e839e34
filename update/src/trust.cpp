#include "keel/update/trust.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

namespace keel::update {

namespace fs = std::filesystem;

namespace {

Result<void> add_file(TrustedKeys& t, const std::string& file) {
  for (const auto& k : TRY(sign::load_public_keys(file))) {
    t.keys.push_back(k);
    t.files.push_back(file);
  }
  return {};
}

}  // namespace

Result<TrustedKeys> load_trusted_keys(const std::vector<std::string>& paths) {
  TrustedKeys t;
  for (const auto& p : paths) {
    std::error_code ec;
    if (!fs::is_directory(p, ec)) {
      if (fs::exists(p, ec)) TRY(add_file(t, p));
      continue;
    }
    std::vector<std::string> files;
    for (const auto& e : fs::directory_iterator(p, ec))
      if (e.path().extension() == ".pub") files.push_back(e.path().string());
    if (ec)
      return fail(Error::from_errno(fmt::format("reading the key directory {}", p), ec.value()));
    std::sort(files.begin(), files.end());
    for (const auto& f : files) TRY(add_file(t, f));
  }
  if (t.keys.empty()) {
    std::string where;
    for (const auto& p : paths) where += (where.empty() ? "" : ", ") + p;
    return fail_msg(
        fmt::format("no trusted update keys in {}: every update must be signed, so nothing can be "
                    "installed. Put the release's public key (keel-compose keygen --public) in "
                    "/etc/keel/keys/NAME.pub, or build it into the image (docs/UPDATES.md)",
                    where.empty() ? "(no trusted_keys configured)" : where));
  }
  return t;
}

}  // namespace keel::update
