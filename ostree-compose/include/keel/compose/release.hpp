// keel-compose release: publishes a composed commit as a new release in a repository that
// any static web server can serve (docs/UPDATES.md "Publishing"). The release is a new
// commit whose parent is the previous release of the branch, with "version" and
// "keel.changelog" metadata, signed with ed25519 (keel-sign), with static deltas from
// the last releases and a regenerated summary.
//
// Atomic for clients: the new commit, its signature and its deltas are written first,
// while the branch still names the previous release; then the ref moves (one rename), then
// the summary (one rename). A failure before the ref moves leaves the published state as
// it was (plus unreferenced objects); a failed summary puts the ref back.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "keel/common/error.hpp"

namespace keel::compose {

struct ReleaseRequest {
  std::string publish_repo;  // created (archive mode) by the first release
  std::string source_repo;   // the composer's repository (build/repo)
  std::string source_ref;    // the branch there; the release goes on the same branch
  std::string key_file;      // keel-compose keygen's secret key
  std::string version;
  unsigned deltas = 3;         // static deltas from the last N releases
  bool scratch_delta = false;  // also a delta from nothing (first installs)
};

struct DeltaInfo {
  std::string from;          // empty: from scratch
  std::string from_version;  // empty: from scratch
  uint64_t bytes = 0;        // superblock and parts on disk
  double seconds = 0;
};

struct ReleaseResult {
  std::string branch;
  std::string checksum;
  std::string source_checksum;
  std::string parent;  // empty for the first release
  std::string parent_version;
  std::vector<std::string> changelog;
  std::vector<DeltaInfo> deltas;
  double seconds = 0;
};

Result<ReleaseResult> publish_release(const ReleaseRequest& req);

}  // namespace keel::compose
