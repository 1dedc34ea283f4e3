#include <fcntl.h>
#include <linux/falloc.h>
#include <sqlite3.h>

#include <chrono>
#include <future>

#include "meta/plock.h"
#include "test_fixture.h"

namespace tierfs::meta::testing {
namespace {

using DataTest = SqliteMetaTest;

Slice NewSlice(Meta& m, uint32_t len) {
  Slice s;
  s.id = *m.NewSlice();
  s.size = len;
  s.len = len;
  return s;
}

TEST_F(DataTest, WriteReadAndCounters) {
  Entry f = Mk(kRootIno, "f");
  Slice s = NewSlice(*meta_, 5000);
  ASSERT_TRUE(meta_->Write(f.ino, 0, 100, s, 10, 20).ok());
  auto slices = meta_->Read(f.ino, 0);
  ASSERT_TRUE(slices.has_value());
  ASSERT_EQ(slices->size(), 1u);
  EXPECT_EQ((*slices)[0].pos, 100u);
  EXPECT_EQ((*slices)[0].id, s.id);
  auto a = meta_->GetAttr(root_, f.ino);
  EXPECT_EQ(a->length, 5100u);
  EXPECT_EQ(a->mtime, 10);
  std::string db = dir_ + "/meta.db";
  EXPECT_EQ(QueryInt(db, "SELECT refs FROM jfs_chunk_ref WHERE chunkid=" + std::to_string(s.id)), 1);
  EXPECT_EQ(QueryInt(db, "SELECT value FROM jfs_counter WHERE name='usedSpace'"), 8192);
  EXPECT_EQ(QueryInt(db, "SELECT value FROM jfs_counter WHERE name='totalInodes'"), 1);
  EXPECT_EQ(QueryInt(db, "SELECT value FROM jfs_counter WHERE name='nextChunk'"), 1 + 2048);  // one chunk_batch
  EXPECT_EQ(QueryInt(db, "SELECT value FROM jfs_counter WHERE name='nextInode'"), 2 + 256);  // one inode_batch
  EXPECT_EQ(QueryInt(db, "SELECT mtime FROM jfs_node WHERE inode=" + std::to_string(f.ino)), 10000000);
}

TEST_F(DataTest, UnlinkDeletesSlicesInBackground) {
  Entry f = Mk(kRootIno, "f");
  Slice s = NewSlice(*meta_, 4096);
  ASSERT_TRUE(meta_->Write(f.ino, 0, 0, s, 1, 0).ok());
  ASSERT_TRUE(meta_->Unlink(root_, kRootIno, "f").ok());
  ASSERT_TRUE(meta_->DrainDeletions().ok());
  EXPECT_EQ(deleted_.count(s.id), 1u);
  EXPECT_EQ(QueryInt(dir_ + "/meta.db", "SELECT count(*) FROM jfs_delfile"), 0);
}

TEST_F(DataTest, OpenUnlinkedFileSustainedUntilClose) {
  Entry f = Mk(kRootIno, "f");
  Slice s = NewSlice(*meta_, 4096);
  ASSERT_TRUE(meta_->Write(f.ino, 0, 0, s, 1, 0).ok());
  ASSERT_TRUE(meta_->Open(root_, f.ino, O_RDONLY).has_value());
  ASSERT_TRUE(meta_->Open(root_, f.ino, O_RDONLY).has_value());
  ASSERT_TRUE(meta_->Unlink(root_, kRootIno, "f").ok());
  EXPECT_TRUE(deleted_.empty());
  EXPECT_EQ(QueryInt(dir_ + "/meta.db", "SELECT count(*) FROM jfs_sustained"), 1);
  EXPECT_EQ(meta_->GetAttr(root_, f.ino)->nlink, 0u);
  EXPECT_EQ(meta_->Read(f.ino, 0)->size(), 1u);
  ASSERT_TRUE(meta_->Close(root_, f.ino).ok());
  EXPECT_TRUE(deleted_.empty());
  ASSERT_TRUE(meta_->Close(root_, f.ino).ok());
  ASSERT_TRUE(meta_->DrainDeletions().ok());
  EXPECT_EQ(deleted_.count(s.id), 1u);
  EXPECT_EQ(QueryInt(dir_ + "/meta.db", "SELECT count(*) FROM jfs_sustained"), 0);
  EXPECT_EQ(Code(meta_->Close(root_, f.ino)), EBADF);
}

TEST_F(DataTest, CopyFileRangeSharesSlices) {
  Entry a = Mk(kRootIno, "a");
  Entry b = Mk(kRootIno, "b");
  Slice s = NewSlice(*meta_, 8192);
  ASSERT_TRUE(meta_->Write(a.ino, 0, 0, s, 1, 0).ok());
  auto n = meta_->CopyFileRange(root_, a.ino, 1000, b.ino, 0, 100000, 0);
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(*n, 7192u);
  EXPECT_EQ(meta_->GetAttr(root_, b.ino)->length, 7192u);
  auto sl = *meta_->Read(b.ino, 0);
  ASSERT_EQ(sl.size(), 2u);  // zero fill + shared piece
  EXPECT_EQ(sl[1].id, s.id);
  EXPECT_EQ(sl[1].off, 1000u);
  EXPECT_EQ(QueryInt(dir_ + "/meta.db", "SELECT refs FROM jfs_chunk_ref WHERE chunkid=" + std::to_string(s.id)), 2);
  ASSERT_TRUE(meta_->Unlink(root_, kRootIno, "a").ok());
  ASSERT_TRUE(meta_->DrainDeletions().ok());
  EXPECT_TRUE(deleted_.empty());
  ASSERT_TRUE(meta_->Unlink(root_, kRootIno, "b").ok());
  ASSERT_TRUE(meta_->DrainDeletions().ok());
  EXPECT_EQ(deleted_.count(s.id), 1u);
}

TEST_F(DataTest, TruncateAndFallocate) {
  Entry f = Mk(kRootIno, "f");
  Slice s = NewSlice(*meta_, 10000);
  ASSERT_TRUE(meta_->Write(f.ino, 0, 0, s, 1, 0).ok());
  auto a = meta_->Truncate(root_, f.ino, 100);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->length, 100u);
  auto sl = *meta_->Read(f.ino, 0);
  ASSERT_EQ(sl.size(), 2u);
  EXPECT_EQ(sl[1].id, 0u);
  EXPECT_EQ(sl[1].pos, 100u);
  EXPECT_EQ(sl[1].len, 9900u);
  EXPECT_EQ(Code(meta_->Truncate(User(1, 1), f.ino, 0)), EACCES);
  EXPECT_EQ(Code(meta_->Fallocate(root_, f.ino, FALLOC_FL_PUNCH_HOLE, 0, 10)), EINVAL);
  ASSERT_TRUE(meta_->Fallocate(root_, f.ino, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 50).ok());
  EXPECT_EQ(meta_->GetAttr(root_, f.ino)->length, 100u);
  ASSERT_TRUE(meta_->Fallocate(root_, f.ino, 0, 0, 1 << 20).ok());
  EXPECT_EQ(meta_->GetAttr(root_, f.ino)->length, 1u << 20);
  Entry d = Mk(kRootIno, "d", FileType::kDirectory);
  EXPECT_EQ(Code(meta_->Truncate(root_, d.ino, 0)), EISDIR);
}

TEST_F(DataTest, CompactionCasAndRefs) {
  Entry f = Mk(kRootIno, "f");
  Slice s1 = NewSlice(*meta_, 4096), s2 = NewSlice(*meta_, 4096);
  ASSERT_TRUE(meta_->Write(f.ino, 0, 0, s1, 1, 0).ok());
  ASSERT_TRUE(meta_->Write(f.ino, 0, 4096, s2, 1, 0).ok());
  auto snap = meta_->ReadChunkForCompaction(f.ino, 0);
  ASSERT_TRUE(snap.has_value());
  ASSERT_EQ(snap->slices.size(), 2u);
  // A write lands meanwhile: the commit of an older snapshot must still work (prefix intact).
  Slice s3 = NewSlice(*meta_, 100);
  ASSERT_TRUE(meta_->Write(f.ino, 0, 0, s3, 1, 0).ok());
  Slice merged = NewSlice(*meta_, 8192);
  ASSERT_TRUE(meta_->CommitCompaction(f.ino, 0, *snap, {merged}).ok());
  auto sl = *meta_->Read(f.ino, 0);
  ASSERT_EQ(sl.size(), 2u);
  EXPECT_EQ(sl[0].id, merged.id);
  EXPECT_EQ(sl[1].id, s3.id);
  EXPECT_EQ(deleted_.count(s1.id), 1u);
  EXPECT_EQ(deleted_.count(s2.id), 1u);
  // The old snapshot no longer matches: EAGAIN.
  Slice again = NewSlice(*meta_, 8192);
  EXPECT_EQ(Code(meta_->CommitCompaction(f.ino, 0, *snap, {again})), EAGAIN);
}

TEST_F(DataTest, Xattrs) {
  Entry f = Mk(kRootIno, "f");
  EXPECT_EQ(Code(meta_->GetXattr(root_, f.ino, "user.a")), ENODATA);
  EXPECT_EQ(Code(meta_->SetXattr(root_, f.ino, "user.a", "v", 2)), ENODATA);
  ASSERT_TRUE(meta_->SetXattr(root_, f.ino, "user.a", "v1", 1).ok());
  EXPECT_EQ(Code(meta_->SetXattr(root_, f.ino, "user.a", "v", 1)), EEXIST);
  ASSERT_TRUE(meta_->SetXattr(root_, f.ino, "user.a", "v2", 2).ok());
  EXPECT_EQ(*meta_->GetXattr(root_, f.ino, "user.a"), "v2");
  ASSERT_TRUE(meta_->SetXattr(root_, f.ino, "user.b", "", 0).ok());
  EXPECT_EQ(meta_->ListXattr(root_, f.ino)->size(), 2u);
  ASSERT_TRUE(meta_->RemoveXattr(root_, f.ino, "user.a").ok());
  EXPECT_EQ(Code(meta_->RemoveXattr(root_, f.ino, "user.a")), ENODATA);
}

TEST_F(DataTest, FlockConflicts) {
  Entry f = Mk(kRootIno, "f");
  ASSERT_TRUE(meta_->Flock(root_, f.ino, 1, kLockRead, false).ok());
  ASSERT_TRUE(meta_->Flock(root_, f.ino, 2, kLockRead, false).ok());
  EXPECT_EQ(Code(meta_->Flock(root_, f.ino, 3, kLockWrite, false)), EAGAIN);
  ASSERT_TRUE(meta_->Flock(root_, f.ino, 1, kLockUnlock, false).ok());
  ASSERT_TRUE(meta_->Flock(root_, f.ino, 2, kLockUnlock, false).ok());
  ASSERT_TRUE(meta_->Flock(root_, f.ino, 3, kLockWrite, false).ok());
  EXPECT_EQ(QueryInt(dir_ + "/meta.db", "SELECT ltype FROM jfs_flock"), 'W');
}

TEST_F(DataTest, PosixLocksSplitAndConflict) {
  Entry f = Mk(kRootIno, "f");
  PosixLock w{kLockWrite, 7, 0, 99};
  ASSERT_TRUE(meta_->SetLk(root_, f.ino, 1, false, w).ok());
  EXPECT_EQ(Code(meta_->SetLk(root_, f.ino, 2, false, PosixLock{kLockRead, 8, 50, 60})), EAGAIN);
  auto probe = meta_->GetLk(root_, f.ino, 2, PosixLock{kLockRead, 8, 50, 60});
  ASSERT_TRUE(probe.has_value());
  EXPECT_EQ(probe->type, kLockWrite);
  EXPECT_EQ(probe->pid, 7u);
  // Unlock the middle: owner 1 keeps [0,39] and [61,99].
  ASSERT_TRUE(meta_->SetLk(root_, f.ino, 1, false, PosixLock{kLockUnlock, 7, 40, 60}).ok());
  ASSERT_TRUE(meta_->SetLk(root_, f.ino, 2, false, PosixLock{kLockRead, 8, 50, 60}).ok());
  EXPECT_EQ(meta_->GetLk(root_, f.ino, 2, PosixLock{kLockRead, 8, 0, UINT64_MAX})->start, 0u);
}

TEST(PlockTest, UpdateMergesAndSplits) {
  auto l = UpdatePlocks({}, PosixLock{kLockRead, 1, 0, 9});
  l = UpdatePlocks(l, PosixLock{kLockRead, 1, 10, 19});
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(l[0].end, 19u);
  l = UpdatePlocks(l, PosixLock{kLockWrite, 1, 5, 7});
  ASSERT_EQ(l.size(), 3u);
  EXPECT_EQ(l[1].type, kLockWrite);
  EXPECT_EQ(DecodePlocks(EncodePlocks(l)).size(), 3u);
  EXPECT_EQ(EncodePlocks(l).size(), 72u);
}

TEST_F(DataTest, SessionsAndStaleCleanup) {
  auto sessions = meta_->ListSessions();
  ASSERT_TRUE(sessions.has_value());
  ASSERT_EQ(sessions->size(), 1u);
  // A second client whose session expired while holding a lock and an open-unlinked file.
  auto other = Open();
  MetaOptions opt;
  opt.no_bgjob = true;
  ASSERT_TRUE(other->NewSession(SessionInfo{}, opt, {}).ok());
  uint64_t other_sid = static_cast<BaseMeta&>(*other).sid();
  Entry f = Mk(kRootIno, "f");
  Slice s = NewSlice(*meta_, 4096);
  ASSERT_TRUE(meta_->Write(f.ino, 0, 0, s, 1, 0).ok());
  ASSERT_TRUE(other->Flock(root_, f.ino, 1, kLockWrite, false).ok());
  ASSERT_TRUE(other->Open(root_, f.ino, O_RDONLY).has_value());
  ASSERT_TRUE(other->Unlink(root_, kRootIno, "f").ok());
  EXPECT_EQ(Code(meta_->Flock(root_, f.ino, 9, kLockWrite, false)), EAGAIN);
  // It stops heartbeating: its row expires.
  ExecSql(dir_ + "/meta.db", "UPDATE jfs_session2 SET expire=1 WHERE sid=" + std::to_string(other_sid));
  ASSERT_TRUE(static_cast<BaseMeta&>(*meta_).CleanupStaleSessions().ok());
  EXPECT_TRUE(meta_->Flock(root_, f.ino, 9, kLockWrite, false).ok());
  ASSERT_TRUE(meta_->DrainDeletions().ok());
  EXPECT_EQ(deleted_.count(s.id), 1u);
  EXPECT_EQ(meta_->ListSessions()->size(), 1u);
}

TEST_F(DataTest, BlockingLockWaitsForRelease) {
  Entry f = Mk(kRootIno, "f");
  ASSERT_TRUE(meta_->Flock(root_, f.ino, 1, kLockWrite, false).ok());
  auto waiter = std::async(std::launch::async, [&] { return meta_->Flock(root_, f.ino, 2, kLockWrite, true); });
  // Still waiting while owner 1 holds the lock (a wrong waiter returns at once), and not
  // holding it meanwhile.
  EXPECT_EQ(waiter.wait_for(std::chrono::milliseconds(300)), std::future_status::timeout);
  EXPECT_EQ(Code(meta_->Flock(root_, f.ino, 3, kLockWrite, false)), EAGAIN);
  ASSERT_TRUE(meta_->Flock(root_, f.ino, 1, kLockUnlock, false).ok());
  EXPECT_TRUE(waiter.get().ok());
  EXPECT_EQ(Code(meta_->Flock(root_, f.ino, 1, kLockWrite, false)), EAGAIN);  // 2 has it now
}

// A blocking wait whose caller is interrupted (FUSE INTERRUPT) ends with EINTR and never
// takes the lock afterwards: once the holder lets go, a third owner gets it at once.
TEST_F(DataTest, InterruptedLockWaitsGiveUp) {
  Entry f = Mk(kRootIno, "f");
  PosixLock all{kLockWrite, 7, 0, UINT64_MAX};
  ASSERT_TRUE(meta_->Flock(root_, f.ino, 1, kLockWrite, false).ok());
  ASSERT_TRUE(meta_->SetLk(root_, f.ino, 1, false, all).ok());
  Interrupt intr;
  Context ctx = root_;
  ctx.interrupt = &intr;
  auto flock = std::async(std::launch::async, [&] { return meta_->Flock(ctx, f.ino, 2, kLockWrite, true); });
  auto plock = std::async(std::launch::async, [&] { return meta_->SetLk(ctx, f.ino, 2, true, all); });
  EXPECT_EQ(flock.wait_for(std::chrono::milliseconds(300)), std::future_status::timeout);
  intr.Raise();
  EXPECT_EQ(Code(flock.get()), EINTR);
  EXPECT_EQ(Code(plock.get()), EINTR);
  ASSERT_TRUE(meta_->Flock(root_, f.ino, 1, kLockUnlock, false).ok());
  ASSERT_TRUE(meta_->SetLk(root_, f.ino, 1, false, PosixLock{kLockUnlock, 7, 0, UINT64_MAX}).ok());
  EXPECT_TRUE(meta_->Flock(root_, f.ino, 3, kLockWrite, false).ok());
  EXPECT_TRUE(meta_->SetLk(root_, f.ino, 3, false, all).ok());
}

class TrashTest : public SqliteMetaTest {
 protected:
  TrashTest() { trash_days_ = 1; }
};

TEST_F(TrashTest, UnlinkMovesIntoHourlyTrash) {
  EXPECT_EQ(meta_->GetAttr(root_, kTrashIno)->mode, 0555);
  Entry f = Mk(kRootIno, "f");
  Slice s = NewSlice(*meta_, 4096);
  ASSERT_TRUE(meta_->Write(f.ino, 0, 0, s, 1, 0).ok());
  ASSERT_TRUE(meta_->Unlink(root_, kRootIno, "f").ok());
  EXPECT_TRUE(deleted_.empty());
  auto hours = meta_->Readdir(root_, kTrashIno, false);
  ASSERT_EQ(hours->size(), 3u);
  Ino hour = (*hours)[2].ino;
  EXPECT_EQ(hour, kTrashIno + 1);
  auto e = meta_->Lookup(root_, hour, "1-" + std::to_string(f.ino) + "-f");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->ino, f.ino);
  // Deleting from the trash frees the data.
  ASSERT_TRUE(meta_->Unlink(root_, hour, e->name).ok());
  ASSERT_TRUE(meta_->DrainDeletions().ok());
  EXPECT_EQ(deleted_.count(s.id), 1u);
  // skip_trash bypasses it.
  Mk(kRootIno, "g");
  ASSERT_TRUE(meta_->Unlink(root_, kRootIno, "g", true).ok());
  EXPECT_EQ(meta_->Readdir(root_, hour, false)->size(), 2u);
}

class QuotaTest : public SqliteMetaTest {
 protected:
  QuotaTest() { inode_quota_ = 2; capacity_ = 16384; }
};

TEST_F(QuotaTest, InodesAndCapacity) {
  Entry f = Mk(kRootIno, "a");
  Mk(kRootIno, "b");
  EXPECT_EQ(Code(meta_->Mknod(root_, kRootIno, "c", FileType::kFile, 0644, 0, 0)), ENOSPC);
  EXPECT_EQ(Code(meta_->CheckGrowth(f.ino, 0, 1 << 20)), ENOSPC);
  auto st = meta_->StatFS(root_, kRootIno);
  EXPECT_EQ(st->total_space, 16384u);
  EXPECT_EQ(st->used_inodes, 2u);
  EXPECT_EQ(st->avail_inodes, 0u);
}

}  // namespace
}  // namespace tierfs::meta::testing

namespace tierfs::meta::testing {
namespace {

// JuiceFS's compaction triggers: the 99th slice (and every 100th after), then each past 350.
TEST(CompactionTrigger, AskedAtTheJuiceFsSliceCounts) {
  char tmpl[] = "/tmp/tierfs-meta-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  auto m = OpenMeta("sqlite3://" + dir + "/meta.db", false);
  ASSERT_TRUE(m.has_value());
  Format f;
  f.name = "trigger";
  f.uuid = "00000000-0000-0000-0000-0000000000bb";
  f.trash_days = 0;
  ASSERT_TRUE((*m)->Init(f, false).ok());
  std::vector<uint32_t> asked_at;
  uint32_t written = 0;
  MetaCallbacks cb;
  cb.delete_slice = [](uint64_t, uint32_t) { return Status(); };
  cb.compact_chunk = [&](Ino, uint32_t indx) {
    EXPECT_EQ(indx, 3u);
    asked_at.push_back(written);
  };
  MetaOptions opt;
  opt.no_bgjob = true;
  ASSERT_TRUE((*m)->NewSession(SessionInfo{}, opt, cb).ok());
  auto e = (*m)->Mknod(Context::Root(), kRootIno, "f", FileType::kFile, 0644, 0, 0);
  ASSERT_TRUE(e.has_value());
  for (written = 1; written <= 353; written++) {
    auto id = (*m)->NewSlice();
    ASSERT_TRUE(id.has_value());
    Slice s{0, *id, 10, 0, 10};
    ASSERT_TRUE((*m)->Write(e->ino, 3, written * 10, s, 1, 0).ok());
  }
  EXPECT_EQ(asked_at, (std::vector<uint32_t>{99, 199, 299, 351, 352, 353}));
  ASSERT_TRUE((*m)->CloseSession().ok());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tierfs::meta::testing

namespace tierfs::meta::testing {
namespace {

int64_t Counter(const std::string& db, const std::string& name) {
  return QueryInt(db, "SELECT value FROM jfs_counter WHERE name='" + name + "'");
}

// An open-but-unlinked (sustained) file stays charged until its last close, as JuiceFS
// accounts it (doUnlink charges nothing when the file is open; doDeleteSustainedInode
// subtracts the length it has then). Both cases of the issue: data written after the unlink,
// and a truncate after the unlink.
TEST_F(DataTest, SustainedFileIsChargedUntilItsLastClose) {
  const std::string db = dir_ + "/meta.db";
  const int64_t space0 = Counter(db, "usedSpace"), inodes0 = Counter(db, "totalInodes");
  Entry f = Mk(kRootIno, "f");
  ASSERT_TRUE(meta_->Open(root_, f.ino, O_RDWR).has_value());
  ASSERT_TRUE(meta_->Unlink(root_, kRootIno, "f").ok());
  for (uint32_t indx = 0; indx < 4; indx++) {
    ASSERT_TRUE(meta_->Write(f.ino, indx, 0, NewSlice(*meta_, kChunkSize), 1, 0).ok());
  }
  EXPECT_EQ(Counter(db, "usedSpace"), space0 + (256 << 20));
  ASSERT_TRUE(meta_->Close(root_, f.ino).ok());
  EXPECT_EQ(Counter(db, "usedSpace"), space0);
  EXPECT_EQ(Counter(db, "totalInodes"), inodes0);

  Entry g = Mk(kRootIno, "g");
  ASSERT_TRUE(meta_->Open(root_, g.ino, O_RDWR).has_value());
  ASSERT_TRUE(meta_->Write(g.ino, 0, 0, NewSlice(*meta_, kChunkSize), 1, 0).ok());
  ASSERT_TRUE(meta_->Unlink(root_, kRootIno, "g").ok());
  EXPECT_EQ(Counter(db, "usedSpace"), space0 + (64 << 20));
  ASSERT_TRUE(meta_->Truncate(root_, g.ino, 0, true).has_value());
  EXPECT_EQ(Counter(db, "usedSpace"), space0 + 4096);
  ASSERT_TRUE(meta_->Close(root_, g.ino).ok());
  ASSERT_TRUE(meta_->DrainDeletions().ok());
  EXPECT_EQ(Counter(db, "usedSpace"), space0);
  EXPECT_EQ(Counter(db, "totalInodes"), inodes0);
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM jfs_chunk"), 0);
}

// A session that dies with a sustained file: whoever cleans the stale session subtracts it.
TEST_F(DataTest, StaleSessionCleanupSubtractsItsSustainedFiles) {
  const std::string db = dir_ + "/meta.db";
  const int64_t space0 = Counter(db, "usedSpace"), inodes0 = Counter(db, "totalInodes");
  Entry f = Mk(kRootIno, "f");
  ASSERT_TRUE(meta_->Write(f.ino, 0, 0, NewSlice(*meta_, 1 << 20), 1, 0).ok());
  // A dead client (sid 77) had f open when its last link went: f is sustained by it.
  ExecSql(db, "INSERT INTO jfs_session2 (sid,expire,info) VALUES (77,1,'{}')");
  ExecSql(db, "DELETE FROM jfs_edge WHERE inode=" + std::to_string(f.ino));
  ExecSql(db, "UPDATE jfs_node SET nlink=0 WHERE inode=" + std::to_string(f.ino));
  ExecSql(db, "INSERT INTO jfs_sustained (sid,inode) VALUES (77," + std::to_string(f.ino) + ")");
  ASSERT_TRUE(static_cast<BaseMeta&>(*meta_).CleanupStaleSessions().ok());
  ASSERT_TRUE(meta_->DrainDeletions().ok());
  EXPECT_EQ(Counter(db, "usedSpace"), space0);
  EXPECT_EQ(Counter(db, "totalInodes"), inodes0);
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM jfs_node WHERE inode=" + std::to_string(f.ino)), 0);
}

// Growing a file to 1 PiB touches only the chunk rows that exist (JuiceFS updates the whole
// middle range with one statement); before, it ran one UPDATE per chunk (~16M, ~15 s here).
// The deadline only guards against that hang: the operation itself takes milliseconds.
TEST_F(DataTest, TruncateToOnePebibyteTouchesOnlyExistingChunks) {
  Entry f = Mk(kRootIno, "f");
  ASSERT_TRUE(meta_->Write(f.ino, 0, 0, NewSlice(*meta_, 4096), 1, 0).ok());
  ASSERT_TRUE(meta_->Write(f.ino, 9, 0, NewSlice(*meta_, 4096), 1, 0).ok());
  auto grow = std::async(std::launch::async, [&] { return meta_->Truncate(root_, f.ino, 1ULL << 50); });
  ASSERT_EQ(grow.wait_for(std::chrono::seconds(5)), std::future_status::ready)
      << "truncate to 1 PiB still running after 5 s";
  ASSERT_TRUE(grow.get().has_value());
  EXPECT_EQ(meta_->GetAttr(root_, f.ino)->length, 1ULL << 50);
  const std::string db = dir_ + "/meta.db";
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM jfs_chunk WHERE inode=" + std::to_string(f.ino)), 2);
  // The old length ended in chunk 9: its tail became a zero slice; chunk 0 is untouched.
  EXPECT_EQ(meta_->Read(f.ino, 0)->size(), 1u);
  auto c9 = *meta_->Read(f.ino, 9);
  ASSERT_EQ(c9.size(), 2u);
  EXPECT_EQ(c9[1].id, 0u);
  EXPECT_EQ(c9[1].pos, 4096u);
  EXPECT_EQ(c9[1].len, kChunkSize - 4096);
  // And back down: the middle chunks that exist get a zero slice, in one statement too.
  ASSERT_TRUE(meta_->Write(f.ino, 1000, 0, NewSlice(*meta_, 4096), 1, 0).ok());
  ASSERT_TRUE(meta_->Truncate(root_, f.ino, 4096).has_value());
  auto c1000 = *meta_->Read(f.ino, 1000);
  ASSERT_EQ(c1000.size(), 2u);
  EXPECT_EQ(c1000[1].id, 0u);
  EXPECT_EQ(c1000[1].len, kChunkSize);
  EXPECT_EQ(meta_->Read(f.ino, 9)->size(), 3u);
}

class CapacityTest : public SqliteMetaTest {
 protected:
  CapacityTest() { capacity_ = 64 << 10; }
};

// Only growth is charged (JuiceFS doWrite: align4K(new) - align4K(old)), so rewriting bytes
// of a file near the capacity works; growth past it is refused before it is accepted.
TEST_F(CapacityTest, OverwritesAreFreeGrowthIsChecked) {
  Entry f = Mk(kRootIno, "f");
  ASSERT_TRUE(meta_->CheckGrowth(f.ino, 0, 40960).ok());
  ASSERT_TRUE(meta_->Write(f.ino, 0, 0, NewSlice(*meta_, 40960), 1, 0).ok());
  EXPECT_TRUE(meta_->CheckGrowth(f.ino, 40960, 40960).ok());
  ASSERT_TRUE(meta_->Write(f.ino, 0, 0, NewSlice(*meta_, 40960), 1, 0).ok());  // overwrite
  EXPECT_EQ(Code(meta_->CheckGrowth(f.ino, 40960, 40960 + 32768)), ENOSPC);
  EXPECT_TRUE(meta_->CheckGrowth(f.ino, 40960, 65536).ok());
  EXPECT_EQ(meta_->GetAttr(root_, f.ino)->length, 40960u);
}

}  // namespace
}  // namespace tierfs::meta::testing
