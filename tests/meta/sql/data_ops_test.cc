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




}  // namespace
}  // namespace tierfs::meta::testing
