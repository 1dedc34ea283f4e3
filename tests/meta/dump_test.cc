// tierfs dump/load (meta/dump.h) on SQLite volumes: a dump loads into a fresh database and
// dumps again to the same JSON; hard links, symlinks, xattrs, sparse multi-chunk files, the
// trash, delfiles; bad input and non-empty targets leave the target unchanged.
#include <nlohmann/json.hpp>

#include "dump_fixture.h"

namespace tierfs::meta::testing {
namespace {

using nlohmann::ordered_json;

class DumpTest : public DumpFixture<SqliteMetaTest> {
 protected:
  std::string Db(const std::string& name) { return dir_ + "/" + name; }
  std::string Url(const std::string& name) { return "sqlite3://" + Db(name); }
};

TEST_F(DumpTest, DumpLoadDumpIsIdentical) {
  Populate();
  auto d1 = Dump(url_);
  ASSERT_TRUE(d1.has_value()) << d1.error().ToString();
  auto j1 = ordered_json::parse(*d1);  // valid JSON
  EXPECT_EQ(j1["DelFiles"], ordered_json::parse(R"([{"inode":90000,"length":123,"expire":1700000000}])"));
  EXPECT_EQ(j1["Sustained"], ordered_json::parse(R"([{"sid":7,"inodes":[90001]}])"));
  EXPECT_EQ(j1["Setting"]["Name"], "testvol");

  ASSERT_TRUE(Load(Url("two.db"), *d1).ok());
  auto d2 = Dump(Url("two.db"));
  ASSERT_TRUE(d2.has_value()) << d2.error().ToString();
  EXPECT_EQ(DumpTree(*d1), DumpTree(*d2));
  auto j2 = ordered_json::parse(*d2);
  EXPECT_EQ(j1["Setting"], j2["Setting"]);
  EXPECT_EQ(j1["DelFiles"], j2["DelFiles"]);
  EXPECT_EQ(j2["Sustained"], ordered_json::array());  // as JuiceFS: not loaded
  // Recomputed usage counts every inode but the roots (as tierfs counts them); ids never go
  // back.
  EXPECT_EQ(j2["Counters"]["usedInodes"], j1["Counters"]["usedInodes"]);
  EXPECT_EQ(j2["Counters"]["usedSpace"], j1["Counters"]["usedSpace"]);
  for (const char* k : {"nextInodes", "nextChunk", "nextSession", "nextTrash"}) {
    EXPECT_GE(j2["Counters"][k].get<int64_t>(), j1["Counters"][k].get<int64_t>()) << k;
  }
  // A second round trip is a fixed point, counters included.
  ASSERT_TRUE(Load(Url("three.db"), *d2).ok());
  auto d3 = Dump(Url("three.db"));
  ASSERT_TRUE(d3.has_value());
  auto j3 = ordered_json::parse(*d3);
  j2.erase("Sustained");
  j3.erase("Sustained");
  EXPECT_EQ(j2, j3);
}

TEST_F(DumpTest, LoadedVolumeHasLinksRefsAndStats) {
  Populate();
  auto d1 = Dump(url_);
  ASSERT_TRUE(d1.has_value());
  ASSERT_TRUE(Load(Url("two.db"), *d1).ok());
  std::string db = Db("two.db");
  auto m = OpenMeta(Url("two.db"), true);
  ASSERT_TRUE(m.has_value());
  ASSERT_TRUE((*m)->Load().has_value());
  auto hard = (*m)->Lookup(root_, kRootIno, "hard");
  ASSERT_TRUE(hard.has_value());
  EXPECT_EQ(hard->attr.nlink, 2u);
  EXPECT_EQ(QueryInt(db, "SELECT parent FROM jfs_node WHERE inode=" + std::to_string(hard->ino)), 0);
  auto dir = (*m)->Lookup(root_, kRootIno, "dir");
  ASSERT_TRUE(dir.has_value());
  EXPECT_EQ(dir->attr.nlink, 3u);
  EXPECT_EQ(dir->attr.length, 4096u);
  EXPECT_EQ(QueryInt(db, "SELECT nlink FROM jfs_node WHERE inode=1"), 3);
  auto sym = (*m)->Lookup(root_, kRootIno, "sym");
  ASSERT_TRUE(sym.has_value());
  EXPECT_EQ(*(*m)->ReadLink(root_, sym->ino), "dir/fi le%");
  EXPECT_EQ(sym->attr.length, 10u);
  auto file = (*m)->Lookup(root_, dir->ino, "file");
  ASSERT_TRUE(file.has_value());
  EXPECT_EQ(*(*m)->GetXattr(root_, file->ino, "user.a"), std::string("x<y\"%\x01\xff", 7));
  EXPECT_EQ(*(*m)->GetXattr(root_, file->ino, "user.b"), "");
  auto chr = (*m)->Lookup(root_, kRootIno, "chr");
  ASSERT_TRUE(chr.has_value());
  EXPECT_EQ(chr->attr.rdev, 0x0501u);
  EXPECT_TRUE((*m)->Lookup(root_, kRootIno, std::string("we ird%\"\\\n\x7f\xfe<&>", 14)).has_value());
  auto sparse = (*m)->Lookup(root_, kRootIno, "sparse");
  ASSERT_TRUE(sparse.has_value());
  EXPECT_EQ(sparse->attr.length, 2 * kChunkSize + 2000);
  auto c2 = (*m)->Read(sparse->ino, 2);
  ASSERT_TRUE(c2.has_value());
  EXPECT_EQ(c2->size(), 2u);
  EXPECT_TRUE((*m)->Read(sparse->ino, 1)->empty());
  // Slice refs as the original counts them (copy_file_range shared the sparse file's first).
  std::string orig = Db("meta.db");
  auto first = (*m)->Read(sparse->ino, 0);
  ASSERT_EQ(first->size(), 1u);
  std::string q = "SELECT refs FROM jfs_chunk_ref WHERE chunkid=" + std::to_string((*first)[0].id);
  EXPECT_EQ(QueryInt(db, q), 2);
  EXPECT_EQ(QueryInt(db, q), QueryInt(orig, q));
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM jfs_chunk_ref"), QueryInt(orig, "SELECT count(*) FROM jfs_chunk_ref"));
  // Directory statistics from the entries.
  EXPECT_EQ(QueryInt(db, "SELECT used_inodes FROM jfs_dir_stats WHERE inode=" + std::to_string(dir->ino)), 2);
  EXPECT_EQ(QueryInt(db, "SELECT data_length FROM jfs_dir_stats WHERE inode=" + std::to_string(dir->ino)), 6);
  // The trashed file is in the loaded trash.
  auto trash = (*m)->Readdir(root_, kTrashIno, false);
  ASSERT_TRUE(trash.has_value());
  ASSERT_EQ(trash->size(), 3u);  // ".", "..", the hourly directory
  auto hour = (*m)->Readdir(root_, (*trash)[2].ino, false);
  ASSERT_TRUE(hour.has_value());
  ASSERT_EQ(hour->size(), 3u);
  EXPECT_NE((*hour)[2].name.find("-gone"), std::string::npos);
  EXPECT_EQ(QueryInt(db, "SELECT length FROM jfs_delfile WHERE inode=90000"), 123);
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM jfs_sustained"), 0);
}

TEST_F(DumpTest, SecretKeyRemovedUnlessKept) {
  Format f;
  f.name = "secret";
  f.uuid = "00000000-0000-0000-0000-000000000002";
  f.secret_key = "s3cr3t";
  f.session_token = "tok";
  auto m = OpenMeta(Url("s.db"), false);
  ASSERT_TRUE(m.has_value());
  ASSERT_TRUE((*m)->Init(f, false).ok());
  std::vector<std::string> warnings;
  DumpOptions opt;
  opt.warn = [&](const std::string& w) { warnings.push_back(w); };
  auto d = Dump(Url("s.db"), opt);
  ASSERT_TRUE(d.has_value());
  auto j = ordered_json::parse(*d);
  EXPECT_EQ(j["Setting"]["SecretKey"], "removed");
  EXPECT_EQ(j["Setting"]["SessionToken"], "removed");
  EXPECT_EQ(warnings.size(), 2u);
  opt.keep_secret_key = true;
  d = Dump(Url("s.db"), opt);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(ordered_json::parse(*d)["Setting"]["SecretKey"], "s3cr3t");
}

TEST_F(DumpTest, LoadRefusesNonEmptyDatabase) {
  auto d = Dump(url_);
  ASSERT_TRUE(d.has_value());
  int64_t nodes = QueryInt(Db("meta.db"), "SELECT count(*) FROM jfs_node");
  Status st = Load(url_, *d);
  EXPECT_EQ(st.code(), EEXIST) << st.ToString();
  EXPECT_EQ(st.message().find('\n'), std::string::npos);
  EXPECT_EQ(QueryInt(Db("meta.db"), "SELECT count(*) FROM jfs_node"), nodes);
}

TEST_F(DumpTest, BadInputLeavesTargetEmpty) {
  Populate();
  auto d = Dump(url_);
  ASSERT_TRUE(d.has_value());
  const std::string cut = d->substr(0, d->size() * 2 / 3);
  std::string bad_type = *d;
  bad_type.replace(bad_type.find("\"regular\""), 9, "\"bogus\"");
  for (const std::string& text : {cut, std::string("{\"Setting\": {"), std::string("[]"), std::string(""),
                                   std::string("{\"Setting\":{\"Name\":\"x\"}}"), bad_type,
                                   *d + "garbage"}) {
    std::string db = Db("bad.db");
    Status st = Load(Url("bad.db"), text);
    EXPECT_EQ(st.code(), EINVAL) << text.substr(0, 40) << ": " << st.ToString();
    EXPECT_EQ(st.message().find('\n'), std::string::npos) << st.message();
    EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM sqlite_master"), 0) << text.substr(0, 40);
  }
  // And a good load afterwards still works on that same file.
  EXPECT_TRUE(Load(Url("bad.db"), *d).ok());
}

TEST_F(DumpTest, SubdirDumpLoadsAsRoot) {
  Populate();
  DumpOptions opt;
  opt.subdir = "dir";
  auto d = Dump(url_, opt);
  ASSERT_TRUE(d.has_value()) << d.error().ToString();
  auto j = ordered_json::parse(*d);
  EXPECT_FALSE(j.contains("Trash"));
  EXPECT_TRUE(j["FSTree"]["entries"].contains("file"));
  ASSERT_TRUE(Load(Url("sub.db"), *d).ok());
  auto m = OpenMeta(Url("sub.db"), true);
  ASSERT_TRUE((*m)->Load().has_value());
  EXPECT_TRUE((*m)->Lookup(root_, kRootIno, "file").has_value());
  opt.subdir = "sparse";
  EXPECT_EQ(Dump(url_, opt).error().code(), ENOTDIR);
}

TEST(DumpEscapeTest, EscapeRoundTripsEveryByte) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  std::string esc = EscapeDumpString(all);
  EXPECT_EQ(UnescapeDumpString(esc), all);
  EXPECT_EQ(EscapeDumpString("a b%\"\\é"), "a%20b%25%22%5Cé");
  EXPECT_EQ(EscapeDumpString("\xef\xbf\xbd"), "%EF%BF%BD");
  EXPECT_EQ(UnescapeDumpString("%zz%4"), "%zz%4");  // not escapes: kept
  std::string j;
  AppendGoJsonString(j, "x<y\"&>\n\x01\xe2\x80\xa8\xff");
  EXPECT_EQ(j, R"("x\u003cy\"\u0026\u003e\n\u0001\u2028\ufffd")");
}

}  // namespace
}  // namespace tierfs::meta::testing
