// The throughput benchmark (store_bench.h): rows, counts and bytes on the mem backend, errors
// counted per phase with the first one kept, nothing left behind, options validated.
#include "object/store_bench.h"

#include <gtest/gtest.h>

#include "minio_server.h"
#include "object/faulty_store.h"
#include "object/mem_store.h"

namespace tierfs::object {
namespace {

BenchOptions Small() {
  BenchOptions o;
  o.block_size = 64 * kKiB;
  o.big_object_size = 200 * kKiB;  // 4 blocks, the last one a whole block too
  o.small_object_size = kKiB;
  o.small_objects = 10;
  o.threads = 3;
  return o;
}

TEST(StoreBenchTest, MeasuresEveryPhaseAndCleansUp) {
  MemStore store;
  const BenchOptions o = Small();
  ASSERT_TRUE(ValidateBenchOptions(o).ok());
  ASSERT_EQ(BigObjectBlocks(o), 4u);
  size_t seen = 0;
  auto rows = RunBenchmark(store, o, [&](const BenchRow&) { ++seen; });
  ASSERT_EQ(rows.size(), 7u);
  EXPECT_EQ(seen, 7u);
  const std::vector<std::pair<std::string, uint64_t>> want = {
      {"put small objects", 10}, {"get small objects", 10}, {"put big objects", 4},
      {"get big objects", 4},    {"head objects", 14},      {"list objects", 3},
      {"delete objects", 14}};
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].item, want[i].first);
    EXPECT_EQ(rows[i].requests, want[i].second) << rows[i].item;
    EXPECT_EQ(rows[i].errors, 0u) << rows[i].item << ": " << rows[i].first_error.ToString();
    EXPECT_GT(rows[i].seconds, 0) << rows[i].item;
    EXPECT_LE(rows[i].median_ms, rows[i].p99_ms) << rows[i].item;
  }
  EXPECT_EQ(rows[0].bytes, 10 * kKiB);
  EXPECT_EQ(rows[1].bytes, 10 * kKiB);
  EXPECT_EQ(rows[2].bytes, 4 * 64 * kKiB);
  EXPECT_EQ(rows[3].bytes, 4 * 64 * kKiB);
  EXPECT_EQ(rows[5].listed, 3u * 14);
  EXPECT_GT(rows[2].MiBPerSecond(), 0);
  EXPECT_TRUE(store.List("")->empty());
}

TEST(StoreBenchTest, RunsOnMinioThroughTheRegistry) {
  std::string why;
  ::tierfs::testing::MinioServer* minio = ::tierfs::testing::MinioServer::Shared(&why);
  ASSERT_NE(minio, nullptr) << why;
  StoreConfig c;
  c.storage = "minio";
  c.bucket = minio->endpoint() + "/store-bench";
  c.access_key = ::tierfs::testing::MinioServer::kUser;
  c.secret_key = ::tierfs::testing::MinioServer::kPassword;
  auto raw = OpenObjectStore(c);
  ASSERT_TRUE(raw.has_value()) << raw.error().ToString();
  ASSERT_TRUE((*raw)->Create().ok());
  auto store = WithPrefix(std::move(*raw), "bench/");
  auto rows = RunBenchmark(*store, Small());
  ASSERT_EQ(rows.size(), 7u);
  for (const auto& r : rows) EXPECT_EQ(r.errors, 0u) << r.item << ": " << r.first_error.ToString();
  EXPECT_EQ(rows[3].bytes, 4 * 64 * kKiB);
  EXPECT_TRUE(store->List("")->empty());
}

TEST(StoreBenchTest, CountsFailedRequestsOfOnePhaseOnly) {
  FaultyStore store(std::make_unique<MemStore>());
  store.FailWhen(
      [](const ObjectRequest& r) { return r.op == ObjectOp::kGet && r.key == "big/000002"; },
      Status(EIO, "injected"));
  auto rows = RunBenchmark(store, Small());
  for (const auto& r : rows) {
    if (r.item == "get big objects") {
      EXPECT_EQ(r.errors, 1u);
      EXPECT_EQ(r.first_error.code(), EIO);
      EXPECT_EQ(r.first_error.message(), "get big/000002: EIO: injected");
      EXPECT_EQ(r.bytes, 3 * 64 * kKiB);  // the failed request moved nothing
    } else {
      EXPECT_EQ(r.errors, 0u) << r.item << ": " << r.first_error.ToString();
    }
  }
}

TEST(StoreBenchTest, WrongBytesAreErrors) {
  FaultyStore store(std::make_unique<MemStore>());
  // Every small object written, then one replaced behind the benchmark's back.
  bool replaced = false;
  store.SetInterceptor([&](const ObjectRequest& r) {
    if (r.op == ObjectOp::kGet && r.key == "small/000000" && !replaced) {
      replaced = true;
      (void)store.inner()->Put("small/000000", std::string(kKiB, 'x'));
    }
    return Status::Ok();
  });
  BenchOptions o = Small();
  o.threads = 1;  // the interceptor's flag is not shared between threads
  auto rows = RunBenchmark(store, o);
  EXPECT_EQ(rows[1].errors, 1u);
  EXPECT_EQ(rows[1].first_error.message(), "get small/000000: bytes differ from what was put");
}

TEST(StoreBenchTest, ValidatesOptions) {
  auto bad = [](auto change) {
    BenchOptions o = Small();
    change(o);
    return ValidateBenchOptions(o).code();
  };
  EXPECT_EQ(bad([](BenchOptions& o) { o.block_size = 0; }), EINVAL);
  EXPECT_EQ(bad([](BenchOptions& o) { o.block_size = 2 * kGiB; }), EINVAL);
  EXPECT_EQ(bad([](BenchOptions& o) { o.big_object_size = 0; }), EINVAL);
  EXPECT_EQ(bad([](BenchOptions& o) { o.small_object_size = 0; }), EINVAL);
  EXPECT_EQ(bad([](BenchOptions& o) { o.small_objects = 0; }), EINVAL);
  EXPECT_EQ(bad([](BenchOptions& o) { o.threads = 0; }), EINVAL);
  EXPECT_EQ(bad([](BenchOptions& o) { o.threads = 5000; }), EINVAL);
  EXPECT_EQ(bad([](BenchOptions&) {}), 0);
}

}  // namespace
}  // namespace tierfs::object
