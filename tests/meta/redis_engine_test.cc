// The Redis engine on a real redis-server: the keys and bytes it stores are JuiceFS's
// (FORMAT.md §1), and two clients of one volume see each other's changes and never collide.
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "meta/redis/schema.h"
#include "net/redis/client.h"
#include "sql/test_fixture.h"

namespace tierfs::meta::testing {
namespace {

class RedisEngineTest : public EngineMetaTest {
 protected:
  void SetUp() override {
    EngineMetaTest::SetUp();
    raw_ = RawRedis(url_);
    ASSERT_TRUE(raw_);
  }
  void TearDown() override {
    raw_.reset();  // before the server goes
    EngineMetaTest::TearDown();
  }
  // A raw command, after the client under test wrote the statistics it batches.
  net::redis::Reply Raw(net::redis::Command cmd) {
    EXPECT_TRUE(meta_->FlushStats().ok());
    auto r = raw_->Do(std::move(cmd));
    EXPECT_TRUE(r.has_value());
    return r.value_or(net::redis::Reply{});
  }
  std::unique_ptr<net::redis::Client> raw_;
};

TEST_P(RedisEngineTest, StoresJuicefsKeysAndBytes) {
  // The root attr: 71 bytes + the pad byte JuiceFS leaves; a directory of mode 0777.
  auto root = Raw({"GET", "i1"});
  ASSERT_EQ(root.str.size(), 72u);
  EXPECT_EQ(uint8_t(root.str[1]) >> 4, 2);  // (type << 12 | mode), big-endian: TypeDirectory
  auto a = redis::DecodeAttr(root.str);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->type, FileType::kDirectory);
  EXPECT_EQ(a->mode, 0777);
  Entry f = Mk(kRootIno, "file");
  auto ent = Raw({"HGET", "d1", "file"});
  ASSERT_EQ(ent.str.size(), 9u);
  EXPECT_EQ(uint8_t(ent.str[0]), 1);  // TypeFile
  auto decoded = redis::DecodeEntry(ent.str);
  EXPECT_EQ(decoded->second, f.ino);
  // The counters are lower-case and hold the last id used: the first batch starts at 1.
  auto next = Raw({"GET", "nextinode"});
  ASSERT_FALSE(next.IsNil());
  EXPECT_GE(std::stoll(next.str), int64_t(f.ino));
  EXPECT_EQ(Raw({"GET", "totalInodes"}).str, "1");
  EXPECT_EQ(Raw({"GET", "usedSpace"}).str, "4096");
  // A written slice: one 24-byte record in c{ino}_0, no sliceRef field (= one reference).
  Slice s;
  s.id = *meta_->NewSlice();
  s.size = s.len = 5000;
  ASSERT_TRUE(meta_->Write(f.ino, 0, 0, s, 1, 0).ok());
  auto list = Raw({"LRANGE", "c" + std::to_string(f.ino) + "_0", "0", "-1"});
  ASSERT_EQ(list.elems.size(), 1u);
  EXPECT_EQ(list.elems[0].str, EncodeSlice(s));
  EXPECT_TRUE(Raw({"HGET", "sliceRef", redis::SliceRefField(s.id, s.size)}).IsNil());
  EXPECT_EQ(Raw({"GET", "usedSpace"}).str, "8192");
  // The session is registered where JuiceFS clients look for it.
  EXPECT_EQ(Raw({"ZCARD", "allSessions"}).integer, 1);
  EXPECT_EQ(Raw({"HLEN", "sessionInfos"}).integer, 1);
}

TEST_P(RedisEngineTest, RootHasAllDirStatFieldsWhileHoldingOnlyDirectories) {
  // juicefs fsck reports "usage stat of / is missing" when any of the three fields is absent.
  Entry d = Mk(kRootIno, "d", FileType::kDirectory, 0777);
  Mk(kRootIno, "empty");
  EXPECT_EQ(Raw({"HGET", "dirDataLength", "1"}).str, "0");
  EXPECT_EQ(Raw({"HGET", "dirUsedSpace", "1"}).str, "8192");
  EXPECT_EQ(Raw({"HGET", "dirUsedInodes", "1"}).str, "2");
  EXPECT_EQ(Raw({"HGET", "dirDataLength", std::to_string(d.ino)}).str, "0");
}

TEST_P(RedisEngineTest, TwoClientsCreateInOneDirectoryWithoutCollisions) {
  auto other = Open();
  ASSERT_TRUE(other->NewSession(SessionInfo{}, MetaOptions{.no_bgjob = true}, MetaCallbacks{}).ok());
  Entry d = Mk(kRootIno, "d", FileType::kDirectory, 0777);
  std::vector<std::thread> threads;
  std::mutex mu;
  std::set<Ino> inos;
  int failures = 0;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      Meta& m = t % 2 ? *other : *meta_;
      for (int i = 0; i < 50; ++i) {
        std::string name = "f" + std::to_string(t) + "_" + std::to_string(i);
        auto e = m.Mknod(root_, d.ino, name, FileType::kFile, 0644, 0, 0, "");
        std::lock_guard lk(mu);
        if (!e) { ++failures; continue; }
        inos.insert(e->ino);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(inos.size(), 400u);  // unique inode numbers across both clients
  auto entries = other->Readdir(root_, d.ino, false);
  ASSERT_TRUE(entries.has_value());
  EXPECT_EQ(Raw({"HLEN", "d" + std::to_string(d.ino)}).integer, 400);
  ASSERT_TRUE(other->FlushStats().ok());  // each client writes its counter deltas once a second
  EXPECT_EQ(Raw({"GET", "totalInodes"}).str, "401");
  (void)other->CloseSession();
}


// Dir stats live in three hashes (JuiceFS dirDataLength / dirUsedSpace / dirUsedInodes); a
// directory whose fields are missing (made by a client with dir stats off, or lost) gets them
// computed from its entries after the next change, as JuiceFS doSyncDirStat does.
TEST_P(RedisEngineTest, DirStatsKeptAndMissingOnesRecomputed) {
  auto stat = [&](Ino dir) {
    std::string f = std::to_string(dir);
    return std::make_tuple(Raw({"HGET", "dirDataLength", f}).str, Raw({"HGET", "dirUsedSpace", f}).str,
                           Raw({"HGET", "dirUsedInodes", f}).str);
  };
  Entry d = Mk(kRootIno, "d", FileType::kDirectory);
  EXPECT_EQ(stat(d.ino), std::make_tuple("0", "0", "0"));
  Entry f = Mk(d.ino, "f");
  Slice s = NewSlice(*meta_, 5000);
  ASSERT_TRUE(meta_->Write(f.ino, 0, 0, s, 1, 0).ok());
  Mk(d.ino, "sub", FileType::kDirectory);
  EXPECT_EQ(stat(d.ino), std::make_tuple("5000", "12288", "2"));
  for (const char* h : {"dirDataLength", "dirUsedSpace", "dirUsedInodes"}) Raw({"HDEL", h, std::to_string(d.ino)});
  // A client that has not touched d yet (each client checks a directory's fields once) finds
  // them missing at its next change there: all of d is counted again.
  auto other = Open();
  ASSERT_TRUE(other->NewSession(SessionInfo{}, MetaOptions{.no_bgjob = true}, MetaCallbacks{}).ok());
  ASSERT_TRUE(other->Mknod(root_, d.ino, "g", FileType::kFile, 0644, 0, 0, "").has_value());
  EXPECT_EQ(stat(d.ino), std::make_tuple("5000", "16384", "3"));
  ASSERT_TRUE(other->Mknod(root_, d.ino, "h", FileType::kFile, 0644, 0, 0, "").has_value());
  ASSERT_TRUE(other->FlushStats().ok());  // its dir-stat deltas are written once a second
  EXPECT_EQ(stat(d.ino), std::make_tuple("5000", "20480", "4"));
  (void)other->CloseSession();
}

// Usage counters and dir stats are written once a second (stat_batch.h), not in each
// transaction: this client's statfs includes its own changes at once, a flush writes them all,
// and a directory removed while a delta of it was pending does not get its fields back. (What
// the server holds before the flush is not asserted: the once-a-second flusher may have run.)
TEST_P(RedisEngineTest, UsageAndDirStatsAreBatchedAndFlushed) {
  auto raw = [&](net::redis::Command cmd) {  // no flush first, unlike Raw
    auto r = raw_->Do(std::move(cmd));
    EXPECT_TRUE(r.has_value());
    return r.value_or(net::redis::Reply{});
  };
  auto num = [&](net::redis::Command cmd) {  // an absent counter is 0
    auto r = raw(std::move(cmd));
    return r.IsNil() ? int64_t(0) : std::stoll(r.str);
  };
  ASSERT_TRUE(meta_->FlushStats().ok());
  const int64_t inodes0 = num({"GET", "totalInodes"});
  Entry d = Mk(kRootIno, "d", FileType::kDirectory);
  Entry gone = Mk(kRootIno, "gone", FileType::kDirectory);
  ASSERT_TRUE(meta_->FlushStats().ok());
  const std::string f = std::to_string(d.ino);
  for (int i = 0; i < 5; ++i) Mk(d.ino, "f" + std::to_string(i));
  Mk(gone.ino, "x");
  ASSERT_TRUE(meta_->Unlink(root_, gone.ino, "x").ok());
  Mk(gone.ino, "y");
  ASSERT_TRUE(meta_->Unlink(root_, gone.ino, "y").ok());
  Mk(gone.ino, "z");  // a pending +1 for `gone`, then gone goes
  ASSERT_TRUE(meta_->Unlink(root_, gone.ino, "z").ok());
  ASSERT_TRUE(meta_->Rmdir(root_, kRootIno, "gone").ok());
  auto st = meta_->StatFS(root_, kRootIno);
  ASSERT_TRUE(st.has_value()) << st.error().ToString();
  EXPECT_EQ(st->used_inodes, uint64_t(inodes0 + 2 + 5 - 1));  // ours, pending, included
  ASSERT_TRUE(meta_->FlushStats().ok());
  EXPECT_EQ(raw({"HGET", "dirUsedInodes", f}).str, "5");
  EXPECT_EQ(raw({"HGET", "dirUsedSpace", f}).str, std::to_string(5 * 4096));
  EXPECT_EQ(num({"GET", "totalInodes"}), inodes0 + 2 + 5 - 1);
  for (const char* h : {"dirDataLength", "dirUsedSpace", "dirUsedInodes"})
    EXPECT_EQ(raw({"HEXISTS", h, std::to_string(gone.ino)}).integer, 0) << h;
}

INSTANTIATE_TEST_SUITE_P(Redis, RedisEngineTest, ::testing::Values("redis"), EngineParamName);

}  // namespace
}  // namespace tierfs::meta::testing
