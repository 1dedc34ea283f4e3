// ObjectStore: a flat key -> bytes store (tier 3), one backend per file (file_store, mem_store,
// s3_store for s3 and minio; azure, gs later), chosen by scheme through OpenObjectStore(). Cross-cutting concerns
// (prefix, metrics, retry, fault injection) are wrappers implementing this same interface.
// Model: JuiceFS pkg/object/interface.go, Arrow's FileSystem.
//
// Keys are relative, '/'-separated, never start with '/', never contain "." or ".." segments.
// Errors (Status errno): ENOENT object missing; EINVAL bad key or range; EACCES/EROFS not
// permitted; ENOSPC backend full; network backends also ETIMEDOUT (a request timed out) and
// EBUSY (the service throttles), both worth a retry; EIO anything else (message names the
// backend and object, and a server's own error text when it sent one).
// Thread-safety: every method may be called concurrently.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace tierfs::object {

struct ObjectInfo {
  std::string key;
  uint64_t size = 0;   // bytes
  int64_t mtime = 0;   // unix seconds
};

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;

  // "file:///var/bucket/", "mem://": where the data lives, for logs and `status`.
  virtual std::string Describe() const = 0;

  // Bytes [off, off+limit) of the object; limit < 0 reads to the end. A range past the end is
  // clipped (a read at or past the end returns an empty string).
  virtual Result<std::string> Get(std::string_view key, uint64_t off = 0, int64_t limit = -1) = 0;
  // Stores the whole object atomically: readers see either the old object or the new one.
  virtual Status Put(std::string_view key, std::string_view data) = 0;
  // Deleting a missing object succeeds (idempotent), as on S3.
  virtual Status Delete(std::string_view key) = 0;
  virtual Result<ObjectInfo> Head(std::string_view key) = 0;
  // Objects whose key starts with `prefix`, in lexicographic key order, at most `limit`
  // (0 = all), starting after `marker`.
  virtual Result<std::vector<ObjectInfo>> List(std::string_view prefix, std::string_view marker = {},
                                               size_t limit = 0) = 0;
  // Makes the bucket usable (creates the directory / bucket); EACCES when it cannot.
  virtual Status Create() = 0;
};

// Options from `format`/`mount` needed to reach a backend.
struct StoreConfig {
  std::string storage;  // "file", "mem", "s3", "minio"
  std::string bucket;   // for file: a directory path (made absolute, ending in '/'); for
                        // s3/minio: an endpoint URL (s3_config.h)
  std::string access_key;
  std::string secret_key;
  std::string session_token;  // s3: sent as X-Amz-Security-Token
};

// Builds the backend for config.storage. EINVAL names the unknown storage and lists the known.
Result<std::unique_ptr<ObjectStore>> OpenObjectStore(const StoreConfig& config);

// Wraps `inner` so that every key is `prefix + key` (JuiceFS pkg/object/prefix.go); the volume
// name plus '/' is the prefix of every object of a volume.
std::unique_ptr<ObjectStore> WithPrefix(std::unique_ptr<ObjectStore> inner, std::string prefix);

}  // namespace tierfs::object
