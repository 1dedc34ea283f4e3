#include "object/http_head.h"

#include <charconv>

#include "object/s3_reply.h"  // ParseS3Time: Last-Modified is an RFC 1123 date

namespace tierfs::object {

Result<ObjectInfo> ObjectInfoOfHead(const net::http::HttpResponse& resp, std::string_view key,
                                    const std::string& what) {
  ObjectInfo info;
  info.key = std::string(key);
  std::string_view len = resp.Header("content-length");
  if (std::from_chars(len.data(), len.data() + len.size(), info.size).ec != std::errc()) {
    return Err(EIO, what + ": bad Content-Length '" + std::string(len) + "'");
  }
  info.mtime = ParseS3Time(resp.Header("last-modified"));
  return info;
}

}  // namespace tierfs::object
