// KernelNotifier: tells the kernel to drop cached attributes and dentries that another client
// changed (fuse_lowlevel_notify_inval_inode / _entry, libfuse3 fuse_lowlevel.h). The calls run
// on a thread of their own: libfuse warns that they may deadlock when made from a thread a
// request handler waits on (the kernel can hold the directory's lock for that request), and the
// metadata client's reader thread is such a thread.
//
// Thread-safety: Inode/Entry from any thread; they never block (a full queue drops the newest:
// the kernel's own attr/entry timeouts still bound what it keeps).
#pragma once

#ifndef FUSE_USE_VERSION
#define FUSE_USE_VERSION 34
#endif
#include <fuse_lowlevel.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "meta/types.h"

namespace tierfs::fuse {

class KernelNotifier {
 public:
  // `se` must stay valid until the notifier is destroyed (which joins its thread).
  explicit KernelNotifier(fuse_session* se, size_t max_queued = 65536);
  ~KernelNotifier();
  KernelNotifier(const KernelNotifier&) = delete;
  KernelNotifier& operator=(const KernelNotifier&) = delete;

  // The inode's attributes (and a directory's cached listing) are stale.
  void Inode(meta::Ino ino);
  // Entry `name` of `parent` is stale.
  void Entry(meta::Ino parent, const std::string& name);

 private:
  struct Item {
    meta::Ino ino;
    std::string name;  // empty: an inode
  };
  void Push(Item it);
  void Loop();

  fuse_session* se_;
  size_t max_queued_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> queue_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace tierfs::fuse
