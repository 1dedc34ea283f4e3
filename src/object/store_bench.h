// Throughput of an ObjectStore, for `tierfs objbench` (in the spirit of the performance part
// of JuiceFS cmd/objbench.go; the measurements are ours).
//
// Run order, one phase after the other, each with `threads` threads taking the next object
// from a shared counter:
//   put small   `small_objects` objects of `small_object_size` bytes, keys small/NNNNNN
//   get small   each read back whole and compared with what was put
//   put big     the big object as ceil(big_object_size / block_size) objects of block_size
//               bytes (blocks, as the volume stores a file), keys big/NNNNNN
//   get big     each read back whole and compared
//   head        every object
//   list        one List("", "", min(all objects, 1000)) per thread
//   delete      every object
// Every object of one size holds the same random bytes. The phases run even when earlier ones
// failed; a failed request counts in `errors` and keeps its first error. The store should be
// a WithPrefix store of a fresh prefix: the benchmark writes under "small/" and "big/" and
// deletes what it wrote in the last phase (DeleteAll of store_check.h sweeps up after errors).
//
// Thread-safety: RunBenchmark calls the store from `threads` threads at once (the ObjectStore
// contract allows it) and `on_row` from the calling thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "object/object_store.h"
#include "util/status.h"
#include "util/units.h"

namespace tierfs::object {

struct BenchOptions {
  uint64_t block_size = 4 * kMiB;   // bytes of each big-object block
  uint64_t big_object_size = kGiB;  // bytes of the big object, split into blocks
  uint64_t small_object_size = 128 * kKiB;
  uint64_t small_objects = 100;
  uint64_t threads = 4;
};

// OK, or EINVAL naming the option: every size and count >= 1, threads in 1..1024,
// block_size and small_object_size at most 1 GiB (each thread holds one object in memory).
Status ValidateBenchOptions(const BenchOptions& options);

struct BenchRow {
  std::string item;  // "put big objects", ..., "delete objects"
  std::string op;    // "put", "get", "head", "list", "delete": the request it times
  uint64_t requests = 0;
  uint64_t bytes = 0;   // object bytes moved by the successful requests (put, get)
  uint64_t listed = 0;  // objects returned by the list requests
  uint64_t errors = 0;
  double seconds = 0;    // wall time of the phase
  double median_ms = 0;  // per-request latency, failed requests included
  double p99_ms = 0;
  Status first_error;  // OK when errors == 0

  double RequestsPerSecond() const { return seconds > 0 ? requests / seconds : 0; }
  double MiBPerSecond() const { return seconds > 0 ? bytes / seconds / kMiB : 0; }
};

// REQUIRES: ValidateBenchOptions(options).ok(). Rows in the order above (7 of them).
std::vector<BenchRow> RunBenchmark(ObjectStore& store, const BenchOptions& options,
                                   const std::function<void(const BenchRow&)>& on_row = {});

// ceil(big_object_size / block_size).
uint64_t BigObjectBlocks(const BenchOptions& options);

}  // namespace tierfs::object
