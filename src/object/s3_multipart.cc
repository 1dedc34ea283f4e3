// S3Store::PutMultipart (s3_store.h): CreateMultipartUpload, UploadPart for each part in
// order, CompleteMultipartUpload; AbortMultipartUpload when any of them fails, so that no
// half-written upload stays behind to be billed (Amazon S3 API Reference, "Uploading and
// copying objects using multipart upload").
#include <algorithm>

#include "object/s3_reply.h"
#include "object/s3_store.h"

namespace tierfs::object {

namespace {

constexpr size_t kMinPart = 5 << 20;  // S3's minimum for every part but the last
constexpr size_t kMaxParts = 10000;   // S3's maximum part count
constexpr size_t kMiB = 1 << 20;

// Parts of at least `wanted` bytes, grown (to whole MiB) when `size` would need more than
// kMaxParts of them (as JuiceFS's sync chooses: pkg/sync/sync.go choosePartSize).
size_t PartSize(size_t size, size_t wanted) {
  size_t part = std::max(wanted, kMinPart);
  if (size / part >= kMaxParts) part = ((size / kMaxParts) / kMiB + 1) * kMiB;
  return part;
}

}  // namespace

Status S3Store::PutMultipart(std::string_view key, std::string_view data) {
  const std::string what = What("PUT", key) + " (multipart)";
  ASSIGN_OR_RETURN(net::http::HttpResponse init, Request("POST", key, {{"uploads", ""}}));
  if (init.status != 200) return S3StatusOf(init, what);
  auto id = ParseUploadId(init.body);
  if (!id) return Status(EIO, what + ": " + id.error().message());

  auto upload = [&]() -> Status {
    size_t part = PartSize(data.size(), opts_.part_size);
    std::vector<std::string> etags;
    for (size_t off = 0; off < data.size(); off += part) {
      std::string n = std::to_string(etags.size() + 1);
      ASSIGN_OR_RETURN(net::http::HttpResponse r,
                       Request("PUT", key, {{"partNumber", n}, {"uploadId", *id}}, {},
                               data.substr(off, part)));
      if (r.status != 200) return S3StatusOf(r, what + " part " + n);
      if (r.Header("etag").empty()) return Status(EIO, what + " part " + n + ": no ETag in the reply");
      etags.emplace_back(r.Header("etag"));
    }
    ASSIGN_OR_RETURN(net::http::HttpResponse done,
                     Request("POST", key, {{"uploadId", *id}}, {}, CompleteMultipartBody(etags)));
    // A 200 reply may still carry an <Error> document: the completion failed after it began.
    if (done.status != 200 || ParseS3Error(done.body)) return S3StatusOf(done, what + " complete");
    return Status::Ok();
  };
  Status st = upload();
  if (!st.ok()) (void)Request("DELETE", key, {{"uploadId", *id}});
  return st;
}

}  // namespace tierfs::object
