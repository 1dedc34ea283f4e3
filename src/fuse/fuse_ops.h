// Private to src/fuse: the fuse_lowlevel_ops table and its per-mount context.
#pragma once

#define FUSE_USE_VERSION 34
#include <fuse_lowlevel.h>

#include "fuse/fuse_server.h"

namespace tierfs::fuse {

struct OpMetrics;

struct MountContext {
  vfs::Vfs* vfs = nullptr;
  const FuseOptions* options = nullptr;
  OpMetrics* metrics = nullptr;
};

const fuse_lowlevel_ops& LowLevelOps();

}  // namespace tierfs::fuse
