#include "keel/compose/image_def.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "keel/common/container_def.hpp"
#include "keel/common/toml.hpp"
#include "keel/sign/ed25519.hpp"
#include "keel/update/config.hpp"

namespace keel::compose {

namespace fs = std::filesystem;

namespace {

std::string where(const TomlDoc& doc, const toml::node& n) {
  return fmt::format("{}:{}:{}", doc.path(), n.source().begin.line, n.source().begin.column);
}

Result<std::vector<Located>> located_array(const TomlDoc& doc, const toml::table& t,
                                           std::string_view key) {
  TRY(doc.get_string_array(t, key));  // validates types with a good message
  std::vector<Located> out;
  if (const toml::array* arr = t.get_as<toml::array>(key))
    for (const toml::node& el : *arr) out.push_back({*el.value<std::string>(), where(doc, el)});
  return out;
}

Result<void> parse_os(const TomlDoc& doc, ImageDef& def) {
  const toml::table* os = TRY(doc.get_table(doc.root(), "os"));
  if (!os)
    return fail(doc.error_at(nullptr, "missing [os] table (add [os] with name and version)"));
  TRY(doc.reject_unknown_keys(*os, "[os]", {"name", "version", "pretty_name", "arch"}));
  def.os_name = *TRY(doc.get_string(*os, "name", true));
  if (!is_valid_container_name(def.os_name))
    return fail(doc.error_at(os->get("name"), "os name must be 1-63 characters of a-z, 0-9, '-'"));
  def.os_version = *TRY(doc.get_string(*os, "version", true));
  def.pretty_name =
      TRY(doc.get_string(*os, "pretty_name")).value_or(fmt::format("Keel {}", def.os_version));
  def.arch = TRY(doc.get_string(*os, "arch")).value_or("x86_64");
  if (def.arch != "x86_64")
    return fail(doc.error_at(os->get("arch"), "only arch = \"x86_64\" is supported so far"));
  return {};
}

Result<void> parse_flavour(ImageDef& def, const std::string& flavours_dir, const TomlDoc& doc,
                           const toml::table& k, bool overridden) {
  std::string file = fmt::format("{}/{}.toml", flavours_dir, def.kernel_flavour);
  if (!fs::exists(file)) {
    if (overridden)
      return fail_msg(
          fmt::format("keel-compose --flavour {}: unknown kernel flavour: no {} (see "
                      "kernel/flavours/)",
                      def.kernel_flavour, file));
    return fail(doc.error_at(
        k.get("flavour"), fmt::format("unknown kernel flavour '{}': no {} (see kernel/flavours/)",
                                      def.kernel_flavour, file)));
  }
  auto fdoc = TRY(TomlDoc::load_file(file));
  TRY(fdoc.reject_unknown_keys(fdoc.root(), "the flavour", {"package", "description"}));
  def.kernel_package = *TRY(fdoc.get_string(fdoc.root(), "package", true));
  return {};
}

// initramfs_modules and modules of `t` ([kernel] or one of its flavour tables),
// appended to `def`'s lists. "*" in modules keeps every module; the initramfs needs names.
Result<void> add_module_lists(const TomlDoc& doc, const toml::table& t, ImageDef& def) {
  for (auto& m : TRY(doc.get_string_array(t, "initramfs_modules"))) {
    if (m == "*")
      return fail(doc.error_at(t.get("initramfs_modules"),
                               "initramfs_modules cannot be \"*\": keel-init loads each one at "
                               "boot; name the drivers that reach the root disk"));
    def.initramfs_modules.push_back(std::move(m));
  }
  for (auto& m : TRY(doc.get_string_array(t, "modules"))) {
    if (m == "*")
      def.all_modules = true;
    else
      def.modules.push_back(std::move(m));
  }
  return {};
}

// [kernel.flavour_modules.<flavour>]: modules only that flavour's kernel has (or has as
// modules rather than built in). Every table is checked; the one in use is added.
Result<void> parse_flavour_modules(const TomlDoc& doc, const toml::table& per, ImageDef& def,
                                   const std::string& flavours_dir) {
  for (const auto& [key, node] : per) {
    std::string name(key.str());
    std::string section = fmt::format("[kernel.flavour_modules.{}]", name);
    if (!node.is_table())
      return fail(doc.error_at(&node, fmt::format("{} must be a table of initramfs_modules and "
                                                  "modules",
                                                  section)));
    if (!fs::exists(fmt::format("{}/{}.toml", flavours_dir, name)))
      return fail(doc.error_at(&node, fmt::format("{}: there is no kernel flavour '{}' (see "
                                                  "kernel/flavours/)",
                                                  section, name)));
    TRY(doc.reject_unknown_keys(*node.as_table(), section, {"initramfs_modules", "modules"}));
    ImageDef scratch;
    TRY(add_module_lists(doc, *node.as_table(), name == def.kernel_flavour ? def : scratch));
  }
  return {};
}

Result<void> parse_kernel(const TomlDoc& doc, ImageDef& def, const std::string& flavours_dir,
                          const std::string& flavour) {
  const toml::table* k = TRY(doc.get_table(doc.root(), "kernel"));
  if (!k) return fail(doc.error_at(nullptr, "missing [kernel] table (add flavour = \"cloud\")"));
  TRY(doc.reject_unknown_keys(
      *k, "[kernel]", {"flavour", "args", "initramfs_modules", "modules", "flavour_modules"}));
  def.kernel_flavour = *TRY(doc.get_string(*k, "flavour", true));
  if (!flavour.empty() && !is_valid_container_name(flavour))
    return fail_msg(
        fmt::format("keel-compose --flavour '{}': a flavour name is a-z, 0-9, '-' "
                    "(the files in kernel/flavours/)",
                    flavour));
  if (!flavour.empty()) def.kernel_flavour = flavour;
  def.kernel_args = TRY(doc.get_string_array(*k, "args"));
  TRY(add_module_lists(doc, *k, def));
  if (const toml::table* per = TRY(doc.get_table(*k, "flavour_modules")))
    TRY(parse_flavour_modules(doc, *per, def, flavours_dir));
  return parse_flavour(def, flavours_dir, doc, *k, !flavour.empty());
}

// [hardware.flavour_targets]: hwcompat::parse_hardware adds the list of the flavour in
// use; every key must name a flavour, or its targets would silently never apply.
Result<void> check_flavour_targets(const TomlDoc& doc, const std::string& flavours_dir) {
  const toml::table* hw = TRY(doc.get_table(doc.root(), "hardware"));
  const toml::table* per = hw ? TRY(doc.get_table(*hw, "flavour_targets")) : nullptr;
  if (!per) return {};
  for (const auto& [key, node] : *per)
    if (!fs::exists(fmt::format("{}/{}.toml", flavours_dir, key.str())))
      return fail(doc.error_at(&node, fmt::format("[hardware.flavour_targets]: there is no "
                                                  "kernel flavour '{}' (see kernel/flavours/)",
                                                  key.str())));
  return {};
}

Result<void> parse_packages(const TomlDoc& doc, ImageDef& def) {
  const toml::table* p = TRY(doc.get_table(doc.root(), "packages"));
  if (!p) return fail(doc.error_at(nullptr, "missing [packages] table (add include = [...])"));
  TRY(doc.reject_unknown_keys(*p, "[packages]", {"suite", "mirror", "include", "exclude"}));
  def.suite = TRY(doc.get_string(*p, "suite")).value_or("bookworm");
  def.mirror = TRY(doc.get_string(*p, "mirror")).value_or("");
  def.packages = TRY(located_array(doc, *p, "include"));
  def.excludes = TRY(located_array(doc, *p, "exclude"));
  return {};
}

// [images.NAME] files: each target an absolute path without "." or ".." components,
// each source a regular file relative to the definition.
Result<std::vector<ImageFile>> parse_image_files(const TomlDoc& doc, const std::string& name,
                                                 const toml::table& t) {
  std::vector<ImageFile> out;
  const toml::table* files = TRY(doc.get_table(t, "files"));
  if (!files) return out;
  fs::path base = fs::path(doc.path()).parent_path();
  for (const auto& [key, node] : *files) {
    std::string target(key.str());
    fs::path tp(target);
    bool clean = tp.is_absolute() && tp.has_filename() && tp.lexically_normal() == tp;
    if (!clean)
      return fail(doc.error_at(&node, fmt::format("[images.{}] files: '{}' must be an absolute "
                                                  "path to a file, without '.' or '..'",
                                                  name, target)));
    const std::string* src = node.as_string() ? &node.as_string()->get() : nullptr;
    if (!src)
      return fail(doc.error_at(&node, fmt::format("[images.{}] files: '{}' must name a source "
                                                  "file (a string, relative to {})",
                                                  name, target, base.string())));
    fs::path sp = fs::absolute(base / *src).lexically_normal();
    if (!fs::is_regular_file(sp))
      return fail(doc.error_at(
          &node, fmt::format("[images.{}] files: {} is not a regular file", name, sp.string())));
    out.push_back({target, sp.string()});
  }
  return out;
}

Result<OciImageSource> parse_image(const TomlDoc& doc, const std::string& name,
                                   const toml::table& t) {
  TRY(doc.reject_unknown_keys(
      t, fmt::format("[images.{}]", name),
      {"packages", "busybox_applets", "entrypoint", "cmd", "env", "files"}));
  if (!is_valid_container_name(name))
    return fail(doc.error_at(&t, fmt::format("image name '{}' must be a-z, 0-9, '-'", name)));
  OciImageSource img;
  img.name = name;
  img.packages = TRY(located_array(doc, t, "packages"));
  if (img.packages.empty())
    return fail(doc.error_at(&t, fmt::format("[images.{}] needs packages = [...]", name)));
  img.busybox_applets = TRY(doc.get_bool(t, "busybox_applets")).value_or(false);
  img.entrypoint = TRY(doc.get_string_array(t, "entrypoint"));
  img.cmd = TRY(doc.get_string_array(t, "cmd"));
  img.env = TRY(doc.get_string_array(t, "env"));
  img.files = TRY(parse_image_files(doc, name, t));
  return img;
}

Result<void> parse_containers(const TomlDoc& doc, ImageDef& def) {
  fs::path base = fs::path(doc.path()).parent_path();
  if (const toml::table* imgs = TRY(doc.get_table(doc.root(), "images"))) {
    for (const auto& [name, node] : *imgs) {
      if (!node.is_table())
        return fail(doc.error_at(&node, "each image is a table: [images.NAME]"));
      def.images.push_back(TRY(parse_image(doc, std::string(name.str()), *node.as_table())));
    }
  }
  for (const Located& c : TRY(located_array(doc, doc.root(), "containers"))) {
    fs::path p = fs::absolute(base / c.value).lexically_normal();
    if (!fs::exists(p))
      return fail_msg(
          fmt::format("{}: container definition {} does not exist", c.where, p.string()));
    auto cdef = TRY_CTX(parse_container_def(p.string()), c.where);
    bool known = false;
    for (const auto& img : def.images) known = known || img.name == cdef.image;
    if (!known)
      return fail_msg(
          fmt::format("{}: container '{}' uses image '{}', which this image "
                      "definition does not build (add [images.{}])",
                      c.where, cdef.name, cdef.image, cdef.image));
    def.container_defs.push_back(p.string());
  }
  return {};
}

// A sysctl key: dotted lower-case names ("net.ipv4.ip_forward"), nothing that could
// leave /proc/sys or break the line-based sysctl.d format.
bool is_sysctl_key(std::string_view k) {
  return !k.empty() && k.front() != '.' && k.find("..") == std::string_view::npos &&
         k.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_.-") == std::string_view::npos;
}

Result<void> parse_sysctl_table(const TomlDoc& doc, const toml::table& t, ImageDef& def) {
  for (const auto& [key, node] : t) {
    std::string k(key.str());
    if (!is_sysctl_key(k))
      return fail(doc.error_at(&node, fmt::format("[host.sysctl] key '{}' is not a sysctl name "
                                                  "like \"vm.max_map_count\"",
                                                  k)));
    std::string v = node.is_integer() ? std::to_string(node.as_integer()->get())
                                      : node.value<std::string>().value_or("\n");
    if (v.empty() || v.find_first_of("\r\n") != std::string::npos)
      return fail(doc.error_at(&node, fmt::format("[host.sysctl] {}: the value must be a "
                                                  "number or a one-line string",
                                                  k)));
    def.sysctl.emplace_back(k, v);
  }
  return {};
}

Result<void> parse_host(const TomlDoc& doc, ImageDef& def) {
  const toml::table* h = TRY(doc.get_table(doc.root(), "host"));
  if (!h) return {};
  TRY(doc.reject_unknown_keys(*h, "[host]", {"hostname", "sysctl"}));
  def.hostname = TRY(doc.get_string(*h, "hostname")).value_or("");
  // hostname(7): letters, digits and hyphens, 1-63 characters per label.
  if (h->get("hostname") && !is_valid_container_name(def.hostname))
    return fail(
        doc.error_at(h->get("hostname"), "hostname must be 1-63 characters of a-z, 0-9, '-'"));
  if (const toml::table* s = TRY(doc.get_table(*h, "sysctl")))
    TRY(parse_sysctl_table(doc, *s, def));
  return {};
}

// GRUB's search --label and the kernel's root=LABEL= take it unquoted; ext4 labels hold
// 16 bytes (mke2fs(8) -L).
bool is_root_label(std::string_view l) {
  return !l.empty() && l.size() <= 16 &&
         l.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") ==
             std::string_view::npos;
}

Result<void> parse_disk(const TomlDoc& doc, ImageDef& def) {
  const toml::table* d = TRY(doc.get_table(doc.root(), "disk"));
  if (!d) return {};
  TRY(doc.reject_unknown_keys(*d, "[disk]", {"root_label", "free_space"}));
  def.root_label = TRY(doc.get_string(*d, "root_label")).value_or(def.root_label);
  if (!is_root_label(def.root_label))
    return fail(doc.error_at(d->get("root_label"),
                             "root_label must be 1-16 characters of "
                             "A-Z, a-z, 0-9, '-', '_' (an ext4 label)"));
  def.disk_free_space = TRY(doc.get_size(*d, "free_space")).value_or(def.disk_free_space);
  return {};
}

// [boot] (docs/BOOT.md). Its console decides the kernel's console= arguments, unless
// [kernel] args names consoles itself (images written before [boot] existed); naming them
// in both places is refused, so the two cannot disagree.
Result<void> parse_boot(const TomlDoc& doc, ImageDef& def) {
  const toml::table* b = TRY(doc.get_table(doc.root(), "boot"));
  if (b) def.boot = TRY(bootloader::parse_boot_settings(doc, *b, "[boot]"));
  const toml::table* k = doc.root().get_as<toml::table>("kernel");
  bool args_console = std::ranges::any_of(
      def.kernel_args, [](const std::string& a) { return a.starts_with("console="); });
  if (args_console && b && b->get("console"))
    return fail(doc.error_at(k ? k->get("args") : nullptr,
                             "[kernel] args names a console= and [boot] console is set: keep "
                             "one (remove console= from args; [boot] console adds it)"));
  if (!args_console) {
    auto extra = bootloader::console_kernel_args(def.boot.console);
    def.kernel_args.insert(def.kernel_args.end(), extra.begin(), extra.end());
  }
  return {};
}

// The gates name containers of this image; without a list, every container that must
// always run is one (docs/BOOT.md "Gates").
Result<void> resolve_gates(const TomlDoc& doc, ImageDef& def) {
  std::vector<ContainerDef> defs;
  for (const auto& p : def.container_defs) defs.push_back(TRY(parse_container_def(p)));
  if (!def.boot.gates) {
    def.boot.gates.emplace();
    for (const auto& c : defs)
      if (c.restart == RestartPolicy::always) def.boot.gates->push_back(c.name);
    return {};
  }
  const toml::table* b = doc.root().get_as<toml::table>("boot");
  for (const auto& g : *def.boot.gates)
    if (std::ranges::none_of(defs, [&](const ContainerDef& c) { return c.name == g; }))
      return fail(doc.error_at(b ? b->get("gates") : nullptr,
                               fmt::format("[boot] gates: this image has no container '{}' "
                                           "(gates name containers of `containers`)",
                                           g)));
  return {};
}

// [update]: checked with the host's own parser, so a mistake fails the compose at its line
// instead of every host at boot; written out without the image-only "keys".
Result<void> parse_update(const TomlDoc& doc, ImageDef& def) {
  const toml::table* u = TRY(doc.get_table(doc.root(), "update"));
  if (!u) return {};
  update::UpdateConfig cfg;
  TRY(update::apply_update_table(doc, *u, "[update]", cfg, {"keys"}));
  fs::path base = fs::path(doc.path()).parent_path();
  for (const Located& k : TRY(located_array(doc, *u, "keys"))) {
    std::string p = fs::absolute(base / k.value).lexically_normal().string();
    if (!fs::exists(p))
      return fail_msg(
          fmt::format("{}: [update] keys: {} does not exist (a public key file "
                      "from keel-compose keygen --public)",
                      k.where, p));
    TRY_CTX(sign::load_public_keys(p), k.where);
    def.update_keys.push_back({p, k.where});
  }
  toml::table out = *u;
  out.erase("keys");
  std::ostringstream text;
  text << "# From " << def.path << " [update] (keel-compose). /etc/keel/update.toml on the\n"
       << "# host overrides it key by key (docs/UPDATES.md).\n"
       << out << "\n";
  def.update_toml = text.str();
  return {};
}

}  // namespace

Result<ImageDef> load_image_def(const std::string& path, const std::string& flavours_dir,
                                const std::string& flavour) {
  auto doc = TRY(TomlDoc::load_file(path));
  TRY(doc.reject_unknown_keys(doc.root(), "the image definition",
                              {"os", "kernel", "packages", "images", "containers", "disk", "host",
                               "hardware", "boot", "update"}));
  ImageDef def;
  def.path = path;
  def.variant = fs::path(path).stem().string();
  if (!flavour.empty()) def.variant += "-" + flavour;
  TRY(parse_os(doc, def));
  TRY(parse_kernel(doc, def, flavours_dir, flavour));
  def.hardware = TRY(hwcompat::parse_hardware(doc, def.kernel_flavour));
  TRY(check_flavour_targets(doc, flavours_dir));
  TRY(parse_packages(doc, def));
  TRY(parse_containers(doc, def));
  TRY(parse_host(doc, def));
  TRY(parse_update(doc, def));
  TRY(parse_disk(doc, def));
  TRY(parse_boot(doc, def));
  TRY(resolve_gates(doc, def));
  return def;
}

}  // namespace keel::compose
