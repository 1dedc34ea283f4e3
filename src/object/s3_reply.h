// The bodies S3 (and MinIO, Ceph RGW...) send back, and what a failed reply means as a
// Status. Formats from the Amazon S3 API Reference: "Error Responses" (the <Error> document
// and its codes), ListObjectsV2, CreateMultipartUpload, CompleteMultipartUpload.
//
// Errno of a failed reply (S3StatusOf), by the S3 error code first, then the HTTP status:
//   ENOENT  NoSuchKey, NoSuchBucket, NoSuchUpload; 404
//   EACCES  AccessDenied, InvalidAccessKeyId, SignatureDoesNotMatch, RequestTimeTooSkewed,
//           ExpiredToken, InvalidToken, AllAccessDisabled, BucketAlreadyExists; 401, 403
//   EBUSY   SlowDown, ServiceUnavailable, Throttling, RequestLimitExceeded; 429, 503
//           (throttling: worth retrying after a back-off)
//   ENOSPC  XMinioStorageFull, QuotaExceeded; 507
//   EINVAL  InvalidBucketName, KeyTooLongError, InvalidArgument, InvalidRequest,
//           AuthorizationHeaderMalformed (wrong region), EntityTooLarge; 400
//   EIO     anything else (5xx, redirects, a reply that is not S3's)
// The message is "<what>: <Code>: <server's Message>", so the user reads the server's own
// words, e.g. "PUT s3://bkt/k: InvalidAccessKeyId: The Access Key Id you provided does not
// exist in our records."; a body that is not an S3 error shows as "HTTP 404: <its start>".
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/http/http_client.h"
#include "object/object_store.h"

namespace tierfs::object {

struct S3Error {
  std::string code;     // "NoSuchKey"
  std::string message;  // the server's text
  std::string endpoint;  // <Endpoint> of a PermanentRedirect, else ""
};

// The <Error> document in `body`, or nullopt when `body` is not one.
std::optional<S3Error> ParseS3Error(std::string_view body);

// The Status for a reply that failed (see the table above). `what` is "METHOD store/key".
// Replies without a body (HEAD) use MinIO's x-minio-error-code/-desc headers when present.
Status S3StatusOf(const net::http::HttpResponse& resp, std::string_view what);

struct ListPage {
  std::vector<ObjectInfo> objects;  // keys decoded
  bool truncated = false;
  std::string next_token;  // NextContinuationToken
};

// A ListObjectsV2 reply; keys are percent-decoded when the reply says EncodingType url.
// EIO when the body is not a ListBucketResult.
Result<ListPage> ParseListObjectsV2(std::string_view body);

// The UploadId of a CreateMultipartUpload reply; EIO when there is none.
Result<std::string> ParseUploadId(std::string_view body);

// The CompleteMultipartUpload request body for parts 1..N with these ETags (quotes kept).
std::string CompleteMultipartBody(const std::vector<std::string>& etags);

// "2009-10-12T17:50:30.000Z" (ListObjectsV2) or "Mon, 12 Oct 2009 17:50:30 GMT" (Last-Modified)
// to unix seconds; 0 when it cannot be parsed.
int64_t ParseS3Time(std::string_view text);

}  // namespace tierfs::object
