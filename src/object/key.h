// Object-key validation and errno mapping shared by the ObjectStore backends.
//
// A valid key (object_store.h) is non-empty, relative ('/'-separated, not starting or ending
// with '/'), has no empty, "." or ".." segment and no NUL byte. Backends reject anything else
// with EINVAL so that every backend accepts exactly the same keys (the conformance suite checks).
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "util/status.h"

namespace tierfs::object {

// OK, or EINVAL naming `key` and the rule it breaks.
Status ValidateKey(std::string_view key);

// Maps an OS errno from an operation on `what` to the ObjectStore error space:
// ENOENT/ENOTDIR -> ENOENT, EACCES/EPERM -> EACCES, EROFS -> EROFS, ENOSPC/EDQUOT -> ENOSPC,
// ENAMETOOLONG -> EINVAL, anything else -> EIO. The message keeps the original errno text.
Status StatusFromErrno(int os_errno, std::string_view op, std::string_view what);

}  // namespace tierfs::object
