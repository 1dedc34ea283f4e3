// Ranged GETs as the HTTP backends (s3_store, azure_store, gcs_store) do them (RFC 9110
// section 14: Range "bytes=FIRST-LAST", inclusive; 206 Partial Content; 416 Range Not
// Satisfiable), mapped onto ObjectStore::Get(key, off, limit):
//   - the whole object (off 0, limit < 0) is asked for without a Range header;
//   - a 416 reply means `off` is at or past the end: the interface's empty result;
//   - a 200 reply to a ranged request (a server that ignored the header) is cut here.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "net/http/http_client.h"

namespace tierfs::object {

// "bytes=OFF-END" for [off, off+limit), "bytes=OFF-" for limit < 0, "" for the whole object.
// REQUIRES: limit != 0 (a zero-length read is a Head, not a GET).
std::string RangeHeaderValue(uint64_t off, int64_t limit);

// The bytes Get(off, limit) returns for a reply to the request RangeHeaderValue built:
// from a 200, 206 or 416 reply (the body is moved out); nullopt for any other status (the
// backend turns that reply into its error).
std::optional<std::string> RangedBody(net::http::HttpResponse& resp, uint64_t off, int64_t limit);

}  // namespace tierfs::object
