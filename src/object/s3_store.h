// S3Store: the `s3` and `minio` storages, an ObjectStore over the S3 REST API (Amazon S3
// API Reference: GetObject, PutObject, DeleteObject, HeadObject, ListObjectsV2, CreateBucket,
// CreateMultipartUpload / UploadPart / CompleteMultipartUpload / AbortMultipartUpload),
// signed with SigV4 (sigv4.h) and sent through net/http's HttpClient. Where the bucket is and
// the credentials come from S3Location (s3_config.h). Model: JuiceFS pkg/object/s3.go.
//
// Behaviour (each as JuiceFS does it unless said):
// - Every request carries x-amz-content-sha256: UNSIGNED-PAYLOAD, unless
//   S3Options::sign_payload asks for the body's SHA-256.
// - Get: no Range header for the whole object, else "bytes=OFF-END"; a 416 (offset at or past
//   the end) is an empty result, as the interface wants. limit 0 is a Head.
// - Put: one PutObject up to S3Options::multipart_threshold bytes; above it a multipart
//   upload, parts sent one after another, aborted when any step fails, so a failed Put leaves
//   no object and no pending upload behind (best effort: the abort itself may fail).
// - Integrity: every Put sends the CRC-32C of the object as user metadata x-amz-meta-crc32c
//   (decimal, crc32c.h); a whole-object Get of an object that has it checks it and answers
//   EBADMSG (a corrupt object: never worth a retry) on a mismatch. Ranged Gets cannot be
//   checked (the CRC covers the whole object). JuiceFS pkg/object/checksum.go does the same,
//   so objects either client writes are checked by both.
// - Delete: a missing key succeeds; a missing bucket is ENOENT.
// - List: ListObjectsV2 pages of S3Options::list_page_size keys with encoding-type=url,
//   start-after = marker, then the continuation token; a page whose keys leave the prefix or
//   do not come after the marker is EIO (a broken server must not make us skip objects).
// - Create: a ListObjectsV2 of one key; when that fails, CreateBucket (with the region as
//   LocationConstraint unless us-east-1); BucketAlreadyOwnedByYou counts as success.
//
// Errors: as s3_reply.h says for replies (EACCES with the server's message, ENOENT, EBUSY for
// throttling, ...); transport failures: ETIMEDOUT when a request timed out (worth a retry),
// EIO when the endpoint cannot be reached or does not speak HTTP (the message names the host
// and says why); EINVAL for a bad key. No retries here (a wrapper's job).
// Thread-safety: all methods may be called concurrently (the HttpClient is thread-safe; the
// store has no other mutable state).
#pragma once

#include <ctime>
#include <functional>
#include <memory>
#include <string>

#include "net/http/http_client.h"
#include "object/object_store.h"
#include "object/s3_config.h"

namespace tierfs::object {

inline constexpr const char* kCrc32cHeader = "x-amz-meta-crc32c";

struct S3Options {
  net::http::HttpOptions http;
  // Objects larger than this (bytes) go up in parts. S3 allows 5 GiB in one PutObject; the
  // volume's blocks (<= 16 MiB) always fit in one.
  size_t multipart_threshold = 32 << 20;
  // Bytes per part; S3 wants >= 5 MiB (but the last) and <= 10000 parts, so it grows for
  // objects bigger than part_size * 10000.
  size_t part_size = 16 << 20;
  size_t list_page_size = 1000;  // max-keys per ListObjectsV2 request (S3's own maximum)
  bool sign_payload = false;     // sign the body's SHA-256 instead of UNSIGNED-PAYLOAD
  // Milliseconds one request may take: GET and HEAD (and the List GETs) get get_timeout_ms,
  // the others put_timeout_ms (StoreConfig, mount --get-timeout / --put-timeout); 0 means
  // http.timeout_ms.
  int get_timeout_ms = 0;
  int put_timeout_ms = 0;
  // The clock requests are signed with (unix seconds); tests skew it.
  std::function<std::time_t()> now = [] { return std::time(nullptr); };
};

class S3Store final : public ObjectStore {
 public:
  S3Store(S3Location location, S3Options options = {});

  std::string Describe() const override { return loc_.Describe(); }
  Result<std::string> Get(std::string_view key, uint64_t off = 0, int64_t limit = -1) override;
  Status Put(std::string_view key, std::string_view data) override;
  Status Delete(std::string_view key) override;
  Result<ObjectInfo> Head(std::string_view key) override;
  Result<std::vector<ObjectInfo>> List(std::string_view prefix, std::string_view marker = {},
                                       size_t limit = 0) override;
  Status Create() override;

  // One signed request to this bucket (key "" = the bucket itself), as sent by the methods
  // above: the reply whatever its HTTP status; a transport failure as a Status (see the
  // file comment). For tools and tests that need a call the interface has no method for.
  Result<net::http::HttpResponse> Request(const std::string& method, std::string_view key,
                                          sigv4::Query query = {},
                                          sigv4::Headers headers = {},
                                          std::string_view body = {});

  const S3Location& location() const { return loc_; }

 private:
  Status PutMultipart(std::string_view key, std::string_view data);
  // EBADMSG (corrupt object) when a whole-object reply's x-amz-meta-crc32c does not match.
  static Status VerifyChecksum(const net::http::HttpResponse& resp, const std::string& what);
  // "GET s3://bkt/key": the start of every message about `key`.
  std::string What(std::string_view method, std::string_view key) const;

  S3Location loc_;
  S3Options opts_;
  std::unique_ptr<net::http::HttpClient> http_;
};

// Factories used by OpenObjectStore: `s3` and `minio` (s3_config.h says how each parses
// config.bucket and where credentials come from).
Result<std::unique_ptr<ObjectStore>> NewS3Store(const StoreConfig& config);
Result<std::unique_ptr<ObjectStore>> NewMinioStore(const StoreConfig& config);

}  // namespace tierfs::object
