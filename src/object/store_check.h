// Functional checks of an ObjectStore: does a storage behave the way tierfs relies on?
// `tierfs objbench` runs RunFunctionalChecks() and prints one row per check; `tierfs format`
// runs ProbeStore() before it writes any metadata. In the spirit of JuiceFS cmd/objbench.go
// (functional tests) and cmd/format.go test(); the checks and their wording are ours.
//
// Every check writes under its own keys below the store it is given (callers pass a
// WithPrefix store of a prefix nobody else uses), deletes what it wrote, and does not depend on
// the others: a backend that fails one kind of request (only Head, only ranged Gets of one
// key, ...) fails the rows that make that request and no other. The one exception is the first
// check (ProbeStore): when it fails the bucket is unusable and the other checks are skipped.
//
// A failed check carries the Status of the first step that went wrong: its code is the
// backend's errno (EIO for bytes that came back wrong), its message names the step and keeps
// the backend's own text, e.g. "put probe/x: EACCES: create /b/.x.tmp.1f: Permission denied".
// A step that fails with ENOTSUP (== EOPNOTSUPP on Linux) or ENOSYS makes the row
// "not supported" instead of "fail".
//
// Thread-safety: the functions keep no state between calls; they call the store from the
// calling thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "object/object_store.h"
#include "util/status.h"
#include "util/units.h"

namespace tierfs::object {

enum class CheckOutcome { kPass, kFail, kNotSupported, kSkipped };

// "pass", "fail", "not supported", "skipped".
std::string_view OutcomeName(CheckOutcome outcome);

struct CheckResult {
  std::string category;  // "basic", "list", "keys", "large"
  std::string name;      // "get a range past the end"
  CheckOutcome outcome = CheckOutcome::kPass;
  Status error;  // OK on kPass; why, for the other outcomes
};

struct CheckOptions {
  // Size of the object of the "put a large object" check, in bytes: above any block (16 MiB at
  // most), so that a backend which uploads big objects in parts does so.
  uint64_t large_object_size = 64 * kMiB;
  // Keys the list checks put, and the page size (List limit) the continuation check walks
  // them with. REQUIRES: list_keys >= 2, 1 <= list_page < list_keys.
  size_t list_keys = 100;
  size_t list_page = 10;
};

// The short check `format` runs on the volume's store (prefix and encryption included) before
// writing anything: a probe object `testing/<10 random alphanumerics>` of 100 random bytes is
// put, read back identical, found by Head and by List with the same size, deleted, and Head
// must then say ENOENT. When the first Put fails with anything but EACCES/EROFS/ENOSPC (a
// missing bucket, typically), Create() is called and the Put tried again; a Create that fails
// too is reported with both errors. (The key starts with "testing" because `format`, ours and
// JuiceFS's, ignores such leftovers when it checks that a volume's prefix is empty.)
// Returns OK, or the first failure as described above.
Status ProbeStore(ObjectStore& store);

// Runs every check, in a fixed order, calling `on_row` (if given) after each one so that a
// caller can print as it goes; returns all rows. The rows (category / test):
//   basic: create the bucket and probe it (ProbeStore), put an object, get an object, overwrite
//          an object, put an empty object, get a range, get a range past the end, get a missing
//          key, head an object, head a missing key, delete an object, delete a missing key
//   list:  list by prefix, list with marker and limit, list continuation (pages of list_page)
//   keys:  special characters in keys (UTF-8, JSON, %, +, spaces, control characters, ...)
//   large: put a large object (large_object_size bytes; read back whole and by ranges)
std::vector<CheckResult> RunFunctionalChecks(
    ObjectStore& store, const CheckOptions& options = {},
    const std::function<void(const CheckResult&)>& on_row = {});

// True when no row is kFail or kSkipped.
bool AllPassed(const std::vector<CheckResult>& rows);

// Deletes every object List("") returns; the first error, naming the key, if any remain.
Status DeleteAll(ObjectStore& store);

}  // namespace tierfs::object
