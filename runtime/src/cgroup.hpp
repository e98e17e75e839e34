// The container's control groups (kernel Documentation/admin-guide/cgroup-v2.rst,
// runtime-spec "config-linux.md#control-groups"). On a unified host one v2 group,
// which clone3(CLONE_INTO_CGROUP) starts the child in; on hybrid or legacy hosts one
// group per v1 hierarchy that has something to limit, joined with join() (cgroup_v1.cpp).
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "cgroup_map.hpp"
#include "keel/common/error.hpp"
#include "keel/common/unique_fd.hpp"
#include "keel/runtime/spec.hpp"

namespace keel::runtime {

enum class CgroupMode { unified, hybrid_or_legacy };

CgroupMode detect_cgroup_mode(const std::string& root = "/sys/fs/cgroup");

class Cgroup {
 public:
  // Creates <root>/<cgroups_path> (default /keel/<id>) and applies linux.resources.
  // On a unified host every failure is an error; on hybrid/v1 hosts, fields that
  // cannot be applied are warned about once each.
  static Result<Cgroup> create(const SpecLinux& linux_spec, const std::string& id,
                               const std::string& root = "/sys/fs/cgroup");
  // For tests with a fake root of plain files: called after each mkdir of a group,
  // to create the interface files the kernel would.
  using MkdirHook = std::function<void(const std::string& dir)>;
  static Result<Cgroup> create(const SpecLinux& linux_spec, const std::string& id,
                               const std::string& root, MkdirHook on_mkdir);
  // The groups of a running container (`exec`): joined like new ones, never removed.
  static Result<Cgroup> borrow(const std::string& v2_path, std::vector<std::string> v1_paths);
  // The groups a created container left (`delete`): removed like the runtime's own.
  static Cgroup adopt(std::string v2_path, std::vector<std::string> v1_paths);
  Cgroup(Cgroup&& o) noexcept
      : m_borrowed(o.m_borrowed),
        m_path(std::exchange(o.m_path, {})),
        m_fd(std::move(o.m_fd)),
        m_device_prog(std::move(o.m_device_prog)),
        m_v1_paths(std::exchange(o.m_v1_paths, {})) {}
  Cgroup& operator=(Cgroup&&) = delete;
  ~Cgroup();

  // For clone3(CLONE_INTO_CGROUP); -1 when the container runs without a v2 cgroup.
  int fd() const { return m_fd.get(); }
  const std::string& path() const { return m_path; }
  // v1 groups must be joined by pid after clone3 and before the child execs.
  bool needs_join() const { return !m_v1_paths.empty(); }
  Result<void> join(pid_t pid) const;  // cgroup_v1.cpp
  const std::vector<std::string>& v1_paths() const { return m_v1_paths; }
  // rmdir once the container's processes are gone.
  Result<void> remove();
  // Leaves the group in place for a detached container (`create`): `delete` removes
  // it by path. Returns the path.
  // The same for the v1 groups of a hybrid host (call before release()).
  std::vector<std::string> release_v1() { return std::exchange(m_v1_paths, {}); }
  std::string release() {
    m_fd.reset();
    return std::exchange(m_path, {});
  }

 private:
  Cgroup() = default;
  Result<void> create_v2(const SpecLinux& l, const std::string& rel, const std::string& root);
  Result<void> create_v1(const SpecResources& r, const std::string& rel, const std::string& root);
  bool m_borrowed = false;
  std::string m_path;
  UniqueFd m_fd;
  UniqueFd m_device_prog;  // the attached BPF_CGROUP_DEVICE program (v2)
  std::vector<std::string> m_v1_paths;
  MkdirHook m_on_mkdir;  // only while creating
};

// Helpers shared by the v1 and v2 code (cgroup.cpp).
bool cgroup_has_word(std::string_view list, std::string_view word);
// mkdir of the leaf; a stale leaf from a killed runtime is removed first.
Result<void> cgroup_make_leaf(const std::string& path);
// One warning per field that this host cannot apply, naming it and why.
void cgroup_warn_not_applied(const std::string& field, const std::string& why);

}  // namespace keel::runtime
