// The keel-hwcompat subcommands (main.cpp parses the command line).
#pragma once

#include <map>
#include <string>
#include <vector>

namespace keel::hwcompat::cli {

extern const char* const kUsage;

struct Args {
  std::map<std::string, std::vector<std::string>> opts;
  std::string get(const std::string& k, std::string dflt = {}) const {
    auto it = opts.find(k);
    return it == opts.end() ? dflt : it->second.back();
  }
};

int cmd_facts(const Args& a);
int cmd_report(const Args& a);
int cmd_matrix(const Args& a);
int cmd_firmware(const Args& a);

}  // namespace keel::hwcompat::cli
