// The VFS data path on real components: SQLite metadata in a temp dir, the in-memory object
// store (a product of ours, mem://), the real chunk store. Writes go through FileWriter and
// reads through slice resolution; a byte model checks every read.
#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <random>
#include <set>
#include <atomic>
#include <string>

#include "chunk/chunk_store.h"
#include "meta/meta.h"
#include "object/faulty_store.h"
#include "object/mem_store.h"
#include "vfs/compactor.h"
#include "vfs/vfs.h"

namespace tierfs::vfs {
namespace {

constexpr uint32_t kBlock = 64 << 10;  // small blocks: many block boundaries in little data

class VfsDataTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tierfs-vfs-XXXXXX";
    dir_ = mkdtemp(tmpl);
    auto m = meta::OpenMeta("sqlite3://" + dir_ + "/meta.db", false);
    ASSERT_TRUE(m.has_value());
    meta_ = std::move(*m);
    meta::Format f;
    f.name = "vfstest";
    f.uuid = "00000000-0000-0000-0000-0000000000aa";
    f.block_size_kib = block_size_ / 1024;
    f.trash_days = 0;
    f.capacity = capacity_;
    ASSERT_TRUE(meta_->Init(f, false).ok());
    store_ = std::make_unique<object::FaultyStore>(std::make_unique<object::MemStore>("vfs"));
    chunk::ChunkConfig cc;
    cc.block_size = block_size_;
    cc.buffer_size = buffer_size_;
    chunks_ = chunk::NewChunkStore(store_.get(), cc, nullptr);
    VfsConfig vc;
    vc.format = f;
    vfs_ = std::make_unique<Vfs>(meta_.get(), chunks_.get(), nullptr, vc);
    meta::MetaOptions mo;
    mo.no_bgjob = true;
    ASSERT_TRUE(meta_->NewSession(meta::SessionInfo{}, mo, vfs_->Callbacks()).ok());
  }
  void TearDown() override {
    vfs_->Shutdown();
    (void)meta_->CloseSession();
    vfs_.reset();
    chunks_.reset();
    meta_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::pair<meta::Ino, uint64_t> Create(const std::string& name) {
    auto r = vfs_->Create(ctx_, meta::kRootIno, name, 0644, O_RDWR);
    EXPECT_TRUE(r.has_value()) << r.error().ToString();
    return {r->first.ino, r->second.fh};
  }
  void Write(meta::Ino ino, uint64_t fh, uint64_t off, const std::string& data) {
    auto r = vfs_->Write(ctx_, ino, fh, off, std::span<const char>(data.data(), data.size()));
    ASSERT_TRUE(r.has_value()) << r.error().ToString();
  }
  std::string Read(meta::Ino ino, uint64_t fh, uint64_t off, size_t n) {
    std::string buf(n, '\0');
    auto r = vfs_->Read(ctx_, ino, fh, off, std::span<char>(buf.data(), n));
    EXPECT_TRUE(r.has_value()) << r.error().ToString();
    buf.resize(r.value_or(0));
    return buf;
  }
  uint64_t Size(meta::Ino ino) { return uint64_t(vfs_->GetAttr(ctx_, ino)->attr.st_size); }
  size_t SliceCount(meta::Ino ino, uint32_t indx) { return meta_->Read(ino, indx)->size(); }

  uint64_t buffer_size_ = 8 << 20;
  uint32_t block_size_ = kBlock;
  uint64_t capacity_ = 0;
  std::string dir_;
  meta::Context ctx_ = meta::Context::Root();
  std::unique_ptr<meta::Meta> meta_;
  std::unique_ptr<object::FaultyStore> store_;
  std::unique_ptr<chunk::ChunkStore> chunks_;
  std::unique_ptr<Vfs> vfs_;
};

TEST_F(VfsDataTest, SequentialWriteReadsBackAfterFlushAndReopen) {
  auto [ino, fh] = Create("seq");
  std::string data(5 * kBlock + 123, '\0');
  std::mt19937 rng(1);
  for (char& c : data) c = char(rng());
  for (size_t off = 0; off < data.size(); off += 10000)
    Write(ino, fh, off, data.substr(off, 10000));
  EXPECT_EQ(Size(ino), data.size());  // visible before commit, from the writer
  ASSERT_TRUE(vfs_->Flush(ctx_, ino, fh, 0).ok());
  ASSERT_TRUE(vfs_->Release(ino, fh).ok());
  EXPECT_EQ(SliceCount(ino, 0), 1u);  // contiguous writes make one slice
  auto o = vfs_->Open(ctx_, ino, O_RDONLY);
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(Read(ino, o->fh, 0, data.size() + 10), data);
  EXPECT_EQ(Read(ino, o->fh, kBlock - 7, 20), data.substr(kBlock - 7, 20));
  EXPECT_EQ(Read(ino, o->fh, data.size(), 10), "");
  ASSERT_TRUE(vfs_->Release(ino, o->fh).ok());
  // Objects are named as JuiceFS names them: 6 blocks, the last partial.
  auto objs = store_->List("chunks/");
  ASSERT_TRUE(objs.has_value());
  EXPECT_EQ(objs->size(), 6u);
}

TEST_F(VfsDataTest, OverwriteInTheMiddleWinsAndHolesReadZero) {
  auto [ino, fh] = Create("ow");
  Write(ino, fh, 0, std::string(3 * kBlock, 'a'));
  ASSERT_TRUE(vfs_->Flush(ctx_, ino, fh, 0).ok());
  Write(ino, fh, kBlock - 5, std::string(10, 'b'));
  Write(ino, fh, 5 * kBlock, "end");  // leaves a hole [3 blocks, 5 blocks)
  std::string want(3 * kBlock, 'a');
  want.replace(kBlock - 5, 10, std::string(10, 'b'));
  want += std::string(2 * kBlock, '\0') + "end";
  EXPECT_EQ(Read(ino, fh, 0, want.size()), want);  // read commits pending writes first
  EXPECT_EQ(Size(ino), want.size());
  ASSERT_TRUE(vfs_->Release(ino, fh).ok());
}

// A write that continues an older slice's tail must not go into it when a newer slice covers
// the same bytes: the newer slice would hide it on read (JuiceFS findWritableSlice).
TEST_F(VfsDataTest, WriteNeverLandsUnderANewerSlice) {
  auto [ino, fh] = Create("hidden");
  std::string model(kBlock * 9 / 2, 'a');
  Write(ino, fh, 0, model);                                    // slice 1, 4 blocks flushed
  Write(ino, fh, kBlock, std::string(4 * kBlock, 'b'));        // slice 2 over [1, 5) blocks
  model.resize(5 * kBlock);
  model.replace(kBlock, 4 * kBlock, std::string(4 * kBlock, 'b'));
  Write(ino, fh, kBlock * 17 / 4, std::string(4096, 'c'));     // inside slice 1's open tail
  model.replace(kBlock * 17 / 4, 4096, std::string(4096, 'c'));
  EXPECT_EQ(Read(ino, fh, 0, model.size()), model);
  ASSERT_TRUE(vfs_->Release(ino, fh).ok());
}

TEST_F(VfsDataTest, RandomWritesAcrossChunksMatchAModel) {
  auto [ino, fh] = Create("rand");
  const uint64_t span = meta::kChunkSize + 3 * kBlock;  // crosses the 64 MiB chunk boundary
  std::string model;
  std::mt19937_64 rng(7);
  for (int i = 0; i < 200; i++) {
    uint64_t off = rng() % span;
    if (i % 3 == 0) off = meta::kChunkSize - (rng() % (2 * kBlock));  // around the boundary
    size_t n = 1 + rng() % (3 * kBlock);
    std::string data(n, char('A' + i % 26));
    Write(ino, fh, off, data);
    if (model.size() < off + n) model.resize(off + n, '\0');
    model.replace(off, n, data);
    if (i % 17 == 0) ASSERT_TRUE(vfs_->Flush(ctx_, ino, fh, 0).ok());
    if (i % 23 == 0) {
      uint64_t at = rng() % model.size();
      size_t len = std::min<size_t>(1 + rng() % (4 * kBlock), model.size() - at);
      ASSERT_EQ(Read(ino, fh, at, len), model.substr(at, len)) << "read " << at << "+" << len;
    }
  }
  ASSERT_TRUE(vfs_->Release(ino, fh).ok());
  EXPECT_EQ(Size(ino), model.size());
  auto o = vfs_->Open(ctx_, ino, O_RDONLY);
  ASSERT_TRUE(o.has_value());
  for (uint64_t at = 0; at < model.size(); at += 4 << 20) {
    size_t len = std::min<size_t>(4 << 20, model.size() - at);
    ASSERT_EQ(Read(ino, o->fh, at, len), model.substr(at, len)) << "at " << at;
  }
  ASSERT_TRUE(vfs_->Release(ino, o->fh).ok());
}

TEST_F(VfsDataTest, TruncateShrinksThenExtendsWithZeros) {
  auto [ino, fh] = Create("tr");
  Write(ino, fh, 0, std::string(2 * kBlock, 'x'));
  struct stat st {};
  st.st_size = 100;
  ASSERT_TRUE(vfs_->SetAttr(ctx_, ino, kSetSize, st, fh).has_value());
  st.st_size = 300;
  ASSERT_TRUE(vfs_->SetAttr(ctx_, ino, kSetSize, st, fh).has_value());
  EXPECT_EQ(Read(ino, fh, 0, 1000), std::string(100, 'x') + std::string(200, '\0'));
  ASSERT_TRUE(vfs_->Release(ino, fh).ok());
}

TEST_F(VfsDataTest, CompactionKeepsBytesAndDeletesReplacedObjects) {
  auto [ino, fh] = Create("cmp");
  std::string model(kBlock * 2, '\0');
  for (int i = 0; i < 12; i++) {  // 12 overlapping slices
    std::string d(kBlock / 2 + i * 100, char('a' + i));
    uint64_t off = uint64_t(i) * 7001 % kBlock;
    Write(ino, fh, off, d);
    ASSERT_TRUE(vfs_->Flush(ctx_, ino, fh, 0).ok());
    model.replace(off, d.size(), d);
  }
  model.resize(Size(ino));
  ASSERT_EQ(SliceCount(ino, 0), 12u);
  size_t objects_before = store_->List("chunks/")->size();
  Compactor c(meta_.get(), chunks_.get(), kBlock, 0);
  ASSERT_TRUE(c.CompactNow(ino, 0).ok());
  EXPECT_EQ(SliceCount(ino, 0), 1u);
  EXPECT_LT(store_->List("chunks/")->size(), objects_before);
  EXPECT_EQ(Read(ino, fh, 0, model.size()), model);
  ASSERT_TRUE(vfs_->Release(ino, fh).ok());
}

TEST_F(VfsDataTest, UnlinkedFileStaysReadableUntilRelease) {
  auto [ino, fh] = Create("gone");
  Write(ino, fh, 0, "still here");
  ASSERT_TRUE(vfs_->Flush(ctx_, ino, fh, 0).ok());
  ASSERT_TRUE(vfs_->Unlink(ctx_, meta::kRootIno, "gone").ok());
  EXPECT_EQ(Read(ino, fh, 0, 100), "still here");
  ASSERT_TRUE(vfs_->Release(ino, fh).ok());
  ASSERT_TRUE(meta_->CleanupDeletedFiles().ok());
  EXPECT_TRUE(store_->List("chunks/")->empty());
}

// A compaction made by this mount drops the mount's cached slice list at once: the next read
// asks only for the new slice's objects, never for the replaced (deleted) ones (before, it hit
// NotFound and retried for ~13 s with the production retry policy).
TEST_F(VfsDataTest, ReadAfterOwnCompactionUsesTheNewSlice) {
  auto [ino, fh] = Create("cmp2");
  std::string model(kBlock * 2, '\0');
  for (int i = 0; i < 3; i++) {  // 3 slices, 3 pieces: below the background compaction trigger
    std::string d(kBlock / 2, char('a' + i));
    uint64_t off = uint64_t(i) * kBlock / 2;
    Write(ino, fh, off, d);
    ASSERT_TRUE(vfs_->Flush(ctx_, ino, fh, 0).ok());
    model.replace(off, d.size(), d);
  }
  model.resize(Size(ino));
  EXPECT_EQ(Read(ino, fh, 0, model.size()), model);  // the slice list is now cached
  auto old_keys = *store_->List("chunks/");
  std::set<std::string> gone;
  for (const auto& o : old_keys) gone.insert(o.key);
  ASSERT_TRUE(vfs_->CompactChunk(ino, 0).ok());
  ASSERT_EQ(SliceCount(ino, 0), 1u);
  std::atomic<int> stale_gets{0};
  store_->SetInterceptor([&](const object::ObjectRequest& r) {
    if (r.op == object::ObjectOp::kGet && gone.count(std::string(r.key))) ++stale_gets;
    return Status::Ok();
  });
  EXPECT_EQ(Read(ino, fh, 0, model.size()), model);
  store_->Clear();
  EXPECT_EQ(stale_gets.load(), 0) << "read used the slice list from before the compaction";
  ASSERT_TRUE(vfs_->Release(ino, fh).ok());
}

// An object that is missing although the slice list did not change is lost data: the read
// fails with EIO at once (one GET), naming the object, instead of retrying for seconds.
TEST_F(VfsDataTest, LostObjectFailsTheReadAtOnce) {
  auto [ino, fh] = Create("lost");
  Write(ino, fh, 0, std::string(3 * kBlock, 'z'));
  ASSERT_TRUE(vfs_->Flush(ctx_, ino, fh, 0).ok());
  auto keys = *store_->List("chunks/");
  ASSERT_EQ(keys.size(), 3u);
  ASSERT_TRUE(store_->inner()->Delete(keys[1].key).ok());
  std::atomic<int> gets{0};
  store_->SetInterceptor([&](const object::ObjectRequest& r) {
    if (r.op == object::ObjectOp::kGet && r.key == keys[1].key) ++gets;
    return Status::Ok();
  });
  std::string buf(3 * kBlock, '\0');
  auto r = vfs_->Read(ctx_, ino, fh, 0, std::span<char>(buf.data(), buf.size()));
  store_->Clear();
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), EIO);
  EXPECT_NE(r.error().message().find(keys[1].key), std::string::npos) << r.error().ToString();
  EXPECT_LE(gets.load(), 2);  // the read and its one re-read of an unchanged list: no retries
  ASSERT_TRUE(vfs_->Release(ino, fh).ok());
}

// Two threads flush one inode at once: whichever returns, its next read sees the data the other
// wrote before (each commit drops the cached slice list before any flush waiting for it
// returns; before, the second flusher could return before the first one invalidated).
TEST_F(VfsDataTest, ConcurrentFlushersBothSeeTheCommittedData) {
  auto [ino, fh] = Create("flushers");
  Write(ino, fh, 0, std::string(100, '0'));
  ASSERT_TRUE(vfs_->Flush(ctx_, ino, fh, 0).ok());
  for (int i = 1; i <= 100; i++) {
    EXPECT_EQ(Read(ino, fh, 0, 100), std::string(100, char('0' + (i - 1) % 10)));  // cached
    std::string d(100, char('0' + i % 10));
    Write(ino, fh, 0, d);
    auto other = std::async(std::launch::async, [&, ino = ino, fh = fh] {
      return vfs_->Flush(ctx_, ino, fh, 0).ok();
    });
    ASSERT_TRUE(vfs_->Flush(ctx_, ino, fh, 0).ok());
    std::string seen(100, '\0');
    auto got = vfs_->Read(ctx_, ino, fh, 0, std::span<char>(seen.data(), 100));
    ASSERT_TRUE(other.get());
    ASSERT_TRUE(got.has_value());
    ASSERT_EQ(seen, d) << "round " << i;
  }
  ASSERT_TRUE(vfs_->Release(ino, fh).ok());
}

// readdirplus attributes are taken by the kernel as the inode's own: a file whose writes are not
// committed yet must be listed with their length (the model test found a listing shrinking it).
TEST_F(VfsDataTest, ReaddirPlusShowsUncommittedLength) {
  auto [ino, fh] = Create("pending");
  Write(ino, fh, 0, std::string(5000, 'p'));
  auto dh = vfs_->OpenDir(ctx_, meta::kRootIno, true);
  ASSERT_TRUE(dh.has_value());
  auto entries = vfs_->ReadDir(ctx_, meta::kRootIno, *dh, 0, true);
  ASSERT_TRUE(entries.has_value());
  bool found = false;
  for (const DirEntryOut& e : **entries) {
    if (e.name != "pending") continue;
    found = true;
    EXPECT_EQ(e.entry.attr.st_size, 5000);
  }
  EXPECT_TRUE(found);
  ASSERT_TRUE(vfs_->ReleaseDir(meta::kRootIno, *dh).ok());
  ASSERT_TRUE(vfs_->Release(ino, fh).ok());
}

TEST_F(VfsDataTest, RemovedOpenDirectoryListsEmptyAndStatsWithNoLinks) {
  auto d = vfs_->Mkdir(ctx_, meta::kRootIno, "gone", 0755);
  ASSERT_TRUE(d.has_value());
  meta::Ino dir = d->ino;
  auto dh = vfs_->OpenDir(ctx_, dir, false);
  ASSERT_TRUE(dh.has_value());
  ASSERT_TRUE(vfs_->Rmdir(ctx_, meta::kRootIno, "gone").ok());
  auto entries = vfs_->ReadDir(ctx_, dir, *dh, 0, false);
  ASSERT_TRUE(entries.has_value()) << entries.error().ToString();
  EXPECT_TRUE((*entries)->empty());
  auto attr = vfs_->GetAttr(ctx_, dir);  // fstat of the open directory, as Linux answers it
  ASSERT_TRUE(attr.has_value()) << attr.error().ToString();
  EXPECT_TRUE(S_ISDIR(attr->attr.st_mode));
  EXPECT_EQ(attr->attr.st_nlink, 0u);
  ASSERT_TRUE(vfs_->ReleaseDir(dir, *dh).ok());
  auto closed = vfs_->GetAttr(ctx_, dir);
  ASSERT_FALSE(closed.has_value());
  EXPECT_EQ(closed.error().code(), ENOENT);
}

TEST_F(VfsDataTest, ChmodAndLinkRepliesShowUncommittedLength) {
  auto [ino, fh] = Create("pending");
  Write(ino, fh, 0, std::string(7000, 'p'));
  struct stat want {};
  want.st_mode = 0600;
  auto set = vfs_->SetAttr(ctx_, ino, kSetMode, want, 0);
  ASSERT_TRUE(set.has_value());
  EXPECT_EQ(set->attr.st_size, 7000);
  EXPECT_EQ(set->attr.st_mode & 07777, 0600u);
  auto linked = vfs_->Link(ctx_, ino, meta::kRootIno, "again");
  ASSERT_TRUE(linked.has_value());
  EXPECT_EQ(linked->attr.st_size, 7000);
  ASSERT_TRUE(vfs_->Release(ino, fh).ok());
}

class VfsCapacityTest : public VfsDataTest {
 protected:
  void SetUp() override {
    capacity_ = 1 << 20;
    VfsDataTest::SetUp();
  }
};

// Near the capacity: overwrites are accepted and committed (only growth is charged), growth past
// it fails in write() itself, and every write that returned is committed.
TEST_F(VfsCapacityTest, OverwritesNearCapacityAreKeptGrowthFailsInWrite) {
  auto [ino, fh] = Create("full");
  std::string a(600 << 10, 'a'), b(600 << 10, 'b');
  Write(ino, fh, 0, a);
  ASSERT_TRUE(vfs_->Flush(ctx_, ino, fh, 0).ok());
  Write(ino, fh, 0, b);  // rewrites the same bytes: no growth
  ASSERT_TRUE(vfs_->Flush(ctx_, ino, fh, 0).ok()) << "an overwrite was charged as growth";
  std::string more(600 << 10, 'c');
  auto r = vfs_->Write(ctx_, ino, fh, a.size(), std::span<const char>(more.data(), more.size()));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ENOSPC);
  ASSERT_TRUE(vfs_->Flush(ctx_, ino, fh, 0).ok());
  EXPECT_EQ(Size(ino), b.size());
  EXPECT_EQ(Read(ino, fh, 0, b.size() + 10), b);
  ASSERT_TRUE(vfs_->Release(ino, fh).ok());
}

// The load: the minimum --buffer-size (32 MiB), 4 MiB blocks, 12 writers to different
// files with writes that do not line up with blocks. A writer used to wait for budget in the
// middle of filling a block; with every writer holding a partly filled block no upload was in
// flight and all waited forever. Now writers wait before they copy and commit buffered slices
// when only that frees memory: all finish, every byte reads back.
class VfsMinBufferTest : public VfsDataTest {
 protected:
  void SetUp() override {
    buffer_size_ = 32 << 20;
    block_size_ = 4 << 20;
    VfsDataTest::SetUp();
  }
};

TEST_F(VfsMinBufferTest, ManyWritersProgressWithTheMinimumBuffer) {
  constexpr int kWriters = 12;
  constexpr uint64_t kFileSize = 24 << 20;
  std::vector<std::pair<meta::Ino, uint64_t>> files;
  for (int i = 0; i < kWriters; i++) files.push_back(Create("w" + std::to_string(i)));
  auto pattern = [](int w, uint64_t off) { return char('a' + (w * 7 + off / 4093) % 26); };
  std::vector<std::future<bool>> writers;
  for (int w = 0; w < kWriters; w++) {
    writers.push_back(std::async(std::launch::async, [&, w] {
      auto [ino, fh] = files[w];
      std::mt19937 rng(w);
      for (uint64_t off = 0; off < kFileSize;) {
        size_t n = std::min<uint64_t>(100000 + rng() % 900000, kFileSize - off);  // unaligned
        std::string d(n, '\0');
        for (size_t k = 0; k < n; k++) d[k] = pattern(w, off + k);
        auto r = vfs_->Write(ctx_, ino, fh, off, std::span<const char>(d.data(), n));
        if (!r) return false;
        off += n;
      }
      return vfs_->Flush(ctx_, ino, fh, 0).ok();
    }));
  }
  for (auto& f : writers) {
    if (f.wait_for(std::chrono::seconds(120)) != std::future_status::ready) {
      ADD_FAILURE() << "writers did not finish: deadlock in the write budget";
      std::_Exit(1);  // the stuck threads cannot be joined
    }
    ASSERT_TRUE(f.get());
  }
  for (int w = 0; w < kWriters; w++) {
    auto [ino, fh] = files[w];
    ASSERT_EQ(Size(ino), kFileSize);
    for (uint64_t at = 0; at < kFileSize; at += 3 << 20) {
      std::string got = Read(ino, fh, at, 1 << 20);
      for (size_t k = 0; k < got.size(); k++) ASSERT_EQ(got[k], pattern(w, at + k)) << w << " " << at + k;
    }
    ASSERT_TRUE(vfs_->Release(ino, fh).ok());
  }
  vfs_->Shutdown();  // background compactions (of the slices pressure made) hold buffers too
  EXPECT_EQ(chunks_->UsedBuffer(), 0u);
}

class VfsTinyBufferTest : public VfsDataTest {
 protected:
  void SetUp() override {
    buffer_size_ = 1 << 20;  // room for 16 partially filled 64 KiB buffers only
    VfsDataTest::SetUp();
  }
};

// Scattered small writes to one file: every slice holds a partial block until it is committed,
// so the budget runs out while older slices of the same file wait for their commit. The writer
// must wait without blocking that commit (a deadlock before the writer dropped its lock).
TEST_F(VfsTinyBufferTest, ScatteredWritesUnderMemoryPressureComplete) {
  auto [ino, fh] = Create("scatter");
  std::string model(4 << 20, '\0');
  auto work = std::async(std::launch::async, [&, ino = ino, fh = fh] {
    std::mt19937 rng(3);
    for (int i = 0; i < 400; i++) {
      uint64_t off = (rng() % 64) * kBlock + rng() % 1000;
      std::string d(1000, char('a' + i % 26));
      Write(ino, fh, off, d);
      model.replace(off, d.size(), d);
    }
    return vfs_->Flush(ctx_, ino, fh, 0);
  });
  if (work.wait_for(std::chrono::seconds(120)) != std::future_status::ready) {
    ADD_FAILURE() << "writes did not complete: deadlock under memory pressure";
    std::_Exit(1);  // the stuck threads cannot be joined
  }
  ASSERT_TRUE(work.get().ok());
  model.resize(Size(ino));
  EXPECT_EQ(Read(ino, fh, 0, model.size()), model);
  ASSERT_TRUE(vfs_->Release(ino, fh).ok());
}

TEST_F(VfsDataTest, InternalFilesAreReadOnlyAndHaveContent) {
  auto e = vfs_->Lookup(ctx_, meta::kRootIno, ".config");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(vfs_->Open(ctx_, e->ino, O_WRONLY).error().code(), EACCES);
  auto o = vfs_->Open(ctx_, e->ino, O_RDONLY);
  ASSERT_TRUE(o.has_value());
  EXPECT_NE(Read(e->ino, o->fh, 0, 1 << 16).find("\"Name\": \"vfstest\""), std::string::npos);
  ASSERT_TRUE(vfs_->Release(e->ino, o->fh).ok());
}

}  // namespace
}  // namespace tierfs::vfs
