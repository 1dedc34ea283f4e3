#include "object/store_bench.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <random>
#include <thread>

namespace tierfs::object {
namespace {

using Clock = std::chrono::steady_clock;

std::string RandomBytes(uint64_t n) {
  std::mt19937_64 rng(std::random_device{}());
  std::string s(n, '\0');
  for (uint64_t i = 0; i < n; i += 8) {
    uint64_t v = rng();
    for (uint64_t j = 0; j < 8 && i + j < n; ++j, v >>= 8) s[i + j] = static_cast<char>(v);
  }
  return s;
}

// What one request did: bytes moved and objects listed, or its error.
struct Done {
  uint64_t bytes = 0;
  uint64_t listed = 0;
  Status error;
};

// Runs fn(0) .. fn(count-1) on `threads` threads and measures them.
BenchRow RunPhase(std::string item, std::string op, uint64_t count, uint64_t threads,
                  const std::function<Done(uint64_t)>& fn) {
  struct Worker {
    uint64_t bytes = 0, listed = 0, errors = 0;
    uint64_t first_index = UINT64_MAX;
    Status first_error;
  };
  std::vector<double> latency_ms(count);
  std::vector<Worker> workers(std::min(threads, std::max<uint64_t>(count, 1)));
  std::atomic<uint64_t> next{0};
  auto start = Clock::now();
  {
    std::vector<std::jthread> pool;
    for (Worker& w : workers) {
      pool.emplace_back([&, &w = w] {
        for (uint64_t i; (i = next.fetch_add(1)) < count;) {
          auto t0 = Clock::now();
          Done d = fn(i);
          latency_ms[i] = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
          if (d.error.ok()) {
            w.bytes += d.bytes;
            w.listed += d.listed;
          } else if (++w.errors == 1) {
            w.first_index = i;
            w.first_error = std::move(d.error);
          }
        }
      });
    }
  }  // joins
  BenchRow row;
  row.item = std::move(item);
  row.op = std::move(op);
  row.requests = count;
  row.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  uint64_t first_index = UINT64_MAX;
  for (Worker& w : workers) {
    row.bytes += w.bytes;
    row.listed += w.listed;
    row.errors += w.errors;
    if (w.first_index < first_index) {
      first_index = w.first_index;
      row.first_error = w.first_error;
    }
  }
  if (count > 0) {
    std::sort(latency_ms.begin(), latency_ms.end());
    row.median_ms =
        count % 2 ? latency_ms[count / 2] : (latency_ms[count / 2 - 1] + latency_ms[count / 2]) / 2;
    row.p99_ms = latency_ms[static_cast<size_t>(std::ceil(0.99 * count)) - 1];
  }
  return row;
}

Done PutOne(ObjectStore& store, const std::string& key, const std::string& data) {
  Status s = store.Put(key, data);
  if (!s.ok()) return {0, 0, Status(s.code(), "put " + key + ": " + s.ToString())};
  return {data.size(), 0, {}};
}

Done GetOne(ObjectStore& store, const std::string& key, const std::string& want) {
  auto got = store.Get(key);
  if (!got) return {0, 0, Status(got.error().code(), "get " + key + ": " + got.error().ToString())};
  if (got->size() != want.size())
    return {
        0, 0,
        Status(EIO, fmt::format("get {}: {} bytes, expected {}", key, got->size(), want.size()))};
  if (*got != want) return {0, 0, Status(EIO, "get " + key + ": bytes differ from what was put")};
  return {got->size(), 0, {}};
}

}  // namespace

uint64_t BigObjectBlocks(const BenchOptions& o) {
  return (o.big_object_size + o.block_size - 1) / o.block_size;
}

Status ValidateBenchOptions(const BenchOptions& o) {
  if (o.block_size == 0 || o.block_size > kGiB)
    return Status(EINVAL, "--block-size must be within 1 byte .. 1 GiB");
  if (o.small_object_size == 0 || o.small_object_size > kGiB)
    return Status(EINVAL, "--small-object-size must be within 1 byte .. 1 GiB");
  if (o.big_object_size == 0) return Status(EINVAL, "--big-object-size must not be zero");
  if (o.small_objects == 0) return Status(EINVAL, "--small-objects must not be zero");
  // A thread per request is plenty; more threads than that is a typo.
  if (o.threads == 0 || o.threads > 1024)
    return Status(EINVAL, "--threads must be within 1 .. 1024");
  return Status::Ok();
}

std::vector<BenchRow> RunBenchmark(ObjectStore& store, const BenchOptions& o,
                                   const std::function<void(const BenchRow&)>& on_row) {
  const std::string small_data = RandomBytes(o.small_object_size);
  const std::string block_data = RandomBytes(o.block_size);
  const uint64_t n_small = o.small_objects;
  const uint64_t n_big = BigObjectBlocks(o);
  const uint64_t n_all = n_small + n_big;
  // S3 returns at most 1000 keys per request; a bigger page would time more than one request.
  const uint64_t per_list = std::min<uint64_t>(n_all, 1000);
  auto small_key = [](uint64_t i) { return fmt::format("small/{:06}", i); };
  auto big_key = [](uint64_t i) { return fmt::format("big/{:06}", i); };
  // Object i of the head and delete phases: the small ones, then the big ones.
  auto any_key = [&](uint64_t i) { return i < n_small ? small_key(i) : big_key(i - n_small); };

  std::vector<BenchRow> rows;
  auto phase = [&](std::string item, std::string op, uint64_t count,
                   const std::function<Done(uint64_t)>& fn) {
    rows.push_back(RunPhase(std::move(item), std::move(op), count, o.threads, fn));
    if (on_row) on_row(rows.back());
  };
  phase("put small objects", "put", n_small,
        [&](uint64_t i) { return PutOne(store, small_key(i), small_data); });
  phase("get small objects", "get", n_small,
        [&](uint64_t i) { return GetOne(store, small_key(i), small_data); });
  phase("put big objects", "put", n_big,
        [&](uint64_t i) { return PutOne(store, big_key(i), block_data); });
  phase("get big objects", "get", n_big,
        [&](uint64_t i) { return GetOne(store, big_key(i), block_data); });
  phase("head objects", "head", n_all, [&](uint64_t i) -> Done {
    std::string key = any_key(i);
    auto info = store.Head(key);
    if (!info)
      return {0, 0, Status(info.error().code(), "head " + key + ": " + info.error().ToString())};
    uint64_t want = i < n_small ? o.small_object_size : o.block_size;
    if (info->size != want)
      return {0, 0,
              Status(EIO, fmt::format("head {}: size {}, expected {}", key, info->size, want))};
    return {};
  });
  phase("list objects", "list", o.threads, [&](uint64_t) -> Done {
    auto listed = store.List("", "", per_list);
    if (!listed) return {0, 0, Status(listed.error().code(), "list: " + listed.error().ToString())};
    if (listed->size() != per_list)
      return {0, 0,
              Status(EIO, fmt::format("list: {} objects, expected {}", listed->size(), per_list))};
    return {0, listed->size(), {}};
  });
  phase("delete objects", "delete", n_all, [&](uint64_t i) -> Done {
    std::string key = any_key(i);
    Status s = store.Delete(key);
    if (!s.ok()) return {0, 0, Status(s.code(), "delete " + key + ": " + s.ToString())};
    return {};
  });
  return rows;
}

}  // namespace tierfs::object
