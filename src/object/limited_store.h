// WithLimits: an ObjectStore wrapper that bounds what a mount asks of its object storage, as
// JuiceFS's cachedStore does (research notes section 4):
//   concurrency  at most max_uploads PUTs and max_downloads GETs in flight (--max-uploads 20,
//                --max-downloads 200); a request beyond that waits for a slot. Other
//                methods are not bounded here (deletes have the chunk layer's --max-deletes).
//   bandwidth    --upload-limit / --download-limit, each a token bucket in bytes/s: a PUT waits
//                for len(data) tokens before it starts; a ranged GET for its `limit` before,
//                a whole-object GET for the bytes it returned, after (their size is unknown
//                before). As JuiceFS, the bucket fills at 0.85 x the limit (the rest is left for
//                the HTTP/TCP/IP overhead, so that the wire stays under the limit) and holds a
//                tenth of a second of it.
// The slot is taken after the tokens: a request waiting for bandwidth holds no slot.
//
// Errors: the inner store's, unchanged; waiting never fails. Ownership: owns `inner`;
// limits.sleeper is not owned and must outlive the store. Thread-safety: as the inner store.
#pragma once

#include <cstdint>
#include <memory>

#include "object/object_store.h"
#include "util/sleeper.h"

namespace tierfs::object {

struct Limits {
  int max_uploads = 20;     // PUTs in flight; <= 0 = unbounded
  int max_downloads = 200;  // GETs in flight; <= 0 = unbounded
  int64_t upload_bytes_per_sec = 0;    // 0 = unlimited (util/units.h MbpsToBytesPerSec)
  int64_t download_bytes_per_sec = 0;  // 0 = unlimited
  Sleeper* sleeper = RealSleeper();    // the token buckets' clock and sleep
};

std::unique_ptr<ObjectStore> WithLimits(std::unique_ptr<ObjectStore> inner, const Limits& limits);

}  // namespace tierfs::object
