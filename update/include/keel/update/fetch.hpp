// Fetching releases from the published repository (keel-compose release) into the host's
// OSTree repository, in the order that keeps an unsigned or tampered update off the host:
//  1. the branch's head from the repository's summary;
//  2. only the commit object and its detached metadata (COMMIT_ONLY, no ref written);
//  3. the ed25519 signature checked with the trusted keys (keel-sign) - a refused commit
//     is deleted again, so nothing of it stays;
//  4. only then the content, through a static delta when the summary lists one from a
//     commit the host has; OSTree checks every object against the (signed) commit's
//     checksums while it pulls, so a modified object fails the pull.
#pragma once

#include <ostree.h>

#include <cstdint>
#include <string>
#include <vector>

#include "keel/common/error.hpp"
#include "keel/update/trust.hpp"

namespace keel::update {

// The remote in the host's repository that update.toml's url configures.
inline constexpr const char* kRemoteName = "keel";

struct Release {
  std::string checksum;
  std::string version;
  std::string subject;
  std::string parent;  // empty for the first release
  uint64_t timestamp = 0;
  std::vector<std::string> changelog;  // keel.changelog: what changed since the parent
  std::string signed_by;               // the trusted key file that verified it
};

// What a pull transferred (OstreeAsyncProgress at its end).
struct PullStats {
  uint64_t bytes = 0;              // bytes received over the network, all requests
  unsigned objects = 0;            // objects fetched one by one
  unsigned delta_superblocks = 0;  // static deltas used
  unsigned delta_parts = 0;
  uint64_t delta_part_bytes = 0;
  double seconds = 0;
  bool used_delta() const { return delta_superblocks > 0; }
  PullStats& operator+=(const PullStats& o);
};

// Points the remote kRemoteName at `url` (added, or changed when the URL differs).
// Commits are verified by Keel's ed25519 check, not OSTree's GPG.
Result<void> ensure_remote(OstreeRepo* repo, const std::string& url);

// The commit `branch` points at in the published repository, from its summary.
Result<std::string> remote_head(OstreeRepo* repo, const std::string& branch);

// Steps 2-3 above for one commit. `stats` gets what the pull transferred.
Result<Release> fetch_verified_commit(OstreeRepo* repo, const std::string& checksum,
                                      const TrustedKeys& keys, PullStats& stats);

// Walks back from the verified `head` through the parents (each fetched commit-only; the
// checksums chain them to the signed head) to the release named `version`, and verifies
// it. For policy = "pinned".
Result<Release> find_release(OstreeRepo* repo, const Release& head, const std::string& version,
                             const TrustedKeys& keys, PullStats& stats);

// Step 4: the content of a commit already fetched and verified, then verified once more.
Result<PullStats> download_content(OstreeRepo* repo, const Release& release,
                                   const TrustedKeys& keys);

// Whether the commit and all its content are in the repository.
Result<bool> is_complete(OstreeRepo* repo, const std::string& checksum);

// The release metadata of a commit in the repository (no verification).
Result<Release> read_release(OstreeRepo* repo, const std::string& checksum);

// Signature check with keel-sign; the error says unsigned / signed by an unknown key.
Result<std::string> verify_release(OstreeRepo* repo, const std::string& checksum,
                                   const TrustedKeys& keys);

}  // namespace keel::update
