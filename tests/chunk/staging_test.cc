#include "chunk/staging.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <set>
#include <thread>

#include "chunk/cached_store.h"
#include "object/faulty_store.h"
#include "object/mem_store.h"
#include "temp_dir.h"

namespace tierfs::chunk {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteFile(const std::string& path, const std::string& data) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << data;
}

// What the uploaders did, for assertions; optionally holds uploads at a gate.
struct Uploads {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::pair<std::string, std::string>> done;  // key, plaintext, in upload order
  std::vector<std::string> removed;
  int failures_left = 0;
  bool gate_closed = false;
  int waiting = 0;  // uploads held at the gate

  Status Upload(const std::string& key, const std::string& plain) {
    std::unique_lock lk(mu);
    waiting++;
    cv.notify_all();
    cv.wait(lk, [&] { return !gate_closed; });
    waiting--;
    if (failures_left > 0) {
      failures_left--;
      return Status(EIO, "injected upload failure");
    }
    done.emplace_back(key, plain);
    return Status::Ok();
  }
  void Open() {
    std::lock_guard lk(mu);
    gate_closed = false;
    cv.notify_all();
  }
  void WaitHeld(int n) {
    std::unique_lock lk(mu);
    cv.wait(lk, [&] { return waiting >= n; });
  }
};

class StagingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.empty());
    opt_.root = dir_ + "/uuid/rawstaging/";
    opt_.upload_delay = std::chrono::hours(1);
    opt_.uploaders = 2;
    opt_.free_space_ratio = 0;
  }
  void TearDown() override { staging_.reset(); }
  void Open() {
    auto s = Staging::Open(
        opt_, [this](const std::string& k, const std::string& p) { return up_.Upload(k, p); }, {},
        [this](const std::string& k) {
          std::lock_guard lk(up_.mu);
          up_.removed.push_back(k);
        },
        nullptr);
    ASSERT_TRUE(s.has_value()) << s.error().ToString();
    staging_ = std::move(*s);
  }
  tierfs::testing::TempDir tmp_{"tierfs-stage"};
  const std::string dir_ = tmp_.path();
  StagingOptions opt_;
  Uploads up_;
  std::unique_ptr<Staging> staging_;
};

TEST(StagedKeyTest, AcceptsJuiceFSBlockKeysOnly) {
  uint32_t len = 0;
  EXPECT_TRUE(ParseStagedKey("chunks/0/0/1_0_6", &len));
  EXPECT_EQ(len, 6u);
  EXPECT_TRUE(ParseStagedKey("chunks/A3/1/1000001_2_4194304", &len));
  EXPECT_EQ(len, 4194304u);
  EXPECT_FALSE(ParseStagedKey("chunks/0/0/1_0_6.tmp", &len));
  EXPECT_FALSE(ParseStagedKey("chunks/XYZ/0/1_0_6", &len));
  EXPECT_FALSE(ParseStagedKey("chunks/0/1_0_6", &len));
  EXPECT_FALSE(ParseStagedKey("other/0/0/1_0_6", &len));
  EXPECT_FALSE(ParseStagedKey("chunks/0/0/1_0", &len));
  EXPECT_FALSE(ParseStagedKey("chunks/0/0/1_0_99999999999", &len));
}

TEST_F(StagingTest, StagedBlockIsAFileAtItsKeyReadableBeforeItsUpload) {
  Open();
  ASSERT_TRUE(staging_->Stage("chunks/0/0/5_0_6", "abcdef").ok());
  const std::string path = opt_.root + "chunks/0/0/5_0_6";
  EXPECT_EQ(ReadFile(path), "abcdef" + ChecksumTail("abcdef"));  // JuiceFS's CRC tail
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_FALSE(fs::exists(path + ".tmp"));
  char buf[3];
  ASSERT_TRUE(staging_->ReadAt("chunks/0/0/5_0_6", 6, 2, buf));
  EXPECT_EQ(std::string(buf, 3), "cde");
  EXPECT_EQ(staging_->Load("chunks/0/0/5_0_6", 6), "abcdef");
  EXPECT_FALSE(staging_->ReadAt("chunks/0/0/9_0_6", 6, 0, buf));
  EXPECT_EQ(staging_->stats().blocks, 1u);
  EXPECT_EQ(staging_->stats().bytes, 6u);
  // Within the delay: still staged; Flush uploads it regardless of the delay.
  ASSERT_TRUE(staging_->Flush(milliseconds(10000)).ok());
  ASSERT_EQ(up_.done.size(), 1u);
  EXPECT_EQ(up_.done[0], std::make_pair(std::string("chunks/0/0/5_0_6"), std::string("abcdef")));
  EXPECT_FALSE(fs::exists(path));
  EXPECT_EQ(staging_->stats().blocks, 0u);
}

TEST_F(StagingTest, RemovedBeforeItsUploadIsNeverUploaded) {
  Open();
  ASSERT_TRUE(staging_->Stage("chunks/0/0/1_0_3", "abc").ok());
  ASSERT_TRUE(staging_->Stage("chunks/0/0/2_0_3", "def").ok());
  EXPECT_EQ(staging_->Remove("chunks/0/0/1_0_3"), Staging::Removed::kDropped);
  EXPECT_EQ(staging_->Remove("chunks/0/0/1_0_3"), Staging::Removed::kAbsent);
  EXPECT_FALSE(fs::exists(opt_.root + "chunks/0/0/1_0_3"));
  ASSERT_TRUE(staging_->Flush(milliseconds(10000)).ok());
  ASSERT_EQ(up_.done.size(), 1u);
  EXPECT_EQ(up_.done[0].first, "chunks/0/0/2_0_3");
  EXPECT_TRUE(up_.removed.empty());
}

TEST_F(StagingTest, RemovedDuringItsUploadIsDeletedAfterThePut) {
  Open();
  up_.gate_closed = true;
  ASSERT_TRUE(staging_->Stage("chunks/0/0/1_0_3", "abc").ok());
  auto flushed = std::async(std::launch::async, [&] { return staging_->Flush(milliseconds(10000)); });
  up_.WaitHeld(1);  // the PUT is under way
  EXPECT_EQ(staging_->Remove("chunks/0/0/1_0_3"), Staging::Removed::kUploading);
  up_.Open();
  ASSERT_TRUE(flushed.get().ok());
  ASSERT_EQ(up_.removed.size(), 1u);  // the object the PUT created is deleted
  EXPECT_EQ(up_.removed[0], "chunks/0/0/1_0_3");
  EXPECT_FALSE(fs::exists(opt_.root + "chunks/0/0/1_0_3"));
}

TEST_F(StagingTest, UploadsOldestFirst) {
  opt_.uploaders = 1;
  Open();
  std::vector<std::string> keys;
  for (int i = 1; i <= 6; i++) {
    keys.push_back("chunks/0/0/" + std::to_string(10 - i) + "_0_1");
    ASSERT_TRUE(staging_->Stage(keys.back(), "x").ok());
  }
  ASSERT_TRUE(staging_->Flush(milliseconds(10000)).ok());
  ASSERT_EQ(up_.done.size(), keys.size());
  for (size_t i = 0; i < keys.size(); i++) EXPECT_EQ(up_.done[i].first, keys[i]);
}

TEST_F(StagingTest, AFailedUploadIsRetriedNotDropped) {
  Open();
  up_.failures_left = 1;
  ASSERT_TRUE(staging_->Stage("chunks/0/0/1_0_3", "abc").ok());
  ASSERT_TRUE(staging_->Flush(milliseconds(20000)).ok());  // after a 1 s back-off
  ASSERT_EQ(up_.done.size(), 1u);
  EXPECT_EQ(up_.done[0].second, "abc");
}

TEST_F(StagingTest, FlushReportsBlocksThatCannotBeUploaded) {
  Open();
  up_.failures_left = 1000;
  ASSERT_TRUE(staging_->Stage("chunks/0/0/1_0_3", "abc").ok());
  Status st = staging_->Flush(milliseconds(300));
  EXPECT_EQ(st.code(), EIO) << st.ToString();
  EXPECT_NE(st.message().find("1 staged blocks not uploaded"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("injected upload failure"), std::string::npos) << st.message();
  EXPECT_TRUE(fs::exists(opt_.root + "chunks/0/0/1_0_3"));  // still staged, never lost
}

TEST_F(StagingTest, OpenFindsWhatAStoppedProcessLeftAndRemovesTemporaryFiles) {
  WriteFile(opt_.root + "chunks/0/0/7_0_5", "hello");
  WriteFile(opt_.root + "chunks/0/0/8_0_5.tmp", "hel");          // torn stage write
  WriteFile(opt_.root + "chunks/0/0/9_0_5", "hel");              // wrong size: left alone
  WriteFile(opt_.root + "chunks/0/0/notablock", "zzz");          // foreign name: left alone
  WriteFile(opt_.root + "chunks/1F/0/4000_1_2", "hi");           // hash-prefix layout
  Open();
  EXPECT_FALSE(fs::exists(opt_.root + "chunks/0/0/8_0_5.tmp"));
  EXPECT_TRUE(fs::exists(opt_.root + "chunks/0/0/9_0_5"));
  EXPECT_EQ(staging_->stats().blocks, 2u);
  EXPECT_TRUE(staging_->Contains("chunks/0/0/7_0_5"));
  ASSERT_TRUE(staging_->Flush(milliseconds(10000)).ok());
  std::set<std::pair<std::string, std::string>> got(up_.done.begin(), up_.done.end());
  EXPECT_EQ(got, (std::set<std::pair<std::string, std::string>>{{"chunks/0/0/7_0_5", "hello"},
                                                                 {"chunks/1F/0/4000_1_2", "hi"}}));
}

TEST_F(StagingTest, UploadNowUploadsInTheCallersThread) {
  Open();
  ASSERT_TRUE(staging_->Stage("chunks/0/0/1_0_3", "abc").ok());
  ASSERT_TRUE(staging_->UploadNow("chunks/0/0/1_0_3").ok());
  ASSERT_EQ(up_.done.size(), 1u);
  EXPECT_FALSE(staging_->Contains("chunks/0/0/1_0_3"));
  EXPECT_TRUE(staging_->UploadNow("chunks/0/0/1_0_3").ok());  // not staged: nothing to do
  EXPECT_EQ(up_.done.size(), 1u);
}

TEST_F(StagingTest, RefusesWhenTheDiskWouldBeTooFull) {
  opt_.free_space_ratio = 1.0;  // no disk is that empty
  Open();
  Status st = staging_->Stage("chunks/0/0/1_0_3", "abc");
  EXPECT_EQ(st.code(), ENOSPC) << st.ToString();
  EXPECT_FALSE(fs::exists(opt_.root + "chunks/0/0/1_0_3"));
}

TEST(UploadWindowTest, HoursInsideTheWindowWrappingPastMidnight) {
  EXPECT_TRUE(InUploadWindow(-1, -1, 5));
  EXPECT_TRUE(InUploadWindow(3, 3, 17));  // start == end: always
  EXPECT_TRUE(InUploadWindow(1, 6, 1));
  EXPECT_TRUE(InUploadWindow(1, 6, 5));
  EXPECT_FALSE(InUploadWindow(1, 6, 6));
  EXPECT_FALSE(InUploadWindow(1, 6, 0));
  EXPECT_TRUE(InUploadWindow(22, 2, 23));
  EXPECT_TRUE(InUploadWindow(22, 2, 0));
  EXPECT_FALSE(InUploadWindow(22, 2, 2));
  EXPECT_FALSE(InUploadWindow(22, 2, 12));
}

TEST_F(StagingTest, AFlushUploadsOutsideTheUploadHours) {
  std::time_t t = std::time(nullptr);
  std::tm local{};
  localtime_r(&t, &local);
  opt_.upload_delay = milliseconds(0);
  opt_.upload_start_hour = (local.tm_hour + 2) % 24;  // a window that is not now
  opt_.upload_end_hour = (local.tm_hour + 3) % 24;
  Open();
  ASSERT_TRUE(staging_->Stage("chunks/0/0/1_0_3", "abc").ok());
  ASSERT_TRUE(staging_->Flush(milliseconds(10000)).ok());
  EXPECT_EQ(up_.done.size(), 1u);
}

// Through the chunk store: a kStage writer's blocks stay local until flushed, are read back
// from staging, and a removed slice's staged blocks are never uploaded.
class WritebackStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.empty());
    auto faulty = std::make_unique<object::FaultyStore>(std::make_unique<object::MemStore>());
    objects_ = std::move(faulty);
    config_.block_size = 64 << 10;
    config_.cache_dir = dir_;
    config_.cache_size = 64 << 20;
    config_.volume_uuid = "uuid";
    config_.writeback = true;
    config_.upload_delay = std::chrono::hours(1);
    config_.max_uploads = 2;
    config_.free_space_ratio = 0;
    chunks_ = std::make_unique<CachedStore>(objects_.get(), config_, nullptr);
    ASSERT_TRUE(chunks_->WritesBack()) << chunks_->staging_status().ToString();
  }
  void TearDown() override { chunks_.reset(); }
  size_t Objects() {
    auto l = objects_->List("");
    return l ? l->size() : 0;
  }
  void Write(uint64_t id, const std::string& data, WriteMode mode, bool direct_later = false) {
    auto w = chunks_->NewWriter(id, mode);
    ASSERT_TRUE(w->WriteAt(data, 0).ok());
    ASSERT_TRUE(w->FlushTo(uint32_t(data.size())).ok());
    if (direct_later) w->UploadDirectly();
    ASSERT_TRUE(w->Finish(uint32_t(data.size())).ok());
  }
  tierfs::testing::TempDir tmp_{"tierfs-wb"};
  const std::string dir_ = tmp_.path();
  ChunkConfig config_;
  std::unique_ptr<object::FaultyStore> objects_;
  std::unique_ptr<CachedStore> chunks_;
};

TEST_F(WritebackStoreTest, StagedSliceIsReadBackAndUploadedOnlyWhenFlushed) {
  std::string data(150 << 10, 'q');
  for (size_t i = 0; i < data.size(); i++) data[i] = char(i * 7);
  Write(1, data, WriteMode::kStage);
  EXPECT_EQ(Objects(), 0u);
  EXPECT_EQ(chunks_->staging()->stats().blocks, 3u);
  std::string back(data.size(), '\0');
  auto n = chunks_->ReadSlice(1, uint32_t(data.size()), 0, back);
  ASSERT_TRUE(n.has_value()) << n.error().ToString();
  EXPECT_EQ(back, data);
  ASSERT_TRUE(chunks_->FlushStaging(milliseconds(10000)).ok());
  EXPECT_EQ(Objects(), 3u);
  // Uploaded blocks move into the read cache: still served locally.
  EXPECT_TRUE(fs::exists(dir_ + "/uuid/raw/" + BlockKey(1, 0, 64 << 10, false)));
  EXPECT_FALSE(fs::exists(dir_ + "/uuid/rawstaging/" + BlockKey(1, 0, 64 << 10, false)));
}

TEST_F(WritebackStoreTest, RemovedStagedSliceCausesNoRequestAtAll) {
  Write(2, std::string(100 << 10, 'r'), WriteMode::kStage);
  const uint64_t before = objects_->requests();
  ASSERT_TRUE(chunks_->Remove(2, 100 << 10).ok());
  EXPECT_EQ(objects_->requests(), before);  // no PUT, no DELETE
  EXPECT_EQ(chunks_->staging()->stats().blocks, 0u);
  ASSERT_TRUE(chunks_->FlushStaging(milliseconds(10000)).ok());
  EXPECT_EQ(Objects(), 0u);
}

TEST_F(WritebackStoreTest, UploadDirectlyPutsTheStagedBlocksBeforeFinishReturns) {
  Write(3, std::string(200 << 10, 's'), WriteMode::kStage, /*direct_later=*/true);
  EXPECT_EQ(Objects(), 4u);
  EXPECT_EQ(chunks_->staging()->stats().blocks, 0u);
}

TEST_F(WritebackStoreTest, UploadModeWritersAreNotStaged) {
  Write(4, std::string(10 << 10, 't'), WriteMode::kUpload);
  EXPECT_EQ(Objects(), 1u);
  EXPECT_EQ(chunks_->staging()->stats().blocks, 0u);
}

TEST_F(WritebackStoreTest, AFullStagingDiskFallsBackToDirectUpload) {
  chunks_.reset();
  config_.free_space_ratio = 2.0;  // staging refuses (ratio / 2 = 1.0: never enough room)
  chunks_ = std::make_unique<CachedStore>(objects_.get(), config_, nullptr);
  Write(5, std::string(10 << 10, 'u'), WriteMode::kStage);
  EXPECT_EQ(Objects(), 1u);
  EXPECT_EQ(chunks_->staging()->stats().blocks, 0u);
}

TEST_F(WritebackStoreTest, WarmupCheckAndEvictCountTierOneBlocks) {
  Write(6, std::string(100 << 10, 'v'), WriteMode::kUpload);  // 2 blocks, not cached
  auto c = chunks_->CacheSlice(6, 100 << 10, CacheOp::kCheck);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->blocks, 2u);
  EXPECT_EQ(c->cached_blocks, 0u);
  c = chunks_->CacheSlice(6, 100 << 10, CacheOp::kWarm);
  ASSERT_TRUE(c.has_value()) << c.error().ToString();
  EXPECT_EQ(c->cached_bytes, uint64_t(100 << 10));
  EXPECT_TRUE(chunks_->disk_cache()->Contains(BlockKey(6, 1, 36 << 10, false)));
  c = chunks_->CacheSlice(6, 100 << 10, CacheOp::kEvict);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->cached_blocks, 0u);
  EXPECT_FALSE(chunks_->disk_cache()->Contains(BlockKey(6, 0, 64 << 10, false)));
  // A staged block is not evicted: it is the only copy.
  Write(7, std::string(10 << 10, 'w'), WriteMode::kStage);
  c = chunks_->CacheSlice(7, 10 << 10, CacheOp::kEvict);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->cached_blocks, 1u);
}

}  // namespace
}  // namespace tierfs::chunk
