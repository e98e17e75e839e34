#include "keel/compose/sysroot_labels.hpp"

#include <fmt/format.h>
#include <selinux/label.h>
#include <selinux/selinux.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include <cstring>
#include <filesystem>
#include <memory>

#include "keel/bootloader/boot_counter.hpp"

namespace keel::compose {

namespace fs = std::filesystem;

namespace {

struct LabelHandleDeleter {
  void operator()(selabel_handle* h) const { selabel_close(h); }
};
using LabelHandle = std::unique_ptr<selabel_handle, LabelHandleDeleter>;

enum class Walk { label, descend_only, skip };

// Where a sysroot path lives in the booted system, and whether to label it.
struct Mapper {
  std::string var_prefix;   // ostree/deploy/<os>/var
  std::string deploy_root;  // ostree/deploy/<os>/deploy

  // ostree/deploy/<os>/deploy/<csum>.<serial>, for the path itself or one under it
  // (not <csum>.<serial>.origin, the file beside it).
  std::string deployment_of(const std::string& rel) const {
    if (!rel.starts_with(deploy_root + "/")) return {};
    size_t end = rel.find('/', deploy_root.size() + 1);
    std::string dir = rel.substr(0, end);
    return bootloader::is_deployment_id(dir.substr(deploy_root.size() + 1)) ? dir : "";
  }

  Walk decide(const std::string& rel, std::string& booted) const {
    auto under = [&](const std::string& dir) { return rel == dir || rel.starts_with(dir + "/"); };
    // A deployment's root is immutable (chattr +i) and labelled by its commit.
    if (std::string dep = deployment_of(rel); !dep.empty()) {
      if (rel == dep) return Walk::descend_only;
      if (!under(dep + "/etc")) return Walk::skip;
      booted = rel.substr(dep.size());
      return Walk::label;
    }
    if (under("ostree/repo/objects")) return Walk::skip;
    if (under(var_prefix))
      booted = "/var" + rel.substr(var_prefix.size());
    else if (under("boot"))
      booted = "/" + rel;
    else
      booted = "/sysroot/" + rel;
    return Walk::label;
  }
};

Result<void> label_one(selabel_handle* h, const fs::path& path, const std::string& booted) {
  struct stat st;
  if (::lstat(path.c_str(), &st) < 0) return fail_errno("lstat " + path.string());
  char* con = nullptr;
  if (selabel_lookup_raw(h, &con, booted.c_str(), st.st_mode) < 0)
    return fail_errno(fmt::format("file_contexts has no label for {} ({})", booted, path.string()));
  std::unique_ptr<char, decltype(&::freecon)> owned(con, &::freecon);
  if (::lsetxattr(path.c_str(), "security.selinux", con, std::strlen(con) + 1, 0) < 0)
    return fail_errno(fmt::format("labelling {} {}", path.string(), con));
  return {};
}

}  // namespace

Result<void> label_sysroot(const std::string& sysroot, const std::string& osname,
                           const std::string& deployment_dir) {
  std::string fc =
      sysroot + "/" + deployment_dir + "/usr/etc/selinux/keel/contexts/files/file_contexts";
  selinux_opt opt{SELABEL_OPT_PATH, fc.c_str()};
  LabelHandle h(selabel_open(SELABEL_CTX_FILE, &opt, 1));
  if (!h) return fail_errno("opening " + fc + " (is the SELinux policy in the image?)");
  Mapper m{"ostree/deploy/" + osname + "/var", "ostree/deploy/" + osname + "/deploy"};
  TRY(label_one(h.get(), sysroot, "/sysroot"));
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(sysroot, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::string rel = fs::relative(it->path(), sysroot).string(), booted;
    Walk w = m.decide(rel, booted);
    if (w == Walk::skip) it.disable_recursion_pending();
    if (w == Walk::label) TRY(label_one(h.get(), it->path(), booted));
  }
  if (ec) return fail(Error::from_errno("walking " + sysroot, ec.value()));
  return {};
}

}  // namespace keel::compose
