#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "redis_test_util.h"

namespace tierfs::net::redis {
namespace {

using std::chrono::milliseconds;

using RedisCacheTest = RedisFixture;

TEST_F(RedisCacheTest, HitAfterMissPerCommandSignature) {
  auto c = Connect();
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->CacheEnabled());
  Must(c->Do({"HSET", "h", "f", "1", "g", "2"}));
  EXPECT_EQ(Must(c->DoCached({"HGET", "h", "f"}, "h")).str, "1");
  EXPECT_EQ(Must(c->DoCached({"HGET", "h", "f"}, "h")).str, "1");
  EXPECT_EQ(Must(c->DoCached({"HGETALL", "h"}, "h")).elems.size(), 4u);  // a RESP3 map
  EXPECT_TRUE(Must(c->DoCached({"GET", "nil"}, "nil")).IsNil());
  EXPECT_TRUE(Must(c->DoCached({"GET", "nil"}, "nil")).IsNil());  // nil is cached too
  ClientStats s = c->Stats();
  EXPECT_EQ(s.cache_misses, 3u);
  EXPECT_EQ(s.cache_hits, 2u);
  EXPECT_EQ(s.cache_entries, 3u);
  EXPECT_GT(s.cache_bytes, 0u);
}

TEST_F(RedisCacheTest, ConcurrentMissesAreOneFlight) {
  Must(Connect()->Do({"SET", "k", "v"}));
  auto c = Connect();
  ASSERT_TRUE(c);
  std::atomic<int> bad{0};
  Parallel(16, [&](int) {
    for (int i = 0; i < 100; i++)
      if (auto r = c->DoCached({"GET", "k"}, "k"); !r || r->str != "v") bad++;
  });
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(c->Stats().cache_misses, 1u);  // no write: every other read joined or hit
  EXPECT_EQ(c->Stats().cache_hits, 1599u);
}

TEST_F(RedisCacheTest, AnotherClientsWriteInvalidates) {
  auto c = Connect();
  auto w = Connect();
  ASSERT_TRUE(c && w);
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> seen;
  c->OnInvalidate([&](std::span<const std::string> keys, bool all) {
    std::lock_guard lock(mu);
    seen.insert(seen.end(), keys.begin(), keys.end());
    cv.notify_all();
  });
  Must(w->Do({"SET", "k", "old"}));
  EXPECT_EQ(Must(c->DoCached({"GET", "k"}, "k")).str, "old");
  Must(w->Do({"SET", "k", "new"}));
  {
    std::unique_lock lock(mu);
    EXPECT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] {
      return std::find(seen.begin(), seen.end(), "k") != seen.end();
    })) << "no invalidation of k arrived";
  }
  EXPECT_GE(c->Stats().cache_invalidations, 1u);
  EXPECT_EQ(Must(c->DoCached({"GET", "k"}, "k")).str, "new");
}

// The read/invalidate race. A writer client hammers SET k <n> with n increasing and publishes n
// once SET returned. A reader takes the published n, then sends EXISTS k on the connection that
// tracks k: its reply comes after every invalidation push of a write the server ran before it,
// and the reader thread handles pushes and replies in order. So a DoCached(GET k) issued after
// that barrier must never return a value below n; a cache that stored a reply an invalidation
// had overtaken, or served an entry a push should have dropped, fails this.
TEST_F(RedisCacheTest, NeverOlderThanAWriteCompletedBeforeTheRead) {
  auto c = Connect();
  auto w = Connect();
  ASSERT_TRUE(c && w);
  const std::vector<std::string> keys = {"r0", "r1", "r2", "r3"};
  std::vector<std::atomic<int64_t>> committed(keys.size());
  for (auto& k : keys) Must(w->Do({"SET", k, "0"}));
  std::atomic<bool> stop{false};
  std::atomic<int> stale{0}, errors{0}, reads{0};
  std::thread writer([&] {
    for (int64_t n = 1; !stop; n++) {
      size_t i = size_t(n) % keys.size();
      auto r = w->Do({"SET", keys[i], std::to_string(n)});
      if (!r) errors++;
      committed[i] = n;
    }
  });
  Parallel(4, [&](int t) {
    for (int i = 0; i < 3000; i++) {
      size_t k = size_t(i + t) % keys.size();
      int64_t floor = committed[k];
      auto barrier = c->Do({"EXISTS", keys[k]});
      auto r = c->DoCached({"GET", keys[k]}, keys[k]);
      if (!barrier || !r || r->IsNil()) {
        errors++;
        continue;
      }
      reads++;
      if (std::stoll(r->str) < floor) stale++;
    }
  });
  stop = true;
  writer.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(stale.load(), 0) << "of " << reads.load() << " reads";
  ClientStats s = c->Stats();
  EXPECT_GT(s.cache_hits, 0u) << "the race was not exercised";
  EXPECT_GT(s.cache_invalidations, 0u);
}

TEST_F(RedisCacheTest, OwnInvalidateDropsAtOnce) {
  auto c = Connect();
  ASSERT_TRUE(c);
  Must(c->Do({"SET", "k", "1"}));
  Must(c->DoCached({"GET", "k"}, "k"));
  EXPECT_EQ(c->Stats().cache_entries, 1u);
  std::string k = "k";
  c->Invalidate({&k, 1});
  EXPECT_EQ(c->Stats().cache_entries, 0u);
  Must(c->DoCached({"GET", "k"}, "k"));
  EXPECT_EQ(c->Stats().cache_misses, 2u);
}

TEST_F(RedisCacheTest, ByteBudgetEvictsLeastRecentlyUsed) {
  Options o = Opts();
  o.pipelines = 1;
  o.cache_bytes = 64 << 10;
  auto c = Connect(o);
  ASSERT_TRUE(c);
  std::string value(4 << 10, 'x');
  for (int i = 0; i < 100; i++) Must(c->Do({"SET", "b" + std::to_string(i), value}));
  for (int i = 0; i < 100; i++) Must(c->DoCached({"GET", "b" + std::to_string(i)}, "b" + std::to_string(i)));
  ClientStats s = c->Stats();
  EXPECT_LE(s.cache_bytes, o.cache_bytes);
  EXPECT_GT(s.cache_entries, 5u);
  EXPECT_LT(s.cache_entries, 16u);
  Must(c->DoCached({"GET", "b99"}, "b99"));  // the newest is kept
  EXPECT_EQ(c->Stats().cache_hits, 1u);
  Must(c->DoCached({"GET", "b0"}, "b0"));  // the oldest went
  EXPECT_EQ(c->Stats().cache_misses, 101u);
  std::string huge(128 << 10, 'y');
  Must(c->Do({"SET", "huge", huge}));
  EXPECT_EQ(Must(c->DoCached({"GET", "huge"}, "huge")).str.size(), huge.size());  // never stored
  EXPECT_LE(c->Stats().cache_bytes, o.cache_bytes);
}

TEST_F(RedisCacheTest, TtlCapsEntryAge) {
  Options o = Opts();
  o.cache_ttl_ms = 100;
  auto c = Connect(o);
  ASSERT_TRUE(c);
  Must(c->Do({"SET", "t", "1"}));
  Must(c->DoCached({"GET", "t"}, "t"));
  auto cached_at = std::chrono::steady_clock::now();
  Must(c->DoCached({"GET", "t"}, "t"));
  EXPECT_EQ(c->Stats().cache_misses, 1u);  // younger than the TTL: a hit
  // The condition is the clock itself: the entry's age passing the TTL.
  std::this_thread::sleep_until(cached_at + milliseconds(110));
  Must(c->DoCached({"GET", "t"}, "t"));
  EXPECT_EQ(c->Stats().cache_misses, 2u);
}

TEST_F(RedisCacheTest, FlushdbFlushesTheCache) {
  auto c = Connect();
  auto w = Connect();
  ASSERT_TRUE(c && w);
  std::mutex mu;
  std::condition_variable cv;
  int alls = 0;
  c->OnInvalidate([&](std::span<const std::string>, bool all) {
    std::lock_guard lock(mu);
    alls += all;
    cv.notify_all();
  });
  for (int i = 0; i < 10; i++) Must(c->DoCached({"GET", "f" + std::to_string(i)}, "f" + std::to_string(i)));
  EXPECT_EQ(c->Stats().cache_entries, 10u);
  Must(w->Do({"FLUSHDB"}));
  {
    std::unique_lock lock(mu);
    // One flush push per tracking connection (each has its own cache).
    const int pipes = Opts().pipelines;
    EXPECT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return alls >= pipes; }))
        << alls << " of " << pipes << " connections got the flush push";
  }
  EXPECT_EQ(c->Stats().cache_entries, 0u);
  EXPECT_GE(c->Stats().cache_flushes, 1u);
}

TEST_F(RedisCacheTest, LosingTheConnectionFlushesTheCache) {
  Options o = Opts();
  o.pipelines = 1;
  auto c = Connect(o);
  auto w = Connect();
  ASSERT_TRUE(c && w);
  Must(w->Do({"SET", "k", "before"}));
  EXPECT_EQ(Must(c->DoCached({"GET", "k"}, "k")).str, "before");
  EXPECT_EQ(c->Stats().cache_entries, 1u);
  auto id = Must(c->Do({"CLIENT", "ID"})).integer;
  Must(w->Do({"CLIENT", "KILL", "ID", std::to_string(id)}));
  // PING is retried across the reconnect: once it answers, the lost connection was replaced.
  EXPECT_TRUE(c->Do({"PING"}).has_value());
  EXPECT_GE(c->Stats().reconnects, 1u);
  EXPECT_EQ(c->Stats().cache_entries, 0u);
  // Written while we were not tracking: the cache must not hide it.
  Must(w->Do({"SET", "k", "after"}));
  EXPECT_EQ(Must(c->DoCached({"GET", "k"}, "k")).str, "after");
  EXPECT_TRUE(c->CacheEnabled());
}

}  // namespace
}  // namespace tierfs::net::redis
