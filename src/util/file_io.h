// Small POSIX file helpers shared by the local-disk layers (file object store, disk cache,
// write-back staging). Each returns 0 or the errno of the first failing call; EINTR is retried.
// Thread-safety: no shared state.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace tierfs {

// mkdir -p of every directory above `path` (its last component is not created), with `mode`.
int MakeParents(const std::string& path, mode_t mode = 0755);
// write(2) until all of `data` is written.
int WriteAll(int fd, std::string_view data);
// pread(2) of exactly out.size() bytes at `off`; EIO for a file that ends before that.
int PreadAll(int fd, std::span<char> out, uint64_t off);
// fsync(2) of directory `dir` (makes a rename or create inside it durable).
int FsyncDir(const std::string& dir);
// The fraction of the file system holding `path` that would be free (to unprivileged users)
// after writing `need` more bytes; 1.0 when statvfs fails (no known limit).
double FreeRatioAfter(const std::string& path, uint64_t need);

}  // namespace tierfs
