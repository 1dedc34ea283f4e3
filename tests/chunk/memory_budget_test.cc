#include "chunk/memory_budget.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "chunk/block_cache.h"

namespace tierfs::chunk {
namespace {

TEST(MemoryBudgetTest, AcquireBlocksUntilRelease) {
  std::atomic<int64_t> gauge{0};  // updated outside the budget's lock, like a metrics gauge
  MemoryBudget budget(100, [&](int64_t d) { gauge += d; });
  budget.Acquire(60);
  EXPECT_FALSE(budget.TryAcquire(50));
  std::atomic<bool> got{false};
  std::thread t([&] {
    budget.Acquire(50);
    got = true;
  });
  budget.WaitForWaiters(1);
  EXPECT_FALSE(got.load());
  EXPECT_EQ(budget.used(), 60u);
  budget.Release(30);  // 30 + 50 fits
  t.join();
  EXPECT_TRUE(got.load());
  EXPECT_EQ(budget.used(), 80u);
  budget.Release(80);
  EXPECT_EQ(budget.used(), 0u);
  EXPECT_EQ(gauge.load(), 0);
  EXPECT_EQ(budget.waiters(), 0);
}

TEST(MemoryBudgetTest, OversizedRequestIsGrantedWhenIdle) {
  MemoryBudget budget(10);
  budget.Acquire(50);
  EXPECT_EQ(budget.used(), 50u);
  budget.Release(50);
}

TEST(BlockCacheTest, EvictsLeastRecentlyUsedByBytes) {
  BlockCache cache(10);
  auto blk = [](char c, size_t n) { return std::make_shared<const std::string>(n, c); };
  cache.Put("a", blk('a', 4));
  cache.Put("b", blk('b', 4));
  ASSERT_NE(cache.Get("a"), nullptr);  // a is now most recent
  cache.Put("c", blk('c', 4));         // evicts b
  EXPECT_EQ(cache.Get("b"), nullptr);
  EXPECT_EQ(*cache.Get("a"), "aaaa");
  EXPECT_EQ(*cache.Get("c"), "cccc");
  EXPECT_EQ(cache.bytes(), 8u);
  cache.Put("huge", blk('h', 11));  // larger than the cache: not kept
  EXPECT_FALSE(cache.Contains("huge"));
  cache.Erase("a");
  EXPECT_EQ(cache.bytes(), 4u);
}

}  // namespace
}  // namespace tierfs::chunk
