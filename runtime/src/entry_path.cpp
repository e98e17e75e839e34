// Archive entry names and OCI paths made relative and safe: see entry_path.hpp.
#include "entry_path.hpp"

namespace keel::runtime {

Result<std::string> clean_entry_path(std::string_view name) {
  // umoci writes the root directory as "/"; it is harmless, any other absolute name is not.
  if (name == "/") return "";
  if (name.starts_with('/')) return fail_msg("entry '" + std::string(name) + "' is absolute");
  std::string out;
  size_t pos = 0;
  while (pos <= name.size()) {
    size_t end = name.find('/', pos);
    if (end == std::string_view::npos) end = name.size();
    std::string_view comp = name.substr(pos, end - pos);
    if (comp == "..") return fail_msg("entry '" + std::string(name) + "' has a '..' component");
    if (!comp.empty() && comp != ".") {
      if (!out.empty()) out += '/';
      out += comp;
    }
    pos = end + 1;
  }
  return out;
}

}  // namespace keel::runtime
