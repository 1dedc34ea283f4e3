// The JSON the Cloud Storage JSON API (and fake-gcs-server) sends back, and what a failed
// reply means as a Status. Formats from Google's JSON API reference: "HTTP status and error
// codes" ({"error":{"code":N,"message":"...","errors":[{"reason":"notFound",...}]}}), the
// Objects resource (name, size as a decimal string, updated as RFC 3339) and Objects: list
// ({"items":[...],"nextPageToken":"..."}).
//
// Errno of a failed reply (GcsStatusOf), by the HTTP status:
//   EINVAL 400; EACCES 401, 403; ENOENT 404; EEXIST 409; EBUSY 429, 503 (throttling: worth a
//   retry after a back-off); ENOSPC 507; EIO anything else (5xx, redirects).
// The message is "<what>: <reason>: <the server's message>", e.g. "GET gs://b/k: notFound:
// No such object: b/k"; a body that is not Google's JSON shows as "HTTP 404: <first line>".
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "net/http/http_client.h"
#include "object/object_store.h"

namespace tierfs::object {

// The Status for a reply that failed (the table above). `what` is "METHOD gs://bucket/key".
Status GcsStatusOf(const net::http::HttpResponse& resp, std::string_view what);

// The Objects resource in `body` (name, size, updated). EIO when it is not one.
Result<ObjectInfo> ParseGcsObject(std::string_view body);

struct GcsListPage {
  std::vector<ObjectInfo> objects;
  std::string next_page_token;  // "" on the last page
};

// An Objects: list reply. EIO when it is not one.
Result<GcsListPage> ParseGcsList(std::string_view body);

// "2026-01-02T03:04:05.678Z" (RFC 3339, any offset) to unix seconds; 0 when it cannot be parsed.
int64_t ParseRfc3339(std::string_view text);

}  // namespace tierfs::object
