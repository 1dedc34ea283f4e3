#include "fuse/fuse_server.h"

#include <memory>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "fuse/fuse_ops.h"
#include "fuse/kernel_notifier.h"
#include "vfs/vfs.h"
#include "fuse/op_metrics.h"

namespace tierfs::fuse {

Status RunFuse(vfs::Vfs* vfs, const FuseOptions& options, std::function<void()> on_mounted) {
  std::vector<std::string> args = {"tierfs", "-o", "fsname=" + options.fsname,
                                   "-o", "subtype=tierfs", "-o", "default_permissions"};
  for (const auto& o : options.options) {
    args.push_back("-o");
    args.push_back(o);
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  fuse_args fargs = FUSE_ARGS_INIT(int(argv.size()), argv.data());

  std::unique_ptr<OpMetrics> metrics;
  if (options.registry) metrics = std::make_unique<OpMetrics>(options.registry);
  MountContext mc{vfs, &options, metrics.get()};

  fuse_session* se = fuse_session_new(&fargs, &LowLevelOps(), sizeof(fuse_lowlevel_ops), &mc);
  if (se == nullptr) return Status(EINVAL, "invalid FUSE options");
  if (fuse_set_signal_handlers(se) != 0) {
    fuse_session_destroy(se);
    return Status(EIO, "cannot install signal handlers");
  }
  if (fuse_session_mount(se, options.mountpoint.c_str()) != 0) {
    fuse_remove_signal_handlers(se);
    fuse_session_destroy(se);
    return Status(EIO, "cannot mount FUSE at " + options.mountpoint);
  }
  auto notifier = std::make_unique<KernelNotifier>(se);
  vfs->SetNotifier({[n = notifier.get()](meta::Ino ino) { n->Inode(ino); },
                    [n = notifier.get()](meta::Ino p, const std::string& name) { n->Entry(p, name); }});
  if (on_mounted) on_mounted();
  fuse_loop_config cfg{};
  cfg.clone_fd = 0;
  cfg.max_idle_threads = unsigned(options.max_threads);
  int rc = fuse_session_loop_mt(se, &cfg);
  vfs->SetNotifier({});
  notifier.reset();
  fuse_session_unmount(se);
  fuse_remove_signal_handlers(se);
  fuse_session_destroy(se);
  if (rc < 0) return Status(-rc, "FUSE loop ended with an error");
  return Status::Ok();
}

}  // namespace tierfs::fuse
