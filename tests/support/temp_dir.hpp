#pragma once

// A fresh directory for one test's files (a database, a log), removed with
// everything in it when the test is done.

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>

namespace tenantd::test {

/// A fresh directory under the system's temporary directory, removed with
/// everything in it on destruction.
class temp_dir {
public:
  temp_dir() {
    auto pattern = (std::filesystem::temp_directory_path()
                    / "tenantd-test-XXXXXX")
                     .string();
    if (mkdtemp(pattern.data()) == nullptr)
      throw std::runtime_error("cannot create a directory like " + pattern);
    path_ = pattern;
  }

  ~temp_dir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }

  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  const std::string& path() const {
    return path_;
  }

private:
  std::string path_;
};

} // namespace tenantd::test
