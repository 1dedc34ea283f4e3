#include "cli/control.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "vfs/inode_state.h"

namespace tierfs::cli {
namespace {

bool IsControl(const std::string& dir) {
  struct stat st;
  return ::stat((dir + "/.control").c_str(), &st) == 0 && st.st_ino == vfs::kControlIno;
}

}  // namespace

Result<std::string> MountRootOf(const std::string& path) {
  std::error_code ec;
  std::filesystem::path p = std::filesystem::absolute(path, ec).lexically_normal();
  struct stat st;
  if (ec || ::stat(p.c_str(), &st) != 0) return Err(ENOENT, path + ": " + std::strerror(errno));
  if (!S_ISDIR(st.st_mode)) p = p.parent_path();
  for (;;) {
    std::string dir = p.string();
    if (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    if (IsControl(dir)) return dir;
    if (p == p.root_path() || p.empty()) break;
    p = p.parent_path();
  }
  return Err(EINVAL, path + " is not inside a tierfs mount");
}

Result<std::string> SendControl(const std::string& mountpoint, const std::string& command) {
  const std::string path = mountpoint + "/.control";
  int fd = open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return Err(errno, "cannot open " + path + ": " + std::strerror(errno));
  ssize_t n = write(fd, command.data(), command.size());
  if (n != ssize_t(command.size())) {
    int e = n < 0 ? errno : EIO;
    close(fd);
    return Err(e, "command to " + path + " failed: " + std::strerror(e));
  }
  std::string reply;
  char buf[4096];
  off_t off = 0;
  while ((n = pread(fd, buf, sizeof buf, off)) > 0) {
    reply.append(buf, size_t(n));
    off += n;
  }
  close(fd);
  if (reply.ends_with('\n')) reply.pop_back();
  if (reply == "ok") return std::string();
  if (reply.starts_with("ok ")) return reply.substr(3);
  if (reply.starts_with("error ")) {
    std::istringstream in(reply.substr(6));
    int code = EIO;
    in >> code;
    std::string msg;
    std::getline(in, msg);
    if (!msg.empty() && msg[0] == ' ') msg.erase(0, 1);
    return Err(code, msg);
  }
  return Err(EIO, "unexpected reply from " + path + ": " + reply);
}

Result<double> ReadStat(const std::string& mountpoint, const std::string& name) {
  std::ifstream in(mountpoint + "/.stats");
  if (!in) return Err(ENOENT, "cannot read " + mountpoint + "/.stats");
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with(name)) continue;
    size_t rest = name.size();
    if (rest < line.size() && line[rest] != ' ' && line[rest] != '{') continue;
    size_t sp = line.rfind(' ');
    if (sp == std::string::npos) continue;
    return std::strtod(line.c_str() + sp + 1, nullptr);
  }
  return Err(ENOENT, name + " not in " + mountpoint + "/.stats");
}

}  // namespace tierfs::cli
