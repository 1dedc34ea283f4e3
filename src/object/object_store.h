// ObjectStore: a flat key -> bytes store (tier 3), one backend per file (file_store, mem_store,
// s3_store for s3 and minio; azure, gs later), chosen by scheme through OpenObjectStore().
// Cross-cutting concerns (prefix, encryption, metrics, limits, retry, fault injection) are
// wrappers implementing this same interface.
// Model: JuiceFS pkg/object/interface.go, Arrow's FileSystem.
//
// Keys are relative, '/'-separated, never start with '/', never contain "." or ".." segments.
// Thread-safety: every method may be called concurrently.
//
// Errors: a Status whose errno every backend and wrapper chooses from this table, and whose
// message names the backend and the object (and, for a server, its own error text). The
// retry wrapper (retry_store.h IsTransient) retries the transient ones only.
//   permanent: the same request would fail the same way again
//     ENOENT    the object (or the bucket) does not exist (HTTP 404)
//     EINVAL    a bad key, range or argument; a request the server calls malformed (HTTP 400)
//     EACCES    not permitted: bad or missing credentials, denied by policy (HTTP 401, 403);
//               EPERM and EROFS likewise
//     ENOSPC    the backend is full; EDQUOT over a quota
//     EBADMSG   corrupt data: the object came back but is not what was stored (an AEAD tag or
//               a checksum that does not verify, a wrong length). Reading it again returns the
//               same bytes, so it is never retried; the chunk layer reports it as EIO naming
//               the key. Never wrong bytes instead.
//     ENOTSUP   the backend cannot do this operation
//     any errno not listed as transient
//   transient: may succeed when tried again
//     ETIMEDOUT one attempt outlived its timeout (StoreConfig get/put_timeout_ms); HTTP 408, 504
//     ECONNREFUSED, ECONNRESET, ECONNABORTED, EPIPE, ENETDOWN, ENETUNREACH, ENETRESET,
//     EHOSTDOWN, EHOSTUNREACH   the connection failed or broke (a name that does not resolve
//               is EHOSTUNREACH)
//     EBUSY     throttled: HTTP 429, 503 (S3 SlowDown, ServiceUnavailable: s3_reply.h), or a
//               conflicting operation in progress; EAGAIN likewise
//     EIO       a server error (HTTP 500, 502 and any other 5xx), a reply that does not parse,
//               a local I/O error
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
  // Milliseconds one attempt of a request may take (mount --get-timeout / --put-timeout,
  // JuiceFS's 60 s): get_timeout_ms bounds Get (and the reads Head, List), put_timeout_ms
  // bounds Put (and Delete, Create). An attempt that outlives it fails with ETIMEDOUT, which
  // the retry wrapper may try again. 0 = no bound. The file and mem backends ignore them.
  int64_t get_timeout_ms = 60'000;
  int64_t put_timeout_ms = 60'000;
};

// Builds the backend for config.storage. EINVAL names the unknown storage and lists the known.
Result<std::unique_ptr<ObjectStore>> OpenObjectStore(const StoreConfig& config);

// Wraps `inner` so that every key is `prefix + key` (JuiceFS pkg/object/prefix.go); the volume
// name plus '/' is the prefix of every object of a volume.
std::unique_ptr<ObjectStore> WithPrefix(std::unique_ptr<ObjectStore> inner, std::string prefix);

}  // namespace tierfs::object
