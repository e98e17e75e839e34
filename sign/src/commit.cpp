#include <fmt/format.h>
#include <ostree.h>
#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "keel/common/gerror.hpp"
#include "keel/sign/ed25519.hpp"

namespace keel::sign {

namespace {

struct GObjectUnref {
  void operator()(gpointer p) const { g_object_unref(p); }
};
struct VariantUnref {
  void operator()(GVariant* v) const { g_variant_unref(v); }
};
using RepoPtr = std::unique_ptr<OstreeRepo, GObjectUnref>;
using VariantPtr = std::unique_ptr<GVariant, VariantUnref>;

Result<RepoPtr> open_repo(const std::string& path) {
  g_autoptr(GFile) file = g_file_new_for_path(path.c_str());
  RepoPtr repo(ostree_repo_new(file));
  GError* err = nullptr;
  if (!ostree_repo_open(repo.get(), nullptr, &err))
    return fail(gerror(fmt::format("opening OSTree repository {}", path), err));
  return repo;
}

Result<std::string> resolve(OstreeRepo* repo, const std::string& rev) {
  g_autofree char* checksum = nullptr;
  GError* err = nullptr;
  if (!ostree_repo_resolve_rev(repo, rev.c_str(), FALSE, &checksum, &err))
    return fail(gerror(fmt::format("resolving {}", rev), err));
  return std::string(checksum);
}

// The bytes OSTree signs: the commit object as stored (ostree_sign_commit()).
Result<std::string> commit_bytes(OstreeRepo* repo, const std::string& checksum) {
  GVariant* raw = nullptr;
  GError* err = nullptr;
  if (!ostree_repo_load_variant(repo, OSTREE_OBJECT_TYPE_COMMIT, checksum.c_str(), &raw, &err))
    return fail(gerror(fmt::format("loading commit {}", checksum), err));
  VariantPtr commit(raw);
  return std::string(static_cast<const char*>(g_variant_get_data(commit.get())),
                     g_variant_get_size(commit.get()));
}

// The signatures already in the detached metadata under kMetadataKey.
std::vector<Signature> signatures_in(GVariant* detached) {
  std::vector<Signature> out;
  if (!detached) return out;
  g_autoptr(GVariant) sigs = g_variant_lookup_value(detached, kMetadataKey, G_VARIANT_TYPE("aay"));
  if (!sigs) return out;
  for (gsize i = 0; i < g_variant_n_children(sigs); ++i) {
    g_autoptr(GVariant) child = g_variant_get_child_value(sigs, i);
    gsize len = 0;
    const void* data = g_variant_get_fixed_array(child, &len, 1);
    if (len != sizeof(Signature)) continue;  // not an ed25519 signature: ignore, as OSTree does
    Signature s;
    memcpy(s.data(), data, s.size());
    out.push_back(s);
  }
  return out;
}

// `detached` with kMetadataKey replaced by `sigs`; every other key kept.
GVariant* with_signatures(GVariant* detached, const std::vector<Signature>& sigs) {
  g_auto(GVariantBuilder) b;
  g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
  if (detached) {
    GVariantIter it;
    g_variant_iter_init(&it, detached);
    const char* key;
    GVariant* value;
    while (g_variant_iter_next(&it, "{&sv}", &key, &value)) {
      if (std::string_view(key) != kMetadataKey) g_variant_builder_add(&b, "{sv}", key, value);
      g_variant_unref(value);
    }
  }
  g_auto(GVariantBuilder) arr;
  g_variant_builder_init(&arr, G_VARIANT_TYPE("aay"));
  for (const auto& s : sigs)
    g_variant_builder_add_value(
        &arr, g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE, s.data(), s.size(), 1));
  g_variant_builder_add(&b, "{sv}", kMetadataKey, g_variant_builder_end(&arr));
  return g_variant_ref_sink(g_variant_builder_end(&b));
}

// A commit as signing and verifying both need it: its bytes, its detached metadata
// (null when it has none) and the ed25519 signatures in that metadata.
struct Commit {
  RepoPtr repo;
  std::string checksum;
  std::string bytes;
  VariantPtr detached;
  std::vector<Signature> sigs;
};

Result<Commit> load_commit(const std::string& path, const std::string& rev) {
  if (sodium_init() < 0) return fail_msg("libsodium failed to initialise");
  Commit c;
  c.repo = TRY(open_repo(path));
  c.checksum = TRY(resolve(c.repo.get(), rev));
  c.bytes = TRY(commit_bytes(c.repo.get(), c.checksum));
  GVariant* raw = nullptr;
  GError* err = nullptr;
  if (!ostree_repo_read_commit_detached_metadata(c.repo.get(), c.checksum.c_str(), &raw, nullptr,
                                                 &err))
    return fail(gerror(fmt::format("reading the detached metadata of commit {}", c.checksum), err));
  c.detached.reset(raw);
  c.sigs = signatures_in(c.detached.get());
  return c;
}

}  // namespace

Result<void> sign_commit(const std::string& repo, const std::string& rev, const SecretKey& sk) {
  Commit c = TRY(load_commit(repo, rev));
  Signature sig = sign_bytes(c.bytes, sk);
  if (std::find(c.sigs.begin(), c.sigs.end(), sig) == c.sigs.end()) c.sigs.push_back(sig);
  VariantPtr updated(with_signatures(c.detached.get(), c.sigs));
  GError* err = nullptr;
  // OSTree writes the .commitmeta file atomically (glnx_file_replace_contents_at).
  if (!ostree_repo_write_commit_detached_metadata(c.repo.get(), c.checksum.c_str(), updated.get(),
                                                  nullptr, &err))
    return fail(gerror(fmt::format("writing the signature of commit {}", c.checksum), err));
  return {};
}

Result<Verified> verify_commit(const std::string& repo, const std::string& rev,
                               const std::vector<PublicKey>& keys) {
  Commit c = TRY(load_commit(repo, rev));
  if (c.sigs.empty())
    return fail_msg(
        fmt::format("commit {} is not signed (no {} signature in its detached "
                    "metadata); refusing it. Sign releases with keel-compose sign",
                    c.checksum, kMetadataKey));
  for (const auto& sig : c.sigs)
    for (size_t k = 0; k < keys.size(); ++k)
      if (verify_bytes(c.bytes, sig, keys[k])) return Verified{c.checksum, k};
  return fail_msg(
      fmt::format("commit {}: none of its {} ed25519 signature(s) verifies with the "
                  "{} trusted key(s); refusing it (signed with another key, or the "
                  "commit was modified)",
                  c.checksum, c.sigs.size(), keys.size()));
}

}  // namespace keel::sign
