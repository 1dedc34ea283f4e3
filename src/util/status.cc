#include "util/status.h"

#include <cstring>

namespace tierfs {

std::string ErrnoName(int errnum) {
  if (const char* name = strerrorname_np(errnum)) return name;
  return std::to_string(errnum);
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  if (message_.empty()) return ErrnoName(code_) + ": " + std::strerror(code_);
  return ErrnoName(code_) + ": " + message_;
}

}  // namespace tierfs
