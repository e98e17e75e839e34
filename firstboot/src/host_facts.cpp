// What an installed tree offers to user-data: its containers and container images.
#include <dirent.h>

#include <memory>

#include "keel/common/container_def.hpp"
#include "keel/firstboot/user_data.hpp"

namespace keel::firstboot {

namespace {

std::vector<std::string> entries(const std::string& dir) {
  std::vector<std::string> out;
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), ::closedir);
  if (!d) return out;
  while (const dirent* e = ::readdir(d.get()))
    if (e->d_name[0] != '.') out.emplace_back(e->d_name);
  return out;
}

}  // namespace

HostFacts load_host_facts(const std::string& root) {
  HostFacts f;
  for (const auto& name : entries(root + "/usr/lib/keel/containers"))
    if (name.ends_with(".toml") && is_valid_container_name(name.substr(0, name.size() - 5)))
      f.containers.insert(name.substr(0, name.size() - 5));
  // An OCI layout directory, or an oci-archive <name>.tar (keel-runtime up takes both).
  for (const auto& name : entries(root + "/usr/lib/keel/images"))
    f.images.insert(name.ends_with(".tar") ? name.substr(0, name.size() - 4) : name);
  return f;
}

}  // namespace keel::firstboot
