// How the HTTP backends (s3_store, azure_store, gcs_store) report a request that got no
// answer (net/http/http_client.h errors): a timeout stays ETIMEDOUT (worth a retry), a
// malformed URL is EINVAL, anything else (refused, unresolvable, TLS, a body over the limit)
// is EIO. The message is "<what>: <the transport's reason>", `what` naming the request
// ("GET s3://bkt/key").
// Thread-safety: a pure function.
#pragma once

#include <string>

#include "util/status.h"

namespace tierfs::object {

inline Status TransportError(const Status& s, const std::string& what) {
  int code = s.code() == ETIMEDOUT ? ETIMEDOUT : s.code() == EINVAL ? EINVAL : EIO;
  return Status(code, what + ": " + s.message());
}

}  // namespace tierfs::object
