// Pipe: one shared, automatically pipelined connection (rueidis pipe.go).
//
// Callers on any thread Submit() requests (a request is 1..n commands written contiguously and
// answered by n replies). One writer thread writes EVERYTHING queued since its last write in one
// go (no timer, no fixed batch: a burst costs one write). One reader thread parses the replies
// in order and completes requests; RESP3 push frames are handed to PipeEvents inline, in order
// with the replies around them, and are never taken as replies.
//
// Failure: a request with no reply within read_timeout_ms fails ETIMEDOUT; a broken socket,
// a write timeout or a protocol desync fails every written and queued request with EIO. In each
// case the connection is dropped (later replies could not be matched) and the reader thread
// reconnects with exponential backoff and jitter (min/max_retry_backoff_ms); while it is down,
// Submit fails at once with EIO. Requests are never replayed here (Client::Do retries reads).
// Back-pressure: at most max_queued requests queued or in flight; Submit blocks up to
// write_timeout_ms for room, then fails EAGAIN.
// Thread-safety: all public methods are thread-safe. Completions run on the reader thread or on
// the thread that failed the request: they must be short and must not Submit and wait.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "net/redis/conn.h"

namespace tierfs::net::redis {

struct Request {
  std::string wire;  // the encoded commands
  size_t n = 1;      // replies expected
  std::vector<Reply> replies;
  std::function<void(Result<std::vector<Reply>>)> done;  // called exactly once
  Clock::time_point deadline;                            // set when written
};

// Counters shared by the pipes of one client.
struct PipeCounters {
  std::atomic<uint64_t> commands{0}, writes{0}, reconnects{0};
  std::atomic<uint64_t> direct_batches{0};  // batches the submitting thread wrote itself
};

// What a pipe tells its owner (the client cache), always outside the pipe's lock.
class PipeEvents {
 public:
  virtual ~PipeEvents() = default;
  virtual void OnPush(size_t pipe, const Reply& push) = 0;
  // The connection was lost or replaced: its tracking state is gone.
  virtual void OnReset(size_t pipe) = 0;
};

// Where to connect now (fixed, or asked from Sentinel).
using Resolver = std::function<Result<Endpoint>()>;

// The first MOVED error among `replies` (Redis Cluster: the slot is served by another node, so
// the command did not run), or null.
const Reply* Moved(const std::vector<Reply>& replies);

class Pipe {
 public:
  Pipe(size_t index, const Options& opt, Resolver resolve, bool tracking, PipeCounters* counters,
       PipeEvents* events);
  ~Pipe();  // fails what is pending with EIO
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;

  // Connects the first time (synchronously) and starts the threads.
  Status Start();
  // Queues the requests contiguously (one write, in this order) or fails each through done.
  // When nothing is queued and no write is under way, the calling thread writes them itself
  // (the synchronous fast path: no hand-off to the writer thread).
  void Submit(std::vector<std::unique_ptr<Request>> reqs);
  // Waits up to timeout_ms until the pipe is connected. False on timeout or when stopped.
  bool WaitConnected(int timeout_ms);
  // The current connection speaks RESP3 with tracking on (the cache may use it).
  bool tracking() const { return tracking_.load(); }
  size_t index() const { return index_; }

 private:
  using Conns = std::shared_ptr<Conn>;
  void WriterLoop();
  void ReaderLoop();
  // Reads and dispatches until the connection fails; returns why.
  Status ReadUntilError(const Conns& c, uint64_t gen);
  Status Dispatch(std::vector<Reply>& replies);
  // Drops connection `gen` (if still current) and fails its requests: in flight with
  // `inflight_err`, queued with EIO.
  void Fail(uint64_t gen, const Status& inflight_err);
  // Moves `reqs` (or the queue) in flight and writes them on this thread. REQUIRES: lock held
  // on entry, writing_ false; released during the write and on return.
  void WriteBatch(std::unique_lock<std::mutex>& lock, std::deque<std::unique_ptr<Request>>& batch);
  void Reconnect();
  Result<Conns> Dial();

  const size_t index_;
  const Options opt_;
  const Resolver resolve_;
  const bool want_tracking_;
  PipeCounters* counters_;
  PipeEvents* events_;

  std::mutex mu_;
  std::condition_variable work_cv_;   // writer: queue non-empty, connected, or stop
  std::condition_variable space_cv_;  // submitters: room in the queue
  std::condition_variable state_cv_;  // WaitConnected
  std::deque<std::unique_ptr<Request>> queued_, inflight_;
  Conns conn_;        // null while disconnected
  uint64_t gen_ = 0;  // bumped on every connect and every failure
  bool stop_ = false;
  bool writing_ = false;  // a thread (the writer or a submitter) is writing to conn_
  std::atomic<bool> tracking_{false};
  std::thread writer_, reader_;
};

}  // namespace tierfs::net::redis
