#include "chunk/memory_budget.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "chunk/block_cache.h"

namespace tierfs::chunk {
namespace {

TEST(MemoryBudgetTest, ChargedDrainingAndGone) {
  std::atomic<int64_t> gauge{0};  // updated outside the budget's lock, like a metrics gauge
  MemoryBudget budget(100, [&](int64_t d) { gauge += d; });
  budget.Charge(60);
  EXPECT_EQ(budget.Check(), MemoryBudget::State::kRoom);
  budget.Charge(50);  // beyond the limit: charging never blocks
  EXPECT_EQ(budget.used(), 110u);
  EXPECT_EQ(budget.Check(), MemoryBudget::State::kFull);  // nothing on its way out
  budget.StartDrain(50);
  EXPECT_EQ(budget.Check(), MemoryBudget::State::kDraining);
  budget.FinishDrain(50);
  EXPECT_EQ(budget.Check(), MemoryBudget::State::kRoom);
  budget.Release(60);
  EXPECT_EQ(budget.used(), 0u);
  EXPECT_EQ(gauge.load(), 0);
}

TEST(MemoryBudgetTest, WaitForChangeEndsAtTheNextChange) {
  MemoryBudget budget(10);
  budget.Charge(20);
  budget.StartDrain(20);
  std::atomic<bool> woke{false};
  std::thread t([&] {
    budget.WaitForChange(std::chrono::minutes(10));
    woke = true;
  });
  budget.WaitForWaiters(1);
  EXPECT_FALSE(woke.load());
  budget.FinishDrain(20);
  t.join();
  EXPECT_TRUE(woke.load());
  EXPECT_EQ(budget.waiters(), 0);
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
