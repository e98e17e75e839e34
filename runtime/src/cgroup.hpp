// The container's cgroup v2 group (kernel Documentation/admin-guide/cgroup-v2.rst,
// runtime-spec "config-linux.md#control-groups").
#pragma once

#include <string>
#include <utility>

#include "keel/common/error.hpp"
#include "keel/common/unique_fd.hpp"
#include "keel/runtime/spec.hpp"

namespace keel::runtime {

enum class CgroupMode { unified, hybrid_or_legacy };

CgroupMode detect_cgroup_mode(const std::string& root = "/sys/fs/cgroup");

class Cgroup {
 public:
  // Creates <root>/<cgroups_path> (default /keel/<id>) with memory.max and pids.max.
  // On a hybrid or v1 host, warns once and returns a Cgroup with no fd: limits are
  // not applied there. On a unified host every failure is an error.
  static Result<Cgroup> create(const SpecLinux& linux_spec, const std::string& id,
                               const std::string& root = "/sys/fs/cgroup");
  Cgroup(Cgroup&& o) noexcept : m_path(std::exchange(o.m_path, {})), m_fd(std::move(o.m_fd)) {}
  Cgroup& operator=(Cgroup&&) = delete;
  ~Cgroup();

  // For clone3(CLONE_INTO_CGROUP); -1 when the container runs without a cgroup.
  int fd() const { return m_fd.get(); }
  const std::string& path() const { return m_path; }
  // rmdir once the container's processes are gone.
  Result<void> remove();
  // Leaves the group in place for a detached container (`create`): `delete` removes
  // it by path. Returns the path.
  std::string release() {
    m_fd.reset();
    return std::exchange(m_path, {});
  }

 private:
  Cgroup() = default;
  std::string m_path;
  UniqueFd m_fd;
};

}  // namespace keel::runtime
