// StoreProbe: reads (and ages) what an engine stored, straight from the store and bypassing the
// engine, so that one conformance test can check the stored effects on every engine: SQLite
// through its file, Redis through a connection of its own (JuiceFS's keys, FORMAT.md §1).
// Counters are given in the engine interface's meaning (nextInode/nextChunk: the next free id).
#pragma once

#include <functional>

#include <memory>
#include <string>

#include "meta/redis/schema.h"
#include "meta/types.h"
#include "net/redis/client.h"
#include "sql/test_fixture.h"

namespace tierfs::meta::testing {

class StoreProbe {
 public:
  virtual ~StoreProbe() = default;
  virtual int64_t Counter(const std::string& name) = 0;
  // The value of counter `name` on a freshly formatted volume (SQL: nextInode 2, nextChunk 1;
  // Redis: no key, so the next free id is 1).
  virtual int64_t FreshCounter(const std::string& name) = 0;
  // References of a slice (1 after its write, +1 per copy).
  virtual int64_t SliceRefs(uint64_t id, uint32_t size) = 0;
  virtual int64_t DelFiles() = 0;
  virtual int64_t Sustained() = 0;
  // Chunks stored for `ino` (all inodes when 0).
  virtual int64_t Chunks(Ino ino) = 0;
  // 'R' / 'W' of the one flock of `ino`, 0 when none.
  virtual int64_t FlockType(Ino ino) = 0;
  // Makes the session look dead (its expiry in the past).
  virtual void ExpireSession(uint64_t sid) = 0;
};

class SqliteProbe : public StoreProbe {
 public:
  explicit SqliteProbe(std::string db) : db_(std::move(db)) {}
  int64_t Counter(const std::string& name) override {
    return QueryInt(db_, "SELECT value FROM jfs_counter WHERE name='" + name + "'");
  }
  int64_t FreshCounter(const std::string& name) override {
    return name == "nextInode" ? 2 : name == "nextChunk" ? 1 : 0;
  }
  int64_t SliceRefs(uint64_t id, uint32_t) override {
    return QueryInt(db_, "SELECT refs FROM jfs_chunk_ref WHERE chunkid=" + std::to_string(id));
  }
  int64_t DelFiles() override { return QueryInt(db_, "SELECT count(*) FROM jfs_delfile"); }
  int64_t Sustained() override { return QueryInt(db_, "SELECT count(*) FROM jfs_sustained"); }
  int64_t Chunks(Ino ino) override {
    return QueryInt(db_, "SELECT count(*) FROM jfs_chunk" + (ino ? " WHERE inode=" + std::to_string(ino) : std::string()));
  }
  int64_t FlockType(Ino ino) override {
    int64_t v = QueryInt(db_, "SELECT ltype FROM jfs_flock WHERE inode=" + std::to_string(ino));
    return v < 0 ? 0 : v;
  }
  void ExpireSession(uint64_t sid) override {
    ExecSql(db_, "UPDATE jfs_session2 SET expire=1 WHERE sid=" + std::to_string(sid));
  }

 private:
  std::string db_;
};

class RedisProbe : public StoreProbe {
 public:
  explicit RedisProbe(const std::string& url) {
    auto opt = net::redis::OptionsFromUrl(url);
    EXPECT_TRUE(opt.has_value());
    if (!opt) return;
    opt->client_cache = false;
    auto c = net::redis::Client::Connect(*opt);
    EXPECT_TRUE(c.has_value());
    if (c) c_ = std::move(*c);
  }
  net::redis::Reply Do(net::redis::Command cmd) {
    if (!c_) return {};
    auto r = c_->Do(std::move(cmd));
    EXPECT_TRUE(r.has_value());
    return r.value_or(net::redis::Reply{});
  }
  int64_t Counter(const std::string& name) override {
    if (settle) settle();
    auto r = Do({"GET", redis::Keys{}.Counter(name)});
    int64_t v = r.IsNil() ? 0 : std::stoll(r.str);  // absent counters are 0 in Redis
    return name == "nextInode" || name == "nextChunk" ? v + 1 : v;
  }
  int64_t FreshCounter(const std::string& name) override {
    return name == "nextInode" || name == "nextChunk" ? 1 : 0;
  }
  int64_t SliceRefs(uint64_t id, uint32_t size) override {
    auto r = Do({"HGET", "sliceRef", redis::SliceRefField(id, size)});
    return r.IsNil() ? 1 : std::stoll(r.str) + 1;  // the field holds refs - 1
  }
  int64_t DelFiles() override { return Do({"ZCARD", "delfiles"}).integer; }
  int64_t Sustained() override {
    int64_t n = 0;
    for (const auto& k : Do({"KEYS", "session[0-9]*"}).elems) n += Do({"SCARD", k.str}).integer;
    return n;
  }
  int64_t Chunks(Ino ino) override {
    return int64_t(Do({"KEYS", ino ? "c" + std::to_string(ino) + "_*" : "c*_*"}).elems.size());
  }
  int64_t FlockType(Ino ino) override {
    auto r = Do({"HVALS", "lockf" + std::to_string(ino)});
    return r.elems.size() == 1 ? r.elems[0].str[0] : 0;
  }
  void ExpireSession(uint64_t sid) override { Do({"ZADD", "allSessions", "1", std::to_string(sid)}); }
  void Reset() { c_.reset(); }
  // Run before a counter is read: writes what the client under test batches (Meta::FlushStats).
  std::function<void()> settle;

 private:
  std::unique_ptr<net::redis::Client> c_;
};

// An EngineMetaTest with a probe of its store.
class ProbedMetaTest : public EngineMetaTest {
 protected:
  void SetUp() override {
    EngineMetaTest::SetUp();
    if (GetParam() == "redis") {
      auto probe = std::make_unique<RedisProbe>(url_);
      probe->settle = [this] { ASSERT_TRUE(meta_->FlushStats().ok()); };
      probe_ = std::move(probe);
    } else {
      probe_ = std::make_unique<SqliteProbe>(dir_ + "/meta.db");
    }
  }
  void TearDown() override {
    probe_.reset();  // before the server goes
    EngineMetaTest::TearDown();
  }
  std::unique_ptr<StoreProbe> probe_;
};

}  // namespace tierfs::meta::testing
