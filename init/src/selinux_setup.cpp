#include "keel/init/selinux_setup.hpp"

#include <selinux/selinux.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace keel::init {

namespace {

bool word_on_cmdline(const std::string& cmdline, std::string_view word) {
  size_t pos = 0;
  while ((pos = cmdline.find(word, pos)) != std::string::npos) {
    bool start = pos == 0 || cmdline[pos - 1] == ' ';
    size_t end = pos + word.size();
    if (start && (end == cmdline.size() || cmdline[end] == ' ' || cmdline[end] == '\n'))
      return true;
    pos = end;
  }
  return false;
}

}  // namespace

std::string current_context() {
  char* con = nullptr;
  if (::getcon_raw(&con) < 0) return "unknown (" + std::string(std::strerror(errno)) + ")";
  std::unique_ptr<char, decltype(&::freecon)> owned(con, &::freecon);
  return con;
}

Result<SelinuxState> load_selinux_policy(const std::string& cmdline) {
  // A loaded policy means we are the init that re-executed itself after loading it.
  if (::is_selinux_enabled() > 0) return SelinuxState::already_loaded;
  int config_mode = -1;
  ::selinux_getenforcemode(&config_mode);
  bool required = config_mode == 1 && !word_on_cmdline(cmdline, "enforcing=0");
  int enforce = 0;
  if (::selinux_init_load_policy(&enforce) == 0) return SelinuxState::loaded_now;
  int err = errno;
  if (!required && enforce <= 0) return SelinuxState::disabled;
  return fail(Error::from_errno(
      "loading the SELinux policy failed while /etc/selinux/config requires enforcing. "
      "Check that the kernel command line has security=selinux (the image's [kernel] args) "
      "and that /etc/selinux/keel/policy/policy.33 exists; enforcing=0 on the kernel command "
      "line boots on without enforcing",
      err));
}

}  // namespace keel::init
