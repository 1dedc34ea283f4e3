// TokenBucket on a fake clock: it starts full, refills at its rate up to its capacity, lets a
// request larger than the capacity through by going into debt, and holds the rate over many
// requests.
#include "util/token_bucket.h"

#include <gtest/gtest.h>

#include "util/fake_sleeper.h"

namespace tierfs {
namespace {

using namespace std::chrono_literals;

// Waits are computed in floating point: `want`, give or take the rounding.
::testing::AssertionResult IsWait(SteadyClock::duration got, SteadyClock::duration want) {
  if (std::chrono::abs(got - want) <= 1us) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "waits " << got.count() << " ns, not " << want.count();
}

TEST(TokenBucketTest, StartsFullThenWaitsForTheRate) {
  FakeSleeper clock;
  TokenBucket b(1000, 100, &clock);  // 1000 tokens/s, 100 at most
  EXPECT_TRUE(IsWait(b.Reserve(100), 0ns));
  EXPECT_TRUE(IsWait(b.Reserve(1000), 1s));  // 1000 more: one second of refill
  clock.Advance(1s);
  EXPECT_TRUE(IsWait(b.Reserve(0), 0ns));
  EXPECT_TRUE(IsWait(b.Reserve(10), 10ms));
}

TEST(TokenBucketTest, RefillStopsAtTheCapacity) {
  FakeSleeper clock;
  TokenBucket b(1000, 100, &clock);
  ASSERT_EQ(b.Reserve(100), 0ns);
  clock.Advance(1h);
  EXPECT_TRUE(IsWait(b.Reserve(100), 0ns));
  EXPECT_TRUE(IsWait(b.Reserve(1), 1ms));  // an hour idle saved no more than the capacity
}

TEST(TokenBucketTest, ConcurrentReservationsQueueUp) {
  FakeSleeper clock;
  TokenBucket b(1000, 1, &clock);
  ASSERT_EQ(b.Reserve(1), 0ns);
  // Two callers at the same instant: the second waits for the first's tokens too.
  EXPECT_TRUE(IsWait(b.Reserve(1000), 1s));
  EXPECT_TRUE(IsWait(b.Reserve(1000), 2s));
}

TEST(TokenBucketTest, HoldsTheRateOverManyRequests) {
  FakeSleeper clock;
  TokenBucket b(250'000, 25'000, &clock);  // 2 Mbps in bytes/s, a tenth of a second of burst
  const auto start = clock.Now();
  constexpr int kBlocks = 100;
  constexpr int64_t kBlock = 64 << 10;
  for (int i = 0; i < kBlocks; ++i) b.Wait(kBlock);
  // All but the initial burst was paid for at the rate.
  const double want = double(kBlocks * kBlock - 25'000) / 250'000;
  const double got = std::chrono::duration<double>(clock.Now() - start).count();
  EXPECT_NEAR(got, want, 1e-6);
}

}  // namespace
}  // namespace tierfs
