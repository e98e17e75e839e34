#include "keel/init/ext4.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>

#include "keel/common/sys.hpp"

namespace keel::init {

namespace {
constexpr size_t kMagicOffset = 0x38;  // __le16 s_magic
constexpr size_t kLabelOffset = 0x78;  // char s_volume_name[16]
constexpr size_t kLabelSize = 16;
constexpr unsigned kExt4Magic = 0xEF53;
}  // namespace

std::optional<std::string> ext4_label_from_superblock(std::span<const unsigned char> sb) {
  if (sb.size() < kLabelOffset + kLabelSize) return std::nullopt;
  unsigned magic = sb[kMagicOffset] | (sb[kMagicOffset + 1] << 8);  // little endian on disk
  if (magic != kExt4Magic) return std::nullopt;
  std::string label;
  for (size_t i = 0; i < kLabelSize && sb[kLabelOffset + i] != 0; ++i)
    label += static_cast<char>(sb[kLabelOffset + i]);
  return label;
}

Result<std::optional<std::string>> read_ext4_label(const std::string& path) {
  auto fd = TRY(sys::open(path, O_RDONLY));
  std::array<unsigned char, kExt4SuperblockSize> sb{};
  size_t got = 0;
  while (got < sb.size()) {
    ssize_t n = ::pread(fd.get(), sb.data() + got, sb.size() - got,
                        static_cast<off_t>(kExt4SuperblockOffset + got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno("pread " + path);
    if (n == 0) return std::optional<std::string>();  // too small to hold a superblock
    got += static_cast<size_t>(n);
  }
  return ext4_label_from_superblock(sb);
}

}  // namespace keel::init
