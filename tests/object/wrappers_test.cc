// Registry (OpenObjectStore), FaultyStore and MeteredStore.
#include <gtest/gtest.h>

#include <condition_variable>
#include <thread>

#include "metrics/registry.h"
#include "object/faulty_store.h"
#include "object/mem_store.h"
#include "object/metered_store.h"
#include "object/object_store.h"
#include "object/request_gate.h"

namespace tierfs::object {
namespace {

StoreConfig Config(std::string storage, std::string bucket) {
  StoreConfig c;
  c.storage = std::move(storage);
  c.bucket = std::move(bucket);
  return c;
}

TEST(RegistryTest, KnownAndUnknownStorages) {
  auto mem = OpenObjectStore(Config("mem", ""));
  ASSERT_TRUE(mem.has_value());
  EXPECT_TRUE((*mem)->Put("k", "v").ok());
  auto bad = OpenObjectStore(Config("nfs", ""));
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code(), EINVAL);
  EXPECT_NE(bad.error().message().find("'nfs'"), std::string::npos);
  EXPECT_NE(bad.error().message().find("file"), std::string::npos);
  EXPECT_NE(bad.error().message().find("mem"), std::string::npos);
  EXPECT_EQ(OpenObjectStore(Config("file", "")).error().code(), EINVAL);  // no bucket
}

TEST(FaultyStoreTest, FailsTheNthRequestOnce) {
  FaultyStore fs(std::make_unique<MemStore>());
  fs.FailNth(2, Status(EIO, "injected"));
  EXPECT_TRUE(fs.Put("a", "1").ok());
  Status st = fs.Put("b", "2");
  EXPECT_EQ(st.code(), EIO);
  EXPECT_EQ(st.message(), "injected");
  EXPECT_TRUE(fs.Put("b", "2").ok());
  EXPECT_EQ(fs.inner()->Head("a")->size, 1u);
  EXPECT_EQ(fs.requests(), 3u);
}

TEST(FaultyStoreTest, FailsMatchingRequestsUntilCleared) {
  FaultyStore fs(std::make_unique<MemStore>());
  ASSERT_TRUE(fs.Put("x/1", "v").ok());
  fs.FailWhen([](const ObjectRequest& r) { return r.op == ObjectOp::kGet && r.key.starts_with("x/"); },
              Status(ENOSPC, "full"));
  EXPECT_EQ(fs.Get("x/1").error().code(), ENOSPC);
  EXPECT_EQ(fs.Get("x/1").error().code(), ENOSPC);
  EXPECT_TRUE(fs.Head("x/1").has_value());
  fs.Clear();
  EXPECT_EQ(*fs.Get("x/1"), "v");
}

TEST(FaultyStoreTest, InterceptorCanHoldARequest) {
  FaultyStore fs(std::make_unique<MemStore>());
  std::mutex mu;
  std::condition_variable cv;
  bool entered = false, release = false;
  fs.SetInterceptor([&](const ObjectRequest& r) {
    if (r.op != ObjectOp::kPut) return Status::Ok();
    std::unique_lock lock(mu);
    entered = true;
    cv.notify_all();
    cv.wait(lock, [&] { return release; });
    return Status::Ok();
  });
  std::thread t([&] { EXPECT_TRUE(fs.Put("k", "v").ok()); });
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return entered; });
  }
  EXPECT_EQ(fs.inner()->Get("k").error().code(), ENOENT);  // still held
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  t.join();
  EXPECT_EQ(*fs.inner()->Get("k"), "v");
}

TEST(MeteredStoreTest, PassesThroughWithoutRegistry) {
  MeteredStore ms(std::make_unique<MemStore>(), nullptr);
  ASSERT_TRUE(ms.Put("k", "value").ok());
  EXPECT_EQ(*ms.Get("k", 1, 3), "alu");
  EXPECT_EQ(ms.Get("missing").error().code(), ENOENT);
  EXPECT_EQ(ms.List("", "", 0)->size(), 1u);
  EXPECT_TRUE(ms.Delete("k").ok());
}

TEST(MeteredStoreTest, CountsRequestsBytesAndErrors) {
  metrics::Registry reg;
  auto faulty = std::make_unique<FaultyStore>(std::make_unique<MemStore>());
  FaultyStore* f = faulty.get();
  MeteredStore ms(std::move(faulty), &reg);
  ASSERT_TRUE(ms.Put("k", "12345").ok());
  ASSERT_TRUE(ms.Get("k").has_value());
  EXPECT_EQ(ms.Get("missing").error().code(), ENOENT);  // not an error of the store
  f->FailNth(1, Status(EIO, "boom"));
  EXPECT_FALSE(ms.Put("k", "x").ok());
  auto put = [&](const char* m) {
    return reg.GetCounter("tierfs_object_request_data_bytes", "", {{"method", m}})->Value();
  };
  EXPECT_EQ(put("PUT"), 5u);
  EXPECT_EQ(put("GET"), 5u);
  EXPECT_EQ(reg.GetCounter("tierfs_object_request_errors", "")->Value(), 1u);
  EXPECT_EQ(reg.GetHistogram("tierfs_object_request_durations_histogram_seconds", "",
                             metrics::LatencyBuckets(), {{"method", "GET"}})
                ->Count(),
            2u);
}

TEST(MeteredStoreTest, UploadingGaugeCountsPutsInFlight) {
  metrics::Registry reg;
  auto faulty = std::make_unique<FaultyStore>(std::make_unique<MemStore>());
  RequestGate gate(ObjectOp::kPut);
  faulty->SetInterceptor([&](const ObjectRequest& r) { return gate.Pass(r); });
  MeteredStore ms(std::move(faulty), &reg);
  metrics::Gauge* uploading = reg.GetGauge("tierfs_object_request_uploading", "");
  EXPECT_EQ(uploading->Value(), 0);
  std::thread t([&] { EXPECT_TRUE(ms.Put("k", "v").ok()); });
  gate.WaitForWaiting(1);
  EXPECT_EQ(uploading->Value(), 1);
  gate.Open();
  t.join();
  EXPECT_EQ(uploading->Value(), 0);
}

}  // namespace
}  // namespace tierfs::object
