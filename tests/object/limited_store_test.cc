// WithLimits: the PUT and GET slots bound what is in flight in the inner store (measured by an
// inner store that holds requests until released (RequestGate)), separately per direction; the bandwidth
// limits wait for the bytes at the JuiceFS rate (0.85 x the limit), on a fake clock.
#include "object/limited_store.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "object/faulty_store.h"
#include "object/mem_store.h"
#include "object/request_gate.h"
#include "util/fake_sleeper.h"

namespace tierfs::object {
namespace {

using namespace std::chrono_literals;

TEST(LimitedStoreTest, ConcurrentPutsNeverExceedMaxUploads) {
  auto faulty = std::make_unique<FaultyStore>(std::make_unique<MemStore>());
  FaultyStore* f = faulty.get();
  RequestGate gate(ObjectOp::kPut);
  f->SetInterceptor([&](const ObjectRequest& r) { return gate.Pass(r); });
  Limits limits;
  limits.max_uploads = 3;
  auto store = WithLimits(std::move(faulty), limits);

  constexpr int kThreads = 16, kPuts = 20;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPuts; ++i) {
        EXPECT_TRUE(store->Put("k" + std::to_string(t) + "_" + std::to_string(i), "v").ok());
      }
    });
  }
  gate.WaitForWaiting(3);  // the bound is reached while 16 threads push...
  gate.Open();      // ...and never exceeded while they all drain
  for (auto& t : threads) t.join();
  EXPECT_EQ(gate.max_waiting(), 3);
  EXPECT_EQ(f->inner()->List("")->size(), size_t{kThreads * kPuts});
}

TEST(LimitedStoreTest, ConcurrentGetsNeverExceedMaxDownloads) {
  auto faulty = std::make_unique<FaultyStore>(std::make_unique<MemStore>());
  FaultyStore* f = faulty.get();
  ASSERT_TRUE(f->inner()->Put("k", "value").ok());
  RequestGate gate(ObjectOp::kGet);
  f->SetInterceptor([&](const ObjectRequest& r) { return gate.Pass(r); });
  Limits limits;
  limits.max_downloads = 5;
  auto store = WithLimits(std::move(faulty), limits);

  std::vector<std::thread> threads;
  for (int t = 0; t < 12; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) EXPECT_EQ(*store->Get("k", 1, 3), "alu");
    });
  }
  gate.WaitForWaiting(5);
  gate.Open();
  for (auto& t : threads) t.join();
  EXPECT_EQ(gate.max_waiting(), 5);
}

// PUTs that hold every upload slot do not hold back a GET, a HEAD or a DELETE.
TEST(LimitedStoreTest, UploadSlotsDoNotBoundOtherRequests) {
  auto faulty = std::make_unique<FaultyStore>(std::make_unique<MemStore>());
  FaultyStore* f = faulty.get();
  ASSERT_TRUE(f->inner()->Put("other", "x").ok());
  RequestGate gate(ObjectOp::kPut);
  f->SetInterceptor([&](const ObjectRequest& r) { return gate.Pass(r); });
  Limits limits;
  limits.max_uploads = 1;
  auto store = WithLimits(std::move(faulty), limits);
  std::thread put([&] { EXPECT_TRUE(store->Put("held", "v").ok()); });
  gate.WaitForWaiting(1);
  EXPECT_EQ(*store->Get("other"), "x");
  EXPECT_TRUE(store->Head("other").has_value());
  EXPECT_TRUE(store->Delete("other").ok());
  gate.Open();
  put.join();
}

TEST(LimitedStoreTest, UploadLimitWaitsForTheBytesBeforeEachPut) {
  FakeSleeper clock;
  Limits limits;
  limits.upload_bytes_per_sec = 1'000'000;  // 8 Mbps: fills at 850,000 B/s, holds 100,000
  limits.sleeper = &clock;
  auto mem = std::make_unique<MemStore>();
  MemStore* m = mem.get();
  auto store = WithLimits(std::move(mem), limits);
  const auto start = clock.Now();
  const std::string block(170'000, 'b');
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(store->Put("b" + std::to_string(i), block).ok());
  const double took = std::chrono::duration<double>(clock.Now() - start).count();
  EXPECT_NEAR(took, (10 * 170'000.0 - 100'000) / 850'000, 1e-6);
  EXPECT_EQ(m->List("")->size(), 10u);
  // Downloads are not limited by the upload limit.
  const auto before = clock.Now();
  EXPECT_EQ(store->Get("b0")->size(), block.size());
  EXPECT_EQ(clock.Now(), before);
}

TEST(LimitedStoreTest, DownloadLimitCountsRangesBeforeAndWholeObjectsAfter) {
  FakeSleeper clock;
  Limits limits;
  limits.download_bytes_per_sec = 100'000;  // fills at 85,000 B/s, holds 10,000
  limits.sleeper = &clock;
  auto mem = std::make_unique<MemStore>();
  ASSERT_TRUE(mem->Put("big", std::string(95'000, 'x')).ok());
  auto store = WithLimits(std::move(mem), limits);
  // A whole-object GET is paid for after, by the bytes that came back: 95,000 - 10,000 in
  // the bucket = 1 s at 85,000 B/s.
  auto seconds = [](SteadyClock::duration d) { return std::chrono::duration<double>(d).count(); };
  EXPECT_EQ(store->Get("big")->size(), 95'000u);
  EXPECT_NEAR(seconds(clock.sleeps().back()), 1.0, 1e-6);
  // A ranged GET pays its `limit` before: 8,500 bytes = 0.1 s.
  EXPECT_EQ(store->Get("big", 0, 8'500)->size(), 8'500u);
  EXPECT_NEAR(seconds(clock.sleeps().back()), 0.1, 1e-6);
  EXPECT_NEAR(seconds(clock.slept()), 1.1, 1e-6);
}

TEST(LimitedStoreTest, NoLimitsNoWaits) {
  FakeSleeper clock;
  Limits limits;
  limits.max_uploads = 0;  // unbounded
  limits.max_downloads = 0;
  limits.sleeper = &clock;
  auto store = WithLimits(std::make_unique<MemStore>(), limits);
  ASSERT_TRUE(store->Put("k", std::string(1 << 20, 'z')).ok());
  EXPECT_EQ(store->Get("k")->size(), size_t{1} << 20);
  EXPECT_TRUE(clock.sleeps().empty());
}

}  // namespace
}  // namespace tierfs::object
