// Replays saved inputs through a fuzz target without libFuzzer, so that the
// normal (gcc) build and `make test` run every seed and every kept crash
// input as a regression test.
//
// Usage: <target>_replay DIR_OR_FILE...
// Runs LLVMFuzzerTestOneInput once per file (files directly in each
// directory, in name order; names starting with '.' are skipped, so a
// .gitkeep holds an empty directory). A missing argument is an error, so a
// typo in a test's path cannot pass silently. An input that crashes the
// target crashes this program; the last "replaying" line names it.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace fs = std::filesystem;

namespace {

std::vector<fs::path> inputs_of(const fs::path& arg) {
  if (!fs::is_directory(arg))
    return {arg};
  std::vector<fs::path> files;
  for (auto& entry : fs::directory_iterator{arg})
    if (entry.is_regular_file()
        && entry.path().filename().string().front() != '.')
      files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s DIR_OR_FILE...\n", argv[0]);
    return 2;
  }
  std::size_t count = 0;
  for (int i = 1; i < argc; ++i) {
    fs::path arg{argv[i]};
    if (!fs::exists(arg)) {
      std::fprintf(stderr, "replay: %s does not exist\n", argv[i]);
      return 2;
    }
    for (auto& file : inputs_of(arg)) {
      std::ifstream in{file, std::ios::binary};
      std::vector<uint8_t> bytes{std::istreambuf_iterator<char>{in}, {}};
      std::fprintf(stderr, "replaying %s (%zu bytes)\n", file.c_str(),
                   bytes.size());
      // libFuzzer never passes a null pointer, even for an empty input.
      uint8_t empty = 0;
      LLVMFuzzerTestOneInput(bytes.empty() ? &empty : bytes.data(),
                             bytes.size());
      ++count;
    }
  }
  std::fprintf(stderr, "replay: %zu inputs, all passed\n", count);
  return 0;
}
