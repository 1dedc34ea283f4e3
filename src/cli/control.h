// Talking to a running mount through its .control file (vfs/control_file.cc protocol), and
// reading its .stats. Used by `tierfs flush`, `tierfs umount --flush` and `tierfs warmup`.
// Thread-safety: free functions, no shared state.
#pragma once

#include <cstdint>
#include <string>

#include "util/status.h"

namespace tierfs::cli {

// The mount point holding `path` (a file or directory inside a tierfs mount, or the mount
// point itself): the nearest ancestor whose ".control" is tierfs's control file. ENOENT when
// `path` does not exist, EINVAL when it is not inside a tierfs mount.
Result<std::string> MountRootOf(const std::string& path);

// Writes `command` to {mountpoint}/.control and returns the reply without "ok" and the newline
// ("" for a bare "ok"). The mount's error as Status(errno, message); EACCES when not root.
// Blocks until the mount has run the command.
Result<std::string> SendControl(const std::string& mountpoint, const std::string& command);

// The value of the first series of metric `name` in {mountpoint}/.stats; ENOENT when absent.
Result<double> ReadStat(const std::string& mountpoint, const std::string& name);

}  // namespace tierfs::cli
