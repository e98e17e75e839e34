// GRUB's environment block (grubenv): the one file both GRUB (load_env/save_env) and
// the running OS read and write. Format, from GRUB's grub-core/lib/envblk.c: the
// signature line "# GRUB Environment Block\n", then "name=value\n" lines (a '\\' or
// newline inside a value is preceded by '\\'), then '#' padding to the block's size
// (1024 bytes as grub-editenv creates it).
//
// Why writes are in place: GRUB reads ext4 without replaying its journal, so a file
// replaced by rename(2) may still look like the old inode to GRUB after a crash. GRUB's
// save_env itself overwrites the file's existing blocks (loadenv.c write_blocklists()),
// and so does write_grubenv(): same size, same disk blocks, data written and
// fdatasync'ed, no metadata change. The whole content is kept within the first 512-byte
// sector (the rest is padding in every version), so a torn two-sector write still leaves
// either the old or the new content. docs/BOOT.md "Boot counting" has the full argument.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "keel/common/error.hpp"

namespace keel::bootloader {

inline constexpr std::string_view kEnvSignature = "# GRUB Environment Block\n";
inline constexpr size_t kEnvBlockSize = 1024;  // grub-editenv's default
// One disk sector: everything Keel writes must fit here (see above).
inline constexpr size_t kEnvAtomicBytes = 512;

class GrubEnv {
 public:
  std::optional<std::string> get(std::string_view name) const;
  // Names are [A-Za-z0-9_]+ (GRUB variable names); values any text.
  void set(std::string_view name, std::string_view value);
  void erase(std::string_view name);
  const std::vector<std::pair<std::string, std::string>>& vars() const { return m_vars; }

 private:
  std::vector<std::pair<std::string, std::string>> m_vars;  // file order
};

// A whole block. `path` names it in errors ("path:line: ...").
Result<GrubEnv> parse_grubenv(std::string_view block, const std::string& path);
// The block, padded with '#' to `size` bytes; an error if the variables do not fit.
Result<std::string> render_grubenv(const GrubEnv& env, size_t size = kEnvBlockSize);

Result<GrubEnv> read_grubenv(const std::string& path);
// An existing file is rewritten in place at its own size, then fdatasync'ed; a missing
// one is created (kEnvBlockSize) through a temporary file and rename(2). Fails, leaving
// the file untouched, if the content would pass kEnvAtomicBytes.
Result<void> write_grubenv(const std::string& path, const GrubEnv& env);

}  // namespace keel::bootloader
