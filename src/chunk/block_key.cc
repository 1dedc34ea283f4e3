// BlockKey (chunk_store.h). Layout from FORMAT.md §3 (JuiceFS pkg/chunk/cached_store.go, key()):
//   plain:       chunks/{id/1000000}/{id/1000}/{id}_{indx}_{len}
//   hash-prefix: chunks/{id%256 as two upper-case hex digits}/{id/1000000}/{id}_{indx}_{len}
#include <cstdio>
#include <cstdint>
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

std::optional<uint32_t> BlockKeyLength(std::string_view key) {
  size_t us = key.rfind('_');
  if (us == std::string_view::npos || us + 1 >= key.size() || key.size() - us > 11) return std::nullopt;
  uint64_t v = 0;
  for (size_t i = us + 1; i < key.size(); i++) {
    if (key[i] < '0' || key[i] > '9') return std::nullopt;
    v = v * 10 + uint64_t(key[i] - '0');
  }
  if (v > UINT32_MAX) return std::nullopt;
  return uint32_t(v);
}

}  // namespace tierfs::chunk
