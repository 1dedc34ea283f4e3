// Reply: one RESP2/RESP3 value (https://redis.io/docs/reference/protocol-spec/).
// Thread-safety: a value.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tierfs::net::redis {

struct Reply {
  enum class Type : uint8_t {
    kNil,      // RESP2 $-1 / *-1, RESP3 _
    kStatus,   // +OK
    kError,    // -ERR ..., !<len> (blob error): text in str
    kInteger,  // :n, in integer
    kString,   // $ bulk / = verbatim (without its 4-byte format prefix)
    kArray,    // * ; ~ (set) and > (push) too, see is_push
    kMap,      // % : elems holds key, value, key, value, ...
    kDouble,   // , : text in str
    kBool,     // # : integer 0/1
    kBigNum,   // ( : text in str
  };
  Type type = Type::kNil;
  bool is_push = false;  // a RESP3 push frame (">"): never a reply to a command
  std::string str;
  int64_t integer = 0;
  std::vector<Reply> elems;

  bool IsNil() const { return type == Type::kNil; }
  bool IsError() const { return type == Type::kError; }
  // "NOSCRIPT No matching script..." -> true for prefix "NOSCRIPT".
  bool ErrorIs(const char* prefix) const;
  // Estimated bytes held (cache accounting).
  size_t Bytes() const;
};

}  // namespace tierfs::net::redis
