#include "keel/init/definitions.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <map>

#include "keel/common/sys.hpp"

namespace keel::init {

namespace {

// name.toml -> full path, for regular files in `dir`. ENOENT: empty, no error.
Result<std::map<std::string, std::string>> list_toml_files(const std::string& dir) {
  std::map<std::string, std::string> out;
  auto fd = sys::open(dir, O_RDONLY | O_DIRECTORY);
  if (!fd) {
    if (fd.error().code() == ENOENT) return out;
    return fail(std::move(fd).error());
  }
  DIR* d = ::fdopendir(fd->get());
  if (!d) return fail_errno("fdopendir " + dir);
  fd->release();  // now owned by the DIR
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name.size() <= 5 || !name.ends_with(".toml")) continue;
    struct stat st;
    if (::fstatat(::dirfd(d), e->d_name, &st, 0) < 0 || !S_ISREG(st.st_mode)) continue;
    out[name] = dir + "/" + name;
  }
  ::closedir(d);
  return out;
}

}  // namespace

DefinitionSet load_definitions(const std::vector<std::string>& dirs) {
  DefinitionSet set;
  std::map<std::string, std::string> files;  // sorted: start order is predictable
  for (const auto& dir : dirs) {
    auto listed = list_toml_files(dir);
    if (!listed) {
      set.errors.push_back(std::move(listed).error().context("reading container definitions"));
      continue;
    }
    for (auto& [name, path] : *listed) files[name] = path;  // later dirs override
  }
  for (const auto& [name, path] : files) {
    auto def = parse_container_def(path);
    if (def && !def->enabled)
      set.disabled.push_back(std::move(*def));
    else if (def)
      set.defs.push_back(std::move(*def));
    else
      set.errors.push_back(std::move(def).error());
  }
  return set;
}

}  // namespace keel::init
