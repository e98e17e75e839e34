#include "keel/compose/elf_deps.hpp"

#include <elf.h>
#include <fcntl.h>
#include <fmt/format.h>

#include <filesystem>
#include <optional>
#include <set>

#include "keel/common/sys.hpp"

namespace keel::compose {

namespace fs = std::filesystem;

namespace {

// Debian's multiarch search order for x86_64 (ld.so's built-in system dirs).
constexpr const char* kLibDirs[] = {"/usr/lib/x86_64-linux-gnu",
                                    "/lib/x86_64-linux-gnu",
                                    "/usr/lib64",
                                    "/lib64",
                                    "/usr/lib",
                                    "/lib"};

template <class T>
bool in_bounds(const std::string& img, uint64_t off, uint64_t count = 1) {
  return off <= img.size() && count <= (img.size() - off) / sizeof(T);
}

// Maps a virtual address to a file offset through the PT_LOAD segments.
std::optional<uint64_t> vaddr_to_offset(const std::string& img, const Elf64_Ehdr& eh, uint64_t va) {
  for (unsigned i = 0; i < eh.e_phnum; ++i) {
    const auto* ph = reinterpret_cast<const Elf64_Phdr*>(img.data() + eh.e_phoff) + i;
    if (ph->p_type == PT_LOAD && va >= ph->p_vaddr && va < ph->p_vaddr + ph->p_filesz)
      return va - ph->p_vaddr + ph->p_offset;
  }
  return std::nullopt;
}

Result<void> read_dynamic(const std::string& img, const Elf64_Ehdr& eh, const Elf64_Phdr& dyn,
                          ElfInfo& info) {
  if (!in_bounds<Elf64_Dyn>(img, dyn.p_offset, dyn.p_filesz / sizeof(Elf64_Dyn)))
    return fail_msg("truncated dynamic section");
  const auto* d = reinterpret_cast<const Elf64_Dyn*>(img.data() + dyn.p_offset);
  size_t n = dyn.p_filesz / sizeof(Elf64_Dyn);
  uint64_t strtab = 0;
  for (size_t i = 0; i < n && d[i].d_tag != DT_NULL; ++i)
    if (d[i].d_tag == DT_STRTAB) strtab = d[i].d_un.d_ptr;
  auto str_off = vaddr_to_offset(img, eh, strtab);
  if (!str_off) return fail_msg("DT_STRTAB outside the loaded segments");
  for (size_t i = 0; i < n && d[i].d_tag != DT_NULL; ++i) {
    if (d[i].d_tag != DT_NEEDED) continue;
    uint64_t off = *str_off + d[i].d_un.d_val;
    if (off >= img.size()) return fail_msg("DT_NEEDED name outside the file");
    info.needed.emplace_back(img.c_str() + off);
  }
  return {};
}

std::string find_library(const std::string& rootfs, const std::string& soname) {
  for (const char* dir : kLibDirs) {
    std::string p = std::string(dir) + "/" + soname;
    if (fs::exists(rootfs + p)) return p;
  }
  return {};
}

}  // namespace

Result<ElfInfo> read_elf_info(const std::string& path) {
  auto img = TRY(sys::read_file(path));
  if (!in_bounds<Elf64_Ehdr>(img, 0) || img.compare(0, SELFMAG, ELFMAG) != 0 ||
      img[EI_CLASS] != ELFCLASS64)
    return fail_msg(fmt::format("{}: not a 64-bit ELF file", path));
  const auto* eh = reinterpret_cast<const Elf64_Ehdr*>(img.data());
  if (!in_bounds<Elf64_Phdr>(img, eh->e_phoff, eh->e_phnum))
    return fail_msg(fmt::format("{}: truncated program headers", path));
  ElfInfo info;
  const auto* ph = reinterpret_cast<const Elf64_Phdr*>(img.data() + eh->e_phoff);
  for (unsigned i = 0; i < eh->e_phnum; ++i) {
    if (ph[i].p_type == PT_INTERP && ph[i].p_offset < img.size())
      info.interpreter = std::string(img.c_str() + ph[i].p_offset);
    if (ph[i].p_type == PT_DYNAMIC) TRY_CTX(read_dynamic(img, *eh, ph[i], info), path);
  }
  return info;
}

Result<std::vector<std::string>> library_closure(const std::string& rootfs,
                                                 const std::string& binary) {
  auto top = TRY(read_elf_info(binary));
  std::vector<std::string> out;
  std::set<std::string> seen;
  if (!top.interpreter.empty()) {
    if (!fs::exists(rootfs + top.interpreter))
      return fail_msg(fmt::format("{} needs the loader {}, which the image lacks (add libc6)",
                                  binary, top.interpreter));
    out.push_back(top.interpreter);
  }
  // libc names the loader as a DT_NEEDED too; it is already in the list.
  if (!top.interpreter.empty()) seen.insert(fs::path(top.interpreter).filename().string());
  std::vector<std::pair<std::string, std::string>> todo;  // (soname, needed by)
  for (const auto& n : top.needed) todo.emplace_back(n, binary);
  while (!todo.empty()) {
    auto [soname, by] = todo.back();
    todo.pop_back();
    if (!seen.insert(soname).second) continue;
    std::string path = find_library(rootfs, soname);
    if (path.empty())
      return fail_msg(
          fmt::format("{} (needed by {}) is not in the image; add the Debian package "
                      "that ships it to [packages] include",
                      soname, by));
    out.push_back(path);
    auto info = TRY(read_elf_info(rootfs + path));
    for (const auto& n : info.needed) todo.emplace_back(n, path);
  }
  return out;
}

}  // namespace keel::compose
