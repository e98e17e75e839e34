#include "keel/bootloader/boot_counter.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <charconv>

#include "keel/bootloader/grubenv.hpp"
#include "keel/common/sys.hpp"

namespace keel::bootloader {

namespace {

Result<GrubEnv> load(const std::string& path) {
  if (!sys::exists(path)) return GrubEnv{};
  return read_grubenv(path);
}

Result<void> check_id(std::string_view id) {
  if (is_deployment_id(id)) return {};
  return fail_msg(
      fmt::format("'{}' is not a deployment id (<commit checksum>.<serial>, the "
                  "name of its directory under /ostree/deploy/<os>/deploy/)",
                  id));
}

}  // namespace

bool is_deployment_id(std::string_view id) {
  size_t dot = id.find('.');
  if (dot != 64 || dot + 1 >= id.size()) return false;
  for (size_t i = 0; i < id.size(); ++i) {
    char c = id[i];
    bool ok = i < 64 ? ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))
                     : (i == 64 || (c >= '0' && c <= '9'));
    if (!ok) return false;
  }
  return true;
}

Result<BootCounter> read_boot_counter(const std::string& grubenv) {
  auto env = TRY(load(grubenv));
  BootCounter c;
  c.pending = env.get(kVarPending).value_or("");
  c.failed = env.get(kVarFailed).value_or("");
  if (auto t = env.get(kVarTries)) {
    int v = 0;
    auto [end, ec] = std::from_chars(t->data(), t->data() + t->size(), v);
    if (ec == std::errc() && end == t->data() + t->size() && !t->empty()) c.tries_left = v;
  }
  return c;
}

Result<void> arm_trial(const std::string& grubenv, const std::string& deployment, int tries) {
  TRY(check_id(deployment));
  if (tries < 1 || tries > kMaxTries)
    return fail_msg(fmt::format("{} boot attempts: give 1 to {}", tries, kMaxTries));
  auto env = TRY(load(grubenv));
  env.set(kVarPending, deployment);
  env.set(kVarTries, std::to_string(tries));
  return with_context(write_grubenv(grubenv, env), "arming the boot counter");
}

Result<bool> mark_boot_good(const std::string& grubenv, const std::string& booted) {
  auto env = TRY(load(grubenv));
  if (env.get(kVarPending).value_or("") != booted || booted.empty()) return false;
  env.erase(kVarPending);
  env.erase(kVarTries);
  TRY_CTX(write_grubenv(grubenv, env), "marking the boot good");
  return true;
}

Result<void> record_rollback(const std::string& grubenv, const std::string& failed) {
  TRY(check_id(failed));
  auto env = TRY(load(grubenv));
  if (env.get(kVarFailed) == failed) return {};  // already recorded: no write at each boot
  env.set(kVarFailed, failed);
  return with_context(write_grubenv(grubenv, env), "recording the rollback");
}

Result<void> clear_trial(const std::string& grubenv) {
  auto env = TRY(load(grubenv));
  if (!env.get(kVarPending) && !env.get(kVarTries)) return {};
  env.erase(kVarPending);
  env.erase(kVarTries);
  return with_context(write_grubenv(grubenv, env), "clearing the boot trial");
}

std::string_view to_string(BootKind k) {
  switch (k) {
    case BootKind::normal:
      return "normal";
    case BootKind::trial:
      return "trial";
    case BootKind::rollback:
      return "rollback";
    case BootKind::other:
      return "other";
  }
  return "?";
}

BootKind classify_boot(const BootCounter& c, const std::string& booted,
                       const std::string& rollback_arg) {
  if (!rollback_arg.empty()) return BootKind::rollback;
  if (c.pending.empty()) return BootKind::normal;
  return c.pending == booted ? BootKind::trial : BootKind::other;
}

}  // namespace keel::bootloader
