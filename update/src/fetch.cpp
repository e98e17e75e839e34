#include "keel/update/fetch.hpp"

#include <fmt/format.h>
#include <time.h>

#include "keel/common/gerror.hpp"
#include "keel/common/gobject.hpp"
#include "keel/update/sysroot.hpp"

namespace keel::update {

namespace {

constexpr int kMaxPinnedWalk = 200;

double monotonic_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

std::string repo_path(OstreeRepo* repo) {
  g_autofree char* p = g_file_get_path(ostree_repo_get_path(repo));
  return p;
}

std::string remote_url(OstreeRepo* repo) {
  g_autofree char* url = nullptr;
  if (!ostree_repo_remote_get_url(repo, kRemoteName, &url, nullptr)) return "?";
  return url;
}

// One pull of `checksum` from the remote: a commit ID as the "ref" pulls that commit
// and writes no ref (ostree-repo-pull.c, commits_to_fetch).
Result<PullStats> pull(OstreeRepo* repo, const std::string& checksum, OstreeRepoPullFlags flags) {
  g_auto(GVariantBuilder) b;
  g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
  const char* refs[] = {checksum.c_str(), nullptr};
  g_variant_builder_add(&b, "{sv}", "refs", g_variant_new_strv(refs, -1));
  g_variant_builder_add(&b, "{sv}", "flags", g_variant_new_int32(flags));
  GVariantPtr opts(g_variant_ref_sink(g_variant_builder_end(&b)));
  GObjectPtr<OstreeAsyncProgress> progress(ostree_async_progress_new());
  GError* err = nullptr;
  double start = monotonic_seconds();
  if (!ostree_repo_pull_with_options(repo, kRemoteName, opts.get(), progress.get(), nullptr, &err))
    return fail(gerror(fmt::format("pulling {} from {}", checksum, remote_url(repo)), err));
  ostree_async_progress_finish(progress.get());
  PullStats s;
  OstreeAsyncProgress* p = progress.get();
  s.bytes = ostree_async_progress_get_uint64(p, "bytes-transferred");
  s.objects = ostree_async_progress_get_uint(p, "fetched");
  s.delta_superblocks = ostree_async_progress_get_uint(p, "total-delta-superblocks");
  s.delta_parts = ostree_async_progress_get_uint(p, "fetched-delta-parts");
  // OSTree counts "fetched-delta-part-size" only for parts fetched as files of their own;
  // parts inlined in the superblock (a small delta's) stay at 0. The pull succeeded, so
  // every part of the delta was applied: its total size is what came through it.
  s.delta_part_bytes = ostree_async_progress_get_uint64(p, "total-delta-part-size");
  s.seconds = monotonic_seconds() - start;
  return s;
}

Result<bool> has_commit(OstreeRepo* repo, const std::string& checksum) {
  gboolean have = FALSE;
  GError* err = nullptr;
  if (!ostree_repo_has_object(repo, OSTREE_OBJECT_TYPE_COMMIT, checksum.c_str(), &have, nullptr,
                              &err))
    return fail(gerror(fmt::format("looking for commit {}", checksum), err));
  return static_cast<bool>(have);
}

// Removes a refused commit (object, signatures, partial marker) so that nothing of it
// stays on the host. Best effort: the refusal is what the caller reports.
void forget_commit(OstreeRepo* repo, const std::string& checksum) {
  ostree_repo_mark_commit_partial(repo, checksum.c_str(), FALSE, nullptr);
  ostree_repo_delete_object(repo, OSTREE_OBJECT_TYPE_COMMIT, checksum.c_str(), nullptr, nullptr);
}

std::vector<std::string> string_array(GVariant* md, const char* key) {
  std::vector<std::string> out;
  g_autoptr(GVariant) v = g_variant_lookup_value(md, key, G_VARIANT_TYPE("as"));
  if (!v) return out;
  for (gsize i = 0; i < g_variant_n_children(v); ++i) {
    g_autoptr(GVariant) s = g_variant_get_child_value(v, i);
    out.emplace_back(g_variant_get_string(s, nullptr));
  }
  return out;
}

}  // namespace

PullStats& PullStats::operator+=(const PullStats& o) {
  bytes += o.bytes;
  objects += o.objects;
  delta_superblocks += o.delta_superblocks;
  delta_parts += o.delta_parts;
  delta_part_bytes += o.delta_part_bytes;
  seconds += o.seconds;
  return *this;
}

Result<void> ensure_remote(OstreeRepo* repo, const std::string& url) {
  g_autofree char* current = nullptr;
  if (ostree_repo_remote_get_url(repo, kRemoteName, &current, nullptr) && current == url) return {};
  g_auto(GVariantBuilder) b;
  g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
  // Keel verifies its own ed25519 signatures before anything is deployed (keel-sign);
  // Debian's OSTree can check only GPG ones.
  g_variant_builder_add(&b, "{sv}", "gpg-verify", g_variant_new_boolean(FALSE));
  g_variant_builder_add(&b, "{sv}", "gpg-verify-summary", g_variant_new_boolean(FALSE));
  GVariantPtr opts(g_variant_ref_sink(g_variant_builder_end(&b)));
  GError* err = nullptr;
  if (!ostree_repo_remote_change(repo, nullptr, OSTREE_REPO_REMOTE_CHANGE_REPLACE, kRemoteName,
                                 url.c_str(), opts.get(), nullptr, &err))
    return fail(gerror(fmt::format("configuring the remote '{}' as {}", kRemoteName, url), err));
  return {};
}

Result<std::string> remote_head(OstreeRepo* repo, const std::string& branch) {
  GHashTable* raw = nullptr;
  GError* err = nullptr;
  if (!ostree_repo_remote_list_refs(repo, kRemoteName, &raw, nullptr, &err))
    return fail(gerror(
        fmt::format("reading the published branches at {} (its summary file)", remote_url(repo)),
        err));
  g_autoptr(GHashTable) refs = raw;
  auto* checksum = static_cast<const char*>(g_hash_table_lookup(refs, branch.c_str()));
  if (!checksum) {
    std::string known;
    GHashTableIter it;
    gpointer key;
    g_hash_table_iter_init(&it, refs);
    while (g_hash_table_iter_next(&it, &key, nullptr))
      known += fmt::format("{}{}", known.empty() ? "" : ", ", static_cast<const char*>(key));
    return fail_msg(
        fmt::format("{} publishes no branch {} (it has: {}); check branch in "
                    "update.toml",
                    remote_url(repo), branch, known.empty() ? "none" : known));
  }
  return std::string(checksum);
}

Result<Release> read_release(OstreeRepo* repo, const std::string& checksum) {
  GVariant* raw = nullptr;
  GError* err = nullptr;
  if (!ostree_repo_load_commit(repo, checksum.c_str(), &raw, nullptr, &err))
    return fail(gerror(fmt::format("loading commit {}", checksum), err));
  GVariantPtr commit(raw);
  Release r;
  r.checksum = checksum;
  r.version = commit_version(commit.get());
  g_autofree char* parent = ostree_commit_get_parent(commit.get());
  if (parent) r.parent = parent;
  r.timestamp = ostree_commit_get_timestamp(commit.get());
  const char* subject = nullptr;
  g_variant_get_child(commit.get(), 3, "&s", &subject);
  r.subject = subject ? subject : "";
  g_autoptr(GVariant) md = g_variant_get_child_value(commit.get(), 0);
  r.changelog = string_array(md, "keel.changelog");
  return r;
}

Result<std::string> verify_release(OstreeRepo* repo, const std::string& checksum,
                                   const TrustedKeys& keys) {
  auto v = sign::verify_commit(repo_path(repo), checksum, keys.keys);
  if (!v) return fail(std::move(v.error()));
  return keys.files[v->key_index];
}

Result<Release> fetch_verified_commit(OstreeRepo* repo, const std::string& checksum,
                                      const TrustedKeys& keys, PullStats& stats) {
  bool had = TRY(has_commit(repo, checksum));
  auto pulled = pull(repo, checksum, OSTREE_REPO_PULL_FLAGS_COMMIT_ONLY);
  if (!pulled) {
    if (!had) forget_commit(repo, checksum);
    return fail(std::move(pulled.error()));
  }
  stats += *pulled;
  auto signer = verify_release(repo, checksum, keys);
  if (!signer) {
    if (!had) forget_commit(repo, checksum);
    return fail(std::move(signer.error())
                    .context(fmt::format("verifying the update from {}", remote_url(repo))));
  }
  Release r = TRY(read_release(repo, checksum));
  r.signed_by = *signer;
  return r;
}

Result<Release> find_release(OstreeRepo* repo, const Release& head, const std::string& version,
                             const TrustedKeys& keys, PullStats& stats) {
  Release r = head;
  for (int i = 0; i < kMaxPinnedWalk && r.version != version; ++i) {
    if (r.parent.empty())
      return fail_msg(
          fmt::format("{} has no release {} on this branch (the oldest is {}); check "
                      "version in update.toml",
                      remote_url(repo), version, r.version));
    // The parent's checksum comes from a verified commit, so the commit-only pull of it
    // cannot be swapped; its own signature is checked once it is the one we want.
    std::string parent = r.parent;
    if (!TRY(has_commit(repo, parent)))
      stats += TRY(pull(repo, parent, OSTREE_REPO_PULL_FLAGS_COMMIT_ONLY));
    r = TRY(read_release(repo, parent));
  }
  if (r.version != version)
    return fail_msg(
        fmt::format("release {} is more than {} releases back on {}; not looking "
                    "further",
                    version, kMaxPinnedWalk, remote_url(repo)));
  r.signed_by = TRY(verify_release(repo, r.checksum, keys));
  return r;
}

Result<bool> is_complete(OstreeRepo* repo, const std::string& checksum) {
  if (!TRY(has_commit(repo, checksum))) return false;
  OstreeRepoCommitState state{};
  GError* err = nullptr;
  if (!ostree_repo_load_commit(repo, checksum.c_str(), nullptr, &state, &err))
    return fail(gerror(fmt::format("loading commit {}", checksum), err));
  return !(state & OSTREE_REPO_COMMIT_STATE_PARTIAL);
}

Result<PullStats> download_content(OstreeRepo* repo, const Release& release,
                                   const TrustedKeys& keys) {
  auto stats = pull(repo, release.checksum, OSTREE_REPO_PULL_FLAGS_NONE);
  if (!stats)
    return fail(std::move(stats.error())
                    .context(fmt::format(
                        "downloading release {}: the download failed or the server's copy does "
                        "not match the signed commit; nothing was deployed",
                        release.version)));
  // The pull may have fetched the signatures again: check the stored ones once more.
  TRY_CTX(verify_release(repo, release.checksum, keys),
          fmt::format("verifying release {} after its download", release.version));
  return stats;
}

}  // namespace keel::update
