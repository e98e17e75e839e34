// Reading a machine's PCI devices: a live /sys, or lspci output from a machine
// that does not run Keel (pciutils' lspci(8): -n numeric, -nnmm machine-readable).
#include <fmt/format.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <charconv>
#include <filesystem>
#include <regex>

#include "keel/common/sys.hpp"
#include "keel/common/text.hpp"
#include "keel/hwcompat/report.hpp"

namespace keel::hwcompat {

namespace fs = std::filesystem;

namespace {

Result<uint32_t> read_hex(const fs::path& p) {
  auto text = TRY(sys::read_file(p.string()));
  std::string_view s = trim(text);
  if (s.ends_with('\n')) s.remove_suffix(1);
  if (s.starts_with("0x")) s.remove_prefix(2);
  uint32_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
  if (ec != std::errc() || ptr != s.data() + s.size())
    return fail_msg(fmt::format("{}: not a hex number: '{}'", p.string(), s));
  return v;
}

uint32_t hex(std::string_view s) {
  uint32_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v, 16);
  return v;
}

}  // namespace

Result<std::vector<HostDevice>> read_sysfs(const std::string& sys_root) {
  fs::path dir = fs::path(sys_root) / "bus/pci/devices";
  std::error_code ec;
  std::vector<HostDevice> out;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const fs::path& p = e.path();
    HostDevice d{p.filename().string()};
    d.id.vendor = static_cast<uint16_t>(TRY(read_hex(p / "vendor")));
    d.id.device = static_cast<uint16_t>(TRY(read_hex(p / "device")));
    d.id.subvendor = static_cast<uint16_t>(read_hex(p / "subsystem_vendor").value_or(0));
    d.id.subdevice = static_cast<uint16_t>(read_hex(p / "subsystem_device").value_or(0));
    d.id.class_code = TRY(read_hex(p / "class")) & 0xffffff;
    auto link = fs::read_symlink(p / "driver", ec);
    if (!ec) d.driver = link.filename().string();
    ec.clear();
    out.push_back(std::move(d));
  }
  if (ec) return fail(Error::from_errno("reading " + dir.string(), ec.value()));
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.slot < b.slot; });
  return out;
}

namespace {

std::optional<std::string> sys_path_of(const std::string& sys_root, dev_t dev) {
  fs::path link = fs::path(sys_root) / fmt::format("dev/block/{}:{}", major(dev), minor(dev));
  std::error_code ec;
  fs::path real = fs::canonical(link, ec);
  if (ec) return std::nullopt;
  return real.string();
}

}  // namespace

std::optional<std::string> root_block_device(const std::string& sys_root) {
  struct stat st {};
  if (::stat("/", &st) < 0 || major(st.st_dev) == 0) return std::nullopt;  // tmpfs, overlay
  return sys_path_of(sys_root, st.st_dev);
}

std::optional<std::string> block_device_sys_path(const std::string& sys_root,
                                                 const std::string& dev_node) {
  struct stat st {};
  if (::stat(dev_node.c_str(), &st) < 0 || !S_ISBLK(st.st_mode)) return std::nullopt;
  return sys_path_of(sys_root, st.st_rdev);
}

bool mark_root_controller(std::vector<HostDevice>& devs, const std::string& root_path) {
  bool any = false;
  for (auto& d : devs) {
    d.holds_root = root_path.find("/" + d.slot + "/") != std::string::npos;
    any = any || d.holds_root;
  }
  return any;
}

namespace {

// `lspci -nnmm`: 00:02.0 "Class [0100]" "Vendor [1af4]" "Device [1001]" -r01 -p00 "SubV [1af4]"
// "SubD [0002]". Quoted fields end in [hex] with -nn.
std::optional<HostDevice> parse_mm_line(std::string_view line) {
  static const std::regex quoted(R"("([^"]*)\"|(-[rp])([0-9a-fA-F]+))");
  std::string l(line);
  auto sp = l.find(' ');
  HostDevice d{l.substr(0, sp)};
  std::vector<std::string> fields;
  for (std::sregex_iterator it(l.begin() + static_cast<long>(sp), l.end(), quoted), end; it != end;
       ++it) {
    if ((*it)[2].matched) {
      if ((*it)[2] == "-p") d.id.class_code |= hex((*it)[3].str());
      continue;
    }
    std::string f = (*it)[1].str();
    auto lb = f.rfind('['), rb = f.rfind(']');
    fields.push_back(lb != std::string::npos && rb == f.size() - 1 ? f.substr(lb + 1, rb - lb - 1)
                                                                   : std::string());
  }
  if (fields.size() < 3 || fields[0].size() != 4 || fields[1].size() != 4 || fields[2].size() != 4)
    return std::nullopt;
  d.id.class_code |= hex(fields[0]) << 8;
  d.id.vendor = static_cast<uint16_t>(hex(fields[1]));
  d.id.device = static_cast<uint16_t>(hex(fields[2]));
  if (fields.size() >= 5 && fields[3].size() == 4 && fields[4].size() == 4) {
    d.id.subvendor = static_cast<uint16_t>(hex(fields[3]));
    d.id.subdevice = static_cast<uint16_t>(hex(fields[4]));
  }
  return d;
}

}  // namespace

Result<std::vector<HostDevice>> parse_lspci(std::string_view text, const std::string& path) {
  // lspci -n: "00:02.0 0100: 1af4:1001 (rev 01)", "(prog-if 02 ...)" with -v only.
  static const std::regex plain(
      R"(^(\S+) ([0-9a-fA-F]{4}): ([0-9a-fA-F]{4}):([0-9a-fA-F]{4})(.*)$)");
  static const std::regex progif(R"(\(prog-if ([0-9a-fA-F]{2}))");
  std::vector<HostDevice> out;
  int lineno = 0;
  for (std::string_view sv : split_lines(text)) {
    ++lineno;
    std::string line(trim(sv));
    if (line.empty()) continue;
    std::smatch m;
    if (line.find('"') != std::string::npos) {
      auto d = parse_mm_line(line);
      if (!d)
        return fail_msg(fmt::format("{}:{}: not a line of `lspci -nnmm` output", path, lineno));
      out.push_back(std::move(*d));
    } else if (std::regex_match(line, m, plain)) {
      HostDevice d{m[1].str()};
      d.id.vendor = static_cast<uint16_t>(hex(m[3].str()));
      d.id.device = static_cast<uint16_t>(hex(m[4].str()));
      d.id.class_code = hex(m[2].str()) << 8;
      d.id.class_known = 2;
      std::string rest = m[5].str();
      if (std::smatch pm; std::regex_search(rest, pm, progif)) {
        d.id.class_code |= hex(pm[1].str());
        d.id.class_known = 3;
      }
      out.push_back(std::move(d));
    } else {
      return fail_msg(fmt::format("{}:{}: not a line of `lspci -n` or `lspci -nnmm` output: '{}'",
                                  path, lineno, line));
    }
  }
  return out;
}

}  // namespace keel::hwcompat
