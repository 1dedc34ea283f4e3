// The errno an object store's HTTP error status means, as the S3, GCS and Azure backends
// share it (their own error codes, when a reply names one, take precedence there):
// 400 EINVAL, 401/403 EACCES, 404 ENOENT, 429/503 EBUSY (throttled: retried), 507 ENOSPC,
// anything else EIO. Status meanings: RFC 9110 §15, RFC 6585 (429), RFC 4918 (507).
// Thread-safety: a pure function.
#pragma once

namespace tierfs::object {

int ErrnoOfHttpStatus(int status);

}  // namespace tierfs::object
