#include "object/key.h"

#include <cstring>

namespace tierfs::object {

Status ValidateKey(std::string_view key) {
  auto bad = [&](const char* why) {
    return Status(EINVAL, "invalid object key '" + std::string(key) + "': " + why);
  };
  if (key.empty()) return bad("empty");
  if (key.front() == '/') return bad("starts with '/'");
  if (key.back() == '/') return bad("ends with '/'");
  if (key.find('\0') != std::string_view::npos) return bad("contains NUL");
  size_t start = 0;
  while (start <= key.size()) {
    size_t end = key.find('/', start);
    if (end == std::string_view::npos) end = key.size();
    std::string_view seg = key.substr(start, end - start);
    if (seg.empty()) return bad("empty segment");
    if (seg == "." || seg == "..") return bad("'.' or '..' segment");
    start = end + 1;
  }
  return Status::Ok();
}

Status StatusFromErrno(int os_errno, std::string_view op, std::string_view what) {
  int code;
  switch (os_errno) {
    case ENOENT:
    case ENOTDIR:
      code = ENOENT;
      break;
    case EACCES:
    case EPERM:
      code = EACCES;
      break;
    case EROFS:
      code = EROFS;
      break;
    case ENOSPC:
    case EDQUOT:
      code = ENOSPC;
      break;
    case ENAMETOOLONG:
      code = EINVAL;
      break;
    default:
      code = EIO;
  }
  return Status(code, std::string(op) + " " + std::string(what) + ": " + std::strerror(os_errno));
}

}  // namespace tierfs::object
