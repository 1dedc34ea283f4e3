#include "chunk/cached_store.h"

#include <gtest/gtest.h>

#include <future>

#include <atomic>
#include <condition_variable>
#include <random>
#include <thread>

#include "metrics/registry.h"
#include "object/faulty_store.h"
#include "object/mem_store.h"
#include "object/metered_store.h"
#include "object/request_gate.h"
#include "object/retry_store.h"
#include "util/fake_sleeper.h"

namespace tierfs::chunk {
namespace {

using object::FaultyStore;
using object::MemStore;
using object::ObjectOp;
using object::ObjectRequest;
using object::RequestGate;

constexpr uint32_t kBs = 64 << 10;  // small blocks keep the tests fast

std::string Random(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

class CachedStoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { Make([](ChunkConfig&) {}); }
  // The chunk store over a mount's retry wrapper (3 tries, on a fake clock) over a FaultyStore.
  void Make(const std::function<void(ChunkConfig&)>& adjust) {
    chunks_.reset();
    auto faulty = std::make_unique<FaultyStore>(std::make_unique<MemStore>());
    objects_ = faulty.get();
    object::RetryPolicy retry;
    retry.max_tries = 3;
    retry.sleeper = &clock_;
    retried_ = object::WithRetry(std::move(faulty), retry);
    config_ = ChunkConfig();
    config_.block_size = kBs;
    config_.compression = GetParam();
    config_.max_uploads = 4;
    adjust(config_);
    chunks_ = std::make_unique<CachedStore>(retried_.get(), config_, nullptr);
  }
  void TearDown() override {
    objects_->Clear();
    chunks_.reset();
  }

  // Writes `data` as slice `id` in `piece`-byte writes, flushing full blocks as a VFS would.
  Status WriteSlice(uint64_t id, const std::string& data, size_t piece = 10000) {
    auto w = chunks_->NewWriter(id);
    EXPECT_EQ(w->id(), id);
    for (size_t off = 0; off < data.size(); off += piece) {
      size_t n = std::min(piece, data.size() - off);
      RETURN_IF_ERROR(w->WriteAt(std::span(data.data() + off, n), static_cast<uint32_t>(off)));
      RETURN_IF_ERROR(w->FlushTo(static_cast<uint32_t>(off + n)));
    }
    return w->Finish(static_cast<uint32_t>(data.size()));
  }
  std::string Read(uint64_t id, uint32_t size, uint32_t off, size_t len) {
    std::string buf(len, '\xee');
    auto n = chunks_->ReadSlice(id, size, off, buf);
    EXPECT_TRUE(n.has_value()) << n.error().ToString();
    buf.resize(n.value_or(0));
    return buf;
  }
  std::vector<std::string> Keys() {
    std::vector<std::string> keys;
    auto list = objects_->inner()->List("");
    EXPECT_TRUE(list.has_value());
    for (auto& o : list.value_or(std::vector<object::ObjectInfo>{})) keys.push_back(o.key);
    return keys;
  }
  int CountGets() {
    gets_ = std::make_shared<std::atomic<int>>(0);
    objects_->SetInterceptor([g = gets_](const ObjectRequest& r) {
      if (r.op == ObjectOp::kGet) ++*g;
      return Status::Ok();
    });
    return 0;
  }

  ChunkConfig config_;
  FakeSleeper clock_;
  FaultyStore* objects_ = nullptr;  // owned by retried_
  std::unique_ptr<object::ObjectStore> retried_;
  std::unique_ptr<CachedStore> chunks_;
  std::shared_ptr<std::atomic<int>> gets_;
};

TEST_P(CachedStoreTest, SlicesOfEverySizeReadBackExactly) {
  uint64_t id = 1;
  for (uint32_t size : {0u, 1u, kBs - 1, kBs, kBs + 1, 3 * kBs + 5}) {
    SCOPED_TRACE(size);
    std::string data = Random(size, size);
    ASSERT_TRUE(WriteSlice(id, data).ok());
    // Objects: one per block, the last one carrying its exact length.
    for (uint32_t i = 0; uint64_t{i} * kBs < size; ++i) {
      uint32_t len = std::min(kBs, size - i * kBs);
      EXPECT_TRUE(objects_->inner()->Head(BlockKey(id, i, len, false)).has_value()) << i;
    }
    EXPECT_EQ(Read(id, size, 0, size), data);
    EXPECT_EQ(Read(id, size, 0, size + 100), data);  // short at the slice end
    EXPECT_EQ(Read(id, size, size, 10), "");
    std::mt19937 rng(size);
    for (int k = 0; k < 30 && size > 0; ++k) {
      uint32_t off = rng() % size;
      uint32_t len = rng() % (size - off + 1);
      ASSERT_EQ(Read(id, size, off, len), data.substr(off, len)) << off << "+" << len;
    }
    ++id;
  }
  EXPECT_EQ(chunks_->UsedBuffer(), 0u);
}

TEST_P(CachedStoreTest, KeysFollowTheVolumeLayout) {
  ASSERT_TRUE(WriteSlice(1234567, Random(2 * kBs + 7, 1)).ok());
  EXPECT_EQ(Keys(), (std::vector<std::string>{"chunks/1/1234/1234567_0_65536",
                                              "chunks/1/1234/1234567_1_65536",
                                              "chunks/1/1234/1234567_2_7"}));
  Make([](ChunkConfig& c) { c.hash_prefix = true; });
  ASSERT_TRUE(WriteSlice(1234567, "abc").ok());
  EXPECT_EQ(Keys(), (std::vector<std::string>{"chunks/87/1/1234567_0_3"}));
}

TEST_P(CachedStoreTest, FullSizeSliceWithSequentialFuseReads) {
  Make([](ChunkConfig& c) { c.block_size = 4 << 20; });
  std::string data = Random(kMaxSliceSize, 7);
  ASSERT_TRUE(WriteSlice(9, data, 1 << 20).ok());
  EXPECT_EQ(Keys().size(), 16u);
  CountGets();
  constexpr size_t kFuseRead = 128 << 10;
  for (uint32_t off = 0; off < kMaxSliceSize; off += kFuseRead) {
    ASSERT_EQ(Read(9, kMaxSliceSize, off, kFuseRead), data.substr(off, kFuseRead)) << off;
  }
  // One GET per block, not one per FUSE read (LRU + single-flighted read-ahead).
  EXPECT_EQ(gets_->load(), 16);
}

TEST_P(CachedStoreTest, ConcurrentReadsOfOneBlockFetchItOnce) {
  std::string data = Random(kBs, 3);
  ASSERT_TRUE(WriteSlice(5, data).ok());
  CountGets();
  std::vector<std::thread> readers;
  std::atomic<int> bad{0};
  // Reads of half a block: small ones at an offset would be ranged GETs of their own.
  constexpr size_t kLen = kBs / 2;
  for (int t = 0; t < 8; ++t) {
    readers.emplace_back([&, t] {
      std::string buf(kLen, '\0');
      auto n = chunks_->ReadSlice(5, kBs, t * 1000, buf);
      if (!n || *n != kLen || buf != data.substr(t * 1000, kLen)) ++bad;
    });
  }
  for (auto& r : readers) r.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(gets_->load(), 1);
}

TEST_P(CachedStoreTest, ConcurrentWriters) {
  std::vector<std::thread> writers;
  std::vector<std::string> datas;
  for (int t = 0; t < 6; ++t) datas.push_back(Random(t * kBs + 1000 * t + 1, t));
  std::atomic<int> failed{0};
  for (int t = 0; t < 6; ++t) {
    writers.emplace_back([&, t] {
      if (!WriteSlice(100 + t, datas[t], 3000 + t).ok()) ++failed;
    });
  }
  for (auto& w : writers) w.join();
  ASSERT_EQ(failed.load(), 0);
  for (int t = 0; t < 6; ++t) {
    uint32_t size = static_cast<uint32_t>(datas[t].size());
    EXPECT_EQ(Read(100 + t, size, 0, size), datas[t]) << t;
  }
}

// The budget is consulted before a write, never inside one: Buffer() reports kDraining while
// uploads in flight hold it, kFull when buffers being filled hold it, and room comes back when
// the uploads end.
TEST_P(CachedStoreTest, BufferStateTracksUploadsInFlight) {
  Make([](ChunkConfig& c) {
    c.buffer_size = 2 * kBs;
    c.max_uploads = 2;
  });
  RequestGate gate(ObjectOp::kPut);
  objects_->SetInterceptor([&](const ObjectRequest& r) { return gate.Pass(r); });
  std::string data = Random(3 * kBs, 11);
  auto w = chunks_->NewWriter(77);
  EXPECT_EQ(chunks_->Buffer(), BufferState::kRoom);
  ASSERT_TRUE(w->WriteAt(std::span(data.data(), 2 * kBs), 0).ok());
  EXPECT_EQ(chunks_->Buffer(), BufferState::kFull);  // all in a buffer being filled
  ASSERT_TRUE(w->FlushTo(2 * kBs).ok());
  gate.WaitForWaiting(2);  // both blocks are in PUTs that cannot finish
  EXPECT_EQ(chunks_->UsedBuffer(), 2u * kBs);
  EXPECT_EQ(chunks_->Buffer(), BufferState::kDraining);
  // A write beyond the limit is not blocked (the caller already decided to write).
  ASSERT_TRUE(w->WriteAt(std::span(data.data() + 2 * kBs, kBs), 2 * kBs).ok());
  EXPECT_EQ(chunks_->UsedBuffer(), 3u * kBs);
  EXPECT_EQ(chunks_->Buffer(), BufferState::kDraining);
  auto waiter = std::async(std::launch::async, [&] {
    while (chunks_->Buffer() != BufferState::kRoom) chunks_->WaitForBuffer(std::chrono::seconds(10));
  });
  chunks_->budget().WaitForWaiters(1);
  gate.Open();
  waiter.get();
  ASSERT_TRUE(w->Finish(3 * kBs).ok());
  EXPECT_EQ(chunks_->UsedBuffer(), 0u);
  EXPECT_EQ(Read(77, 3 * kBs, 0, 3 * kBs), data);
}

TEST_P(CachedStoreTest, TransientPutFailureIsRetried) {
  objects_->FailNth(1, Status(EIO, "injected"));
  std::string data = Random(100, 1);
  ASSERT_TRUE(WriteSlice(3, data).ok());
  EXPECT_EQ(Read(3, 100, 0, 100), data);
}

TEST_P(CachedStoreTest, PersistentPutFailureIsEioNamingTheKey) {
  objects_->FailWhen([](const ObjectRequest& r) { return r.op == ObjectOp::kPut; },
                     Status(ENOSPC, "disk full"));
  auto w = chunks_->NewWriter(4);
  std::string data = Random(kBs + 10, 2);
  ASSERT_TRUE(w->WriteAt(data, 0).ok());
  ASSERT_TRUE(w->FlushTo(kBs + 10).ok());
  Status st = w->Finish(kBs + 10);
  EXPECT_EQ(st.code(), EIO);
  EXPECT_NE(st.message().find("chunks/0/0/4_"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("disk full"), std::string::npos) << st.message();
  // A full disk is permanent: one try per block; the last block is not sent if the first one
  // failed already.
  EXPECT_TRUE(objects_->requests() == 1u || objects_->requests() == 2u) << objects_->requests();
  EXPECT_EQ(chunks_->UsedBuffer(), 0u);
}

TEST_P(CachedStoreTest, FinishAfterAFailedUploadClosesTheWriter) {
  objects_->FailWhen([](const ObjectRequest& r) { return r.op == ObjectOp::kPut; },
                     Status(EIO, "down"));
  auto w = chunks_->NewWriter(6);
  std::string data = Random(kBs, 2);
  ASSERT_TRUE(w->WriteAt(data, 0).ok());
  ASSERT_TRUE(w->FlushTo(kBs).ok());
  // Whether or not the upload has failed yet, Finish waits for it and reports it.
  Status st = w->Finish(2 * kBs);
  EXPECT_EQ(st.code(), EIO);
  EXPECT_EQ(w->WriteAt(data, kBs).code(), EINVAL);  // finished
}

TEST_P(CachedStoreTest, ReadRetriesThenReportsMissingObject) {
  std::string data = Random(500, 5);
  ASSERT_TRUE(WriteSlice(8, data).ok());
  objects_->FailNth(1, Status(EIO, "flaky"));
  EXPECT_EQ(Read(8, 500, 0, 500), data);  // retried

  std::string buf(10, '\0');
  const uint64_t before = objects_->requests();
  auto r = chunks_->ReadSlice(9999, 10, 0, buf);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ENOENT);
  EXPECT_NE(r.error().message().find("chunks/0/9/9999_0_10"), std::string::npos);
  // Missing is reported at once: only the caller can tell whether a compaction explains it.
  EXPECT_EQ(objects_->requests() - before, 1u);
}

TEST_P(CachedStoreTest, CorruptObjectIsEio) {
  ASSERT_TRUE(objects_->inner()->Put(BlockKey(12, 0, 50, false), "too short").ok());
  std::string buf(50, '\0');
  auto r = chunks_->ReadSlice(12, 50, 0, buf);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), EIO);
  EXPECT_NE(r.error().message().find("chunks/0/0/12_0_50"), std::string::npos);
}

// Corrupt data (EBADMSG from the object layer, e.g. a failed AEAD tag) is not retried: the
// read fails with EIO naming the key after one GET.
TEST_P(CachedStoreTest, CorruptDataIsEioWithoutRetries) {
  std::string data = Random(500, 6);
  ASSERT_TRUE(WriteSlice(13, data).ok());
  objects_->FailWhen([](const ObjectRequest& r) { return r.op == ObjectOp::kGet; },
                     Status(EBADMSG, "message authentication failed"));
  const uint64_t before = objects_->requests();
  std::string buf(500, '\0');
  auto r = chunks_->ReadSlice(13, 500, 0, buf);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), EIO);
  EXPECT_NE(r.error().message().find("corrupt object chunks/0/0/13_0_500"), std::string::npos)
      << r.error().message();
  EXPECT_NE(r.error().message().find("message authentication failed"), std::string::npos);
  EXPECT_EQ(objects_->requests() - before, 1u);
  EXPECT_TRUE(clock_.sleeps().empty());
}

// A ranged GET that fails after the store's retries fails the read: the whole-block path
// would only retry as many times again.
TEST_P(CachedStoreTest, FailedRangedReadIsNotRetriedAsAWholeBlock) {
  std::string data = Random(kBs, 7);
  ASSERT_TRUE(WriteSlice(14, data).ok());
  objects_->FailWhen([](const ObjectRequest& r) { return r.op == ObjectOp::kGet; },
                     Status(ETIMEDOUT, "timeout after 60s"));
  const uint64_t before = objects_->requests();
  std::string buf(100, '\0');
  auto r = chunks_->ReadSlice(14, kBs, kBs / 2, buf);  // small and random: ranged for "none"
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), EIO);
  EXPECT_NE(r.error().message().find("chunks/0/0/14_0_"), std::string::npos);
  EXPECT_NE(r.error().message().find("gave up after 3 tries"), std::string::npos)
      << r.error().message();
  EXPECT_EQ(objects_->requests() - before, 3u);  // one request, three tries, whatever the codec
}

TEST_P(CachedStoreTest, AbortDeletesUploadedBlocks) {
  auto w = chunks_->NewWriter(21);
  std::string data = Random(3 * kBs + 1, 9);
  ASSERT_TRUE(w->WriteAt(data, 0).ok());
  ASSERT_TRUE(w->FlushTo(3 * kBs).ok());
  w->Abort();
  EXPECT_TRUE(Keys().empty());
  EXPECT_EQ(chunks_->UsedBuffer(), 0u);
  EXPECT_EQ(w->WriteAt(data, 0).code(), EINVAL);
}

TEST_P(CachedStoreTest, RemoveDeletesEveryBlockAndForgetsCachedOnes) {
  std::string data = Random(2 * kBs + 3, 4);
  ASSERT_TRUE(WriteSlice(31, data).ok());
  ASSERT_TRUE(WriteSlice(32, "other").ok());
  EXPECT_EQ(Read(31, data.size(), 0, data.size()), data);  // now cached
  ASSERT_TRUE(chunks_->Remove(31, static_cast<uint32_t>(data.size())).ok());
  EXPECT_EQ(Keys(), (std::vector<std::string>{"chunks/0/0/32_0_5"}));
  std::string buf(10, '\0');
  EXPECT_EQ(chunks_->ReadSlice(31, data.size(), 0, buf).error().code(), ENOENT);
  EXPECT_TRUE(chunks_->Remove(31, static_cast<uint32_t>(data.size())).ok());  // idempotent
}

TEST_P(CachedStoreTest, RemoveDeletesConcurrentlyWithinMaxDeletes) {
  Make([](ChunkConfig& c) { c.max_deletes = 3; });
  std::string data = Random(10 * kBs, 6);
  ASSERT_TRUE(WriteSlice(33, data).ok());
  ASSERT_TRUE(WriteSlice(34, "kept").ok());
  RequestGate gate(ObjectOp::kDelete);
  objects_->SetInterceptor([&](const ObjectRequest& r) { return gate.Pass(r); });
  Status removed;
  std::thread t([&] { removed = chunks_->Remove(33, 10 * kBs); });
  gate.WaitForWaiting(3);  // three deletes in flight at once, held there
  gate.Open();
  t.join();
  EXPECT_TRUE(removed.ok()) << removed.ToString();
  EXPECT_EQ(gate.max_waiting(), 3);  // never more than max_deletes
  EXPECT_EQ(Keys(), (std::vector<std::string>{BlockKey(34, 0, 4, false)}));
}

TEST_P(CachedStoreTest, RemoveReturnsTheFirstErrorAndDeletesTheRest) {
  std::string data = Random(4 * kBs, 7);
  ASSERT_TRUE(WriteSlice(35, data).ok());
  const std::string bad1 = BlockKey(35, 1, kBs, false), bad3 = BlockKey(35, 3, kBs, false);
  objects_->FailWhen(
      [&](const ObjectRequest& r) {
        return r.op == ObjectOp::kDelete && (r.key == bad1 || r.key == bad3);
      },
      Status(EACCES, "denied"));
  Status st = chunks_->Remove(35, 4 * kBs);
  EXPECT_EQ(st.code(), EIO);
  EXPECT_NE(st.message().find(bad1), std::string::npos) << st.message();
  EXPECT_EQ(Keys(), (std::vector<std::string>{bad1, bad3}));
}

TEST_P(CachedStoreTest, HolesAndTruncation) {
  auto w = chunks_->NewWriter(41);
  ASSERT_TRUE(w->WriteAt(std::string_view("tail"), kBs + 10).ok());
  ASSERT_TRUE(w->WriteAt(std::string_view("dropped"), kBs + 100).ok());
  ASSERT_TRUE(w->Finish(kBs + 20).ok());
  std::string expect(kBs + 20, '\0');
  expect.replace(kBs + 10, 4, "tail");
  EXPECT_EQ(Read(41, kBs + 20, 0, kBs + 20), expect);
}

// Appends, overwrites, holes inside a block and writes out of order, across block borders,
// mixed with sequential streaming (whole-block buffers): the slice reads back as a model of
// the same writes.
TEST_P(CachedStoreTest, MixedWritesReadBackAsWritten) {
  auto w = chunks_->NewWriter(43);
  std::string model(3 * kBs + 500, '\0');
  auto put = [&](uint32_t off, const std::string& data) {
    ASSERT_TRUE(w->WriteAt(data, off).ok()) << off;
    model.replace(off, data.size(), data);
  };
  put(0, Random(kBs, 2));                   // block 0 whole, in one write
  put(kBs, Random(1000, 3));                // block 1 streams on
  put(kBs + 1000, Random(kBs - 1000, 4));   // ... to its end
  put(2 * kBs + 300, Random(200, 5));       // block 2: a hole first
  put(2 * kBs + 100, Random(100, 6));       // then before the earlier write
  put(2 * kBs + 250, Random(1000, 7));      // overlapping it and past its end
  put(2 * kBs - 10, Random(20, 8));         // across the border of blocks 1 and 2
  put(3 * kBs + 400, Random(100, 9));       // block 3: a hole inside, then the tail
  ASSERT_TRUE(w->Finish(uint32_t(model.size())).ok());
  EXPECT_EQ(Read(43, uint32_t(model.size()), 0, model.size()), model);
}

TEST_P(CachedStoreTest, RejectsMisuse) {
  auto w = chunks_->NewWriter(51);
  std::string data = Random(kBs, 1);
  ASSERT_TRUE(w->WriteAt(data, 0).ok());
  ASSERT_TRUE(w->FlushTo(kBs).ok());
  EXPECT_EQ(w->WriteAt(std::string_view("x"), 5).code(), EINVAL);  // block already uploading
  EXPECT_EQ(w->WriteAt(std::string_view("x"), kMaxSliceSize).code(), EINVAL);
  EXPECT_EQ(w->Finish(10).code(), EINVAL);  // shorter than the uploaded block
  ASSERT_TRUE(w->Finish(kBs).ok());
  EXPECT_EQ(w->Finish(kBs).code(), EINVAL);
}

INSTANTIATE_TEST_SUITE_P(Codecs, CachedStoreTest, ::testing::Values("none", "lz4", "zstd"));

// CachedStore over a MeteredStore: tierfs_object_request_data_bytes{method="GET"} counts the
// bytes that came from the object store.
class CachedStoreRangeTest : public ::testing::Test {
 protected:
  void Make(const std::string& compression, bool ranged_reads = true, int prefetch = 1,
            uint64_t max_readahead = 0) {
    chunks_.reset();
    objects_ = std::make_unique<object::MeteredStore>(std::make_unique<MemStore>(), &reg_);
    ChunkConfig cfg;
    cfg.block_size = kBs;
    cfg.compression = compression;
    cfg.ranged_reads = ranged_reads;
    cfg.prefetch = prefetch;
    cfg.max_readahead = max_readahead;
    chunks_ = std::make_unique<CachedStore>(objects_.get(), cfg, nullptr);
    auto w = chunks_->NewWriter(1);
    ASSERT_TRUE(w->WriteAt(data_, 0).ok());
    ASSERT_TRUE(w->Finish(3 * kBs).ok());
  }
  uint64_t GetBytes() {
    return reg_.GetCounter("tierfs_object_request_data_bytes", "", {{"method", "GET"}})->Value();
  }
  // Reads [off, off+len) of the slice, checks the bytes, returns the bytes GET fetched for it.
  uint64_t Fetched(uint32_t off, size_t len) {
    uint64_t before = GetBytes();
    std::string buf(len, '\0');
    auto n = chunks_->ReadSlice(1, 3 * kBs, off, buf);
    EXPECT_EQ(n.value_or(0), len);
    EXPECT_EQ(buf, data_.substr(off, len)) << off << "+" << len;
    return GetBytes() - before;
  }

  metrics::Registry reg_;
  std::string data_ = Random(3 * kBs, 8);
  std::unique_ptr<object::MeteredStore> objects_;
  std::unique_ptr<CachedStore> chunks_;
};

TEST_F(CachedStoreRangeTest, SmallReadAtAnOffsetFetchesOnlyItsBytes) {
  Make("none");
  EXPECT_EQ(Fetched(kBs + 1000, 100), 100u);
  EXPECT_FALSE(chunks_->cache().Contains(BlockKey(1, 1, kBs, false)));  // nothing cached
  EXPECT_EQ(Fetched(2 * kBs + 10, kBs / 4), uint64_t{kBs / 4});          // 1/4 block: still ranged
  EXPECT_EQ(Fetched(kBs + 1000, 100), 100u);  // not sequential (last read ended elsewhere)
}

TEST_F(CachedStoreRangeTest, SequentialLargeAndAlignedReadsFetchWholeBlocks) {
  Make("none");
  EXPECT_EQ(Fetched(kBs + 1000, 100), 100u);
  // Starts where the last read ended: sequential, so the whole block, kept for what follows.
  EXPECT_EQ(Fetched(kBs + 1100, 100), uint64_t{kBs});
  EXPECT_EQ(Fetched(kBs + 5000, 100), 0u);  // cached
  EXPECT_EQ(Fetched(10, kBs / 4 + 1), uint64_t{kBs});  // more than 1/4 block
  EXPECT_EQ(Fetched(2 * kBs, 100), uint64_t{kBs});     // at the block start
}

// Read-ahead is judged after the store is destroyed: that runs every queued read-ahead.
TEST_F(CachedStoreRangeTest, LargeAndSequentialReadsReadAhead) {
  Make("none");
  (void)Fetched(0, kBs);  // large: block 0 whole, and block 1 read ahead (maybe done already)
  chunks_.reset();
  EXPECT_EQ(GetBytes(), 2u * kBs);
}

TEST_F(CachedStoreRangeTest, ReadAheadFetchesPrefetchBlocksWithinMaxReadahead) {
  Make("none", true, /*prefetch=*/2);
  (void)Fetched(0, kBs);  // blocks 1 and 2 read ahead
  chunks_.reset();
  EXPECT_EQ(GetBytes(), 3u * kBs);
  const uint64_t before = GetBytes();
  Make("none", true, /*prefetch=*/2, /*max_readahead=*/kBs + kBs / 2);  // one whole block
  (void)Fetched(0, kBs);
  chunks_.reset();
  EXPECT_EQ(GetBytes() - before, 2u * kBs);
}

TEST_F(CachedStoreRangeTest, SmallRandomReadsStartNoReadAhead) {
  Make("none");
  EXPECT_EQ(Fetched(0, 100), uint64_t{kBs});  // at the block start: whole block 0
  // Random, small, in the second half of a block held in memory: served from it, and (unlike
  // a sequential reader) it must not load block 1 it will likely never read.
  EXPECT_EQ(Fetched(kBs * 3 / 4, 100), 0u);
  EXPECT_EQ(Fetched(2 * kBs + kBs * 3 / 4, 100), 100u);  // ranged GET, no read-ahead
  chunks_.reset();
  EXPECT_EQ(GetBytes(), uint64_t{kBs} + 100);
}

TEST_F(CachedStoreRangeTest, SmallSequentialReadsReadAhead) {
  Make("none");
  EXPECT_EQ(Fetched(kBs * 3 / 4, 100), 100u);                 // random: ranged
  EXPECT_GE(Fetched(kBs * 3 / 4 + 100, 100), uint64_t{kBs});  // sequential: whole block 0
  chunks_.reset();
  EXPECT_EQ(GetBytes(), 100u + 2 * kBs);  // and block 1 read ahead
}

// An encrypted volume: a range would cost the whole object and be thrown away after.
TEST_F(CachedStoreRangeTest, WithoutRangedReadsSmallReadsLoadAndKeepTheBlock) {
  Make("none", /*ranged_reads=*/false);
  EXPECT_EQ(Fetched(kBs + 1000, 100), uint64_t{kBs});
  EXPECT_TRUE(chunks_->cache().Contains(BlockKey(1, 1, kBs, false)));
  EXPECT_EQ(Fetched(kBs + 9000, 100), 0u);
}

TEST_F(CachedStoreRangeTest, CompressedBlocksAreAlwaysFetchedWhole) {
  Make("lz4");
  EXPECT_GT(Fetched(kBs + 1000, 100), 100u);
  EXPECT_TRUE(chunks_->cache().Contains(BlockKey(1, 1, kBs, false)));
}

TEST(CachedStoreConfigTest, UnknownCompressionFailsEveryOperation) {
  MemStore mem;
  ChunkConfig cfg;
  cfg.compression = "rle";
  auto store = NewChunkStore(&mem, cfg, nullptr);
  std::string buf(1, '\0');
  EXPECT_EQ(store->ReadSlice(1, 1, 0, buf).error().code(), EINVAL);
  EXPECT_EQ(store->NewWriter(1)->WriteAt(buf, 0).code(), EINVAL);
  EXPECT_EQ(store->Remove(1, 1).code(), EINVAL);
}

TEST(CachedStoreMetricsTest, CountsHitsMissesAndBuffer) {
  metrics::Registry reg;
  MemStore mem;
  ChunkConfig cfg;
  cfg.block_size = kBs;
  cfg.prefetch = 0;
  CachedStore store(&mem, cfg, &reg);
  auto w = store.NewWriter(1);
  std::string data = Random(100, 1);
  ASSERT_TRUE(w->WriteAt(data, 0).ok());
  EXPECT_EQ(reg.GetGauge("tierfs_used_buffer_size_bytes", "")->Value(), int64_t{64 << 10});
  ASSERT_TRUE(w->Finish(100).ok());
  EXPECT_EQ(reg.GetGauge("tierfs_used_buffer_size_bytes", "")->Value(), 0);
  std::string buf(10, '\0');
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(store.ReadSlice(1, 100, i * 10, buf).has_value());
  EXPECT_EQ(reg.GetCounter("tierfs_blockcache_miss", "")->Value(), 1u);
  EXPECT_EQ(reg.GetCounter("tierfs_blockcache_hits", "")->Value(), 2u);
}

}  // namespace
}  // namespace tierfs::chunk
