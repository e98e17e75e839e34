#include "keel/compose/release.hpp"

#include <fmt/format.h>
#include <ostree.h>
#include <time.h>

#include <filesystem>

#include "keel/common/gerror.hpp"
#include "keel/common/gobject.hpp"
#include "keel/common/sys.hpp"
#include "keel/compose/changelog.hpp"
#include "keel/compose/process.hpp"
#include "keel/sign/ed25519.hpp"
#include "keel/update/version.hpp"

namespace keel::compose {

namespace fs = std::filesystem;

namespace {

using RepoPtr = GObjectPtr<OstreeRepo>;

double now_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

Result<RepoPtr> open_repo(const std::string& path, bool create) {
  g_autoptr(GFile) file = g_file_new_for_path(path.c_str());
  RepoPtr repo(ostree_repo_new(file));
  GError* err = nullptr;
  bool ok = create ? ostree_repo_create(repo.get(), OSTREE_REPO_MODE_ARCHIVE, nullptr, &err)
                   : ostree_repo_open(repo.get(), nullptr, &err);
  if (!ok) return fail(gerror(fmt::format("opening the OSTree repository {}", path), err));
  return repo;
}

// The checksum `rev` names, or "" when `allow_missing` and it does not exist.
Result<std::string> resolve(OstreeRepo* repo, const std::string& rev, bool allow_missing,
                            const std::string& where) {
  g_autofree char* checksum = nullptr;
  GError* err = nullptr;
  if (!ostree_repo_resolve_rev(repo, rev.c_str(), allow_missing, &checksum, &err))
    return fail(gerror(fmt::format("{}: no branch or commit {}", where, rev), err));
  return std::string(checksum ? checksum : "");
}

Result<GVariantPtr> load_commit(OstreeRepo* repo, const std::string& checksum) {
  GVariant* raw = nullptr;
  GError* err = nullptr;
  if (!ostree_repo_load_commit(repo, checksum.c_str(), &raw, nullptr, &err))
    return fail(gerror(fmt::format("loading commit {}", checksum), err));
  return GVariantPtr(raw);
}

std::string version_of(GVariant* commit) {
  g_autoptr(GVariant) md = g_variant_get_child_value(commit, 0);
  const char* v = nullptr;
  return g_variant_lookup(md, "version", "&s", &v) ? v : "";
}

// The composed commit a release was made from (keel.source-commit), or "".
std::string source_of(GVariant* commit) {
  g_autoptr(GVariant) md = g_variant_get_child_value(commit, 0);
  const char* s = nullptr;
  return g_variant_lookup(md, "keel.source-commit", "&s", &s) ? s : "";
}

std::string parent_of(GVariant* commit) {
  g_autofree char* p = ostree_commit_get_parent(commit);
  return p ? p : "";
}

uint64_t dir_bytes(const std::string& path) {
  uint64_t total = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::end(it);
       it.increment(ec))
    if (it->is_regular_file(ec)) total += it->file_size(ec);
  return total;
}

// Everything checked before anything is written.
struct Plan {
  std::string path;  // where the repository is written: PUBLISH_DIR, or PUBLISH_DIR.tmp when new
  bool fresh = false;
  RepoPtr repo;
  sign::SecretKey key{};
  std::string source_checksum;
  std::string parent, parent_version;
  std::vector<std::string> ancestors;  // parent first, for the deltas
  std::vector<std::string> ancestor_versions;
  // Each ancestor's composed commit, when the repository has it ("" otherwise): the
  // commit that disk images of that version hold (keel-compose build deploys the
  // composed commit, and release writes a new one on top of the same tree), so hosts
  // installed from those images have it, not the release commit.
  std::vector<std::string> ancestor_sources;
};

// The new version must be newer than the branch's last release and not published before.
Result<void> check_history(Plan& p, const ReleaseRequest& req) {
  std::string c = p.parent;
  while (!c.empty()) {
    auto commit = TRY(load_commit(p.repo.get(), c));
    std::string v = version_of(commit.get());
    if (v == req.version)
      return fail_msg(
          fmt::format("{}: version {} is published already (commit {} on {}); "
                      "release a new version",
                      req.publish_repo, v, c, req.source_ref));
    if (c == p.parent) {
      p.parent_version = v;
      if (update::compare_versions(req.version, v) <= 0)
        return fail_msg(
            fmt::format("{}: version {} is not newer than the latest release {} "
                        "(commit {}); a release must go forward (clients refuse "
                        "to go back)",
                        req.publish_repo, req.version, v, c));
    }
    p.ancestors.push_back(c);
    p.ancestor_versions.push_back(v);
    std::string src = source_of(commit.get());
    gboolean have = FALSE;
    if (!src.empty() && src != c &&
        (!ostree_repo_has_object(p.repo.get(), OSTREE_OBJECT_TYPE_COMMIT, src.c_str(), &have,
                                 nullptr, nullptr) ||
         !have))
      src.clear();
    p.ancestor_sources.push_back(src);
    c = parent_of(commit.get());
  }
  return {};
}

Result<Plan> plan(const ReleaseRequest& req) {
  TRY(update::check_version(req.version));
  Plan p;
  p.key = TRY_CTX(sign::load_secret_key(req.key_file),
                  "--key (make a key pair with keel-compose keygen)");
  auto source = TRY(open_repo(req.source_repo, false));
  p.source_checksum = TRY(resolve(source.get(), req.source_ref, false, req.source_repo));
  auto source_commit = TRY(load_commit(source.get(), p.source_checksum));
  std::string composed = version_of(source_commit.get());
  if (!composed.empty() && composed != req.version)
    return fail_msg(fmt::format(
        "{}:{} ({}) was composed as version {} (its os-release says so too); compose it with "
        "[os] version = \"{}\", or release it as {}",
        req.source_repo, req.source_ref, p.source_checksum, composed, req.version, composed));
  std::error_code ec;
  p.fresh = !fs::exists(req.publish_repo + "/config", ec);
  if (p.fresh && fs::exists(req.publish_repo, ec) && !fs::is_empty(req.publish_repo, ec))
    return fail_msg(
        fmt::format("{} exists and is not an OSTree repository; give --repo a new "
                    "or empty directory, or an earlier release's repository",
                    req.publish_repo));
  p.path = p.fresh ? req.publish_repo + ".tmp" : req.publish_repo;
  if (p.fresh) {
    std::string parent = fs::absolute(req.publish_repo).parent_path().string();
    TRY_CTX(sys::mkdir_p(parent), "creating --repo's parent directory");
    TRY(remove_tree(p.path));
    TRY(remove_tree(req.publish_repo));  // empty
  }
  p.repo = TRY(open_repo(p.path, p.fresh));
  p.parent = TRY(resolve(p.repo.get(), req.source_ref, true, req.publish_repo));
  TRY(check_history(p, req));
  return p;
}

// Copies the composed commit's objects in; no ref is written (a checksum pull).
Result<void> import_source(Plan& p, const ReleaseRequest& req) {
  g_auto(GVariantBuilder) b;
  g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
  const char* refs[] = {p.source_checksum.c_str(), nullptr};
  g_variant_builder_add(&b, "{sv}", "refs", g_variant_new_strv(refs, -1));
  GVariantPtr opts(g_variant_ref_sink(g_variant_builder_end(&b)));
  std::string url = "file://" + fs::absolute(req.source_repo).string();
  GError* err = nullptr;
  if (!ostree_repo_pull_with_options(p.repo.get(), url.c_str(), opts.get(), nullptr, nullptr, &err))
    return fail(gerror(fmt::format("copying {} from {}", p.source_checksum, req.source_repo), err));
  return {};
}

// The composed commit's metadata with the release's version, changelog and source.
GVariantPtr release_metadata(GVariant* source, const ReleaseRequest& req,
                             const std::vector<std::string>& changelog,
                             const std::string& source_checksum) {
  g_auto(GVariantBuilder) b;
  g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
  g_autoptr(GVariant) md = g_variant_get_child_value(source, 0);
  GVariantIter it;
  g_variant_iter_init(&it, md);
  const char* key;
  GVariant* value;
  while (g_variant_iter_next(&it, "{&sv}", &key, &value)) {
    std::string_view k(key);
    if (k != "version" && k != "keel.changelog" && k != "keel.source-commit")
      g_variant_builder_add(&b, "{sv}", key, value);
    g_variant_unref(value);
  }
  g_variant_builder_add(&b, "{sv}", "version", g_variant_new_string(req.version.c_str()));
  std::vector<const char*> lines;
  for (const auto& l : changelog) lines.push_back(l.c_str());
  g_variant_builder_add(&b, "{sv}", "keel.changelog",
                        g_variant_new_strv(lines.data(), static_cast<gssize>(lines.size())));
  g_variant_builder_add(&b, "{sv}", "keel.source-commit",
                        g_variant_new_string(source_checksum.c_str()));
  return GVariantPtr(g_variant_ref_sink(g_variant_builder_end(&b)));
}

Result<std::string> write_release_commit(Plan& p, const ReleaseRequest& req, ReleaseResult& out) {
  OstreeRepo* repo = p.repo.get();
  auto source = TRY(load_commit(repo, p.source_checksum));
  auto to = TRY(read_tree_manifest(repo, p.source_checksum));
  if (p.parent.empty()) {
    out.changelog = {"first release on " + req.source_ref};
  } else {
    auto from = TRY(read_tree_manifest(repo, p.parent));
    out.changelog = diff_manifests(from, to);
  }
  GFile* raw_root = nullptr;
  GError* err = nullptr;
  if (!ostree_repo_read_commit(repo, p.source_checksum.c_str(), &raw_root, nullptr, nullptr, &err))
    return fail(gerror(fmt::format("reading commit {}", p.source_checksum), err));
  g_autoptr(GFile) root = raw_root;
  auto md = release_metadata(source.get(), req, out.changelog, p.source_checksum);
  // Clients prefer the newest delta source by timestamp: keep releases in time order.
  uint64_t ts = static_cast<uint64_t>(::time(nullptr));
  if (!p.parent.empty())
    ts = std::max(ts, ostree_commit_get_timestamp(TRY(load_commit(repo, p.parent)).get()) + 1);
  std::string subject = fmt::format("{} {}", req.source_ref, req.version);
  g_autofree char* body = nullptr;
  g_variant_get_child(source.get(), 3, "s", &body);
  g_autofree char* checksum = nullptr;
  if (!ostree_repo_prepare_transaction(repo, nullptr, nullptr, &err) ||
      !ostree_repo_write_commit_with_time(repo, p.parent.empty() ? nullptr : p.parent.c_str(),
                                          subject.c_str(), body, md.get(), OSTREE_REPO_FILE(root),
                                          ts, &checksum, nullptr, &err) ||
      !ostree_repo_commit_transaction(repo, nullptr, nullptr, &err)) {
    ostree_repo_abort_transaction(repo, nullptr, nullptr);
    return fail(gerror("writing the release commit", err));
  }
  return std::string(checksum);
}

Result<DeltaInfo> generate_delta(Plan& p, const std::string& from, const std::string& from_version,
                                 const std::string& to) {
  DeltaInfo d{from, from_version};
  uint64_t before = dir_bytes(p.path + "/deltas");
  double start = now_seconds();
  GError* err = nullptr;
  // OSTree 2022.7 reads params without a null check, despite "(nullable)": pass an empty
  // dictionary (the defaults: bsdiff on, lzma, 32 MiB parts).
  g_auto(GVariantBuilder) b;
  g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
  GVariantPtr params(g_variant_ref_sink(g_variant_builder_end(&b)));
  if (!ostree_repo_static_delta_generate(p.repo.get(), OSTREE_STATIC_DELTA_GENERATE_OPT_MAJOR,
                                         from.empty() ? nullptr : from.c_str(), to.c_str(), nullptr,
                                         params.get(), nullptr, &err))
    return fail(gerror(fmt::format("generating the static delta from {} to {}",
                                   from.empty() ? "nothing" : from_version, to),
                       err));
  d.seconds = now_seconds() - start;
  d.bytes = dir_bytes(p.path + "/deltas") - before;
  return d;
}

// Moves the branch to `checksum` and regenerates the summary; puts the branch back if the
// summary cannot be written, so clients keep seeing one consistent release.
Result<void> publish(Plan& p, const ReleaseRequest& req, const std::string& checksum) {
  GError* err = nullptr;
  if (!ostree_repo_set_ref_immediate(p.repo.get(), nullptr, req.source_ref.c_str(),
                                     checksum.c_str(), nullptr, &err))
    return fail(gerror(fmt::format("moving {} to the new release", req.source_ref), err));
  if (ostree_repo_regenerate_summary(p.repo.get(), nullptr, nullptr, &err)) return {};
  Error e = gerror("regenerating the summary", err);
  ostree_repo_set_ref_immediate(p.repo.get(), nullptr, req.source_ref.c_str(),
                                p.parent.empty() ? nullptr : p.parent.c_str(), nullptr, nullptr);
  return fail(std::move(e).context("publishing (the branch was put back)"));
}

}  // namespace

Result<ReleaseResult> publish_release(const ReleaseRequest& req) {
  double start = now_seconds();
  Plan p = TRY(plan(req));
  ReleaseResult out;
  out.branch = req.source_ref;
  out.source_checksum = p.source_checksum;
  out.parent = p.parent;
  out.parent_version = p.parent_version;
  TRY(import_source(p, req));
  out.checksum = TRY(write_release_commit(p, req, out));
  // Signed before the deltas: a delta carries the commit's detached metadata.
  TRY_CTX(sign::sign_commit(p.path, out.checksum, p.key), "signing the release");
  for (size_t i = 0; i < p.ancestors.size() && i < req.deltas; ++i) {
    out.deltas.push_back(
        TRY(generate_delta(p, p.ancestors[i], p.ancestor_versions[i], out.checksum)));
    // The same tree as the release before, but the commit that version's disk images
    // hold: without this delta, their first update fetches objects one by one.
    if (!p.ancestor_sources[i].empty())
      out.deltas.push_back(
          TRY(generate_delta(p, p.ancestor_sources[i],
                             fmt::format("{} (composed commit {})", p.ancestor_versions[i],
                                         p.ancestor_sources[i].substr(0, 12)),
                             out.checksum)));
  }
  if (req.scratch_delta) out.deltas.push_back(TRY(generate_delta(p, "", "", out.checksum)));
  TRY(publish(p, req, out.checksum));
  if (p.fresh && std::rename(p.path.c_str(), req.publish_repo.c_str()) < 0)
    return fail_errno("rename " + p.path + " to " + req.publish_repo);
  out.seconds = now_seconds() - start;
  return out;
}

}  // namespace keel::compose
