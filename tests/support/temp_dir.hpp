#pragma once

// A fresh directory for one test's files (a database, a log), removed with
// everything in it when the test is done.

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>

namespace tenantd::test {

/// Where temp_dir makes its directories: the system's temporary directory,
/// or tmpfs (for a fuzz target's many short-lived databases, whose fsyncs
/// would otherwise dominate).
enum class temp_place { system, memory };

/// A fresh directory, removed with everything in it on destruction.
class temp_dir {
public:
  explicit temp_dir(temp_place place = temp_place::system) {
    std::filesystem::path shm{"/dev/shm"};
    auto base = place == temp_place::memory && std::filesystem::is_directory(shm)
                  ? shm
                  : std::filesystem::temp_directory_path();
    auto pattern = (base / "tenantd-test-XXXXXX").string();
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
