// BlockKey (chunk_store.h). Layout from FORMAT.md §3 (JuiceFS pkg/chunk/cached_store.go, key()):
//   plain:       chunks/{id/1000000}/{id/1000}/{id}_{indx}_{len}
//   hash-prefix: chunks/{id%256 as two upper-case hex digits}/{id/1000000}/{id}_{indx}_{len}
#include <cstdio>
#include <string>

#include "chunk/chunk_store.h"

namespace tierfs::chunk {

std::string BlockKey(uint64_t id, uint32_t indx, uint32_t len, bool hash_prefix) {
  char buf[128];
  int n;
  if (hash_prefix) {
    n = std::snprintf(buf, sizeof buf, "chunks/%02X/%llu/%llu_%u_%u",
                      static_cast<unsigned>(id % 256), static_cast<unsigned long long>(id / 1000000),
                      static_cast<unsigned long long>(id), indx, len);
  } else {
    n = std::snprintf(buf, sizeof buf, "chunks/%llu/%llu/%llu_%u_%u",
                      static_cast<unsigned long long>(id / 1000000),
                      static_cast<unsigned long long>(id / 1000),
                      static_cast<unsigned long long>(id), indx, len);
  }
  return std::string(buf, static_cast<size_t>(n));
}

}  // namespace tierfs::chunk
