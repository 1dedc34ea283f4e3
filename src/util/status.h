// Status and Result<T>: the one error type of tierfs.
//
// Every fallible function below the CLI returns Status or Result<T>. The error code is a POSIX
// errno (ENOENT, EIO, ...) because the metadata API has POSIX semantics and the FUSE adapter
// replies errno; the message says which object, server or file failed and why.
// No exceptions cross a layer boundary: only the CLI (src/cli) throws or exits.
//
// Thread-safety: values; safe to copy between threads.
#pragma once

#include <cerrno>
#include <expected>
#include <string>
#include <utility>

namespace tierfs {

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(int errnum, std::string message) : code_(errnum), message_(std::move(message)) {}

  // Lets `return Err(...)` work in functions that return Status as well as Result<T>.
  Status(std::unexpected<Status> e) : Status(std::move(e.error())) {}  // NOLINT: implicit

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == 0; }
  // The errno of the failure; 0 when ok().
  int code() const { return code_; }
  const std::string& message() const { return message_; }
  // "ENOENT: no such dentry 'a' in inode 1", or "OK".
  std::string ToString() const;

 private:
  int code_ = 0;
  std::string message_;
};

template <class T>
using Result = std::expected<T, Status>;

// Shorthand for returning an error from a function returning Result<T> or Status:
//   return Err(ENOENT, "no dentry");
inline std::unexpected<Status> Err(int errnum, std::string message = {}) {
  return std::unexpected<Status>(Status(errnum, std::move(message)));
}
inline std::unexpected<Status> Err(Status s) { return std::unexpected<Status>(std::move(s)); }

// The symbolic name of an errno ("ENOENT"), or its number as text when unknown.
std::string ErrnoName(int errnum);

}  // namespace tierfs

// Propagate a failed Status / Result from an expression. Usable in functions returning either
// Status or Result<U>.
#define TIERFS_CONCAT_INNER(a, b) a##b
#define TIERFS_CONCAT(a, b) TIERFS_CONCAT_INNER(a, b)
#define RETURN_IF_ERROR(expr)                                    \
  do {                                                           \
    ::tierfs::Status _st = ::tierfs::internal::ToStatus((expr)); \
    if (!_st.ok()) return ::tierfs::Err(std::move(_st));         \
  } while (0)
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL(TIERFS_CONCAT(_res_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr)          \
  auto tmp = (expr);                                   \
  if (!tmp.has_value()) return ::tierfs::Err(std::move(tmp.error())); \
  lhs = std::move(*tmp)

namespace tierfs::internal {
inline Status ToStatus(Status s) { return s; }
template <class T>
Status ToStatus(const Result<T>& r) {
  return r.has_value() ? Status() : r.error();
}
}  // namespace tierfs::internal
