// The FUSE low-level adapter (libfuse3): each kernel request becomes one Vfs call and exactly
// one reply; errors cross as errno. Model: libfuse example/passthrough_hp.cc.
//
// Thread-safety: Run blocks the calling thread on libfuse's multi-threaded loop; Exit may be
// called from any thread (or a signal handler installed by libfuse).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "util/status.h"

namespace tierfs::vfs {
class Vfs;
}
namespace tierfs::metrics {
class Registry;
}

namespace tierfs::fuse {

struct FuseOptions {
  std::string mountpoint;
  std::string fsname = "tierfs";     // shown in /proc/mounts as the source
  std::vector<std::string> options;  // extra -o options (allow_other, ...)
  unsigned max_write = 1 << 20;      // bytes per FUSE write request (big writes)
  int max_threads = 16;              // libfuse worker threads
  metrics::Registry* registry = nullptr;  // FUSE op counters/latencies; not owned; may be null
};

// Mounts `vfs` at options.mountpoint and serves requests until unmounted or a signal
// (SIGINT/SIGTERM/SIGHUP) arrives. `on_mounted` runs once the kernel mount exists (used by
// `mount -d` to release the waiting parent). Returns EIO/EINVAL with a message if mounting fails.
Status RunFuse(vfs::Vfs* vfs, const FuseOptions& options, std::function<void()> on_mounted);

}  // namespace tierfs::fuse
