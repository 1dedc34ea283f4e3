// Deleter: deletes the data of freed files in the background, at most `threads` at a time
// (MetaOptions::max_deletes), so that unlink never waits for the object store. Enqueue never
// blocks; an inode already queued or running is not queued twice. The queue holds inode
// numbers only (8 bytes per file: an `rm -rf` of 80k files queues 640 KB).
//
// The work function does the whole JuiceFS sequence for one inode (the jfs_delfile row was
// written by the unlink transaction; chunks are deleted, then the row), so an inode left in
// the queue at a crash is found again from its row.
//
// Thread-safety: all methods. Stop() must not be called from the work function.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "meta/types.h"
#include "util/status.h"

namespace tierfs::meta {

class Deleter {
 public:
  // threads == 0: Enqueue drops everything (the rows wait for another pass).
  Deleter(size_t threads, std::function<Status(Ino)> work);
  ~Deleter();
  Deleter(const Deleter&) = delete;
  Deleter& operator=(const Deleter&) = delete;

  // Returns false when the inode was not queued (no threads, stopped, or already pending).
  bool Enqueue(Ino ino);
  // Waits until nothing is queued or running; returns (and forgets) the first error of a
  // work call since the last Drain.
  Status Drain();
  // Drops what is still queued (its rows stay), waits for running work, joins the threads.
  void Stop();
  size_t threads() const { return threads_.size(); }

 private:
  void Work();
  std::function<Status(Ino)> work_;
  std::mutex mu_;
  std::condition_variable has_work_;
  std::condition_variable idle_;
  std::deque<Ino> queue_;
  std::set<Ino> pending_;  // queued or running
  size_t running_ = 0;
  Status first_error_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace tierfs::meta
