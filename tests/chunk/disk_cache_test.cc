#include "chunk/disk_cache.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <filesystem>
#include <fstream>
#include <thread>

#include "chunk/cached_store.h"
#include "object/faulty_store.h"
#include "object/mem_store.h"

namespace tierfs::chunk {
namespace {

namespace fs = std::filesystem;

class DiskCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tierfs-dc-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string dir_;
};

TEST_F(DiskCacheTest, StoresPlainBlocksAtTheObjectKey) {
  auto dc = DiskCache::Open(dir_ + "/uuid/raw", 1 << 20);
  ASSERT_TRUE(dc.has_value()) << dc.error().ToString();
  (*dc)->Store("chunks/0/0/1_0_6", "abcdef");
  std::string path = dir_ + "/uuid/raw/chunks/0/0/1_0_6";
  ASSERT_TRUE(fs::exists(path));
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ((*dc)->Load("chunks/0/0/1_0_6", 6), "abcdef");
  EXPECT_EQ((*dc)->bytes(), 6u);
  // A length other than the key's means a damaged file: dropped.
  EXPECT_EQ((*dc)->Load("chunks/0/0/1_0_6", 7), std::nullopt);
  EXPECT_FALSE(fs::exists(path));
  EXPECT_EQ((*dc)->bytes(), 0u);
}

TEST_F(DiskCacheTest, EvictsLeastRecentlyUsedToStayWithinCapacity) {
  auto dc = DiskCache::Open(dir_, 10);
  ASSERT_TRUE(dc.has_value());
  (*dc)->Store("a", "1111");
  (*dc)->Store("b", "2222");
  ASSERT_TRUE((*dc)->Load("a", 4).has_value());  // a is recent now
  (*dc)->Store("c", "3333");                      // evicts b
  EXPECT_FALSE(fs::exists(dir_ + "/b"));
  EXPECT_EQ((*dc)->Load("b", 4), std::nullopt);
  EXPECT_EQ((*dc)->Load("a", 4), "1111");
  EXPECT_EQ((*dc)->bytes(), 8u);
}

TEST_F(DiskCacheTest, ReadAtCopiesARangeAndDropsDamagedFiles) {
  auto dc = DiskCache::Open(dir_, 100);
  ASSERT_TRUE(dc.has_value());
  (*dc)->Store("k", "0123456789");
  std::string out(3, '\0');
  ASSERT_TRUE((*dc)->ReadAt("k", 10, 4, out));
  EXPECT_EQ(out, "456");
  ASSERT_TRUE((*dc)->ReadAt("k", 10, 7, out));
  EXPECT_EQ(out, "789");
  EXPECT_FALSE((*dc)->ReadAt("k", 10, 8, out));  // past the block
  EXPECT_FALSE((*dc)->ReadAt("absent", 10, 0, out));
  EXPECT_TRUE((*dc)->Contains("k"));
  // A file of another size than the key says (truncated behind our back) is dropped.
  ASSERT_EQ(truncate((dir_ + "/k").c_str(), 5), 0);
  EXPECT_FALSE((*dc)->ReadAt("k", 10, 0, out));
  EXPECT_FALSE((*dc)->Contains("k"));
  EXPECT_FALSE(fs::exists(dir_ + "/k"));
}

TEST_F(DiskCacheTest, ReopenIndexesFilesAndDropsTemporaries) {
  {
    auto dc = DiskCache::Open(dir_, 100);
    (*dc)->Store("chunks/0/0/5_0_3", "xyz");
  }
  std::ofstream(dir_ + "/chunks/0/0/5_1_3.123.tmp") << "par";
  auto dc = DiskCache::Open(dir_, 100);
  ASSERT_TRUE(dc.has_value());
  EXPECT_EQ((*dc)->bytes(), 3u);
  EXPECT_EQ((*dc)->Load("chunks/0/0/5_0_3", 3), "xyz");
  EXPECT_FALSE(fs::exists(dir_ + "/chunks/0/0/5_1_3.123.tmp"));
  (*dc)->Remove("chunks/0/0/5_0_3");
  EXPECT_FALSE(fs::exists(dir_ + "/chunks/0/0/5_0_3"));
}

TEST_F(DiskCacheTest, UnusableDirectoryIsReported) {
  std::ofstream(dir_ + "/file") << "x";
  auto dc = DiskCache::Open(dir_ + "/file/cache", 100);
  ASSERT_FALSE(dc.has_value());
  EXPECT_EQ(dc.error().code(), EACCES);
}

TEST_F(DiskCacheTest, ChunkStoreReadsThroughTier1) {
  object::FaultyStore objects(std::make_unique<object::MemStore>());
  std::atomic<int> gets{0};
  objects.SetInterceptor([&](const object::ObjectRequest& r) {
    if (r.op == object::ObjectOp::kGet) ++gets;
    return Status::Ok();
  });
  ChunkConfig cfg;
  cfg.block_size = 1 << 16;
  cfg.compression = "lz4";
  cfg.cache_dir = dir_;
  cfg.volume_uuid = "8f3c";
  cfg.cache_size = 1 << 20;
  std::string data(100000, 'q');
  {
    CachedStore store(&objects, cfg, nullptr);
    ASSERT_NE(store.disk_cache(), nullptr) << store.disk_status().ToString();
    auto w = store.NewWriter(1);
    ASSERT_TRUE(w->WriteAt(data, 0).ok());
    ASSERT_TRUE(w->Finish(data.size()).ok());
    std::string buf(data.size(), '\0');
    ASSERT_EQ(store.ReadSlice(1, data.size(), 0, buf).value_or(0), data.size());
    EXPECT_EQ(gets.load(), 2);
  }
  // Plaintext (not lz4) in JuiceFS's cache layout, with its CRC-32C tail (4 bytes per 32 KiB).
  EXPECT_EQ(fs::file_size(dir_ + "/8f3c/raw/chunks/0/0/1_0_65536"), 65536u + 8);
  EXPECT_EQ(fs::file_size(dir_ + "/8f3c/raw/chunks/0/0/1_1_34464"), 34464u + 8);
  // A new store (cold memory) is served from disk without GETs.
  CachedStore store(&objects, cfg, nullptr);
  std::string buf(data.size(), '\0');
  ASSERT_EQ(store.ReadSlice(1, data.size(), 0, buf).value_or(0), data.size());
  EXPECT_EQ(buf, data);
  EXPECT_EQ(gets.load(), 2);
  ASSERT_TRUE(store.Remove(1, data.size()).ok());
  EXPECT_FALSE(fs::exists(dir_ + "/8f3c/raw/chunks/0/0/1_0_65536"));
  objects.Clear();
}

// A small random read of a block on disk reads it there, without a GET and without loading
// the whole block into memory; a damaged file falls back to the object store.
TEST_F(DiskCacheTest, SmallRandomReadsOfTier1BlocksReadOnlyTheirRange) {
  object::FaultyStore objects(std::make_unique<object::MemStore>());
  std::atomic<int> gets{0};
  objects.SetInterceptor([&](const object::ObjectRequest& r) {
    if (r.op == object::ObjectOp::kGet) ++gets;
    return Status::Ok();
  });
  ChunkConfig cfg;
  cfg.block_size = 1 << 16;
  cfg.compression = "lz4";  // the disk tier holds plaintext: ranges work for any codec
  cfg.cache_dir = dir_;
  cfg.volume_uuid = "u";
  cfg.cache_size = 1 << 20;
  std::string data(3 << 16, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7 + i / 251);
  {
    CachedStore store(&objects, cfg, nullptr);
    auto w = store.NewWriter(1);
    ASSERT_TRUE(w->WriteAt(data, 0).ok());
    ASSERT_TRUE(w->Finish(data.size()).ok());
    std::string buf(data.size(), '\0');
    ASSERT_EQ(store.ReadSlice(1, data.size(), 0, buf).value_or(0), data.size());
  }  // destroyed: the disk tier has every block
  const int fetched = gets.load();
  CachedStore store(&objects, cfg, nullptr);
  const std::string key1 = store.Key(1, 1, 1 << 16);
  ASSERT_TRUE(store.disk_cache()->Contains(key1));
  std::string buf(4096, '\0');
  ASSERT_EQ(store.ReadSlice(1, data.size(), (1 << 16) + 5000, buf).value_or(0), buf.size());
  EXPECT_EQ(buf, data.substr((1 << 16) + 5000, 4096));
  ASSERT_EQ(store.ReadSlice(1, data.size(), 1 << 16, buf).value_or(0), buf.size());  // block start
  EXPECT_EQ(buf, data.substr(1 << 16, 4096));
  EXPECT_EQ(gets.load(), fetched);
  EXPECT_FALSE(store.cache().Contains(key1));
  // Damaged on disk: dropped, and the bytes come from the object store.
  const std::string key2 = store.Key(1, 2, 1 << 16);
  ASSERT_EQ(truncate((dir_ + "/u/raw/" + key2).c_str(), 100), 0);
  ASSERT_EQ(store.ReadSlice(1, data.size(), (2 << 16) + 300, buf).value_or(0), buf.size());
  EXPECT_EQ(buf, data.substr((2 << 16) + 300, 4096));
  EXPECT_GT(gets.load(), fetched);
  objects.Clear();
}

// A block whose object is deleted while its disk-tier fill is still queued is not written to
// the disk tier afterwards (it would stay there, unreachable, until evicted).
TEST_F(DiskCacheTest, BlockDeletedWhileItsFillIsQueuedIsNotCached) {
  object::MemStore objects;
  ChunkConfig cfg;
  cfg.block_size = 1 << 16;
  cfg.cache_dir = dir_;
  cfg.volume_uuid = "u";
  cfg.cache_size = 1 << 20;
  std::string data(1000, 'z');
  std::string key;
  {
    CachedStore store(&objects, cfg, nullptr);
    auto w = store.NewWriter(7);
    ASSERT_TRUE(w->WriteAt(data, 0).ok());
    ASSERT_TRUE(w->Finish(data.size()).ok());
    key = store.Key(7, 0, data.size());
    // Hold the single fill thread so that the read's fill waits in the queue.
    std::mutex mu;
    std::condition_variable cv;
    bool open = false;
    ASSERT_NE(store.cache_fill_pool(), nullptr);
    ASSERT_TRUE(store.cache_fill_pool()->Submit([&] {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return open; });
    }).ok());
    std::string buf(data.size(), '\0');
    ASSERT_EQ(store.ReadSlice(7, data.size(), 0, buf).value_or(0), data.size());  // whole block
    EXPECT_EQ(buf, data);
    ASSERT_TRUE(store.Remove(7, data.size()).ok());
    {
      std::lock_guard lock(mu);
      open = true;
    }
    cv.notify_all();
    store.cache_fill_pool()->Stop();  // runs the queued fill
    EXPECT_FALSE(store.disk_cache()->Contains(key));
  }
  EXPECT_FALSE(fs::exists(dir_ + "/u/raw/" + key));
  // Control: without the delete, the same read does fill the disk tier.
  {
    CachedStore store(&objects, cfg, nullptr);
    auto w = store.NewWriter(8);
    ASSERT_TRUE(w->WriteAt(data, 0).ok());
    ASSERT_TRUE(w->Finish(data.size()).ok());
    std::string buf(data.size(), '\0');
    ASSERT_EQ(store.ReadSlice(8, data.size(), 0, buf).value_or(0), data.size());
    store.cache_fill_pool()->Stop();
    EXPECT_TRUE(store.disk_cache()->Contains(store.Key(8, 0, data.size())));
  }
}

}  // namespace
}  // namespace tierfs::chunk

namespace tierfs::chunk {
namespace {

class EvictionTest : public DiskCacheTest {};

TEST_F(EvictionTest, NoneKeepsWhatIsThereAndDropsNewBlocks) {
  DiskCacheOptions o;
  o.capacity = 10;
  o.eviction = Eviction::kNone;
  o.checksum = ChecksumLevel::kNone;
  auto dc = DiskCache::Open(dir_, o);
  ASSERT_TRUE(dc.has_value());
  (*dc)->Store("a", "1111");
  (*dc)->Store("b", "2222");
  (*dc)->Store("c", "3333");  // would pass the capacity: not cached
  EXPECT_TRUE((*dc)->Contains("a"));
  EXPECT_TRUE((*dc)->Contains("b"));
  EXPECT_FALSE((*dc)->Contains("c"));
  EXPECT_FALSE(fs::exists(dir_ + "/c"));
}

TEST_F(EvictionTest, TwoRandomStaysWithinCapacityAndEvictsTheOlderOfItsSample) {
  DiskCacheOptions o;
  o.capacity = 40;
  o.eviction = Eviction::kTwoRandom;
  auto dc = DiskCache::Open(dir_, o);
  ASSERT_TRUE(dc.has_value());
  for (int i = 0; i < 200; i++) {
    (*dc)->Store("k" + std::to_string(i), "abcd");
    // A hot block, read after every store, is never the older of a sample of two.
    ASSERT_TRUE((*dc)->Load("k0", 4).has_value()) << i;
    ASSERT_LE((*dc)->bytes(), 40u);
  }
  EXPECT_EQ((*dc)->blocks(), 10u);
}

TEST_F(EvictionTest, ExpiredBlocksAreDroppedOnALaterStore) {
  auto now = std::chrono::steady_clock::now();
  DiskCacheOptions o;
  o.expire = std::chrono::seconds(10);
  o.now = [&now] { return now; };
  auto dc = DiskCache::Open(dir_, o);
  ASSERT_TRUE(dc.has_value());
  (*dc)->Store("old", "1111");
  now += std::chrono::seconds(5);
  (*dc)->Store("mid", "3333");
  EXPECT_TRUE((*dc)->Contains("old"));
  now += std::chrono::seconds(6);  // "old" is 11 s old, "mid" 6 s
  (*dc)->Store("new", "2222");
  EXPECT_TRUE((*dc)->Contains("mid"));
  EXPECT_FALSE((*dc)->Contains("old"));
  EXPECT_FALSE(fs::exists(dir_ + "/old"));
  EXPECT_TRUE((*dc)->Contains("new"));
}

}  // namespace
}  // namespace tierfs::chunk
