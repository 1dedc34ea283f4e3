// WithRetry over a FaultyStore(MemStore), on a fake clock: which errors are retried, how often,
// how long it waits in between (exponential ceilings, full jitter), and the deadline.
#include "object/retry_store.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "object/faulty_store.h"
#include "object/mem_store.h"
#include "util/fake_sleeper.h"

namespace tierfs::object {
namespace {

using namespace std::chrono_literals;

class RetryStoreTest : public ::testing::Test {
 protected:
  // A retry store of `tries` tries over a FaultyStore, sleeping on clock_.
  void Make(int tries, std::chrono::milliseconds deadline = 0ms) {
    auto faulty = std::make_unique<FaultyStore>(std::make_unique<MemStore>("retry"));
    faulty_ = faulty.get();
    RetryPolicy p;
    p.max_tries = tries;
    p.deadline = deadline;
    p.sleeper = &clock_;
    p.seed = 7;
    store_ = WithRetry(std::move(faulty), p);
  }
  void SetUp() override { Make(5); }

  FakeSleeper clock_;
  FaultyStore* faulty_ = nullptr;  // owned by store_
  std::unique_ptr<ObjectStore> store_;
};

TEST_F(RetryStoreTest, TransientFailureIsRetriedThenSucceeds) {
  ASSERT_TRUE(faulty_->inner()->Put("k", "value").ok());
  faulty_->FailNth(1, Status(ETIMEDOUT, "timeout after 60s"));
  auto got = store_->Get("k");
  ASSERT_TRUE(got.has_value()) << got.error().ToString();
  EXPECT_EQ(*got, "value");
  EXPECT_EQ(faulty_->requests(), 2u);
  ASSERT_EQ(clock_.sleeps().size(), 1u);
  EXPECT_LE(clock_.sleeps()[0], 100ms);  // the first wait's ceiling is `base`
}

TEST_F(RetryStoreTest, EveryTransientErrnoIsRetried) {
  for (int code : {ETIMEDOUT, ECONNREFUSED, ECONNRESET, ECONNABORTED, EPIPE, ENETDOWN,
                   ENETUNREACH, ENETRESET, EHOSTDOWN, EHOSTUNREACH, EAGAIN, EBUSY, EIO}) {
    SCOPED_TRACE(ErrnoName(code));
    EXPECT_TRUE(IsTransient(code));
    Make(5);
    faulty_->FailNth(1, Status(code, "injected"));
    EXPECT_TRUE(store_->Put("k", "v").ok());
    EXPECT_EQ(faulty_->requests(), 2u);
  }
}

TEST_F(RetryStoreTest, PermanentFailureIsReturnedAtOnceUnchanged) {
  for (int code : {ENOENT, EACCES, EPERM, EROFS, EINVAL, ENOSPC, EDQUOT, EBADMSG, ENOTSUP}) {
    SCOPED_TRACE(ErrnoName(code));
    EXPECT_FALSE(IsTransient(code));
    Make(5);
    faulty_->FailWhen([](const ObjectRequest&) { return true; }, Status(code, "no way"));
    Status st = store_->Put("k", "v");
    EXPECT_EQ(st.code(), code);
    EXPECT_EQ(st.message(), "no way");
    EXPECT_EQ(faulty_->requests(), 1u);
    EXPECT_TRUE(clock_.sleeps().empty());
  }
}

// A flipped bit in an encrypted object (EBADMSG) reads the same the next time: one GET.
TEST_F(RetryStoreTest, CorruptDataIsNotRetried) {
  ASSERT_TRUE(faulty_->inner()->Put("chunks/0/0/1_0_5", "hello").ok());
  faulty_->FailWhen([](const ObjectRequest& r) { return r.op == ObjectOp::kGet; },
                    Status(EBADMSG, "message authentication failed"));
  auto got = store_->Get("chunks/0/0/1_0_5");
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().code(), EBADMSG);
  EXPECT_EQ(faulty_->requests(), 1u);
  EXPECT_TRUE(clock_.sleeps().empty());
}

TEST_F(RetryStoreTest, GivesUpAfterMaxTriesKeepingTheErrno) {
  Make(4);
  faulty_->FailWhen([](const ObjectRequest&) { return true; }, Status(EIO, "HTTP 500"));
  Status st = store_->Put("k", "v");
  EXPECT_EQ(st.code(), EIO);
  EXPECT_EQ(st.message(), "HTTP 500 (gave up after 4 tries)");
  EXPECT_EQ(faulty_->requests(), 4u);
  EXPECT_EQ(clock_.sleeps().size(), 3u);
}

TEST_F(RetryStoreTest, OneTryMeansNoRetry) {
  Make(1);
  faulty_->FailNth(1, Status(EAGAIN, "SlowDown"));
  Status st = store_->Delete("k");
  EXPECT_EQ(st.code(), EAGAIN);
  EXPECT_EQ(st.message(), "SlowDown");
  EXPECT_EQ(faulty_->requests(), 1u);
}

TEST_F(RetryStoreTest, PermanentErrorAfterRetriesIsReturnedUnchanged) {
  faulty_->FailNth(1, Status(ECONNRESET, "reset"));
  auto got = store_->Get("missing");  // then the real answer: ENOENT
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().code(), ENOENT);
  EXPECT_EQ(got.error().message().find("gave up"), std::string::npos);
  EXPECT_EQ(faulty_->requests(), 2u);
}

TEST_F(RetryStoreTest, EveryMethodRetries) {
  ASSERT_TRUE(faulty_->inner()->Put("a/k", "v").ok());
  faulty_->FailNth(1, Status(EAGAIN, "throttled"));
  EXPECT_TRUE(store_->Head("a/k").has_value());
  faulty_->FailNth(1, Status(EAGAIN, "throttled"));
  EXPECT_EQ(store_->List("a/")->size(), 1u);
  faulty_->FailNth(1, Status(EAGAIN, "throttled"));
  EXPECT_TRUE(store_->Create().ok());
  faulty_->FailNth(1, Status(EAGAIN, "throttled"));
  EXPECT_TRUE(store_->Delete("a/k").ok());
  EXPECT_EQ(faulty_->requests(), 8u);
}

TEST(BackoffCeilingTest, DoublesFromBaseUpToTheCap) {
  RetryPolicy p;
  p.base = 100ms;
  p.cap = 1000ms;
  std::vector<std::chrono::nanoseconds> want = {100ms, 200ms, 400ms, 800ms, 1000ms, 1000ms};
  for (int n = 1; n <= 6; ++n) EXPECT_EQ(BackoffCeiling(p, n), want[n - 1]) << n;
  EXPECT_EQ(BackoffCeiling(p, 1000), 1000ms);  // no overflow however many retries
  p.cap = 0ms;
  EXPECT_EQ(BackoffCeiling(p, 3), 0ms);
}

// The waits between tries stay under their exponential ceilings and are spread over them
// (full jitter), not the ceilings themselves.
TEST(RetryBackoffTest, WaitsAreJitteredWithinExponentialCeilings) {
  RetryPolicy p;
  p.max_tries = 8;
  p.base = 100ms;
  p.cap = 1000ms;
  FakeSleeper clock;
  p.sleeper = &clock;
  p.seed = 12345;
  auto faulty = std::make_unique<FaultyStore>(std::make_unique<MemStore>());
  faulty->FailWhen([](const ObjectRequest&) { return true; }, Status(EIO, "down"));
  auto store = WithRetry(std::move(faulty), p);
  constexpr int kRuns = 300;
  for (int run = 0; run < kRuns; ++run) EXPECT_EQ(store->Put("k", "v").code(), EIO);
  auto sleeps = clock.sleeps();
  ASSERT_EQ(sleeps.size(), size_t{kRuns} * 7);
  for (int retry = 1; retry <= 7; ++retry) {
    SCOPED_TRACE(retry);
    const auto ceiling = BackoffCeiling(p, retry);
    std::chrono::nanoseconds lo = ceiling, hi{0}, sum{0};
    for (int run = 0; run < kRuns; ++run) {
      auto d = sleeps[run * 7 + (retry - 1)];
      ASSERT_GE(d, 0ns);
      ASSERT_LE(d, ceiling);
      lo = std::min<std::chrono::nanoseconds>(lo, d);
      hi = std::max<std::chrono::nanoseconds>(hi, d);
      sum += d;
    }
    // Uniform on [0, ceiling]: 300 draws reach both tenths of the range, average near half.
    EXPECT_LT(lo, ceiling / 10);
    EXPECT_GT(hi, ceiling * 9 / 10);
    auto mean = sum / kRuns;
    EXPECT_GT(mean, ceiling * 4 / 10);
    EXPECT_LT(mean, ceiling * 6 / 10);
  }
}

// Attempts that take 400 ms each against a 1 s deadline: the third one starts before it, no
// fourth does, although max_tries would allow ten.
TEST(RetryDeadlineTest, NoAttemptStartsAfterTheDeadline) {
  FakeSleeper clock;
  RetryPolicy p;
  p.max_tries = 10;
  p.base = 1ms;
  p.cap = 1ms;
  p.deadline = 1000ms;
  p.sleeper = &clock;
  auto faulty = std::make_unique<FaultyStore>(std::make_unique<MemStore>());
  FaultyStore* f = faulty.get();
  f->SetInterceptor([&clock](const ObjectRequest&) {
    clock.Advance(400ms);
    return Status(ETIMEDOUT, "timeout after 0.4s");
  });
  auto store = WithRetry(std::move(faulty), p);
  Status st = store->Put("k", "v");
  EXPECT_EQ(st.code(), ETIMEDOUT);
  EXPECT_NE(st.message().find("gave up after 3 tries"), std::string::npos) << st.message();
  EXPECT_EQ(f->requests(), 3u);
}

}  // namespace
}  // namespace tierfs::object
