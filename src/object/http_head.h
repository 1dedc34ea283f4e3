// The ObjectInfo of a HEAD reply as the S3 and Azure backends get it (RFC 9110: Content-Length
// in bytes, Last-Modified an RFC 1123 date). Thread-safety: a pure function.
#pragma once

#include <string>
#include <string_view>

#include "net/http/http_client.h"
#include "object/object_store.h"

namespace tierfs::object {

// `key` with the reply's size and mtime (unix seconds); EIO (the message starts with `what`)
// when Content-Length is missing or not a number. REQUIRES: resp.status == 200.
Result<ObjectInfo> ObjectInfoOfHead(const net::http::HttpResponse& resp, std::string_view key,
                                    const std::string& what);

}  // namespace tierfs::object
