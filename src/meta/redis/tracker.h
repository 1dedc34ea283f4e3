// Tracker: keeps the kernel's view coherent for what this client wrote itself. A write commits
// on a dedicated connection, which the server does not track, and the caller hands the values it
// wrote (attrs, dentries) to the kernel; so after each commit the keys are read again, tracked,
// on the shared connections (client-side cache), in the background. When the value read differs
// from what we wrote (another client changed it in between) the kernel is told at once; later
// changes arrive as invalidations. Without this, another client's later change to a key this
// client only wrote would never be announced to it.
//
// Thread-safety: Expect() from any thread; the callbacks run on the tracker's thread (a
// one-thread util/ThreadPool).
#pragma once

#include <functional>
#include <mutex>
#include <unordered_map>
#include <optional>
#include <string>
#include <vector>

#include "net/redis/client.h"
#include "util/thread_pool.h"

namespace tierfs::meta::redis {

class Tracker {
 public:
  struct Expectation {
    net::redis::Command read;  // a single-key read, e.g. GET i5, HGET d1 name
    std::string key;
    std::optional<std::string> value;  // what we wrote; nullopt: we deleted it
    std::function<void()> stale;       // called when the value read differs (or the read fails)
  };
  // `client` must outlive the tracker. `max_queued`: commits waiting to be checked.
  explicit Tracker(net::redis::Client* client, size_t max_queued = 4096)
      : client_(client), pool_(1, max_queued) {}
  ~Tracker() { pool_.Stop(); }

  // Queues the checks of one commit; when the queue is full the `stale` callbacks run at once
  // instead (the kernel forgets the values, which is always safe).
  void Expect(std::vector<Expectation> items);

 private:
  struct Queued {
    Expectation e;
    uint64_t gen;  // this commit's number for what e reads
  };
  void Check(const std::vector<Queued>& items);

  net::redis::Client* client_;
  std::mutex mu_;
  // For each read with a check queued (command and arguments): the number of our latest commit
  // that wrote it. Only the
  // check of the latest one runs: an older one would compare the server's value with one we
  // have since overwritten ourselves and tell the kernel to drop what it holds for nothing
  // (its page cache, for an inode).
  std::unordered_map<std::string, uint64_t> latest_;
  uint64_t next_gen_ = 0;
  ThreadPool pool_;
};

}  // namespace tierfs::meta::redis
