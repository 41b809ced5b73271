#include "crypto/secret_file.hpp"

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/random.hpp"

namespace tenantd::crypto {

namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw std::runtime_error(path + ": " + what + ": " + std::strerror(errno));
}

std::string read_token(const std::string& path, int fd,
                       const std::string& what) {
  struct stat st{};
  if (::fstat(fd, &st) != 0)
    fail(path, "cannot stat " + what + " file");
  if ((st.st_mode & 077) != 0) {
    errno = EPERM;
    fail(path, what + " file is readable by group or others (chmod 600 it)");
  }
  std::string text(256 + 2, '\0');
  auto n = ::read(fd, text.data(), text.size());
  if (n < 0)
    fail(path, "cannot read " + what + " file");
  text.resize(static_cast<std::size_t>(n));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
    text.pop_back();
  if (text.size() < 16 || text.size() > 256
      || text.find_first_of(" \t\r\n") != std::string::npos) {
    errno = EINVAL;
    fail(path, what + " file must hold one token of 16-256 visible "
                      "characters");
  }
  return text;
}

} // namespace

std::pair<std::string, bool> read_or_create_secret(const std::string& path,
                                                   const std::string& what) {
  if (int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC); fd >= 0) {
    try {
      auto value = read_token(path, fd, what);
      ::close(fd);
      return {value, false};
    } catch (...) {
      ::close(fd);
      throw;
    }
  }
  if (errno != ENOENT)
    fail(path, "cannot open " + what + " file");
  // O_EXCL: never overwrite a secret someone else just wrote.
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    fail(path, "cannot create " + what + " file");
  auto value = random_hex(32); // 256 bits
  auto line = value + "\n";
  bool ok = ::write(fd, line.data(), line.size())
              == static_cast<ssize_t>(line.size())
            && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok)
    fail(path, "cannot write " + what + " file");
  return {value, true};
}


} // namespace tenantd::crypto
