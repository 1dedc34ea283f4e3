// KernelNotifier: tells the kernel to drop cached attributes and dentries that another client
// changed (fuse_lowlevel_notify_inval_inode / _entry, libfuse3 fuse_lowlevel.h). The calls run
// on a thread of their own (a one-thread util/ThreadPool): libfuse warns that they may deadlock
// when made from a thread a request handler waits on (the kernel can hold the directory's lock
// for that request), and the metadata client's reader thread is such a thread.
//
// Thread-safety: Inode/Entry from any thread; they never block (a full queue drops the newest:
// the kernel's own attr/entry timeouts still bound what it keeps).
#pragma once

#ifndef FUSE_USE_VERSION
#define FUSE_USE_VERSION 34
#endif
#include <fuse_lowlevel.h>

#include <string>

#include "meta/types.h"
#include "util/thread_pool.h"

namespace tierfs::fuse {

class KernelNotifier {
 public:
  // `se` must stay valid until the notifier is destroyed (which joins its thread).
  explicit KernelNotifier(fuse_session* se, size_t max_queued = 65536)
      : se_(se), pool_(1, max_queued) {}
  ~KernelNotifier() { pool_.Stop(); }
  KernelNotifier(const KernelNotifier&) = delete;
  KernelNotifier& operator=(const KernelNotifier&) = delete;

  // The inode's attributes (and a directory's cached listing) are stale. ENOENT from the kernel
  // (it does not know the inode) is the common, harmless answer.
  void Inode(meta::Ino ino) {
    // off 0, len 0: attributes and the whole page cache (for a directory: its listing).
    (void)pool_.TrySubmit([se = se_, ino] { (void)fuse_lowlevel_notify_inval_inode(se, ino, 0, 0); });
  }
  // Entry `name` of `parent` is stale.
  void Entry(meta::Ino parent, const std::string& name) {
    if (name.empty()) return;
    (void)pool_.TrySubmit([se = se_, parent, name] {
      (void)fuse_lowlevel_notify_inval_entry(se, parent, name.data(), name.size());
    });
  }

 private:
  fuse_session* se_;
  ThreadPool pool_;
};

}  // namespace tierfs::fuse
