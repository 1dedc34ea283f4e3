// GcsStore: the `gs` storage, an ObjectStore over the Cloud Storage JSON API (Google's
// reference: Objects insert (media and resumable uploads), get (alt=media for the bytes),
// delete, list; Buckets insert), authorized with OAuth 2.0 bearer tokens (gcs_auth.h) or
// not at all for an emulator, sent through net/http's HttpClient. Where the bucket is and
// the credentials come from GcsLocation (gcs_config.h). Model: JuiceFS pkg/object/gs.go.
//
// Behaviour:
// - Put: one media upload (uploadType=media) up to GcsOptions::resumable_threshold bytes;
//   above it a resumable upload (uploadType=resumable, then PUTs of chunk_size bytes with
//   Content-Range, 308 until the last), cancelled (DELETE of the session) when it fails.
//   The object appears when the last chunk lands; readers see the old one until then.
// - Get: alt=media with Range "bytes=OFF-END" unless the whole object is asked for; a 416
//   (offset at or past the end) is an empty result. limit 0 is a Head.
// - Head: the object's metadata (size, updated).
// - Delete: a missing object succeeds, a missing bucket is ENOENT (a 404 is told apart by a
//   one-object listing, as the JSON API's 404s do not say which is missing).
// - List: pages of GcsOptions::list_page_size (maxResults) with the prefix and
//   startOffset = marker (inclusive in GCS: the marker itself is dropped here, as JuiceFS
//   needs too), following nextPageToken. Names leaving the prefix or going backwards are EIO.
// - Create: a one-object listing; when that fails, Buckets insert (project from
//   GcsLocation::project, location from the bucket's region); "You already own this bucket"
//   (409) counts as success, as in JuiceFS.
//
// Errors: as gcs_reply.h says for replies (403 -> EACCES with the server's message, 404 ->
// ENOENT, 429/503 -> EBUSY, 5xx -> EIO); token failures as gcs_auth.h says; transport
// failures as transport_error.h says; EINVAL for a bad key. No retries here (a wrapper's job).
// Thread-safety: all methods may be called concurrently (the HttpClient and the TokenSource
// are thread-safe; the store has no other mutable state).
#pragma once

#include <ctime>
#include <functional>
#include <memory>
#include <string>

#include "net/http/http_client.h"
#include "object/gcs_auth.h"
#include "object/gcs_config.h"
#include "object/object_store.h"

namespace tierfs::object {

struct GcsOptions {
  net::http::HttpOptions http;
  // Objects larger than this (bytes) go up in a resumable upload; the volume's blocks
  // (<= 16 MiB) always fit in one media upload.
  size_t resumable_threshold = 32 << 20;
  // Bytes per resumable chunk: GCS wants a multiple of 256 KiB (but the last); rounded up here.
  size_t chunk_size = 16 << 20;
  size_t list_page_size = 1000;  // maxResults per Objects: list request (GCS's own maximum)
  // The clock token expiries are read on (unix seconds); tests move it on.
  std::function<std::time_t()> now = [] { return std::time(nullptr); };
};

class GcsStore final : public ObjectStore {
 public:
  GcsStore(GcsLocation location, GcsOptions options = {});

  std::string Describe() const override { return loc_.Describe(); }
  Result<std::string> Get(std::string_view key, uint64_t off = 0, int64_t limit = -1) override;
  Status Put(std::string_view key, std::string_view data) override;
  Status Delete(std::string_view key) override;
  Result<ObjectInfo> Head(std::string_view key) override;
  Result<std::vector<ObjectInfo>> List(std::string_view prefix, std::string_view marker = {},
                                       size_t limit = 0) override;
  Status Create() override;

  // One request as the methods above send them: `target` is a path and query under the
  // endpoint ("/storage/v1/b/B/o?prefix=x", already percent-encoded) or an absolute URL (a
  // resumable session); the bearer token is added when the store has credentials. The reply
  // whatever its HTTP status; a transport or token failure as a Status (`what` starts it).
  Result<net::http::HttpResponse> Request(const std::string& method, const std::string& target,
                                          const std::string& what, net::http::Headers headers = {},
                                          std::string_view body = {});

  const GcsLocation& location() const { return loc_; }

 private:
  Status PutResumable(std::string_view key, std::string_view data);
  // "/storage/v1/b/BUCKET/o/KEY" with the key percent-encoded ('/' too).
  std::string ObjectPath(std::string_view key) const;
  // One Objects: list request; `query` is appended to "?" after the fixed fields.
  Result<net::http::HttpResponse> ListRequest(const std::string& query, const std::string& what);
  // "GET gs://b/key": the start of every message about `key`.
  std::string What(std::string_view method, std::string_view key) const;

  GcsLocation loc_;
  GcsOptions opts_;
  std::unique_ptr<net::http::HttpClient> http_;
  std::unique_ptr<gcs::TokenSource> tokens_;  // nullptr = unauthenticated
};

// The factory used by OpenObjectStore for `gs` (gcs_config.h says how it parses
// config.bucket and where credentials come from).
Result<std::unique_ptr<ObjectStore>> NewGcsStore(const StoreConfig& config);

}  // namespace tierfs::object
