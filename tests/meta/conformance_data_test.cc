// The data conformance suite: chunks and slices, slice references, deletion of freed files,
// sustained inodes, xattrs, locks, sessions, trash and quotas, run on every engine
// (TIERFS_ALL_ENGINES), their stored effects checked through a StoreProbe.
#include <fcntl.h>
#include <linux/falloc.h>

#include <chrono>
#include <future>

#include "meta/plock.h"
#include "store_probe.h"

namespace tierfs::meta::testing {
namespace {

using DataTest = ProbedMetaTest;
TIERFS_ALL_ENGINES(DataTest);

class TrashTest : public ProbedMetaTest {
 protected:
  TrashTest() { trash_days_ = 1; }
};
TIERFS_ALL_ENGINES(TrashTest);

class QuotaTest : public ProbedMetaTest {
 protected:
  QuotaTest() { inode_quota_ = 2; capacity_ = 16384; }
};
TIERFS_ALL_ENGINES(QuotaTest);

class CapacityTest : public ProbedMetaTest {
 protected:
  CapacityTest() { capacity_ = 64 << 10; }
};
TIERFS_ALL_ENGINES(CapacityTest);


TEST_P(DataTest, WriteReadAndCounters) {
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
  EXPECT_EQ(probe_->SliceRefs(s.id, s.size), 1);
  EXPECT_EQ(probe_->Counter("usedSpace"), 8192);
  EXPECT_EQ(probe_->Counter("totalInodes"), 1);
  EXPECT_EQ(probe_->Counter("nextChunk"), probe_->FreshCounter("nextChunk") + 2048);  // one chunk_batch
  EXPECT_EQ(probe_->Counter("nextInode"), probe_->FreshCounter("nextInode") + 256);  // one inode_batch
}

TEST_P(DataTest, UnlinkDeletesSlicesInBackground) {
  Entry f = Mk(kRootIno, "f");
  Slice s = NewSlice(*meta_, 4096);
  ASSERT_TRUE(meta_->Write(f.ino, 0, 0, s, 1, 0).ok());
  ASSERT_TRUE(meta_->Unlink(root_, kRootIno, "f").ok());
  ASSERT_TRUE(meta_->DrainDeletions().ok());
  EXPECT_EQ(deleted_.count(s.id), 1u);
  EXPECT_EQ(probe_->DelFiles(), 0);
}

TEST_P(DataTest, OpenUnlinkedFileSustainedUntilClose) {
  Entry f = Mk(kRootIno, "f");
  Slice s = NewSlice(*meta_, 4096);
  ASSERT_TRUE(meta_->Write(f.ino, 0, 0, s, 1, 0).ok());
  ASSERT_TRUE(meta_->Open(root_, f.ino, O_RDONLY).has_value());
  ASSERT_TRUE(meta_->Open(root_, f.ino, O_RDONLY).has_value());
  ASSERT_TRUE(meta_->Unlink(root_, kRootIno, "f").ok());
  EXPECT_TRUE(deleted_.empty());
  EXPECT_EQ(probe_->Sustained(), 1);
  EXPECT_EQ(meta_->GetAttr(root_, f.ino)->nlink, 0u);
  EXPECT_EQ(meta_->Read(f.ino, 0)->size(), 1u);
  ASSERT_TRUE(meta_->Close(root_, f.ino).ok());
  EXPECT_TRUE(deleted_.empty());
  ASSERT_TRUE(meta_->Close(root_, f.ino).ok());
  ASSERT_TRUE(meta_->DrainDeletions().ok());
  EXPECT_EQ(deleted_.count(s.id), 1u);
  EXPECT_EQ(probe_->Sustained(), 0);
  EXPECT_EQ(Code(meta_->Close(root_, f.ino)), EBADF);
}

TEST_P(DataTest, CopyFileRangeSharesSlices) {
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
  EXPECT_EQ(probe_->SliceRefs(s.id, s.size), 2);
  ASSERT_TRUE(meta_->Unlink(root_, kRootIno, "a").ok());
  ASSERT_TRUE(meta_->DrainDeletions().ok());
  EXPECT_TRUE(deleted_.empty());
  ASSERT_TRUE(meta_->Unlink(root_, kRootIno, "b").ok());
  ASSERT_TRUE(meta_->DrainDeletions().ok());
  EXPECT_EQ(deleted_.count(s.id), 1u);
}

TEST_P(DataTest, TruncateAndFallocate) {
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

TEST_P(DataTest, CompactionCasAndRefs) {
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

TEST_P(DataTest, Xattrs) {
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

TEST_P(DataTest, FlockConflicts) {
  Entry f = Mk(kRootIno, "f");
  ASSERT_TRUE(meta_->Flock(root_, f.ino, 1, kLockRead, false).ok());
  ASSERT_TRUE(meta_->Flock(root_, f.ino, 2, kLockRead, false).ok());
  EXPECT_EQ(Code(meta_->Flock(root_, f.ino, 3, kLockWrite, false)), EAGAIN);
  ASSERT_TRUE(meta_->Flock(root_, f.ino, 1, kLockUnlock, false).ok());
  ASSERT_TRUE(meta_->Flock(root_, f.ino, 2, kLockUnlock, false).ok());
  ASSERT_TRUE(meta_->Flock(root_, f.ino, 3, kLockWrite, false).ok());
  EXPECT_EQ(probe_->FlockType(f.ino), 'W');
}

TEST_P(DataTest, PosixLocksSplitAndConflict) {
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

TEST_P(DataTest, SessionsAndStaleCleanup) {
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
  probe_->ExpireSession(other_sid);
  ASSERT_TRUE(static_cast<BaseMeta&>(*meta_).CleanupStaleSessions().ok());
  EXPECT_TRUE(meta_->Flock(root_, f.ino, 9, kLockWrite, false).ok());
  ASSERT_TRUE(meta_->DrainDeletions().ok());
  EXPECT_EQ(deleted_.count(s.id), 1u);
  EXPECT_EQ(meta_->ListSessions()->size(), 1u);
}

TEST_P(DataTest, BlockingLockWaitsForRelease) {
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
TEST_P(DataTest, InterruptedLockWaitsGiveUp) {
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

// An open-but-unlinked (sustained) file stays charged until its last close, as JuiceFS
// accounts it (doUnlink charges nothing when the file is open; doDeleteSustainedInode
// subtracts the length it has then). Both cases of the issue: data written after the unlink,
// and a truncate after the unlink.
TEST_P(DataTest, SustainedFileIsChargedUntilItsLastClose) {
  const int64_t space0 = probe_->Counter("usedSpace"), inodes0 = probe_->Counter("totalInodes");
  Entry f = Mk(kRootIno, "f");
  ASSERT_TRUE(meta_->Open(root_, f.ino, O_RDWR).has_value());
  ASSERT_TRUE(meta_->Unlink(root_, kRootIno, "f").ok());
  for (uint32_t indx = 0; indx < 4; indx++) {
    ASSERT_TRUE(meta_->Write(f.ino, indx, 0, NewSlice(*meta_, kChunkSize), 1, 0).ok());
  }
  EXPECT_EQ(probe_->Counter("usedSpace"), space0 + (256 << 20));
  ASSERT_TRUE(meta_->Close(root_, f.ino).ok());
  EXPECT_EQ(probe_->Counter("usedSpace"), space0);
  EXPECT_EQ(probe_->Counter("totalInodes"), inodes0);

  Entry g = Mk(kRootIno, "g");
  ASSERT_TRUE(meta_->Open(root_, g.ino, O_RDWR).has_value());
  ASSERT_TRUE(meta_->Write(g.ino, 0, 0, NewSlice(*meta_, kChunkSize), 1, 0).ok());
  ASSERT_TRUE(meta_->Unlink(root_, kRootIno, "g").ok());
  EXPECT_EQ(probe_->Counter("usedSpace"), space0 + (64 << 20));
  ASSERT_TRUE(meta_->Truncate(root_, g.ino, 0, true).has_value());
  EXPECT_EQ(probe_->Counter("usedSpace"), space0 + 4096);
  ASSERT_TRUE(meta_->Close(root_, g.ino).ok());
  ASSERT_TRUE(meta_->DrainDeletions().ok());
  EXPECT_EQ(probe_->Counter("usedSpace"), space0);
  EXPECT_EQ(probe_->Counter("totalInodes"), inodes0);
  EXPECT_EQ(probe_->Chunks(0), 0);
}

// Growing a file to 1 PiB touches only the chunk rows that exist (JuiceFS updates the whole
// middle range with one statement); before, it ran one UPDATE per chunk (~16M, ~15 s here).
// The deadline only guards against that hang: the operation itself takes milliseconds.
TEST_P(DataTest, TruncateToOnePebibyteTouchesOnlyExistingChunks) {
  Entry f = Mk(kRootIno, "f");
  ASSERT_TRUE(meta_->Write(f.ino, 0, 0, NewSlice(*meta_, 4096), 1, 0).ok());
  ASSERT_TRUE(meta_->Write(f.ino, 9, 0, NewSlice(*meta_, 4096), 1, 0).ok());
  auto grow = std::async(std::launch::async, [&] { return meta_->Truncate(root_, f.ino, 1ULL << 50); });
  ASSERT_EQ(grow.wait_for(std::chrono::seconds(5)), std::future_status::ready)
      << "truncate to 1 PiB still running after 5 s";
  ASSERT_TRUE(grow.get().has_value());
  EXPECT_EQ(meta_->GetAttr(root_, f.ino)->length, 1ULL << 50);
  EXPECT_EQ(probe_->Chunks(f.ino), 2);
  // The old length ended in chunk 9: its tail became a zero slice; chunk 0 is untouched.
  EXPECT_EQ(meta_->Read(f.ino, 0)->size(), 1u);
  auto c9 = *meta_->Read(f.ino, 9);
  ASSERT_EQ(c9.size(), 2u);
  EXPECT_EQ(c9[1].id, 0u);
  EXPECT_EQ(c9[1].pos, 4096u);
  EXPECT_EQ(c9[1].len, kChunkSize - 4096);
  // And back down: the chunks past the end that exist read as zeros: SQL appends a zero slice
  // to each (one statement), Redis drops them (so that deleting the file finds every chunk
  // from its length) and their slices lose a reference.
  Slice far = NewSlice(*meta_, 4096);
  ASSERT_TRUE(meta_->Write(f.ino, 1000, 0, far, 1, 0).ok());
  ASSERT_TRUE(meta_->Truncate(root_, f.ino, 4096).has_value());
  for (uint32_t indx : {9u, 1000u}) {
    auto c = *meta_->Read(f.ino, indx);
    if (GetParam() == "redis") {
      EXPECT_TRUE(c.empty()) << "chunk " << indx;
    } else {
      ASSERT_FALSE(c.empty());
      EXPECT_EQ(c.back().id, 0u);
      EXPECT_EQ(c.back().pos + c.back().len, kChunkSize);
    }
  }
  EXPECT_EQ(probe_->Chunks(f.ino), GetParam() == "redis" ? 1 : 3);
  if (GetParam() == "redis") {
    std::lock_guard lk(mu_);
    EXPECT_EQ(deleted_.count(far.id), 1u);
  }
}

TEST_P(TrashTest, UnlinkMovesIntoHourlyTrash) {
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

TEST_P(QuotaTest, InodesAndCapacity) {
  Entry f = Mk(kRootIno, "a");
  Mk(kRootIno, "b");
  EXPECT_EQ(Code(meta_->Mknod(root_, kRootIno, "c", FileType::kFile, 0644, 0, 0)), ENOSPC);
  EXPECT_EQ(Code(meta_->CheckGrowth(f.ino, 0, 1 << 20)), ENOSPC);
  auto st = meta_->StatFS(root_, kRootIno);
  EXPECT_EQ(st->total_space, 16384u);
  EXPECT_EQ(st->used_inodes, 2u);
  EXPECT_EQ(st->avail_inodes, 0u);
}

// Only growth is charged (JuiceFS doWrite: align4K(new) - align4K(old)), so rewriting bytes
// of a file near the capacity works; growth past it is refused before it is accepted.
TEST_P(CapacityTest, OverwritesAreFreeGrowthIsChecked) {
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
