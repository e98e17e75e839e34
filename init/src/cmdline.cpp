#include "keel/init/cmdline.hpp"

#include <fmt/format.h>

#include <cctype>

namespace keel::init {

std::string_view to_string(ShutdownAction a) {
  switch (a) {
    case ShutdownAction::poweroff:
      return "poweroff";
    case ShutdownAction::reboot:
      return "reboot";
    case ShutdownAction::halt:
      return "halt";
  }
  return "?";
}

std::optional<ShutdownAction> parse_shutdown_action(std::string_view text) {
  if (text == "poweroff") return ShutdownAction::poweroff;
  if (text == "reboot") return ShutdownAction::reboot;
  if (text == "halt") return ShutdownAction::halt;
  return std::nullopt;
}

std::vector<std::string> split_cmdline(std::string_view text) {
  // Like next_arg() in kernel/params.c: quotes only group, they never end up in values.
  std::vector<std::string> words;
  std::string cur;
  bool in_quote = false, have_word = false;
  for (char c : text) {
    if (c == '"') {
      in_quote = !in_quote;
      have_word = true;
    } else if (!in_quote && std::isspace(static_cast<unsigned char>(c))) {
      if (have_word) words.push_back(std::move(cur));
      cur.clear();
      have_word = false;
    } else {
      cur += c;
      have_word = true;
    }
  }
  if (have_word) words.push_back(std::move(cur));
  return words;
}

namespace {

bool is_true(std::string_view v) {
  return v.empty() || v == "1" || v == "yes" || v == "true";
}

void parse_keel_arg(KernelCmdline& out, std::string_view key, std::string_view value) {
  if (key == "keel.shutdown-when-done") {
    out.shutdown_when_done = parse_shutdown_action(value);
    if (!out.shutdown_when_done)
      out.warnings.push_back(fmt::format(
          "keel.shutdown-when-done={} is not poweroff, reboot or halt; ignored", value));
  } else if (key == "keel.panic-reboot") {
    out.panic_reboot = is_true(value);
  } else if (key == "keel.rollback") {
    out.rollback = value;
  } else if (key == "keel.live") {
    out.live = is_true(value);
  } else if (key == "keel.install.to") {
    if (value.starts_with("/dev/"))
      out.install_to = value;
    else
      out.warnings.push_back(fmt::format(
          "keel.install.to={} is not a device under /dev; nothing will be installed", value));
  } else if (key == "keel.install.reboot" && is_true(value)) {
    out.after_install = ShutdownAction::reboot;
  } else if (key == "keel.install.poweroff" && is_true(value)) {
    out.after_install = ShutdownAction::poweroff;
  } else {
    out.warnings.push_back(fmt::format("unknown kernel argument {}; ignored", key));
  }
}

}  // namespace

KernelCmdline parse_cmdline(std::string_view text) {
  KernelCmdline out;
  for (const auto& word : split_cmdline(text)) {
    if (word == "--") break;  // the rest is for init's argv (kernel-parameters.rst)
    auto eq = word.find('=');
    std::string_view key = std::string_view(word).substr(0, eq);
    std::string_view value = eq == std::string::npos ? "" : std::string_view(word).substr(eq + 1);
    if (key == "root") {
      out.root = value;
      if (value.starts_with("LABEL=")) out.root_label = value.substr(6);
    } else if (key == "ostree") {
      out.ostree = value;
    } else if (key.starts_with("keel.")) {
      parse_keel_arg(out, key, value);
    }
  }
  return out;
}

}  // namespace keel::init
