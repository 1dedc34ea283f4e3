// RESP2/RESP3 wire format (https://redis.io/docs/reference/protocol-spec/): the command encoder
// and an incremental reply parser of our own (hiredis 0.14 cannot read RESP3).
//
// The parser is fed whatever bytes the socket returned and yields complete replies in order;
// a reply split anywhere (even inside "\r\n") waits for more bytes. A malformed stream is an
// EPROTO Status (the connection must then be dropped: later bytes cannot be framed), never a
// crash: nesting depth and lengths are bounded.
// Thread-safety: a RespParser belongs to one thread (the connection's reader).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "net/redis/client.h"
#include "net/redis/reply.h"
#include "util/status.h"

namespace tierfs::net::redis {

// Appends `cmd` as a RESP array of bulk strings (the only form servers accept from clients).
void EncodeCommand(const Command& cmd, std::string* out);

class RespParser {
 public:
  // Bounds on what a server may send; beyond them the stream is treated as corrupt.
  static constexpr size_t kMaxDepth = 64;
  static constexpr int64_t kMaxBulk = int64_t{512} << 20;  // Redis's proto-max-bulk-len

  void Feed(std::string_view bytes);
  // The next complete reply; nullopt when more bytes are needed; EPROTO on garbage.
  Result<std::optional<Reply>> Next();
  // Bytes fed but not yet consumed as replies.
  size_t buffered() const { return buf_.size() - pos_; }

 private:
  std::string buf_;
  size_t pos_ = 0;   // start of the first unconsumed reply in buf_
  size_t need_ = 0;  // buf_ must reach this size before a parse can complete
};

}  // namespace tierfs::net::redis
