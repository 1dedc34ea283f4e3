// tierfs dump/load on the Redis engine: a volume of either engine dumps, loads into Redis and
// dumps again to the same JSON (and back into SQLite); the keys and values a load writes are
// JuiceFS LoadMeta's; a failed load leaves the Redis DB empty; a non-empty DB is refused.
#include <nlohmann/json.hpp>

#include "dump_fixture.h"
#include "meta/redis/schema.h"

namespace tierfs::meta::testing {
namespace {

using nlohmann::ordered_json;

class RedisDumpTest : public DumpFixture<EngineMetaTest> {
 protected:
  void SetUp() override {
    DumpFixture::SetUp();
    if (::testing::Test::HasFatalFailure()) return;
    Status st = target_.Start();
    ASSERT_TRUE(st.ok()) << st.ToString();
    raw_ = RawRedis(target_.url(0));
    ASSERT_TRUE(raw_);
  }
  void TearDown() override {
    raw_.reset();
    target_.Stop();
    DumpFixture::TearDown();
  }

  // A raw command on DB `db` of the target server.
  net::redis::Reply Raw(int db, net::redis::Command cmd) {
    EXPECT_TRUE(meta_->FlushStats().ok());  // what the client under test batches
    auto rs = raw_->DoAll({{"SELECT", std::to_string(db)}, std::move(cmd)});
    EXPECT_TRUE(rs.at(1).has_value());
    return rs[1].value_or(net::redis::Reply{});
  }

  // Populate's volume, with a second hard link in the root (p{ino} counts 2 there) and `files`
  // more files.
  void PopulateMore(int files = 0) {
    Populate();
    auto hard = meta_->Lookup(root_, kRootIno, "hard");
    ASSERT_TRUE(hard.has_value());
    ASSERT_TRUE(meta_->Link(root_, hard->ino, kRootIno, "hard2").has_value());
    Entry many = Mk(kRootIno, "many", FileType::kDirectory, 0755);
    for (int i = 0; i < files; ++i) {
      Entry e = Mk(many.ino, "f" + std::to_string(i));
      WriteSlice(e.ino, 0, 0, 10);
    }
  }

  tierfs::testing::RedisServer target_;
  std::unique_ptr<net::redis::Client> raw_;
};

TEST_P(RedisDumpTest, DumpLoadIntoRedisDumpsTheSame) {
  PopulateMore();
  auto d1 = Dump(url_);
  ASSERT_TRUE(d1.has_value()) << d1.error().ToString();
  auto j1 = ordered_json::parse(*d1);
  EXPECT_EQ(j1["DelFiles"], ordered_json::parse(R"([{"inode":90000,"length":123,"expire":1700000000}])"));
  EXPECT_EQ(j1["Sustained"], ordered_json::parse(R"([{"sid":7,"inodes":[90001]}])"));

  // Into Redis, and out again: the same tree, setting and delfiles; no sustained inodes.
  ASSERT_TRUE(Load(target_.url(2), *d1).ok());
  auto d2 = Dump(target_.url(2));
  ASSERT_TRUE(d2.has_value()) << d2.error().ToString();
  EXPECT_EQ(DumpTree(*d1), DumpTree(*d2));
  auto j2 = ordered_json::parse(*d2);
  EXPECT_EQ(j1["Setting"], j2["Setting"]);
  EXPECT_EQ(j1["DelFiles"], j2["DelFiles"]);
  EXPECT_EQ(j2["Sustained"], ordered_json::array());
  EXPECT_EQ(j2["Counters"]["usedInodes"], j1["Counters"]["usedInodes"]);
  EXPECT_EQ(j2["Counters"]["usedSpace"], j1["Counters"]["usedSpace"]);
  for (const char* k : {"nextInodes", "nextChunk", "nextSession", "nextTrash"}) {
    EXPECT_GE(j2["Counters"][k].get<int64_t>(), j1["Counters"][k].get<int64_t>()) << k;
  }
  // Redis -> SQLite -> Redis: fixed points, counters included.
  std::string sq = "sqlite3://" + dir_ + "/from-redis.db";
  ASSERT_TRUE(Load(sq, *d2).ok());
  auto d3 = Dump(sq);
  ASSERT_TRUE(d3.has_value());
  EXPECT_EQ(*d2, *d3);
  ASSERT_TRUE(Load(target_.url(3), *d3).ok());
  auto d4 = Dump(target_.url(3));
  ASSERT_TRUE(d4.has_value());
  EXPECT_EQ(*d3, *d4);
}

TEST_P(RedisDumpTest, LoadWritesJuicefsKeys) {
  PopulateMore();
  auto d1 = Dump(url_);
  ASSERT_TRUE(d1.has_value());
  ASSERT_TRUE(Load(target_.url(2), *d1).ok());
  auto j = ordered_json::parse(*d1);
  auto& root = j["FSTree"]["entries"];
  const std::string hard = std::to_string(root["hard"]["attr"]["inode"].get<uint64_t>());
  const std::string dir = std::to_string(root["dir"]["attr"]["inode"].get<uint64_t>());
  // A hard link: nlink 3, parent 0, p{ino} counts the links per directory.
  auto a = redis::DecodeAttr(Raw(2, {"GET", "i" + hard}).str);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->nlink, 3u);
  EXPECT_EQ(a->parent, 0u);
  EXPECT_EQ(Raw(2, {"HGET", "p" + hard, "1"}).str, "2");
  EXPECT_EQ(Raw(2, {"HGET", "p" + hard, dir}).str, "1");
  EXPECT_EQ(Raw(2, {"HLEN", "p" + hard}).integer, 2);
  // Entries: 9 bytes; attrs: 72 bytes; the root's parent is 1 and nlink 2 + subdirectories.
  auto ent = redis::DecodeEntry(Raw(2, {"HGET", "d1", "hard"}).str);
  ASSERT_TRUE(ent.has_value());
  EXPECT_EQ(std::to_string(ent->second), hard);
  auto r = Raw(2, {"GET", "i1"});
  EXPECT_EQ(r.str.size(), 72u);
  EXPECT_EQ(redis::DecodeAttr(r.str)->parent, 1u);
  EXPECT_EQ(redis::DecodeAttr(r.str)->nlink, 4u);  // dir, many, the root's own 2
  // Slices: one list element per slice; sliceRef only where shared (value refs - 1).
  const std::string sparse = std::to_string(root["sparse"]["attr"]["inode"].get<uint64_t>());
  EXPECT_EQ(Raw(2, {"LLEN", "c" + sparse + "_2"}).integer, 2);
  EXPECT_EQ(Raw(2, {"EXISTS", "c" + sparse + "_1"}).integer, 0);
  auto first = root["sparse"]["chunks"][0]["slices"][0];
  EXPECT_EQ(Raw(2, {"HGET", "sliceRef", redis::SliceRefField(first["id"], first["size"])}).str, "1");
  EXPECT_EQ(Raw(2, {"HLEN", "sliceRef"}).integer, 1);
  // Symlink, xattrs, delfiles, dir stats, counters (nextinode/nextchunk: the last id used).
  const std::string sym = std::to_string(root["sym"]["attr"]["inode"].get<uint64_t>());
  EXPECT_EQ(Raw(2, {"GET", "s" + sym}).str, "dir/fi le%");
  const std::string file = std::to_string(root["dir"]["entries"]["file"]["attr"]["inode"].get<uint64_t>());
  EXPECT_EQ(Raw(2, {"HGET", "x" + file, "user.a"}).str, std::string("x<y\"%\x01\xff", 7));
  EXPECT_EQ(Raw(2, {"ZSCORE", "delfiles", "90000:123"}).str, "1700000000");
  EXPECT_EQ(Raw(2, {"HGET", "dirDataLength", dir}).str, "6");
  EXPECT_EQ(Raw(2, {"HGET", "dirUsedSpace", dir}).str, "8192");  // Align4K(0) = 4096, as JuiceFS
  EXPECT_EQ(Raw(2, {"HGET", "dirUsedInodes", dir}).str, "2");
  auto d2 = Dump(target_.url(2));
  ASSERT_TRUE(d2.has_value());
  auto c = ordered_json::parse(*d2)["Counters"];
  EXPECT_EQ(Raw(2, {"GET", "nextinode"}).str, std::to_string(c["nextInodes"].get<int64_t>() - 1));
  EXPECT_EQ(Raw(2, {"GET", "nextchunk"}).str, std::to_string(c["nextChunk"].get<int64_t>() - 1));
  EXPECT_EQ(Raw(2, {"GET", "totalInodes"}).str, std::to_string(c["usedInodes"].get<int64_t>()));
  EXPECT_FALSE(Raw(2, {"GET", "nextsession"}).IsNil());
  EXPECT_FALSE(Raw(2, {"GET", "nextTrash"}).IsNil());
  auto setting = Raw(2, {"GET", "setting"}).str;
  EXPECT_EQ(ordered_json::parse(setting)["Name"], "testvol");
  // The loaded volume mounts and reads.
  auto m = OpenMeta(target_.url(2), true);
  ASSERT_TRUE(m.has_value());
  ASSERT_TRUE((*m)->Load().has_value());
  auto h = (*m)->Lookup(root_, kRootIno, "hard2");
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(h->attr.nlink, 3u);
  auto c2 = (*m)->Read(std::stoull(sparse), 2);
  ASSERT_TRUE(c2.has_value());
  EXPECT_EQ(c2->size(), 2u);
}

TEST_P(RedisDumpTest, FailedLoadLeavesRedisEmpty) {
  PopulateMore(300);  // enough for the writer to have sent batches before the failure
  auto d = Dump(url_);
  ASSERT_TRUE(d.has_value());
  std::string bad_late = *d;
  bad_late.replace(bad_late.rfind("\"regular\""), 9, "\"bogus\"");
  std::string bad_setting = *d;
  bad_setting.replace(bad_setting.find("\"Name\": \"testvol\""), 17, "\"Name\": 7");
  for (const std::string& text : {d->substr(0, d->size() * 9 / 10), bad_late, bad_setting,
                                   std::string("{\"Setting\": {"), *d + "garbage"}) {
    Status st = Load(target_.url(2), text);
    EXPECT_NE(st.code(), 0) << text.substr(0, 40);
    EXPECT_EQ(st.message().find('\n'), std::string::npos) << st.message();
    EXPECT_EQ(Raw(2, {"DBSIZE"}).integer, 0) << text.substr(0, 40) << ": " << st.ToString();
  }
  ASSERT_TRUE(Load(target_.url(2), *d).ok());
  auto d2 = Dump(target_.url(2));
  ASSERT_TRUE(d2.has_value());
  EXPECT_EQ(DumpTree(*d), DumpTree(*d2));
}

TEST_P(RedisDumpTest, LoadRefusesNonEmptyRedis) {
  auto d = Dump(url_);
  ASSERT_TRUE(d.has_value());
  Raw(4, {"SET", "unrelated", "x"});
  Status st = Load(target_.url(4), *d);
  EXPECT_EQ(st.code(), EEXIST) << st.ToString();
  EXPECT_EQ(st.message().find('\n'), std::string::npos);
  EXPECT_EQ(Raw(4, {"DBSIZE"}).integer, 1);
  ASSERT_TRUE(Load(target_.url(5), *d).ok());
  int64_t keys = Raw(5, {"DBSIZE"}).integer;
  st = Load(target_.url(5), *d);
  EXPECT_EQ(st.code(), EEXIST) << st.ToString();
  EXPECT_NE(st.message().find("volume"), std::string::npos) << st.message();
  EXPECT_EQ(Raw(5, {"DBSIZE"}).integer, keys);
}

// Runs on the Redis engine only.
class RedisOnlyDumpTest : public RedisDumpTest {};
INSTANTIATE_TEST_SUITE_P(Redis, RedisOnlyDumpTest, ::testing::Values("redis"), EngineParamName);

TEST_P(RedisOnlyDumpTest, FreshRedisVolumeCountersAsJuicefsDumps) {
  // A Redis volume formatted by JuiceFS has no nextinode/nextchunk key: `juicefs dump` prints
  // 1 for both (the stored value + 1).
  ASSERT_TRUE(RawRedis(url_)->Do({"DEL", "nextinode", "nextchunk"}).has_value());
  auto d = Dump(url_);
  ASSERT_TRUE(d.has_value());
  auto c = ordered_json::parse(*d)["Counters"];
  EXPECT_EQ(c["nextInodes"], 1);
  EXPECT_EQ(c["nextChunk"], 1);
}

TIERFS_ALL_ENGINES(RedisDumpTest);

}  // namespace
}  // namespace tierfs::meta::testing
