// IdPool: uniqueness under concurrency, the refill bound, one refill in flight, errors, batch 1,
// min id; then through the SQLite engine: the counter advances by whole batches, a second
// client (a restart after kill -9) only leaves holes, and the META-URL options.
#include "meta/id_pool.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "metrics/registry.h"
#include "sql/test_fixture.h"

namespace tierfs::meta {
namespace {

// The shared counter of a fake store: "next free" semantics, as Engine::IncrCounter. Detects
// two refills at once; can fail the next calls and hold refills at a gate.
class FakeCounter {
 public:
  explicit FakeCounter(int64_t start = 0, int64_t other_client_step = 0)
      : value_(start), other_step_(other_client_step) {}

  Result<int64_t> Refill(int64_t delta) {
    if (in_flight_.fetch_add(1) != 0) overlap_ = true;
    std::unique_lock lk(mu_);
    ++calls_;
    entered_cv_.notify_all();
    gate_cv_.wait(lk, [&] { return !gated_; });
    Result<int64_t> r;
    if (fail_next_ > 0) {
      --fail_next_;
      r = Err(EIO, "fake store down");
    } else {
      value_ += other_step_;  // another client took ids in between: ranges are not contiguous
      value_ += delta;
      r = value_;
    }
    in_flight_.fetch_sub(1);
    return r;
  }
  IdPool::Refill Fn() {
    return [this](int64_t d) { return Refill(d); };
  }
  void FailNext(int n) {
    std::lock_guard lk(mu_);
    fail_next_ = n;
  }
  void Gate(bool closed) {
    {
      std::lock_guard lk(mu_);
      gated_ = closed;
    }
    gate_cv_.notify_all();
  }
  // Waits until `n` refills have been entered (they may still be held at the gate).
  void WaitCalls(int n) {
    std::unique_lock lk(mu_);
    entered_cv_.wait(lk, [&] { return calls_ >= n; });
  }
  int calls() {
    std::lock_guard lk(mu_);
    return calls_;
  }
  int64_t value() {
    std::lock_guard lk(mu_);
    return value_;
  }
  bool overlap() const { return overlap_; }
  int in_flight() const { return in_flight_; }

 private:
  std::mutex mu_;
  std::condition_variable gate_cv_, entered_cv_;
  int64_t value_;
  const int64_t other_step_;
  int calls_ = 0;
  int fail_next_ = 0;
  bool gated_ = false;
  std::atomic<int> in_flight_{0};
  std::atomic<bool> overlap_{false};
};

// "f12": built by appending (GCC 12 warns, wrongly, on "f" + std::to_string(i) when inlined).
std::string Name(char prefix, int i) {
  std::string s(1, prefix);
  s += std::to_string(i);
  return s;
}

uint64_t Metric(metrics::Registry& r, const std::string& name, const std::string& kind) {
  return r.GetCounter(name, "", {{"kind", kind}})->Value();
}

// A pool over a FakeCounter starting at `start`, with its metrics in a registry of its own.
struct Rig {
  Rig(const std::string& kind, int64_t batch, int pct, uint64_t min_id, int64_t start)
      : kind(kind), counter(start), pool(kind, batch, pct, min_id, counter.Fn()) {
    pool.BindMetrics(&reg);
  }
  uint64_t Get(const std::string& name) { return Metric(reg, name, kind); }
  std::string kind;
  FakeCounter counter;
  metrics::Registry reg;
  IdPool pool;
};

TEST(IdPoolTest, ConcurrentIdsAreUniqueAndRefillsBounded) {
  constexpr int kThreads = 100, kPerThread = 1000;
  constexpr int64_t kTotal = int64_t{kThreads} * kPerThread;
  struct Config {
    int64_t batch;
    int pct;
  };
  for (Config c : {Config{256, 25}, Config{7, 50}, Config{64, 100}, Config{1000, 0}}) {
    SCOPED_TRACE("batch " + std::to_string(c.batch) + " watermark " + std::to_string(c.pct) + "%");
    FakeCounter counter(/*start=*/1, /*other_client_step=*/3);
    metrics::Registry reg;
    std::vector<std::vector<uint64_t>> got(kThreads);
    int64_t low;
    {
      IdPool pool("slice", c.batch, c.pct, 1, counter.Fn());
      pool.BindMetrics(&reg);
      low = pool.low_watermark();
      std::vector<std::thread> threads;
      for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
          got[t].reserve(kPerThread);
          for (int i = 0; i < kPerThread; ++i) {
            auto id = pool.Next();
            ASSERT_TRUE(id.has_value()) << id.error().ToString();
            got[t].push_back(*id);
          }
        });
      }
      for (auto& th : threads) th.join();
    }  // the destructor joins an in-flight prefetch: the counts below are final
    std::vector<uint64_t> all;
    for (auto& g : got) all.insert(all.end(), g.begin(), g.end());
    ASSERT_EQ(all.size(), size_t(kTotal));
    std::sort(all.begin(), all.end());
    EXPECT_EQ(std::adjacent_find(all.begin(), all.end()), all.end()) << "duplicate id";
    EXPECT_GE(all.front(), 1u);
    EXPECT_LT(all.back(), uint64_t(counter.value()));
    EXPECT_FALSE(counter.overlap());
    // No ids are lost to min_id here (the counter starts at it), so each refill adds exactly
    // `batch` ids, and one starts only at <= low ids left: calls <= (T + low) / batch + 1.
    const int64_t calls = counter.calls();
    EXPECT_GE(calls, (kTotal + c.batch - 1) / c.batch);
    EXPECT_LE(calls, (kTotal + low) / c.batch + 1);
    EXPECT_EQ(Metric(reg, "tierfs_meta_id_prime_calls", "slice"), uint64_t(calls));
    EXPECT_EQ(Metric(reg, "tierfs_meta_id_served", "slice"), uint64_t(kTotal));
    EXPECT_EQ(Metric(reg, "tierfs_meta_id_prime_errors", "slice"), 0u);
    if (low == 0) {
      EXPECT_EQ(Metric(reg, "tierfs_meta_id_prefetches", "slice"), 0u);
    }
  }
}

TEST(IdPoolTest, EmptyPoolWaitsForTheRefillInFlight) {
  Rig rig("inode", 10, 50, 2, 2);
  FakeCounter& counter = rig.counter;
  IdPool& pool = rig.pool;
  ASSERT_EQ(*pool.Next(), 2u);  // synchronous prime: [2, 12)
  counter.Gate(true);
  for (uint64_t want = 3; want <= 7; ++want) ASSERT_EQ(*pool.Next(), want);
  // 5 ids left: the prefetch has started and is held at the gate.
  counter.WaitCalls(2);
  for (uint64_t want = 8; want <= 11; ++want) ASSERT_EQ(*pool.Next(), want);
  Result<uint64_t> waited;
  std::thread t([&] { waited = pool.Next(); });  // empty: must wait, not start a second refill
  counter.Gate(false);
  t.join();
  ASSERT_TRUE(waited.has_value());
  EXPECT_EQ(*waited, 12u);
  pool.WaitForRefill();
  EXPECT_EQ(counter.calls(), 2);
  EXPECT_FALSE(counter.overlap());
  EXPECT_EQ(rig.Get("tierfs_meta_id_prefetches"), 1u);
}

TEST(IdPoolTest, SynchronousPrimeFailureReturnsErrorThenRecovers) {
  Rig rig("inode", 4, 0, 2, 2);
  FakeCounter& counter = rig.counter;
  IdPool& pool = rig.pool;
  counter.FailNext(2);
  for (int i = 0; i < 2; ++i) {
    auto r = pool.Next();
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code(), EIO);
  }
  EXPECT_EQ(*pool.Next(), 2u);
  EXPECT_EQ(*pool.Next(), 3u);
  EXPECT_EQ(rig.Get("tierfs_meta_id_prime_errors"), 2u);
  EXPECT_EQ(rig.Get("tierfs_meta_id_prime_calls"), 3u);
}

TEST(IdPoolTest, FailedPrefetchIsRetried) {
  Rig rig("slice", 4, 50, 1, 1);
  FakeCounter& counter = rig.counter;
  IdPool& pool = rig.pool;
  EXPECT_EQ(*pool.Next(), 1u);  // [1, 5)
  counter.FailNext(1);
  EXPECT_EQ(*pool.Next(), 2u);  // 2 left: a prefetch starts, and fails
  pool.WaitForRefill();
  EXPECT_EQ(rig.Get("tierfs_meta_id_prime_errors"), 1u);
  EXPECT_EQ(*pool.Next(), 3u);  // still below the watermark: the prefetch is retried
  pool.WaitForRefill();
  EXPECT_EQ(rig.Get("tierfs_meta_id_prefetches"), 2u);
  EXPECT_EQ(counter.calls(), 3);
  for (uint64_t want = 4; want <= 8; ++want) EXPECT_EQ(*pool.Next(), want);  // [5, 9) prefetched
  pool.WaitForRefill();
  EXPECT_FALSE(counter.overlap());
}

TEST(IdPoolTest, BatchOneIsOneCounterIncrementPerId) {
  for (int pct : {0, 25, 100}) {
    Rig rig("inode", 1, pct, 2, 2);
    EXPECT_EQ(rig.pool.low_watermark(), 0);
    for (uint64_t want = 2; want < 1002; ++want) ASSERT_EQ(*rig.pool.Next(), want);
    EXPECT_EQ(rig.counter.calls(), 1000);
    EXPECT_EQ(rig.Get("tierfs_meta_id_prefetches"), 0u);
  }
}

TEST(IdPoolTest, MinIdIsRespected) {
  // A fresh counter at 0: [0, 4) loses 0 and 1 to min_id 2.
  FakeCounter counter(0);
  IdPool pool("inode", 4, 0, 2, counter.Fn());
  EXPECT_EQ(*pool.Next(), 2u);
  EXPECT_EQ(*pool.Next(), 3u);
  EXPECT_EQ(*pool.Next(), 4u);
  // Ranges wholly below min_id add nothing: the pool refills until it gets an id.
  FakeCounter low(0);
  IdPool one("inode", 1, 0, 2, low.Fn());
  EXPECT_EQ(*one.Next(), 2u);  // v = 1 -> [0,1), v = 2 -> [1,2), v = 3 -> [2,3)
  EXPECT_EQ(low.calls(), 3);
}

TEST(IdPoolTest, DestructorWaitsForTheRefillInFlight) {
  FakeCounter counter(1);
  auto pool = std::make_unique<IdPool>("slice", 2, 50, 1, counter.Fn());  // low watermark 1
  ASSERT_EQ(*pool->Next(), 1u);  // [1, 3), 1 left: prefetch
  counter.Gate(true);
  // The prefetch may have passed the gate before it closed; then it finishes by itself.
  std::thread destroy([&] { pool.reset(); });
  counter.Gate(false);
  destroy.join();
  EXPECT_EQ(counter.in_flight(), 0);
}

// ---- through the SQLite engine ----

using testing::QueryInt;
using testing::SqliteMetaTest;

class IdPoolSqliteTest : public SqliteMetaTest {
 protected:
  int64_t Counter(const std::string& name) {
    return QueryInt(dir_ + "/meta.db", "SELECT value FROM jfs_counter WHERE name='" + name + "'");
  }
  std::unique_ptr<Meta> Session(const std::string& query) {
    auto m = OpenMeta(url_ + query, true);
    EXPECT_TRUE(m.has_value()) << m.error().ToString();
    MetaOptions opt;
    opt.no_bgjob = true;
    EXPECT_TRUE((*m)->NewSession(SessionInfo{}, opt, MetaCallbacks{}).ok());
    return std::move(*m);
  }
};

TEST_F(IdPoolSqliteTest, NextInodeAdvancesByWholeBatches) {
  // Defaults: batch 256, prefetch at <= 64 left. nextInode starts at 2 (the first free id).
  constexpr int kFiles = 1000;
  for (int i = 0; i < kFiles; ++i) Mk(kRootIno, Name('f', i));
  // A prefetch may still be in flight: at most one batch more than the ids need.
  int64_t v = Counter("nextInode");
  EXPECT_GE(v, 2 + 4 * 256);
  EXPECT_LE(v, 2 + 5 * 256);
  (void)meta_->CloseSession();
  meta_.reset();  // joins the prefetch
  // Refills started at 0, 192, 448, 704 and 960 ids handed out: five batches, nothing else.
  EXPECT_EQ(Counter("nextInode"), 2 + 5 * 256);
}

TEST_F(IdPoolSqliteTest, UrlOptionsReachThePools) {
  auto m = Session("?inode_batch=100&inode_low_watermark=0&_journal=WAL");
  int64_t before = Counter("nextInode");
  for (int i = 0; i < 250; ++i) {
    ASSERT_TRUE(m->Mknod(root_, kRootIno, Name('g', i), FileType::kFile, 0644, 0, 0, "")
                    .has_value());
  }
  EXPECT_EQ(Counter("nextInode"), before + 300);  // three batches of 100, no prefetch
  auto one = Session("?metaprime=0");
  before = Counter("nextChunk");
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(one->NewSlice().has_value());
  EXPECT_EQ(Counter("nextChunk"), before + 10);
}

TEST_F(IdPoolSqliteTest, SecondClientAfterCrashLeavesHolesNeverDuplicates) {
  // The first client takes a batch, hands out a few ids and "dies": its pool keeps the rest
  // unused (it is never closed before the second starts, as after kill -9).
  std::set<uint64_t> inos, slices;
  for (int i = 0; i < 10; ++i) {
    inos.insert(Mk(kRootIno, Name('a', i)).ino);
    slices.insert(*meta_->NewSlice());
  }
  const uint64_t first_max_ino = *inos.rbegin(), first_max_slice = *slices.rbegin();
  auto second = Session("");
  for (int i = 0; i < 10; ++i) {
    auto e = second->Mknod(root_, kRootIno, Name('b', i), FileType::kFile, 0644, 0, 0, "");
    ASSERT_TRUE(e.has_value()) << e.error().ToString();
    EXPECT_GT(e->ino, first_max_ino);
    EXPECT_TRUE(inos.insert(e->ino).second) << "duplicate inode " << e->ino;
    auto s = second->NewSlice();
    ASSERT_TRUE(s.has_value());
    EXPECT_GT(*s, first_max_slice);
    EXPECT_TRUE(slices.insert(*s).second) << "duplicate slice " << *s;
  }
  // Both keep allocating: still no id of one is the other's.
  for (int i = 0; i < 300; ++i) {
    EXPECT_TRUE(inos.insert(Mk(kRootIno, Name('c', i)).ino).second);
    auto e = second->Mknod(root_, kRootIno, Name('d', i), FileType::kFile, 0644, 0, 0, "");
    ASSERT_TRUE(e.has_value());
    EXPECT_TRUE(inos.insert(e->ino).second) << "duplicate inode " << e->ino;
    EXPECT_TRUE(slices.insert(*meta_->NewSlice()).second);
    EXPECT_TRUE(slices.insert(*second->NewSlice()).second);
  }
  // A restart after kill -9: a third client on the same database allocates above every id
  // handed out so far.
  auto third = Session("");
  auto e = third->Mknod(root_, kRootIno, "z", FileType::kFile, 0644, 0, 0, "");
  ASSERT_TRUE(e.has_value());
  EXPECT_GT(e->ino, *inos.rbegin());
  EXPECT_GT(*third->NewSlice(), *slices.rbegin());
}

TEST(IdPoolUrlTest, BadValuesAreEinval) {
  char tmpl[] = "/tmp/tierfs-idurl-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  std::string url = "sqlite3://" + dir + "/m.db";
  for (const char* q : {"?inode_batch=abc", "?inode_batch=0", "?chunk_batch=-5", "?inode_batch=",
                        "?inode_batch=12x", "?chunk_low_watermark=101", "?inode_low_watermark=-1",
                        "?metaprime=2", "?chunk_batch=99999999999999999999"}) {
    auto m = OpenMeta(url + q, false);
    ASSERT_FALSE(m.has_value()) << q;
    EXPECT_EQ(m.error().code(), EINVAL) << q;
    EXPECT_EQ(m.error().message().find('\n'), std::string::npos) << q;
  }
  for (const char* q : {"", "?_journal=WAL", "?foo=bar&inode_batch=1&chunk_low_watermark=100",
                        "?metaprime=0", "?metaprime=1&chunk_batch=1073741824"}) {
    EXPECT_TRUE(OpenMeta(url + q, false).has_value()) << q;
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tierfs::meta
