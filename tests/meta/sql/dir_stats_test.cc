// jfs_dir_stats maintenance, volume counters, and the batched reads (GetAttrs, readdir plus),
// on a real SQLite volume; dir stats are checked against `juicefs fsck --sync-dir-stat`.
#include <fcntl.h>
#include <sqlite3.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <tuple>

#include "test_fixture.h"

namespace tierfs::meta::testing {
namespace {

class DirStatsTest : public SqliteMetaTest {
 protected:
  std::string Db() { return dir_ + "/meta.db"; }
  std::tuple<int64_t, int64_t, int64_t> Stat(Ino dir) {
    std::string w = " FROM jfs_dir_stats WHERE inode=" + std::to_string(dir);
    return {QueryInt(Db(), "SELECT data_length" + w), QueryInt(Db(), "SELECT used_space" + w),
            QueryInt(Db(), "SELECT used_inodes" + w)};
  }
  // Commits a one-block slice of `len` bytes and creates its object where juicefs looks
  // for it (file bucket, FORMAT.md §3 key layout).
  void Write(Ino ino, uint32_t len) {
    Slice s;
    s.id = *meta_->NewSlice();
    s.size = s.len = len;
    ASSERT_TRUE(meta_->Write(ino, 0, 0, s, 1, 0).ok());
    auto dir = std::filesystem::path(dir_) / "bucket" / "testvol" / "chunks" /
               std::to_string(s.id / 1000 / 1000) / std::to_string(s.id / 1000);
    std::filesystem::create_directories(dir);
    std::ofstream(dir / (std::to_string(s.id) + "_0_" + std::to_string(len))) << std::string(len, 'x');
  }
  // usedSpace / totalInodes as JuiceFS derives them from the nodes (root and trash root
  // excluded; files count their 4 KiB-aligned length, everything else 4 KiB).
  void ExpectCountersMatchNodes() {
    std::string nodes = " FROM jfs_node WHERE inode>1 AND inode<>" + std::to_string(int64_t(kTrashIno));
    EXPECT_EQ(QueryInt(Db(), "SELECT value FROM jfs_counter WHERE name='totalInodes'"),
              QueryInt(Db(), "SELECT count(*)" + nodes));
    EXPECT_EQ(QueryInt(Db(), "SELECT value FROM jfs_counter WHERE name='usedSpace'"),
              QueryInt(Db(), "SELECT coalesce(sum(CASE WHEN type=1 AND length>0 THEN ((length+4095)/4096)*4096 "
                             "ELSE 4096 END),0)" + nodes));
  }
};

TEST_F(DirStatsTest, MaintainedByNamespaceAndDataOps) {
  Entry d = Mk(kRootIno, "d", FileType::kDirectory);
  EXPECT_EQ(Stat(d.ino), std::make_tuple(0, 0, 0));  // new dirs get a row
  Entry f = Mk(d.ino, "f");
  EXPECT_EQ(Stat(d.ino), std::make_tuple(0, 4096, 1));
  Write(f.ino, 5000);
  EXPECT_EQ(Stat(d.ino), std::make_tuple(5000, 8192, 1));
  Entry sub = Mk(d.ino, "sub", FileType::kDirectory);
  Mk(d.ino, "l", FileType::kSymlink);
  EXPECT_EQ(Stat(d.ino), std::make_tuple(5000, 16384, 3));
  ASSERT_TRUE(meta_->Truncate(root_, f.ino, 100).has_value());
  EXPECT_EQ(Stat(d.ino), std::make_tuple(100, 12288, 3));
  ASSERT_TRUE(meta_->Rename(root_, d.ino, "f", sub.ino, "f", 0).has_value());
  EXPECT_EQ(Stat(d.ino), std::make_tuple(0, 8192, 2));
  EXPECT_EQ(Stat(sub.ino), std::make_tuple(100, 4096, 1));
  ASSERT_TRUE(meta_->Link(root_, f.ino, d.ino, "hard").has_value());
  EXPECT_EQ(Stat(d.ino), std::make_tuple(100, 12288, 3));
  Write(f.ino, 9000);  // several parents: each edge's dir grows
  EXPECT_EQ(Stat(d.ino), std::make_tuple(9000, 20480, 3));
  EXPECT_EQ(Stat(sub.ino), std::make_tuple(9000, 12288, 1));
  Entry g = Mk(sub.ino, "g");
  ASSERT_TRUE(meta_->Rename(root_, sub.ino, "g", sub.ino, "f", 0).has_value());  // overwrite
  EXPECT_EQ(Stat(sub.ino), std::make_tuple(0, 4096, 1));
  ASSERT_TRUE(meta_->Unlink(root_, d.ino, "hard").ok());
  ASSERT_TRUE(meta_->Unlink(root_, sub.ino, "f").ok());
  ASSERT_TRUE(meta_->Rmdir(root_, d.ino, "sub").ok());
  EXPECT_EQ(Stat(d.ino), std::make_tuple(0, 4096, 1));
  EXPECT_EQ(QueryInt(Db(), "SELECT count(*) FROM jfs_dir_stats WHERE inode=" + std::to_string(sub.ino)), 0);
  (void)g;
  ASSERT_TRUE(meta_->DrainDeletions().ok());
  ExpectCountersMatchNodes();
}

// A directory without a row (made by a client with dir stats off, or a row lost) gets its
// row computed from its entries at the first change, as JuiceFS does (calcDirStat), not
// started from that change alone.
TEST_F(DirStatsTest, MissingRowIsRecomputedFromTheEntries) {
  Entry d = Mk(kRootIno, "d", FileType::kDirectory);
  Entry f = Mk(d.ino, "f");
  Write(f.ino, 5000);
  Mk(d.ino, "sub", FileType::kDirectory);
  Mk(d.ino, "l", FileType::kSymlink);
  ExecSql(Db(), "DELETE FROM jfs_dir_stats WHERE inode=" + std::to_string(d.ino));
  Entry g = Mk(d.ino, "g");
  EXPECT_EQ(Stat(d.ino), std::make_tuple(5000, 20480, 4));
  ExecSql(Db(), "DELETE FROM jfs_dir_stats WHERE inode=" + std::to_string(d.ino));
  Write(g.ino, 10000);
  EXPECT_EQ(Stat(d.ino), std::make_tuple(15000, 28672, 4));
  ExecSql(Db(), "DELETE FROM jfs_dir_stats WHERE inode=" + std::to_string(d.ino));
  ASSERT_TRUE(meta_->Unlink(root_, d.ino, "g").ok());
  EXPECT_EQ(Stat(d.ino), std::make_tuple(5000, 16384, 3));
}

// Writes to an open file after its last link went change no directory's stats: it left its
// parent at the unlink (found by the crash test: juicefs fsck reported /w1's stats broken).
TEST_F(DirStatsTest, UnlinkedOpenFileLeavesItsParentAlone) {
  Entry d = Mk(kRootIno, "d", FileType::kDirectory);
  Entry f = Mk(d.ino, "f");
  Write(f.ino, 5000);
  ASSERT_TRUE(meta_->Open(root_, f.ino, O_RDWR).has_value());
  ASSERT_TRUE(meta_->Unlink(root_, d.ino, "f").ok());
  EXPECT_EQ(Stat(d.ino), std::make_tuple(0, 0, 0));
  Write(f.ino, 90000);
  ASSERT_TRUE(meta_->Truncate(root_, f.ino, 10, true).has_value());
  EXPECT_EQ(Stat(d.ino), std::make_tuple(0, 0, 0));
  ASSERT_TRUE(meta_->Close(root_, f.ino).ok());
  ASSERT_TRUE(meta_->DrainDeletions().ok());
  ExpectCountersMatchNodes();
}

TEST_F(DirStatsTest, JuicefsRecomputesTheSameStats) {
  TIERFS_SKIP_WITHOUT_JUICEFS();
  Entry d = Mk(kRootIno, "d", FileType::kDirectory);
  Entry sub = Mk(d.ino, "sub", FileType::kDirectory);
  Entry f = Mk(d.ino, "f");
  Write(f.ino, 70000);
  Entry g = Mk(sub.ino, "g");
  Write(g.ino, 123);
  Mk(sub.ino, "h");
  Mk(d.ino, "l", FileType::kSymlink);
  ASSERT_TRUE(meta_->Rename(root_, sub.ino, "h", d.ino, "h2", 0).has_value());
  ASSERT_TRUE(meta_->Truncate(root_, f.ino, 4097).has_value());
  auto before_d = Stat(d.ino), before_sub = Stat(sub.ino);
  ASSERT_TRUE(meta_->CloseSession().ok());
  auto fsck = [&](const std::string& flags) {
    std::string cmd = "juicefs fsck sqlite3://" + Db() + " --path /d --recursive " + flags + " >" + dir_ +
                      "/fsck.log 2>&1";
    int rc = std::system(cmd.c_str());
    std::ifstream log(dir_ + "/fsck.log");
    std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
    return std::make_pair(rc, cmd + "\n" + text);
  };
  // juicefs checks our rows against its own computation (it fails on any difference).
  auto [rc, log] = fsck("");
  ASSERT_EQ(rc, 0) << log;
  EXPECT_EQ(log.find("should be"), std::string::npos) << log;
  // Spoil the rows: only juicefs's own recomputation can bring back the values we kept.
  sqlite3* h;
  ASSERT_EQ(sqlite3_open(Db().c_str(), &h), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(h, "UPDATE jfs_dir_stats SET data_length=1,used_space=1,used_inodes=1", nullptr,
                         nullptr, nullptr), SQLITE_OK);
  sqlite3_close(h);
  std::tie(rc, log) = fsck("--repair --sync-dir-stat");
  ASSERT_EQ(rc, 0) << log;
  EXPECT_EQ(Stat(d.ino), before_d);
  EXPECT_EQ(Stat(sub.ino), before_sub);
  ExpectCountersMatchNodes();
}

TEST_F(DirStatsTest, GetAttrsBatchesAcrossManyInodes) {
  std::vector<Ino> inos;
  for (int i = 0; i < 600; ++i) inos.push_back(Mk(kRootIno, "f" + std::to_string(i)).ino);
  std::vector<Ino> ask = inos;
  ask.push_back(inos[3]);        // duplicate
  ask.push_back(999999999);      // missing
  ask.insert(ask.begin(), kRootIno);
  auto attrs = meta_->GetAttrs(ask);
  ASSERT_EQ(attrs.size(), ask.size());
  EXPECT_EQ(attrs[0]->type, FileType::kDirectory);
  for (size_t i = 1; i <= inos.size(); ++i) {
    ASSERT_TRUE(attrs[i].has_value()) << i;
    EXPECT_EQ(attrs[i]->type, FileType::kFile);
    EXPECT_EQ(attrs[i]->nlink, 1u);
  }
  EXPECT_TRUE(attrs[ask.size() - 2].has_value());
  EXPECT_EQ(Code(attrs.back()), ENOENT);
  auto plus = meta_->Readdir(root_, kRootIno, true);
  ASSERT_TRUE(plus.has_value());
  ASSERT_EQ(plus->size(), inos.size() + 2);
  for (size_t i = 2; i < plus->size(); ++i) {
    const Entry& e = (*plus)[i];
    EXPECT_EQ(e.name, "f" + std::to_string(i - 2));  // creation order
    auto a = meta_->GetAttr(root_, e.ino);
    EXPECT_TRUE(e.attr.full);
    EXPECT_EQ(e.attr.mtime, a->mtime);
    EXPECT_EQ(e.attr.mtimensec, a->mtimensec);
    EXPECT_EQ(e.attr.parent, kRootIno);
  }
}

}  // namespace
}  // namespace tierfs::meta::testing
