#include "keel/update/sysroot.hpp"

#include <fmt/format.h>

#include "keel/common/gerror.hpp"

namespace keel::update {

std::string commit_version(GVariant* commit) {
  g_autoptr(GVariant) md = g_variant_get_child_value(commit, 0);
  const char* v = nullptr;
  if (!g_variant_lookup(md, "version", "&s", &v)) return "";
  return v;
}

Result<Sysroot> Sysroot::open(const std::string& path) {
  Sysroot s;
  s.m_path = path;
  g_autoptr(GFile) file = g_file_new_for_path(path.c_str());
  s.m_sysroot.reset(ostree_sysroot_new(file));
  TRY(s.reload());
  return s;
}

Result<void> Sysroot::reload() {
  GError* err = nullptr;
  if (!ostree_sysroot_load(m_sysroot.get(), nullptr, &err))
    return fail(gerror(fmt::format("loading the OSTree sysroot {}", m_path), err));
  OstreeRepo* repo = nullptr;
  if (!ostree_sysroot_get_repo(m_sysroot.get(), &repo, nullptr, &err))
    return fail(gerror(fmt::format("opening the repository of the sysroot {}", m_path), err));
  m_repo.reset(repo);
  return {};
}

std::string Sysroot::repo_path() const {
  GFile* f = ostree_repo_get_path(m_repo.get());
  g_autofree char* p = g_file_get_path(f);
  return p;
}

Result<void> Sysroot::lock() {
  gboolean acquired = FALSE;
  GError* err = nullptr;
  if (!ostree_sysroot_try_lock(m_sysroot.get(), &acquired, &err))
    return fail(gerror(fmt::format("locking the sysroot {}", m_path), err));
  if (!acquired)
    return fail_msg(fmt::format(
        "the sysroot {} is locked: another keelctl update/rollback (or ostree admin) is "
        "writing it; wait for it to finish and try again",
        m_path));
  m_locked = true;
  // The lock was taken on the state loaded before it: read it again under the lock.
  return reload();
}

Sysroot::~Sysroot() {
  if (m_locked && m_sysroot) ostree_sysroot_unlock(m_sysroot.get());
}

OstreeDeployment* Sysroot::current() const {
  if (OstreeDeployment* b = ostree_sysroot_get_booted_deployment(m_sysroot.get())) return b;
  g_autoptr(GPtrArray) deps = ostree_sysroot_get_deployments(m_sysroot.get());
  return deps->len ? static_cast<OstreeDeployment*>(deps->pdata[0]) : nullptr;
}

Result<DeploymentInfo> Sysroot::describe(OstreeDeployment* d, size_t index) const {
  DeploymentInfo info;
  info.index = index;
  info.osname = ostree_deployment_get_osname(d);
  info.checksum = ostree_deployment_get_csum(d);
  info.serial = ostree_deployment_get_deployserial(d);
  info.staged = ostree_deployment_is_staged(d);
  info.pinned = ostree_deployment_is_pinned(d);
  OstreeDeployment* booted = ostree_sysroot_get_booted_deployment(m_sysroot.get());
  info.booted = booted && ostree_deployment_equal(booted, d);
  info.pending = index == 0 && booted && !info.booted;
  if (GKeyFile* origin = ostree_deployment_get_origin(d)) {
    g_autofree char* refspec = g_key_file_get_string(origin, "origin", "refspec", nullptr);
    if (refspec) info.refspec = refspec;
  }
  GVariant* raw = nullptr;
  GError* err = nullptr;
  if (!ostree_repo_load_commit(m_repo.get(), info.checksum.c_str(), &raw, nullptr, &err))
    return fail(gerror(fmt::format("loading the commit of deployment {}", info.checksum), err));
  GVariantPtr commit(raw);
  info.version = commit_version(commit.get());
  info.timestamp = ostree_commit_get_timestamp(commit.get());
  return info;
}

Result<std::vector<DeploymentInfo>> Sysroot::deployments() const {
  g_autoptr(GPtrArray) deps = ostree_sysroot_get_deployments(m_sysroot.get());
  std::vector<DeploymentInfo> out;
  for (guint i = 0; i < deps->len; ++i)
    out.push_back(TRY(describe(static_cast<OstreeDeployment*>(deps->pdata[i]), i)));
  return out;
}

std::string Sysroot::var_dir(const std::string& osname) const {
  return fmt::format("{}/ostree/deploy/{}/var", m_path == "/" ? "" : m_path, osname);
}

}  // namespace keel::update
