#include "util/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>

namespace tierfs {

int MakeParents(const std::string& path, mode_t mode) {
  for (size_t pos = path.find('/', 1); pos != std::string::npos; pos = path.find('/', pos + 1)) {
    if (mkdir(path.substr(0, pos).c_str(), mode) != 0 && errno != EEXIST) return errno;
  }
  return 0;
}

int WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    data.remove_prefix(size_t(n));
  }
  return 0;
}

int PreadAll(int fd, std::span<char> out, uint64_t off) {
  size_t got = 0;
  while (got < out.size()) {
    ssize_t n = pread(fd, out.data() + got, out.size() - got, off_t(off + got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    if (n == 0) return EIO;
    got += size_t(n);
  }
  return 0;
}

int FsyncDir(const std::string& dir) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno;
  int rc = fsync(fd) == 0 ? 0 : errno;
  close(fd);
  return rc;
}

double FreeRatioAfter(const std::string& path, uint64_t need) {
  struct statvfs v;
  if (statvfs(path.c_str(), &v) != 0 || v.f_blocks == 0) return 1.0;
  return (double(v.f_bavail) * double(v.f_frsize) - double(need)) /
         (double(v.f_blocks) * double(v.f_frsize));
}

}  // namespace tierfs
