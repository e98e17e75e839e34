#include "keel/bootloader/grubenv.hpp"

#include <fmt/format.h>
#include <cerrno>

#include <algorithm>

#include "keel/common/sys.hpp"

namespace keel::bootloader {

namespace {

bool valid_name(std::string_view n) {
  return !n.empty() && std::ranges::all_of(n, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

std::string fix_hint(const std::string& path) {
  return fmt::format("recreate it with: grub-editenv {} create", path);
}

// The body of the block, signature included, without padding.
std::string body(const GrubEnv& env) {
  std::string out(kEnvSignature);
  for (const auto& [name, value] : env.vars()) {
    out += name;
    out += '=';
    for (char c : value) {
      if (c == '\\' || c == '\n') out += '\\';  // as grub_envblk_set() escapes
      out += c;
    }
    out += '\n';
  }
  return out;
}

}  // namespace

std::optional<std::string> GrubEnv::get(std::string_view name) const {
  for (const auto& [n, v] : m_vars)
    if (n == name) return v;
  return std::nullopt;
}

void GrubEnv::set(std::string_view name, std::string_view value) {
  for (auto& [n, v] : m_vars)
    if (n == name) {
      v = value;
      return;
    }
  m_vars.emplace_back(name, value);
}

void GrubEnv::erase(std::string_view name) {
  std::erase_if(m_vars, [&](const auto& p) { return p.first == name; });
}

Result<GrubEnv> parse_grubenv(std::string_view block, const std::string& path) {
  if (!block.starts_with(kEnvSignature))
    return fail_msg(
        fmt::format("{}: not a GRUB environment block (it does not start with "
                    "\"# GRUB Environment Block\"); {}",
                    path, fix_hint(path)));
  GrubEnv env;
  size_t line = 2, p = kEnvSignature.size();
  while (p < block.size()) {
    if (block[p] == '#') {  // a comment, or the padding up to the end
      size_t nl = block.find('\n', p);
      if (nl == std::string_view::npos) break;
      p = nl + 1;
      ++line;
      continue;
    }
    size_t eq = block.find_first_of("=\n", p);
    if (eq == std::string_view::npos || block[eq] != '=')
      return fail_msg(fmt::format("{}:{}: a variable line without '=' ({}); {}", path, line,
                                  block.substr(p, std::min<size_t>(eq - p, 40)), fix_hint(path)));
    std::string_view name = block.substr(p, eq - p);
    if (!valid_name(name))
      return fail_msg(
          fmt::format("{}:{}: '{}' is not a variable name; {}", path, line, name, fix_hint(path)));
    std::string value;
    size_t q = eq + 1;
    for (; q < block.size() && block[q] != '\n'; ++q) {
      if (block[q] == '\\' && q + 1 < block.size()) ++q;  // the escaped character itself
      if (block[q] == '\n') ++line;
      value += block[q];
    }
    if (q >= block.size())
      return fail_msg(fmt::format("{}:{}: variable {} is cut off by the end of the block; {}", path,
                                  line, name, fix_hint(path)));
    env.set(name, value);
    p = q + 1;
    ++line;
  }
  return env;
}

Result<std::string> render_grubenv(const GrubEnv& env, size_t size) {
  for (const auto& [name, value] : env.vars())
    if (!valid_name(name))
      return fail_msg(fmt::format("'{}' is not a GRUB variable name ([A-Za-z0-9_])", name));
  std::string out = body(env);
  if (out.size() > size)
    return fail_msg(
        fmt::format("the variables take {} bytes, more than the {}-byte environment "
                    "block",
                    out.size(), size));
  out.resize(size, '#');
  return out;
}

Result<GrubEnv> read_grubenv(const std::string& path) {
  return parse_grubenv(TRY(sys::read_file(path)), path);
}

Result<void> write_grubenv(const std::string& path, const GrubEnv& env) {
  if (body(env).size() > kEnvAtomicBytes)
    return fail_msg(
        fmt::format("{}: the variables would pass the first {} bytes of the block, "
                    "where a write is atomic; not written",
                    path, kEnvAtomicBytes));
  auto existing = sys::read_file(path);
  if (!existing && existing.error().code() == ENOENT)
    return sys::write_file_atomic(path, TRY(render_grubenv(env)), 0644);
  if (!existing) return fail(std::move(existing).error());
  auto block = TRY_CTX(render_grubenv(env, existing->size()), path);
  // Not truncated and rewritten: that would free the blocks GRUB knows the file by.
  return sys::overwrite_file_in_place(path, block);
}

}  // namespace keel::bootloader
