// KernelNotifier: tells the kernel to drop cached attributes and dentries that another client
// changed (fuse_lowlevel_notify_inval_inode / _entry, libfuse3 fuse_lowlevel.h). The calls run
// on a thread of their own (a one-thread util/ThreadPool): libfuse warns that they may deadlock
// when made from a thread a request handler waits on (the kernel can hold the directory's lock
// for that request), and the metadata client's reader thread is such a thread.
//
// A notification the kernel answers with ENOENT (it holds no such inode or dentry) is sent again
// a few times over ~30 ms, from a second thread: the kernel may be about to install it. A LOOKUP
// reply read from the server just before another client's change is installed by the kernel
// after our reply is written; an invalidation that reaches the kernel before that finds nothing
// to drop, and the kernel would then keep the stale value for the whole attr/entry timeout (it
// guards attributes of inodes it already holds with attr_version, but not new inodes or
// dentries). A late repeat of an invalidation is always harmless.
//
// Thread-safety: Inode/Entry from any thread; they never block (a full queue drops the newest:
// the kernel's own attr/entry timeouts still bound what it keeps).
#pragma once

#ifndef FUSE_USE_VERSION
#define FUSE_USE_VERSION 34
#endif
#include <fuse_lowlevel.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "meta/types.h"
#include "util/thread_pool.h"

namespace tierfs::fuse {

class KernelNotifier {
 public:
  // `se` must stay valid until the notifier is destroyed (which joins its threads).
  explicit KernelNotifier(fuse_session* se, size_t max_queued = 65536);
  ~KernelNotifier();
  KernelNotifier(const KernelNotifier&) = delete;
  KernelNotifier& operator=(const KernelNotifier&) = delete;

  // The inode's attributes (and a directory's cached listing) are stale.
  void Inode(meta::Ino ino);
  // Entry `name` of `parent` is stale.
  void Entry(meta::Ino parent, const std::string& name);

  // Notifications repeated because the kernel answered ENOENT (for tests and metrics).
  uint64_t repeats() const;

 private:
  using Clock = std::chrono::steady_clock;
  struct Pending {
    meta::Ino ino;
    std::string name;  // empty: an inode notification
    int attempt;       // repeats done so far
    Clock::time_point due;
  };
  // Sends one notification; true when the kernel did not know it (ENOENT).
  bool Send(const Pending& p);
  void SendOrRepeat(Pending p);
  void RepeatLoop();

  fuse_session* se_;
  const size_t max_repeats_queued_;
  ThreadPool pool_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> repeats_;  // due times ascending (every delay of one attempt is the same)
  uint64_t repeated_ = 0;
  bool stopping_ = false;
  std::thread repeater_;
};

}  // namespace tierfs::fuse
