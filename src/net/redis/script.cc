#include <openssl/sha.h>

#include "net/redis/client.h"

namespace tierfs::net::redis {

// Redis names a script by the lower-case hex SHA1 of its text.
Script::Script(std::string body) : body_(std::move(body)) {
  unsigned char md[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(body_.data()), body_.size(), md);
  static const char* hex = "0123456789abcdef";
  for (unsigned char b : md) {
    sha1_.push_back(hex[b >> 4]);
    sha1_.push_back(hex[b & 15]);
  }
}

}  // namespace tierfs::net::redis
