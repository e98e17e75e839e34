#include "keel/init/ostree_root.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <climits>
#include <cstdlib>

#include "keel/common/sys.hpp"

namespace keel::init {

Result<std::string> stateroot_from_deployment(std::string_view deployment) {
  // ostree layout (ostree docs "Deployments"): /ostree/deploy/$stateroot/deploy/$checksum.$serial
  constexpr std::string_view marker = "/ostree/deploy/";
  auto pos = deployment.rfind(marker);
  if (pos == std::string_view::npos)
    return fail_msg("deployment " + std::string(deployment) + " is not under /ostree/deploy/");
  auto rest = deployment.substr(pos + marker.size());
  auto slash = rest.find('/');
  if (slash == 0 || slash == std::string_view::npos || !rest.substr(slash).starts_with("/deploy/"))
    return fail_msg("deployment " + std::string(deployment) +
                    " does not look like /ostree/deploy/<stateroot>/deploy/<checksum>.<serial>");
  return std::string(rest.substr(0, slash));
}

Result<std::string> resolve_deployment(const std::string& sysroot, const std::string& ostree_arg) {
  if (ostree_arg.empty())
    return fail_msg(
        "no ostree= on the kernel command line; the bootloader entry must come "
        "from 'ostree admin deploy'");
  std::string link = sysroot + ostree_arg;
  char buf[PATH_MAX];
  if (!::realpath(link.c_str(), buf)) return fail_errno("realpath " + link);
  std::string deployment = buf;
  char root_buf[PATH_MAX];
  if (!::realpath(sysroot.c_str(), root_buf)) return fail_errno("realpath " + sysroot);
  if (!deployment.starts_with(std::string(root_buf) + "/ostree/deploy/"))
    return fail_msg("ostree=" + ostree_arg + " resolves to " + deployment +
                    ", which is not a deployment under " + sysroot + "/ostree/deploy/");
  TRY(stateroot_from_deployment(deployment));
  if (!sys::is_dir(deployment)) return fail_msg(deployment + " is not a directory");
  return deployment;
}

namespace {

Result<void> bind(const std::string& from, const std::string& to) {
  return sys::mount(from.c_str(), to, nullptr, MS_BIND | MS_SILENT);
}

Result<void> touch(const std::string& path) {
  TRY(sys::open(path, O_WRONLY | O_CREAT, 0644));
  return {};
}

bool is_symlink(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode);
}

}  // namespace

Result<void> prepare_deployment(const std::string& sysroot, const std::string& deployment) {
  std::string stateroot = TRY(stateroot_from_deployment(deployment));
  // MS_MOVE refuses to move mounts whose parent is shared (mount_namespaces(7)).
  TRY_CTX(sys::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE), "making / private");
  // The deployment must be a mount point of its own for the final MS_MOVE.
  TRY_CTX(bind(deployment, deployment), "binding the deployment on itself");
  std::string usr = deployment + "/usr";
  TRY_CTX(bind(usr, usr), "binding /usr");
  // A bind mount takes its own read-only flag only on a remount (mount(2), MS_BIND).
  TRY_CTX(sys::mount(nullptr, usr, nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_SILENT),
          "making /usr read-only");
  TRY_CTX(bind(sysroot + "/ostree/deploy/" + stateroot + "/var", deployment + "/var"),
          "binding the stateroot's /var");
  TRY_CTX(bind(sysroot, deployment + "/sysroot"), "binding /sysroot");
  // ostree keeps /boot/loader as a symlink when /boot is not a separate partition;
  // then the deployment's /boot must show the sysroot's (ostree-prepare-root.c).
  if (is_symlink(sysroot + "/boot/loader"))
    TRY_CTX(bind(sysroot + "/boot", deployment + "/boot"), "binding /boot");
  // libostree checks this file to know it runs on a booted ostree system.
  TRY_CTX(touch("/run/ostree-booted"), "creating /run/ostree-booted");
  return {};
}

}  // namespace keel::init
