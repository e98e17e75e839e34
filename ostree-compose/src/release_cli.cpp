#include "keel/compose/release_cli.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <string>

#include "keel/common/log.hpp"
#include "keel/compose/release.hpp"

namespace keel::compose {

namespace {

constexpr const char* kUsage =
    "usage: keel-compose release --repo DIR --from REPO:BRANCH --key SECRET --version V\n"
    "                            [--deltas N] [--scratch-delta]\n"
    "  --repo DIR       the repository to publish (created by the first release); serve it\n"
    "                   as static files\n"
    "  --from REPO:BRANCH  the composed commit, e.g. build/repo:keel/x86_64/default; the\n"
    "                   release goes on the same branch\n"
    "  --key SECRET     keel-compose keygen's secret key\n"
    "  --version V      the composed version ([os] version of the image definition)\n"
    "  --deltas N       static deltas from the last N releases (default 3)\n"
    "  --scratch-delta  also a delta from nothing, for first installs\n";

bool parse(int argc, char** argv, ReleaseRequest& r) {
  std::string from;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--scratch-delta") {
      r.scratch_delta = true;
      continue;
    }
    if (i + 1 >= argc) return false;
    std::string v = argv[++i];
    if (a == "--repo") {
      r.publish_repo = v;
    } else if (a == "--from") {
      from = v;
    } else if (a == "--key") {
      r.key_file = v;
    } else if (a == "--version") {
      r.version = v;
    } else if (a == "--deltas") {
      char* end = nullptr;
      long n = std::strtol(v.c_str(), &end, 10);
      if (*end || n < 0 || n > 100) return false;
      r.deltas = static_cast<unsigned>(n);
    } else {
      return false;
    }
  }
  auto colon = from.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == from.size()) return false;
  r.source_repo = from.substr(0, colon);
  r.source_ref = from.substr(colon + 1);
  while (r.publish_repo.size() > 1 && r.publish_repo.back() == '/') r.publish_repo.pop_back();
  return !r.publish_repo.empty() && !r.key_file.empty() && !r.version.empty();
}

void print(const ReleaseResult& r, const ReleaseRequest& req) {
  fmt::print("Released {} {} in {:.1f} s\n  commit  {}\n  parent  {}\n  source  {}:{} ({})\n",
             r.branch, req.version, r.seconds, r.checksum,
             r.parent.empty() ? "(first release)" : r.parent_version + " " + r.parent,
             req.source_repo, req.source_ref, r.source_checksum);
  fmt::print("Changes:\n");
  for (const auto& l : r.changelog) fmt::print("  {}\n", l);
  if (r.changelog.empty()) fmt::print("  (none: the same content as {})\n", r.parent_version);
  for (const auto& d : r.deltas)
    fmt::print("Static delta from {}: {} bytes, generated in {:.1f} s\n",
               d.from.empty() ? "nothing (scratch)" : d.from_version, d.bytes, d.seconds);
  fmt::print("Serve {} as static files; hosts fetch it with keelctl update.\n", req.publish_repo);
}

}  // namespace

int release_main(int argc, char** argv) {
  ReleaseRequest req;
  if (!parse(argc, argv, req)) {
    fmt::print(stderr, "{}", kUsage);
    return 2;
  }
  auto r = publish_release(req);
  if (!r) {
    log::error("keel-compose", "release: {}", r.error().message());
    log::error("keel-compose", "release: {} still publishes what it did before", req.publish_repo);
    return 1;
  }
  print(*r, req);
  return 0;
}

}  // namespace keel::compose
