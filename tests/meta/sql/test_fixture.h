// A fresh volume per test: SqliteMetaTest on SQLite; EngineMetaTest on the engine named by
// the test parameter ("sqlite3", or "redis": a redis-server of its own on a free 127.0.0.1
// port), so that one conformance suite runs against every engine (TIERFS_ALL_ENGINES).
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>

#include "meta/base.h"
#include "juicefs_required.h"
#include "meta/meta.h"
#include "net/redis/client.h"
#include "redis_server.h"

namespace tierfs::meta::testing {

template <class Base>
class MetaFixture : public Base {
 protected:
  virtual std::string EngineName() const { return "sqlite3"; }
  void SetUp() override {
    char tmpl[] = "/tmp/tierfs-meta-XXXXXX";
    dir_ = mkdtemp(tmpl);
    if (EngineName() == "redis") {
      Status st = redis_.Start();
      ASSERT_TRUE(st.ok()) << "redis-server did not start: " << st.ToString();
      url_ = redis_.url(1);
    } else {
      url_ = "sqlite3://" + dir_ + "/meta.db";
    }
    Format f;
    f.name = "testvol";
    f.uuid = "00000000-0000-0000-0000-000000000001";
    f.trash_days = trash_days_;
    f.bucket = dir_ + "/bucket/";  // juicefs fsck looks for objects there
    f.capacity = capacity_;
    f.inodes = inode_quota_;
    meta_ = Open();
    ASSERT_TRUE(meta_->Init(f, false).ok());
    MetaOptions opt;
    opt.no_bgjob = true;
    MetaCallbacks cb;
    cb.delete_slice = [this](uint64_t id, uint32_t size) {
      std::lock_guard lk(mu_);
      deleted_[id] = size;
      return Status();
    };
    ASSERT_TRUE(meta_->NewSession(SessionInfo{}, opt, cb).ok());
  }
  void TearDown() override {
    if (meta_) (void)meta_->CloseSession();
    meta_.reset();
    redis_.Stop();
    std::filesystem::remove_all(dir_);
  }
  std::unique_ptr<Meta> Open() {
    auto m = OpenMeta(url_, false);
    EXPECT_TRUE(m.has_value());
    return std::move(*m);
  }
  Entry Mk(Ino parent, const std::string& name, FileType t = FileType::kFile, uint16_t mode = 0644,
           const Context& ctx = Context::Root()) {
    auto e = meta_->Mknod(ctx, parent, name, t, mode, 0, 0, t == FileType::kSymlink ? "target" : "");
    EXPECT_TRUE(e.has_value()) << name << ": " << e.error().ToString();
    return e.value_or(Entry{});
  }
  int Code(const Status& s) { return s.code(); }
  template <class T>
  int Code(const Result<T>& r) { return r.has_value() ? 0 : r.error().code(); }

  int trash_days_ = 0;
  uint64_t capacity_ = 0, inode_quota_ = 0;
  std::string dir_, url_;
  std::unique_ptr<Meta> meta_;
  std::mutex mu_;
  std::map<uint64_t, uint32_t> deleted_;
  Context root_ = Context::Root();
  tierfs::testing::RedisServer redis_;
};

using SqliteMetaTest = MetaFixture<::testing::Test>;

class EngineMetaTest : public MetaFixture<::testing::TestWithParam<std::string>> {
 protected:
  std::string EngineName() const override { return GetParam(); }
};

inline std::string EngineParamName(const ::testing::TestParamInfo<std::string>& info) {
  return info.param;
}

// Runs the TEST_P tests of `suite` once per engine.
#define TIERFS_ALL_ENGINES(suite)                                                          \
  INSTANTIATE_TEST_SUITE_P(Engines, suite, ::testing::Values("sqlite3", "redis"), \
                           ::tierfs::meta::testing::EngineParamName)

// A client of the redis-server at `url` without the client-side cache (to read raw keys).
inline std::unique_ptr<net::redis::Client> RawRedis(const std::string& url) {
  auto opt = net::redis::OptionsFromUrl(url);
  EXPECT_TRUE(opt.has_value());
  if (!opt) return nullptr;
  opt->client_cache = false;
  auto c = net::redis::Client::Connect(*opt);
  EXPECT_TRUE(c.has_value()) << c.error().ToString();
  return c ? std::move(*c) : nullptr;
}

// One value read straight from the database file (-1 when no row), bypassing the engine.
inline int64_t QueryInt(const std::string& db, const std::string& sql) {
  sqlite3* h;
  sqlite3_open(db.c_str(), &h);
  sqlite3_busy_timeout(h, 5000);
  sqlite3_stmt* s;
  sqlite3_prepare_v2(h, sql.c_str(), -1, &s, nullptr);
  int64_t v = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
  sqlite3_finalize(s);
  sqlite3_close(h);
  return v;
}

// Runs SQL straight on the database file (to corrupt or age rows in tests).
inline void ExecSql(const std::string& db, const std::string& sql) {
  sqlite3* h;
  ASSERT_EQ(sqlite3_open(db.c_str(), &h), SQLITE_OK);
  sqlite3_busy_timeout(h, 5000);
  char* err = nullptr;
  EXPECT_EQ(sqlite3_exec(h, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
  sqlite3_free(err);
  sqlite3_close(h);
}

// A new slice id of `len` bytes, the whole slice valid.
inline Slice NewSlice(Meta& m, uint32_t len) {
  Slice s;
  s.id = *m.NewSlice();
  s.size = len;
  s.len = len;
  return s;
}

inline Context User(uint32_t uid, uint32_t gid, std::vector<uint32_t> gids = {}) {
  Context c;
  c.uid = uid;
  c.gid = gid;
  c.gids = gids.empty() ? std::vector<uint32_t>{gid} : gids;
  return c;
}

}  // namespace tierfs::meta::testing
