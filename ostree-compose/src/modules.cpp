#include "keel/compose/modules.hpp"

#include <fmt/format.h>
#include <libkmod.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <set>

#include "keel/compose/process.hpp"

namespace keel::compose {

namespace fs = std::filesystem;

namespace {

struct KmodCtx {
  kmod_ctx* ctx = nullptr;
  ~KmodCtx() { kmod_unref(ctx); }
};
struct KmodList {
  kmod_list* list = nullptr;
  ~KmodList() { kmod_module_unref_list(list); }
};

// Post-order walk: dependencies are appended before the module itself.
void visit(kmod_module* mod, const std::string& moddir, std::set<std::string>& seen,
           std::vector<std::string>& out) {
  const char* path = kmod_module_get_path(mod);
  if (!path) return;  // built in
  std::string rel = fs::relative(path, moddir).string();
  if (!seen.insert(rel).second) return;
  KmodList deps{kmod_module_get_dependencies(mod)};
  kmod_list* it;
  kmod_list_foreach(it, deps.list) {
    kmod_module* d = kmod_module_get_module(it);
    visit(d, moddir, seen, out);
    kmod_module_unref(d);
  }
  out.push_back(rel);
}

bool is_builtin(const std::string& moddir, const std::string& name) {
  std::string n = name;
  std::replace(n.begin(), n.end(), '-', '_');
  auto text = std::filesystem::path(moddir) / "modules.builtin";
  FILE* f = fopen(text.c_str(), "re");
  if (!f) return false;
  char line[512];
  bool found = false;
  while (!found && fgets(line, sizeof line, f)) {
    std::string l(line);
    auto slash = l.rfind('/');
    std::string base = l.substr(slash + 1);
    base = base.substr(0, base.find(".ko"));
    std::replace(base.begin(), base.end(), '-', '_');
    found = base == n;
  }
  fclose(f);
  return found;
}

}  // namespace

Result<std::vector<std::string>> module_closure(const std::string& moddir,
                                                const std::vector<std::string>& names) {
  // A config dir that does not exist: the build host's /etc/modprobe.d must not leak in.
  const char* no_config[] = {"/nonexistent/keel-modprobe.d", nullptr};
  KmodCtx k{kmod_new(moddir.c_str(), no_config)};
  if (!k.ctx) return fail_msg(fmt::format("libkmod cannot open {}", moddir));
  if (kmod_load_resources(k.ctx) < 0)
    return fail_msg(fmt::format("libkmod cannot load the indexes in {} (run depmod)", moddir));
  std::set<std::string> seen;
  std::vector<std::string> out;
  for (const auto& name : names) {
    KmodList found;
    if (kmod_module_new_from_lookup(k.ctx, name.c_str(), &found.list) < 0 || !found.list) {
      if (is_builtin(moddir, name)) continue;
      return fail_msg(
          fmt::format("kernel module '{}' is not in {}; check the name with "
                      "`modinfo -b <root> {}`",
                      name, moddir, name));
    }
    kmod_list* it;
    kmod_list_foreach(it, found.list) {
      kmod_module* m = kmod_module_get_module(it);
      visit(m, moddir, seen, out);
      kmod_module_unref(m);
    }
  }
  return out;
}

Result<void> prune_modules(const std::string& rootfs, const std::string& kver,
                           const std::vector<std::string>& keep) {
  fs::path moddir = fs::path(rootfs) / "usr/lib/modules" / kver;
  std::set<std::string> keep_set(keep.begin(), keep.end());
  std::error_code ec;
  std::vector<fs::path> doomed;
  for (auto it = fs::recursive_directory_iterator(moddir / "kernel", ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    if (!keep_set.contains(fs::relative(it->path(), moddir).string())) doomed.push_back(it->path());
  }
  if (ec) return fail(Error::from_errno("walking the modules", ec.value()));
  for (const auto& p : doomed) fs::remove(p, ec);
  // Drop directories left empty, deepest first.
  std::vector<fs::path> dirs;
  for (auto it = fs::recursive_directory_iterator(moddir / "kernel", ec);
       it != fs::recursive_directory_iterator(); it.increment(ec))
    if (it->is_directory()) dirs.push_back(it->path());
  std::sort(dirs.begin(), dirs.end(), std::greater<>());
  for (const auto& d : dirs)
    if (fs::is_empty(d, ec)) fs::remove(d, ec);
  return run_command({"depmod", "-b", rootfs, kver});
}

}  // namespace keel::compose
