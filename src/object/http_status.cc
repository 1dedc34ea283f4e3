#include "object/http_status.h"

#include <cerrno>

namespace tierfs::object {

int ErrnoOfHttpStatus(int status) {
  switch (status) {
    case 400:
      return EINVAL;
    case 401:
    case 403:
      return EACCES;
    case 404:
      return ENOENT;
    case 429:
    case 503:
      return EBUSY;
    case 507:
      return ENOSPC;
    default:
      return EIO;
  }
}

}  // namespace tierfs::object
