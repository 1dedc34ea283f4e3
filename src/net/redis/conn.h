// Conn: one Redis connection after its handshake, used synchronously (dedicated leases,
// sentinels) or by a Pipe's writer and reader threads (pipelined shared connections).
//
// Handshake: HELLO 3 [AUTH user password]; when the server refuses HELLO (Redis < 6, or
// NOPROTO) it falls back to AUTH and RESP2. Then SELECT db (when db != 0) and, when tracking is
// asked for and the connection is RESP3, CLIENT TRACKING ON (default mode: every read on the
// connection is tracked; invalidations arrive as push frames on this connection).
// Errors: as Stream, plus EACCES (AUTH/HELLO refused: the password is never in the message),
// EINVAL (SELECT refused), EPROTO (malformed reply: the connection is unusable).
// Thread-safety: Next()/RoundTrip() by one thread; stream().Write() may run concurrently with
// Next() on another thread (the Pipe's writer), Shutdown() from any thread.
#pragma once

#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "net/redis/client.h"
#include "net/redis/resp.h"
#include "net/redis/stream.h"
#include "util/status.h"

namespace tierfs::net::redis {

using Clock = std::chrono::steady_clock;

class Conn {
 public:
  static Result<std::unique_ptr<Conn>> Open(const Endpoint& ep, const Options& opt,
                                            bool tracking);

  int resp() const { return resp_; }          // 2 or 3
  bool tracking() const { return tracking_; }  // CLIENT TRACKING ON succeeded
  const Endpoint& endpoint() const { return ep_; }
  Stream& stream() { return *stream_; }
  void Shutdown() { stream_->Shutdown(); }

  // Appends to *out the next reply (push frames included, is_push set) and every further
  // complete reply already received, waiting until `deadline` for the first. ETIMEDOUT when
  // none arrived in time (bytes of a partial reply stay buffered: calling again is fine).
  Status Next(Clock::time_point deadline, std::vector<Reply>* out);
  // Writes cmds in one go and reads one reply per command within timeout_ms. Push frames are
  // dropped (a synchronous connection has no tracking).
  Result<std::vector<Reply>> RoundTrip(std::span<const Command> cmds, int timeout_ms);

 private:
  Conn(Endpoint ep, std::unique_ptr<Stream> s) : ep_(std::move(ep)), stream_(std::move(s)) {}
  Status Hello(const Options& opt);
  Status Setup(const Options& opt, bool tracking);

  Endpoint ep_;
  std::unique_ptr<Stream> stream_;
  RespParser parser_;
  int resp_ = 3;
  bool tracking_ = false;
};

// True for the errors that mean "the client is not allowed": WRONGPASS, NOAUTH, NOPERM and
// the wordings of older servers.
bool IsAuthError(const Reply& r);

}  // namespace tierfs::net::redis
