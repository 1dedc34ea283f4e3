// Tracker: keeps the kernel's view coherent for what this client wrote itself. A write commits
// on a dedicated connection, which the server does not track, and the caller hands the values it
// wrote (attrs, dentries) to the kernel; so after each commit the keys are read again, tracked,
// on the shared connections (client-side cache), in the background. When the value read differs
// from what we wrote (another client changed it in between) the kernel is told at once; later
// changes arrive as invalidations. Without this, another client's later change to a key this
// client only wrote would never be announced to it.
//
// Thread-safety: Expect() from any thread; the callbacks run on the tracker's thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "net/redis/client.h"

namespace tierfs::meta::redis {

class Tracker {
 public:
  struct Expectation {
    net::redis::Command read;  // a single-key read, e.g. GET i5, HGET d1 name
    std::string key;
    std::optional<std::string> value;  // what we wrote; nullopt: we deleted it
    std::function<void()> stale;       // called when the value read differs (or the read fails)
  };
  // `client` must outlive the tracker.
  explicit Tracker(net::redis::Client* client, size_t max_queued = 1 << 16);
  ~Tracker();

  // Queues the checks; when the queue is full the `stale` callbacks run at once instead (the
  // kernel forgets the values, which is always safe).
  void Expect(std::vector<Expectation> items);

 private:
  void Loop();

  net::redis::Client* client_;
  size_t max_queued_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Expectation> queue_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace tierfs::meta::redis
