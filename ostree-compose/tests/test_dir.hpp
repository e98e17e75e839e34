// A temporary directory for one test, removed when the test ends.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

class TestDir {
 public:
  TestDir() {
    char tmpl[] = "/tmp/keel-compose-test-XXXXXX";
    m_path = mkdtemp(tmpl);
  }
  ~TestDir() { std::filesystem::remove_all(m_path); }
  const std::string& path() const { return m_path; }
  std::string write(const std::string& rel, const std::string& text) const {
    std::string p = m_path + "/" + rel;
    std::filesystem::create_directories(std::filesystem::path(p).parent_path());
    std::ofstream(p) << text;
    return p;
  }

 private:
  std::string m_path;
};
