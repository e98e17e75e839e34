#include "keel/compose/ostree_ops.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <ostree.h>

#include <filesystem>

#include "keel/bootloader/bls.hpp"
#include "keel/common/gerror.hpp"
#include "keel/common/sys.hpp"

namespace keel::compose {

namespace fs = std::filesystem;

namespace {

Result<OstreeRepo*> open_or_create(const std::string& path) {
  g_autoptr(GFile) file = g_file_new_for_path(path.c_str());
  OstreeRepo* repo = ostree_repo_new(file);
  GError* err = nullptr;
  bool ok = fs::exists(path + "/config")
                ? ostree_repo_open(repo, nullptr, &err)
                : ostree_repo_create(repo, OSTREE_REPO_MODE_ARCHIVE, nullptr, &err);
  if (!ok) {
    g_object_unref(repo);
    return fail(gerror(fmt::format("opening OSTree repository {}", path), err));
  }
  return repo;
}

GVariant* metadata_variant(const std::map<std::string, std::string>& md) {
  g_auto(GVariantBuilder) b;
  g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
  for (const auto& [k, v] : md)
    g_variant_builder_add(&b, "{sv}", k.c_str(), g_variant_new_string(v.c_str()));
  // Tells tools (rpm-ostree, bootc) that this commit carries a kernel and boots.
  g_variant_builder_add(&b, "{sv}", "ostree.bootable", g_variant_new_boolean(TRUE));
  return g_variant_ref_sink(g_variant_builder_end(&b));
}

// The tree's own policy (usr/etc/selinux/config names it), or null when it has none.
// ostree_sepolicy_new_at reads /usr/etc/selinux when there is no /etc (ostree-sepolicy.c).
Result<OstreeSePolicy*> tree_sepolicy(const std::string& tree) {
  auto dfd = TRY(sys::open(tree, O_RDONLY | O_DIRECTORY));
  GError* err = nullptr;
  OstreeSePolicy* policy = ostree_sepolicy_new_at(dfd.get(), nullptr, &err);
  if (!policy) return fail(gerror(fmt::format("loading the SELinux policy of {}", tree), err));
  if (ostree_sepolicy_get_name(policy) == nullptr) {
    g_object_unref(policy);
    return nullptr;
  }
  return policy;
}

Result<std::string> write_commit(OstreeRepo* repo, const CommitRequest& req) {
  GError* err = nullptr;
  g_autoptr(OstreeMutableTree) mtree = ostree_mutable_tree_new();
  // Host xattrs (AppArmor/SELinux labels of the build machine) must not leak in;
  // Keel labels the tree from its own policy: every file gets security.selinux from
  // the tree's file_contexts, looked up by its path in the commit.
  g_autoptr(OstreeRepoCommitModifier) mod = ostree_repo_commit_modifier_new(
      OSTREE_REPO_COMMIT_MODIFIER_FLAGS_SKIP_XATTRS, nullptr, nullptr, nullptr);
  g_autoptr(OstreeSePolicy) policy = TRY(tree_sepolicy(req.tree));
  if (req.require_labels && !policy)
    return fail_msg(
        fmt::format("{}: no SELinux policy (usr/etc/selinux/config) to label with", req.tree));
  if (policy) ostree_repo_commit_modifier_set_sepolicy(mod, policy);
  if (!ostree_repo_write_dfd_to_mtree(repo, AT_FDCWD, req.tree.c_str(), mtree, mod, nullptr, &err))
    return fail(gerror(fmt::format("writing {} to the repository", req.tree), err));
  g_autoptr(GFile) root = nullptr;
  if (!ostree_repo_write_mtree(repo, mtree, &root, nullptr, &err))
    return fail(gerror("writing the tree", err));
  g_autofree char* parent = nullptr;
  if (!ostree_repo_resolve_rev(repo, req.branch.c_str(), TRUE, &parent, &err))
    return fail(gerror("resolving the parent commit", err));
  g_autoptr(GVariant) md = metadata_variant(req.metadata);
  g_autofree char* checksum = nullptr;
  if (!ostree_repo_write_commit_with_time(repo, parent, req.subject.c_str(), nullptr, md,
                                          OSTREE_REPO_FILE(root), req.timestamp, &checksum, nullptr,
                                          &err))
    return fail(gerror("writing the commit", err));
  ostree_repo_transaction_set_ref(repo, nullptr, req.branch.c_str(), checksum);
  return std::string(checksum);
}

}  // namespace

Result<std::string> commit_tree(const CommitRequest& req) {
  OstreeRepo* repo = TRY(open_or_create(req.repo_path));
  g_autoptr(OstreeRepo) owner = repo;
  GError* err = nullptr;
  if (!ostree_repo_prepare_transaction(repo, nullptr, nullptr, &err))
    return fail(gerror("starting an OSTree transaction", err));
  auto checksum = write_commit(repo, req);
  if (checksum && !ostree_repo_commit_transaction(repo, nullptr, nullptr, &err))
    checksum = fail(gerror("committing the OSTree transaction", err));
  if (!checksum) ostree_repo_abort_transaction(repo, nullptr, nullptr);
  return checksum;
}

namespace {

Result<void> pull_local(OstreeSysroot* sysroot, const std::string& repo_path,
                        const std::string& branch) {  // or a commit checksum
  GError* err = nullptr;
  g_autoptr(OstreeRepo) srepo = nullptr;
  if (!ostree_sysroot_get_repo(sysroot, &srepo, nullptr, &err))
    return fail(gerror("opening the sysroot repository", err));
  g_auto(GVariantBuilder) b;
  g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
  const char* refs[] = {branch.c_str(), nullptr};
  g_variant_builder_add(&b, "{sv}", "refs", g_variant_new_strv(refs, -1));
  g_variant_builder_add(&b, "{sv}", "gpg-verify", g_variant_new_boolean(FALSE));
  g_variant_builder_add(&b, "{sv}", "gpg-verify-summary", g_variant_new_boolean(FALSE));
  g_autoptr(GVariant) opts = g_variant_ref_sink(g_variant_builder_end(&b));
  std::string url = "file://" + fs::absolute(repo_path).string();
  if (!ostree_repo_pull_with_options(srepo, url.c_str(), opts, nullptr, nullptr, &err))
    return fail(gerror(fmt::format("pulling {} from {}", branch, url), err));
  return {};
}

// The default entry (the newest deployment) among those OSTree wrote.
Result<void> read_default_entry(Deployment& d) {
  std::string dir = d.sysroot + "/boot/loader/entries";
  auto entries = TRY(bootloader::load_bls_entries(dir));
  const auto& e = entries.front();
  // Paths are relative to the filesystem holding /boot: "/boot/ostree/..." when
  // /boot is part of the root filesystem (Keel's layout), "/ostree/..." otherwise.
  auto rel = [](const std::string& v) {
    return v.starts_with("/boot/") ? v.substr(1) : "boot" + v;
  };
  d.kernel = rel(e.kernel);
  if (!e.initrds.empty()) d.initramfs = rel(e.initrds.front());
  d.options = e.options;
  return {};
}

// OSTree picks its bootloader from the sysroot repository's config (sysroot.bootloader,
// ostree-sysroot.c _ostree_sysroot_query_bootloader()); grub2 runs OSTREE_GRUB2_EXEC
// (ostree-bootloader-grub2.c). Set explicitly, so nothing depends on a probed file.
Result<void> use_grub2(OstreeSysroot* sysroot) {
  GError* err = nullptr;
  OstreeRepo* repo = ostree_sysroot_repo(sysroot);
  g_autoptr(GKeyFile) cfg = ostree_repo_copy_config(repo);
  g_key_file_set_string(cfg, "sysroot", "bootloader", "grub2");
  if (!ostree_repo_write_config(repo, cfg, &err) || !ostree_repo_reload_config(repo, nullptr, &err))
    return fail(gerror("setting sysroot.bootloader=grub2 in the sysroot repository", err));
  return {};
}

Result<OstreeSysroot*> init_sysroot(const DeployRequest& req) {
  GError* err = nullptr;
  fs::create_directories(req.sysroot);
  g_autoptr(GFile) file = g_file_new_for_path(req.sysroot.c_str());
  g_autoptr(OstreeSysroot) sysroot = ostree_sysroot_new(file);
  if (!ostree_sysroot_ensure_initialized(sysroot, nullptr, &err) ||
      !ostree_sysroot_load(sysroot, nullptr, &err) ||
      !ostree_sysroot_init_osname(sysroot, req.osname.c_str(), nullptr, &err))
    return fail(gerror(fmt::format("initialising the sysroot {}", req.sysroot), err));
  TRY(use_grub2(sysroot));
  return static_cast<OstreeSysroot*>(g_steal_pointer(&sysroot));
}

Result<OstreeDeployment*> deploy_one(OstreeSysroot* sysroot, const DeployRequest& req,
                                     const std::string& checksum, bool first) {
  GError* err = nullptr;
  g_autoptr(GKeyFile) origin = g_key_file_new();
  g_key_file_set_string(origin, "origin", "refspec", req.branch.c_str());
  std::vector<char*> argv;
  for (const auto& k : req.kargs) argv.push_back(const_cast<char*>(k.c_str()));
  argv.push_back(nullptr);
  OstreeDeployment* dep = nullptr;
  // RETAIN: the deployments made before stay, as fallbacks (no booted one to keep here).
  auto flags = first ? OSTREE_SYSROOT_SIMPLE_WRITE_DEPLOYMENT_FLAGS_NONE
                     : OSTREE_SYSROOT_SIMPLE_WRITE_DEPLOYMENT_FLAGS_RETAIN;
  if (!ostree_sysroot_deploy_tree(sysroot, req.osname.c_str(), checksum.c_str(), origin, nullptr,
                                  argv.data(), &dep, nullptr, &err) ||
      !ostree_sysroot_simple_write_deployment(sysroot, req.osname.c_str(), dep, nullptr, flags,
                                              nullptr, &err)) {
    if (dep) g_object_unref(dep);
    return fail(gerror(fmt::format("deploying {}", checksum), err));
  }
  return dep;
}

}  // namespace

Result<Deployment> deploy_commits(const DeployRequest& req) {
  // libostree reads these when it writes the bootloader config; OSTREE_DEBUG_GRUB2 lets
  // the generator's error through to our stderr instead of /dev/null.
  g_setenv("OSTREE_GRUB2_EXEC", req.grub_generator.c_str(), TRUE);
  g_setenv("OSTREE_DEBUG_GRUB2", "1", TRUE);
  g_autoptr(OstreeSysroot) sysroot = TRY(init_sysroot(req));
  g_autoptr(OstreeDeployment) dep = nullptr;
  for (size_t i = 0; i < req.checksums.size(); ++i) {
    // The newest by its branch, so the sysroot repository has the ref, as a host that
    // pulled it would; older ones by checksum.
    bool last = i + 1 == req.checksums.size();
    TRY(pull_local(sysroot, req.repo_path, last ? req.branch : req.checksums[i]));
    if (dep) g_object_unref(g_steal_pointer(&dep));
    dep = TRY(deploy_one(sysroot, req, req.checksums[i], i == 0));
  }
  if (!dep) return fail_msg("nothing to deploy");
  Deployment d;
  d.sysroot = req.sysroot;
  g_autofree char* dir = ostree_sysroot_get_deployment_dirpath(sysroot, dep);
  d.deployment_dir = dir;
  GError* err = nullptr;
  if (!ostree_sysroot_load(sysroot, nullptr, &err))
    return fail(gerror("reloading the sysroot", err));
  g_autoptr(GPtrArray) all = ostree_sysroot_get_deployments(sysroot);
  for (guint i = 0; i < all->len; ++i) {
    auto* di = static_cast<OstreeDeployment*>(all->pdata[i]);
    d.ids.push_back(fmt::format("{}.{}", ostree_deployment_get_csum(di),
                                ostree_deployment_get_deployserial(di)));
  }
  TRY(read_default_entry(d));
  return d;
}

Result<std::string> resolve_rev(const std::string& repo_path, const std::string& rev) {
  if (!fs::exists(repo_path + "/config"))
    return fail_msg(fmt::format("no OSTree repository at {} to find {} in", repo_path, rev));
  OstreeRepo* repo = TRY(open_or_create(repo_path));
  g_autoptr(OstreeRepo) owner = repo;
  GError* err = nullptr;
  g_autofree char* checksum = nullptr;
  if (!ostree_repo_resolve_rev(repo, rev.c_str(), FALSE, &checksum, &err))
    return fail(gerror(fmt::format("finding {} in {}", rev, repo_path), err));
  return std::string(checksum);
}

}  // namespace keel::compose
