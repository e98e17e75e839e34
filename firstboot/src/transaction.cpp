#include "keel/firstboot/transaction.hpp"

#include <fmt/format.h>

#include <set>

#include "fs.hpp"
#include "keel/common/sys.hpp"
#include "keel/common/text.hpp"

namespace keel::firstboot {

namespace {

// The staging directory's layout: new/<i> is change i's content until it is renamed
// over its target; old/<i> a hard link to the file it replaces; journal the plan.
struct Txn {
  std::string root, dir;
  std::vector<std::string> targets;  // relative paths, in commit order
  std::vector<std::string> created;  // directories to create, parents first
  std::string abs(const std::string& rel) const { return root + "/" + rel; }
  std::string staged(size_t i) const { return fmt::format("{}/new/{}", dir, i); }
  std::string backup(size_t i) const { return fmt::format("{}/old/{}", dir, i); }
};

std::string journal_text(const Txn& t) {
  std::string out;
  for (const auto& d : t.created) out += "dir " + d + "\n";
  for (const auto& f : t.targets) out += "file " + f + "\n";
  return out;
}

Result<Txn> read_journal(const std::string& root, const std::string& dir) {
  Txn t{root, dir, {}, {}};
  auto text = TRY(sys::read_file(dir + "/journal"));
  for (std::string_view line : split_lines(text)) {
    if (line.starts_with("dir "))
      t.created.emplace_back(line.substr(4));
    else if (line.starts_with("file "))
      t.targets.emplace_back(line.substr(5));
    else if (!line.empty())
      return fail_msg(fmt::format("{}/journal: unexpected line '{}'", dir, line));
  }
  return t;
}

// Parents of each target that do not exist yet, outermost first, each once.
std::vector<std::string> missing_dirs(const std::string& root,
                                      const std::vector<FileChange>& changes) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const auto& c : changes) {
    std::vector<std::string> chain;
    for (std::string d = fs::parent_of(c.path); d != "." && d != "/"; d = fs::parent_of(d))
      chain.push_back(d);
    for (auto it = chain.rbegin(); it != chain.rend(); ++it)
      if (!fs::exists(root + "/" + *it) && seen.insert(*it).second) out.push_back(*it);
  }
  return out;
}

// Puts back every target whose staged file was renamed in, newest first, then removes
// the directories the transaction created and the staging directory itself.
Result<void> roll_back(const Txn& t) {
  for (size_t i = t.targets.size(); i-- > 0;) {
    if (fs::exists(t.staged(i))) continue;  // never replaced
    std::string target = t.abs(t.targets[i]);
    if (fs::exists(t.backup(i)))
      TRY(fs::rename(t.backup(i), target));
    else if (fs::exists(target))
      TRY(fs::unlink(target));
    TRY(fs::fsync_dir(fs::parent_of(target)));
  }
  for (auto it = t.created.rbegin(); it != t.created.rend(); ++it) fs::rmdir_if_empty(t.abs(*it));
  TRY(fs::remove_tree(t.dir));
  return fs::fsync_dir(t.abs("etc"));
}

Result<void> stage(const Txn& t, const std::vector<FileChange>& changes) {
  TRY(fs::mkdir(t.dir, 0700));
  TRY(fs::mkdir(t.dir + "/new", 0700));
  TRY(fs::mkdir(t.dir + "/old", 0700));
  for (size_t i = 0; i < changes.size(); ++i)
    TRY(fs::write_synced(t.staged(i), changes[i].content, changes[i].mode));
  TRY(fs::fsync_dir(t.dir + "/new"));
  TRY(sys::write_file_atomic(t.dir + "/journal", journal_text(t), 0600));
  return fs::fsync_dir(t.abs("etc"));
}

// Replaces target i: a hard link keeps the old file for a roll-back, then the staged
// file is renamed over it. A directory in the target's place is refused by link(2).
Result<void> replace_one(const Txn& t, size_t i) {
  std::string target = t.abs(t.targets[i]);
  if (fs::is_dir(target))
    return fail_msg(fmt::format("{} is a directory; a file is to be written there", target));
  if (fs::exists(target)) TRY(fs::link(target, t.backup(i)));
  TRY(fs::rename(t.staged(i), target));
  TRY(fs::fsync_dir(fs::parent_of(target)));
  return fs::fsync_dir(t.dir + "/new");
}

Result<void> commit(const Txn& t, const std::vector<FileChange>& changes,
                    const ApplyOptions& options) {
  for (const auto& d : t.created) {
    mode_t mode = 0755;
    for (const auto& c : changes)
      if (fs::parent_of(c.path) == d && c.mode == 0600) mode = 0700;  // private files' dir
    TRY(fs::mkdir(t.abs(d), mode));
  }
  for (size_t i = 0; i < t.targets.size(); ++i) {
    TRY_CTX(replace_one(t, i), "writing /" + t.targets[i]);
    if (options.crash_after && *options.crash_after == i + 1)
      return fail_msg(fmt::format("simulated crash after {} renames", i + 1));
  }
  return {};
}

}  // namespace

Result<void> apply_changes(const std::string& root, const std::vector<FileChange>& changes,
                           const ApplyOptions& options) {
  if (changes.empty() || changes.back().path != kDoneMarker)
    return fail_msg("internal error: the changes must end with the done marker");
  Txn t{root, root + "/" + kTxnDir, {}, {}};
  if (fs::exists(t.dir))
    return fail_msg(fmt::format("{} is left from an interrupted run; recover it first", t.dir));
  for (const auto& c : changes) t.targets.push_back(c.path);
  t.created = missing_dirs(root, changes);
  if (auto r = stage(t, changes); !r) {
    (void)fs::remove_tree(t.dir);  // nothing outside the staging directory was touched
    return fail(std::move(r).error().context("staging the changes in " + t.dir));
  }
  auto r = commit(t, changes, options);
  if (!r && options.crash_after) return r;  // as if the machine stopped here
  if (!r) {
    if (auto undone = roll_back(t); !undone)
      return fail(std::move(r).error().context(fmt::format(
          "rolling back failed too ({}); the next boot retries it", undone.error().message())));
    return fail(std::move(r).error().context("nothing was changed"));
  }
  TRY(fs::remove_tree(t.dir));
  return fs::fsync_dir(t.abs("etc"));
}

Result<Recovery> recover(const std::string& root) {
  std::string dir = root + "/" + kTxnDir;
  if (!fs::exists(dir)) return Recovery::nothing;
  if (!fs::exists(dir + "/journal")) {  // crashed while staging: nothing was replaced
    TRY(fs::remove_tree(dir));
    return Recovery::rolled_back;
  }
  Txn t = TRY(read_journal(root, dir));
  if (t.targets.empty()) return fail_msg(dir + "/journal lists no files");
  // The marker is renamed in last: once it is, every other target is too.
  if (!fs::exists(t.staged(t.targets.size() - 1))) {
    TRY(fs::remove_tree(dir));
    TRY(fs::fsync_dir(t.abs("etc")));
    return Recovery::completed;
  }
  TRY(roll_back(t));
  return Recovery::rolled_back;
}

}  // namespace keel::firstboot
