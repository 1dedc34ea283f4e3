// Background work of BaseMeta on a real SQLite volume: metrics, asynchronous bounded deletion,
// leftover jfs_delfile rows, gated jobs, heartbeat re-insert, trash expiry.
#include <sqlite3.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <future>
#include <set>
#include <thread>

#include "metrics/registry.h"
#include "test_fixture.h"
#include "wait_for_change.h"

namespace tierfs::meta::testing {
namespace {

// A delete_slice callback that blocks until opened, recording the peak concurrency.
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  int running = 0, peak = 0;
  std::set<uint64_t> deleted;
  Status Delete(uint64_t id) {
    std::unique_lock lk(mu);
    peak = std::max(peak, ++running);
    cv.notify_all();
    cv.wait(lk, [&] { return open; });
    --running;
    deleted.insert(id);
    return Status();
  }
  void Open() {
    std::lock_guard lk(mu);
    open = true;
    cv.notify_all();
  }
};

class BackgroundTest : public SqliteMetaTest {
 protected:
  std::string Db() { return dir_ + "/meta.db"; }
  // Another client of the same volume.
  std::unique_ptr<Meta> Client(MetaOptions opt, MetaCallbacks cb = {}) {
    auto m = Open();
    EXPECT_TRUE(m->NewSession(SessionInfo{.host_name = "client"}, opt, std::move(cb)).ok());
    return m;
  }
  // A client without background jobs whose object deletions go through `gate`.
  std::unique_ptr<Meta> GatedClient(Gate& gate, int max_deletes) {
    MetaOptions opt;
    opt.no_bgjob = true;
    opt.max_deletes = max_deletes;
    MetaCallbacks cb;
    cb.delete_slice = [&gate](uint64_t id, uint32_t) { return gate.Delete(id); };
    return Client(opt, cb);
  }
  Ino FileWithSlice(Meta& m, Ino parent, const std::string& name, uint64_t* slice_id = nullptr) {
    auto e = m.Mknod(root_, parent, name, FileType::kFile, 0644, 0, 0);
    EXPECT_TRUE(e.has_value());
    Slice s;
    s.id = *m.NewSlice();
    s.size = s.len = 4096;
    EXPECT_TRUE(m.Write(e->ino, 0, 0, s, 1, 0).ok());
    if (slice_id) *slice_id = s.id;
    return e->ino;
  }
};

TEST_F(BackgroundTest, OpsCountedOncePerCall) {
  metrics::Registry reg;
  MetaOptions opt;
  opt.no_bgjob = true;
  opt.registry = &reg;
  auto m = Client(opt);
  ASSERT_TRUE(m->Mknod(root_, kRootIno, "d", FileType::kDirectory, 0755, 0, 0).has_value());
  ASSERT_TRUE(m->Lookup(root_, kRootIno, "d").has_value());
  ASSERT_TRUE(m->Lookup(root_, kRootIno, "..").has_value());  // calls GetAttr inside
  ASSERT_TRUE(m->Readdir(root_, kRootIno, true).has_value());
  auto ops = [&](const char* method) {
    return reg.GetCounter("tierfs_meta_ops_total", "", {{"method", method}})->Value();
  };
  EXPECT_EQ(ops("Mknod"), 1u);
  EXPECT_EQ(ops("Lookup"), 2u);
  EXPECT_EQ(ops("Readdir"), 1u);
  EXPECT_EQ(ops("GetAttr"), 0u);  // nested calls are part of their op
  auto* h = reg.GetHistogram("tierfs_meta_ops_durations_histogram_seconds", "", metrics::LatencyBuckets(),
                             {{"method", "Lookup"}});
  EXPECT_EQ(h->Count(), 2u);
  EXPECT_GT(h->Sum(), 0.0);
  std::string text = reg.PrometheusText();
  EXPECT_NE(text.find("tierfs_meta_ops_total{method=\"Mknod\"} 1"), std::string::npos) << text;
  ASSERT_TRUE(m->StatFS(root_, kRootIno).has_value());
  EXPECT_EQ(reg.GetGauge("tierfs_used_inodes", "")->Value(), QueryInt(Db(), "SELECT value FROM jfs_counter WHERE name='totalInodes'"));
  EXPECT_EQ(reg.GetGauge("tierfs_used_space", "")->Value(), 4096);
}

TEST_F(BackgroundTest, BusyDatabaseCountsTransactionRestart) {
  metrics::Registry reg;
  MetaOptions opt;
  opt.no_bgjob = true;
  opt.registry = &reg;
  auto m = Client(opt);
  auto* restarts = reg.GetCounter("tierfs_transaction_restart", "", {{"method", "SetAttr"}});
  sqlite3* h;
  ASSERT_EQ(sqlite3_open(Db().c_str(), &h), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(h, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  auto done = std::async(std::launch::async, [&] {
    Attr in;
    in.mode = 0700;
    return m->SetAttr(root_, kRootIno, kSetAttrMode, in).has_value();
  });
  // The other writer holds the lock until the op has restarted at least once.
  while (restarts->Value() == 0) std::this_thread::yield();
  ASSERT_EQ(sqlite3_exec(h, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(h);
  EXPECT_TRUE(done.get());
  EXPECT_EQ(m->GetAttr(root_, kRootIno)->mode, 0700);
}

TEST_F(BackgroundTest, UnlinkNeverWaitsForObjectStoreAndDeletesBounded) {
  Gate gate;
  auto m = GatedClient(gate, 2);
  constexpr int kFiles = 100;
  std::set<uint64_t> slices;
  for (int i = 0; i < kFiles; ++i) {
    uint64_t id;
    FileWithSlice(*m, kRootIno, "f" + std::to_string(i), &id);
    slices.insert(id);
  }
  // Every unlink returns while no object deletion can finish.
  auto unlinks = std::async(std::launch::async, [&] {
    for (int i = 0; i < kFiles; ++i) {
      if (!m->Unlink(root_, kRootIno, "f" + std::to_string(i)).ok()) return false;
    }
    return true;
  });
  bool returned = unlinks.wait_for(std::chrono::seconds(60)) == std::future_status::ready;
  {
    std::unique_lock lk(gate.mu);
    gate.cv.wait(lk, [&] { return gate.running == 2; });  // both deleters busy
  }
  EXPECT_EQ(QueryInt(Db(), "SELECT count(*) FROM jfs_delfile"), kFiles);
  gate.Open();
  ASSERT_TRUE(returned) << "Unlink waited for the object store";
  EXPECT_TRUE(unlinks.get());
  ASSERT_TRUE(m->DrainDeletions().ok());
  EXPECT_EQ(gate.deleted, slices);
  EXPECT_LE(gate.peak, 2);
  EXPECT_EQ(QueryInt(Db(), "SELECT count(*) FROM jfs_delfile"), 0);
  EXPECT_EQ(QueryInt(Db(), "SELECT count(*) FROM jfs_chunk"), 0);
}

TEST_F(BackgroundTest, CloseSessionDrainsDeletions) {
  Gate gate;
  gate.open = true;
  MetaOptions opt;
  opt.no_bgjob = true;
  MetaCallbacks cb;
  cb.delete_slice = [&](uint64_t id, uint32_t) { return gate.Delete(id); };
  auto m = Client(opt, cb);
  uint64_t id;
  FileWithSlice(*m, kRootIno, "f", &id);
  ASSERT_TRUE(m->Unlink(root_, kRootIno, "f").ok());
  ASSERT_TRUE(m->CloseSession().ok());
  EXPECT_EQ(gate.deleted.count(id), 1u);
  EXPECT_EQ(QueryInt(Db(), "SELECT count(*) FROM jfs_delfile"), 0);
}

TEST_F(BackgroundTest, NextSessionFinishesLeftoverDelFiles) {
  MetaOptions opt;
  opt.no_bgjob = true;
  opt.max_deletes = 0;  // this client deletes nothing: its rows stay, as after a crash
  Gate gate;
  gate.open = true;
  MetaCallbacks cb;
  cb.delete_slice = [&](uint64_t id, uint32_t) { return gate.Delete(id); };
  uint64_t id;
  {
    auto m = Client(opt, cb);
    FileWithSlice(*m, kRootIno, "f", &id);
    ASSERT_TRUE(m->Unlink(root_, kRootIno, "f").ok());
    ASSERT_TRUE(m->CloseSession().ok());
  }
  EXPECT_TRUE(gate.deleted.empty());
  EXPECT_EQ(QueryInt(Db(), "SELECT count(*) FROM jfs_delfile"), 1);
  opt.max_deletes = 3;
  auto next = Client(opt, cb);
  ASSERT_TRUE(next->DrainDeletions().ok());
  EXPECT_EQ(gate.deleted.count(id), 1u);
  EXPECT_EQ(QueryInt(Db(), "SELECT count(*) FROM jfs_delfile"), 0);
  EXPECT_EQ(QueryInt(Db(), "SELECT count(*) FROM jfs_chunk"), 0);
}

TEST_F(BackgroundTest, JobsRunInOneClientPerPeriod) {
  MetaOptions opt;
  opt.no_bgjob = true;
  auto a = Client(opt);
  auto b = Client(opt);
  auto& A = static_cast<BaseMeta&>(*a);
  auto& B = static_cast<BaseMeta&>(*b);
  int64_t before = std::time(nullptr);
  EXPECT_TRUE(*A.RunSessionCleanupJob());
  EXPECT_FALSE(*B.RunSessionCleanupJob());
  EXPECT_TRUE(*B.RunDelFileCleanupJob());
  EXPECT_FALSE(*A.RunDelFileCleanupJob());
  EXPECT_FALSE(*B.RunTrashCleanupJob());  // no trash on this volume: the job does not even gate
  EXPECT_GE(QueryInt(Db(), "SELECT value FROM jfs_counter WHERE name='lastCleanupSessions'"), before);
  EXPECT_GE(QueryInt(Db(), "SELECT value FROM jfs_counter WHERE name='lastCleanupFiles'"), before);
  // An hour later the other client wins.
  ExecSql(Db(), "UPDATE jfs_counter SET value=value-3600 WHERE name='lastCleanupFiles'");
  EXPECT_TRUE(*A.RunDelFileCleanupJob());
}

TEST_F(BackgroundTest, HourlyDelFileJobTakesOnlyOldRows) {
  MetaOptions opt;
  opt.no_bgjob = true;
  opt.max_deletes = 0;
  Gate gate;
  gate.open = true;
  MetaCallbacks cb;
  cb.delete_slice = [&](uint64_t id, uint32_t) { return gate.Delete(id); };
  auto m = Client(opt, cb);
  uint64_t id;
  FileWithSlice(*m, kRootIno, "f", &id);
  ASSERT_TRUE(m->Unlink(root_, kRootIno, "f").ok());
  auto& M = static_cast<BaseMeta&>(*m);
  EXPECT_TRUE(*M.RunDelFileCleanupJob());
  EXPECT_EQ(QueryInt(Db(), "SELECT count(*) FROM jfs_delfile"), 1);  // young: its owner's
  ExecSql(Db(), "UPDATE jfs_delfile SET expire=expire-7200");
  ExecSql(Db(), "UPDATE jfs_counter SET value=0 WHERE name='lastCleanupFiles'");
  EXPECT_TRUE(*M.RunDelFileCleanupJob());
  EXPECT_EQ(QueryInt(Db(), "SELECT count(*) FROM jfs_delfile"), 0);
  EXPECT_EQ(gate.deleted.count(id), 1u);
  // A client with deleter threads hands the old rows to them.
  opt.max_deletes = 2;
  auto other = Client(opt, cb);
  uint64_t id2;
  FileWithSlice(*m, kRootIno, "g", &id2);
  ASSERT_TRUE(m->Unlink(root_, kRootIno, "g").ok());
  ExecSql(Db(), "UPDATE jfs_delfile SET expire=expire-7200");
  ExecSql(Db(), "UPDATE jfs_counter SET value=0 WHERE name='lastCleanupFiles'");
  EXPECT_TRUE(*static_cast<BaseMeta&>(*other).RunDelFileCleanupJob());
  ASSERT_TRUE(other->DrainDeletions().ok());
  EXPECT_EQ(QueryInt(Db(), "SELECT count(*) FROM jfs_delfile"), 0);
  EXPECT_EQ(gate.deleted.count(id2), 1u);
}

TEST_F(BackgroundTest, HeartbeatReinsertsItsCleanedSession) {
  MetaOptions opt;
  opt.no_bgjob = true;
  auto m = Client(opt);
  auto& M = static_cast<BaseMeta&>(*m);
  std::string sid = std::to_string(M.sid());
  ExecSql(Db(), "DELETE FROM jfs_session2 WHERE sid=" + sid);
  ASSERT_TRUE(M.Heartbeat().ok());
  EXPECT_EQ(QueryInt(Db(), "SELECT count(*) FROM jfs_session2 WHERE sid=" + sid), 1);
  EXPECT_GT(QueryInt(Db(), "SELECT expire FROM jfs_session2 WHERE sid=" + sid), std::time(nullptr));
  bool found = false;
  auto sessions = m->ListSessions();  // kept: a range-for over *temporary would dangle
  ASSERT_TRUE(sessions.has_value());
  for (auto& s : *sessions) found |= s.sid == M.sid() && s.host_name == "client";
  EXPECT_TRUE(found);
}

TEST_F(BackgroundTest, NextSessionIsTheLastIdHandedOut) {
  // JuiceFS: incrCounter("nextSession", 1) returns the new value, which is the session id.
  auto& first = static_cast<BaseMeta&>(*meta_);
  EXPECT_EQ(first.sid(), 1u);
  MetaOptions opt;
  opt.no_bgjob = true;
  auto m = Client(opt);
  EXPECT_EQ(static_cast<BaseMeta&>(*m).sid(), 2u);
  EXPECT_EQ(QueryInt(Db(), "SELECT value FROM jfs_counter WHERE name='nextSession'"), 2);
}

class TrashExpiryTest : public BackgroundTest {
 protected:
  TrashExpiryTest() { trash_days_ = 1; }
};

TEST_F(TrashExpiryTest, OldHourlyDirsAreDeletedForReal) {
  uint64_t id;
  Ino f = FileWithSlice(*meta_, kRootIno, "f", &id);
  Mk(kRootIno, "d", FileType::kDirectory);
  int64_t inodes = QueryInt(Db(), "SELECT value FROM jfs_counter WHERE name='totalInodes'");
  ASSERT_TRUE(meta_->Unlink(root_, kRootIno, "f").ok());
  ASSERT_TRUE(meta_->Rmdir(root_, kRootIno, "d").ok());
  auto& M = static_cast<BaseMeta&>(*meta_);
  int64_t now = std::time(nullptr);
  ASSERT_TRUE(M.CleanupTrash(now).ok());  // not expired yet
  ASSERT_EQ(meta_->Readdir(root_, kTrashIno, false)->size(), 3u);
  ASSERT_TRUE(meta_->GetAttr(root_, f).has_value());
  ASSERT_TRUE(M.CleanupTrash(now + 2 * 86400).ok());
  ASSERT_TRUE(meta_->DrainDeletions().ok());
  EXPECT_EQ(meta_->Readdir(root_, kTrashIno, false)->size(), 2u);  // only . and ..
  EXPECT_EQ(Code(meta_->GetAttr(root_, f)), ENOENT);
  EXPECT_EQ(deleted_.count(id), 1u);
  // f, d and the hourly dir are gone.
  EXPECT_EQ(QueryInt(Db(), "SELECT value FROM jfs_counter WHERE name='totalInodes'"), inodes - 2);
  // The next unlink makes a new hourly dir.
  Mk(kRootIno, "g");
  ASSERT_TRUE(meta_->Unlink(root_, kRootIno, "g").ok());
  EXPECT_EQ(meta_->Readdir(root_, kTrashIno, false)->size(), 3u);
}

TEST_F(TrashExpiryTest, TrashJobIsGated) {
  MetaOptions opt;
  opt.no_bgjob = true;
  auto a = Client(opt);
  auto b = Client(opt);
  EXPECT_TRUE(*static_cast<BaseMeta&>(*a).RunTrashCleanupJob());
  EXPECT_FALSE(*static_cast<BaseMeta&>(*b).RunTrashCleanupJob());
}

TEST_F(TrashExpiryTest, RenameOverwriteMovesTargetToTrash) {
  uint64_t id;
  Ino old = FileWithSlice(*meta_, kRootIno, "a", &id);
  Entry b = Mk(kRootIno, "b");
  ASSERT_TRUE(meta_->Rename(root_, kRootIno, "b", kRootIno, "a", 0).has_value());
  EXPECT_EQ(meta_->Lookup(root_, kRootIno, "a")->ino, b.ino);
  auto hours = *meta_->Readdir(root_, kTrashIno, false);
  ASSERT_EQ(hours.size(), 3u);
  auto e = meta_->Lookup(root_, hours[2].ino, "1-" + std::to_string(old) + "-a");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->ino, old);
  EXPECT_EQ(e->attr.nlink, 1u);
  EXPECT_EQ(e->attr.parent, hours[2].ino);
  ASSERT_TRUE(meta_->DrainDeletions().ok());
  EXPECT_EQ(deleted_.count(id), 0u);
  EXPECT_EQ(QueryInt(Db(), "SELECT count(*) FROM jfs_delfile"), 0);
  // An exchange overwrites nothing.
  Mk(kRootIno, "c");
  ASSERT_TRUE(meta_->Rename(root_, kRootIno, "a", kRootIno, "c", kRenameExchange).has_value());
  EXPECT_EQ(meta_->Readdir(root_, hours[2].ino, false)->size(), 3u);
}

}  // namespace
}  // namespace tierfs::meta::testing

namespace tierfs::meta::testing {
namespace {

// A juicefs mount of the same volume cleans a dead session but not our live one, and takes the
// next session id after ours (nextSession = last sid handed out).
TEST_F(BackgroundTest, JuicefsMountKeepsLiveTierfsSession) {
  TIERFS_SKIP_WITHOUT_JUICEFS();
  ExecSql(Db(), "INSERT INTO jfs_session2 (sid,expire,info) VALUES (99,1,'{}')");  // a dead client
  std::string mnt = dir_ + "/mnt";
  std::filesystem::create_directories(mnt);
  std::string cmd = "juicefs mount -d sqlite3://" + Db() + " " + mnt +
                    " --heartbeat 1 --no-usage-report >" + dir_ + "/mount.log 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << "juicefs mount failed: " << cmd;
  // juicefs's first heartbeat runs the stale-session job: wait for its write to the database.
  tierfs::testing::WaitForChange(dir_, [&] {
    return QueryInt(Db(), "SELECT count(*) FROM jfs_session2 WHERE sid=99") == 0;
  }, std::chrono::seconds(30));
  int64_t dead = QueryInt(Db(), "SELECT count(*) FROM jfs_session2 WHERE sid=99");
  int64_t ours = QueryInt(Db(), "SELECT count(*) FROM jfs_session2 WHERE sid=1");
  int64_t theirs = QueryInt(Db(), "SELECT count(*) FROM jfs_session2 WHERE sid=2");
  EXPECT_EQ(std::system(("juicefs umount " + mnt + " >/dev/null 2>&1").c_str()), 0);
  EXPECT_EQ(dead, 0);
  EXPECT_EQ(ours, 1);
  EXPECT_EQ(theirs, 1);  // juicefs registered sid 2; gone again after umount
  EXPECT_GT(QueryInt(Db(), "SELECT value FROM jfs_counter WHERE name='lastCleanupSessions'"), 0);
  EXPECT_TRUE(meta_->Mknod(root_, kRootIno, "after", FileType::kFile, 0644, 0, 0).has_value());
}

}  // namespace
}  // namespace tierfs::meta::testing

namespace tierfs::meta::testing {
namespace {

// CleanupDeletedFiles returns only when the data of every freed file is gone, also when a
// background deleter is deleting the same file at that moment: it waits for that deleter
// (before, it found no chunk left, dropped the jfs_delfile row and returned while the objects
// were still being deleted: VfsDataTest.UnlinkedFileStaysReadableUntilRelease failed ~1 in 10).
TEST_F(BackgroundTest, CleanupWaitsForAConcurrentDeletionOfTheSameFile) {
  Gate gate;
  auto m = GatedClient(gate, 1);
  uint64_t id;
  FileWithSlice(*m, kRootIno, "f", &id);
  ASSERT_TRUE(m->Unlink(root_, kRootIno, "f").ok());
  {
    std::unique_lock lk(gate.mu);
    gate.cv.wait(lk, [&] { return gate.running == 1; });  // the deleter holds f's slice
  }
  auto cleanup = std::async(std::launch::async, [&] {
    Status s = m->CleanupDeletedFiles();
    std::lock_guard lk(gate.mu);
    return std::make_pair(s, gate.deleted.count(id));
  });
  // Time for a wrong Cleanup to return early; a right one cannot return before Open().
  (void)cleanup.wait_for(std::chrono::milliseconds(300));
  gate.Open();
  auto [st, deleted] = cleanup.get();
  EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(deleted, 1u) << "CleanupDeletedFiles returned before the file's objects were deleted";
  EXPECT_EQ(QueryInt(Db(), "SELECT count(*) FROM jfs_delfile"), 0);
}

// rm -rf of nested directories with the trash on: every directory lands in the hour
// directory, whose nlink must not change (JuiceFS leaves trash parents alone), so the expiry
// job can remove them all (before, the hour dir's nlink reached 0 and expiry failed for good).
TEST_F(TrashExpiryTest, NestedDirectoriesExpire) {
  const int64_t inodes0 = QueryInt(Db(), "SELECT value FROM jfs_counter WHERE name='totalInodes'");
  Entry a = Mk(kRootIno, "a", FileType::kDirectory);
  Entry b = Mk(a.ino, "b", FileType::kDirectory);
  Mk(b.ino, "c", FileType::kDirectory);
  Mk(b.ino, "f");
  ASSERT_TRUE(meta_->Unlink(root_, b.ino, "f").ok());
  ASSERT_TRUE(meta_->Rmdir(root_, b.ino, "c").ok());
  ASSERT_TRUE(meta_->Rmdir(root_, a.ino, "b").ok());
  ASSERT_TRUE(meta_->Rmdir(root_, kRootIno, "a").ok());
  auto hours = *meta_->Readdir(root_, kTrashIno, false);
  ASSERT_EQ(hours.size(), 3u);
  Ino hour = hours[2].ino;
  EXPECT_EQ(meta_->GetAttr(root_, hour)->nlink, 2u);
  ASSERT_EQ(meta_->Readdir(root_, hour, false)->size(), 6u);  // . .. f c b a
  auto& M = static_cast<BaseMeta&>(*meta_);
  ASSERT_TRUE(M.CleanupTrash(std::time(nullptr) + 2 * 86400).ok());
  ASSERT_TRUE(meta_->DrainDeletions().ok());
  EXPECT_EQ(meta_->Readdir(root_, kTrashIno, false)->size(), 2u);
  EXPECT_EQ(QueryInt(Db(), "SELECT value FROM jfs_counter WHERE name='totalInodes'"), inodes0);
}

// Slices replaced by a compaction while the trash is on wait in jfs_delslices; the hourly
// job releases them once they are older than TrashDays (JuiceFS cleanupDelayedSlices).
TEST_F(TrashExpiryTest, DelayedSlicesOfCompactionsAreReleased) {
  Entry f = Mk(kRootIno, "f");
  std::vector<uint64_t> old;
  for (uint32_t i = 0; i < 3; i++) {
    Slice s;
    s.id = *meta_->NewSlice();
    s.size = s.len = 4096;
    ASSERT_TRUE(meta_->Write(f.ino, 0, i * 4096, s, 1, 0).ok());
    old.push_back(s.id);
  }
  auto snap = meta_->ReadChunkForCompaction(f.ino, 0);
  ASSERT_TRUE(snap.has_value());
  uint64_t id = *meta_->NewSlice();
  ASSERT_TRUE(meta_->CommitCompaction(f.ino, 0, *snap, {Slice{0, id, 12288, 0, 12288}}).ok());
  EXPECT_EQ(QueryInt(Db(), "SELECT count(*) FROM jfs_delslices"), 1);
  EXPECT_TRUE(deleted_.empty());
  auto& M = static_cast<BaseMeta&>(*meta_);
  ASSERT_TRUE(M.CleanupTrash(std::time(nullptr)).ok());  // younger than TrashDays: kept
  EXPECT_EQ(QueryInt(Db(), "SELECT count(*) FROM jfs_delslices"), 1);
  ASSERT_TRUE(M.CleanupTrash(std::time(nullptr) + 2 * 86400).ok());
  EXPECT_EQ(QueryInt(Db(), "SELECT count(*) FROM jfs_delslices"), 0);
  for (uint64_t o : old) {
    EXPECT_EQ(deleted_.count(o), 1u) << o;
    EXPECT_EQ(QueryInt(Db(), "SELECT count(*) FROM jfs_chunk_ref WHERE chunkid=" + std::to_string(o)), 0);
  }
  EXPECT_EQ(deleted_.count(id), 0u);
  EXPECT_EQ(meta_->Read(f.ino, 0)->size(), 1u);
}

// `ln f g; rm g; ln f g; rm g` in one hour: the second trash name exists already, so g is
// unlinked for real (JuiceFS doUnlink); nlink always equals the number of entries.
TEST_F(TrashExpiryTest, RepeatedLinkAndUnlinkKeepsNlinkExact) {
  uint64_t id;
  Ino f = FileWithSlice(*meta_, kRootIno, "f", &id);
  auto links = [&] {
    return QueryInt(Db(), "SELECT count(*) FROM jfs_edge WHERE inode=" + std::to_string(f));
  };
  for (int i = 0; i < 2; i++) {
    ASSERT_TRUE(meta_->Link(root_, f, kRootIno, "g").has_value());
    ASSERT_TRUE(meta_->Unlink(root_, kRootIno, "g").ok());
    EXPECT_EQ(int64_t(meta_->GetAttr(root_, f)->nlink), links()) << "round " << i;
  }
  ASSERT_TRUE(meta_->Unlink(root_, kRootIno, "f").ok());
  EXPECT_EQ(int64_t(meta_->GetAttr(root_, f)->nlink), links());
  auto& M = static_cast<BaseMeta&>(*meta_);
  ASSERT_TRUE(M.CleanupTrash(std::time(nullptr) + 2 * 86400).ok());
  ASSERT_TRUE(meta_->DrainDeletions().ok());
  EXPECT_EQ(Code(meta_->GetAttr(root_, f)), ENOENT);
  EXPECT_EQ(deleted_.count(id), 1u);
}

}  // namespace
}  // namespace tierfs::meta::testing
