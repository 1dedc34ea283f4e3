#include "net/redis/reply.h"

#include <cstring>

namespace tierfs::net::redis {

bool Reply::ErrorIs(const char* prefix) const {
  size_t n = std::strlen(prefix);
  return type == Type::kError && str.compare(0, n, prefix) == 0 &&
         (str.size() == n || str[n] == ' ');
}

size_t Reply::Bytes() const {
  size_t n = sizeof(Reply) + str.capacity();
  for (const Reply& e : elems) n += e.Bytes();
  return n;
}

}  // namespace tierfs::net::redis
