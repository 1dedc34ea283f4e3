#include <atomic>
#include <future>
#include <thread>

#include "redis_test_util.h"

namespace tierfs::net::redis {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

using RedisClientTest = RedisFixture;

TEST_F(RedisClientTest, PingSetGet) {
  auto c = Connect();
  ASSERT_TRUE(c);
  EXPECT_EQ(Must(c->Do({"PING"})).str, "PONG");
  EXPECT_EQ(Must(c->Do({"SET", "k", std::string("v\0w", 3)})).str, "OK");
  EXPECT_EQ(Must(c->Do({"GET", "k"})).str, std::string("v\0w", 3));
  EXPECT_TRUE(Must(c->Do({"GET", "missing"})).IsNil());
}

// One caller at a time finds the pipe idle: it writes its request itself (the synchronous fast
// path), every time; the replies still come in order.
TEST_F(RedisClientTest, ALoneCallerWritesItsOwnRequests) {
  auto c = Connect();
  ASSERT_TRUE(c);
  const uint64_t before = c->Stats().direct_batches;
  for (int i = 0; i < 200; i++) {
    EXPECT_EQ(Must(c->Do({"SET", "solo", std::to_string(i)})).str, "OK");
    EXPECT_EQ(Must(c->Do({"GET", "solo"})).str, std::to_string(i));
  }
  EXPECT_EQ(c->Stats().direct_batches - before, 400u);
}

TEST_F(RedisClientTest, SixteenThreadsMixedCommandsArePipelined) {
  auto c = Connect();
  ASSERT_TRUE(c);
  constexpr int kThreads = 16, kOps = 1000;
  std::atomic<int> bad{0};
  Parallel(kThreads, [&](int t) {
    for (int i = 0; i < kOps; i++) {
      std::string key = "k:" + std::to_string(t) + ":" + std::to_string(i % 50);
      std::string val = std::to_string(t * 100000 + i);
      // Three requests in flight per thread: SET then GET of the same key must see it.
      auto set = c->Send({"SET", key, val});
      auto get = c->Send({"GET", key});
      auto incr = c->Send({"INCR", "counter"});
      auto s = set.Get();
      auto g = get.Get();
      auto n = incr.Get();
      if (!s || s->str != "OK" || !g || g->str != val || !n || n->type != Reply::Type::kInteger)
        bad++;
    }
  });
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(Must(c->Do({"GET", "counter"})).str, std::to_string(kThreads * kOps));
  ClientStats st = c->Stats();
  EXPECT_GE(st.commands, uint64_t(3 * kThreads * kOps));
  EXPECT_LT(st.writes, st.commands) << "concurrent commands were not batched into writes";
}

TEST_F(RedisClientTest, MultiExecGroupsStayAtomic) {
  auto c = Connect();
  ASSERT_TRUE(c);
  constexpr int kThreads = 16, kTxns = 200;
  std::atomic<int> bad{0};
  Parallel(kThreads, [&](int t) {
    for (int i = 0; i < kTxns; i++) {
      auto get = c->Send({"GET", "x"});  // interleaved plain commands must not be swallowed
      auto r = c->SendGroup({{"MULTI"}, {"INCR", "x"}, {"INCR", "y"}, {"EXEC"}}).Get();
      if (!r || r->size() != 4 || (*r)[1].str != "QUEUED" || (*r)[3].elems.size() != 2 ||
          (*r)[3].elems[0].integer != (*r)[3].elems[1].integer)
        bad++;
      auto g = get.Get();
      if (!g || g->str == "QUEUED") bad++;
    }
  });
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(Must(c->Do({"GET", "x"})).str, std::to_string(kThreads * kTxns));
  EXPECT_EQ(Must(c->Do({"GET", "y"})).str, std::to_string(kThreads * kTxns));
}

TEST_F(RedisClientTest, DoAllAnswersInOrder) {
  auto c = Connect();
  ASSERT_TRUE(c);
  std::vector<Command> cmds;
  for (int i = 0; i < 100; i++) cmds.push_back({"SET", "d" + std::to_string(i), std::to_string(i)});
  for (int i = 0; i < 100; i++) cmds.push_back({"GET", "d" + std::to_string(i)});
  cmds.push_back({"LPUSH", "d0", "x"});  // WRONGTYPE: a Reply, not a Status
  auto r = c->DoAll(cmds);
  ASSERT_EQ(r.size(), cmds.size());
  for (int i = 0; i < 100; i++) {
    ASSERT_TRUE(r[100 + i].has_value());
    EXPECT_EQ(r[100 + i]->str, std::to_string(i));
  }
  ASSERT_TRUE(r.back().has_value());
  EXPECT_TRUE(r.back()->ErrorIs("WRONGTYPE"));
  EXPECT_TRUE(c->DoAll({}).empty());
}

TEST_F(RedisClientTest, ServerErrorsReachTheRightCaller) {
  auto c = Connect();
  ASSERT_TRUE(c);
  ASSERT_EQ(Must(c->Do({"SET", "str", "v"})).str, "OK");
  std::atomic<int> bad{0};
  Parallel(8, [&](int t) {
    for (int i = 0; i < 500; i++) {
      bool err = (i + t) % 2 == 0;
      auto r = err ? c->Do({"LPUSH", "str", "x"}) : c->Do({"GET", "str"});
      if (!r || r->IsError() != err || (!err && r->str != "v")) bad++;
    }
  });
  EXPECT_EQ(bad.load(), 0);
}

TEST_F(RedisClientTest, EvalShaReloadsAfterScriptFlush) {
  auto c = Connect();
  ASSERT_TRUE(c);
  Script s("return redis.call('INCRBY', KEYS[1], ARGV[1])");
  std::string key = "n", by = "5";
  EXPECT_EQ(Must(c->Eval(s, {&key, 1}, {&by, 1})).integer, 5);
  EXPECT_EQ(Must(c->Do({"SCRIPT", "FLUSH"})).str, "OK");
  EXPECT_EQ(Must(c->Eval(s, {&key, 1}, {&by, 1})).integer, 10);
  EXPECT_EQ(Must(c->Do({"SCRIPT", "EXISTS", s.sha1()})).elems.at(0).integer, 1);
  Script broken("return redis.call('NOPE')");
  EXPECT_TRUE(Must(c->Eval(broken, {}, {})).IsError());
}

TEST_F(RedisClientTest, DedicatedWatchCasGivesExactCounter) {
  Options o = Opts();
  o.dedicated_pool = 4;  // fewer than the threads: leases are waited for and reused
  auto c = Connect(o);
  ASSERT_TRUE(c);
  constexpr int kThreads = 8, kIncrements = 50;
  std::atomic<int> bad{0};
  Parallel(kThreads, [&](int t) {
    for (int done = 0; done < kIncrements;) {
      auto lease = c->Lease();
      if (!lease) {
        bad++;
        return;
      }
      Dedicated& d = **lease;
      auto w = d.Do({"WATCH", "cas"});
      auto g = d.Do({"GET", "cas"});
      if (!w || !g) {
        bad++;
        return;
      }
      int64_t v = g->IsNil() ? 0 : std::stoll(g->str);
      Command txn[] = {{"MULTI"}, {"SET", "cas", std::to_string(v + 1)}, {"EXEC"}};
      auto r = d.Pipeline(txn);
      if (!r) {
        bad++;
        return;
      }
      if (!(*r)[2].IsNil()) done++;  // nil EXEC: someone else won, try again
    }
  });
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(Must(c->Do({"GET", "cas"})).str, std::to_string(kThreads * kIncrements));
}

TEST_F(RedisClientTest, LeaseReturnsCleanConnections) {
  Options o = Opts();
  o.dedicated_pool = 1;
  auto c = Connect(o);
  ASSERT_TRUE(c);
  {
    auto d = c->Lease();
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(Must((*d)->Do({"MULTI"})).str, "OK");
    EXPECT_EQ(Must((*d)->Do({"SET", "left", "open"})).str, "QUEUED");
  }  // returned with a MULTI open: DISCARDed
  auto d = c->Lease();
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(Must((*d)->Do({"GET", "left"})).type, Reply::Type::kNil);
  auto second = std::async(std::launch::async, [&] { return c->Lease(); });
  EXPECT_EQ(second.wait_for(milliseconds(50)), std::future_status::timeout);  // pool bound of 1
  d->reset();
  EXPECT_TRUE(second.get().has_value());
}

TEST_F(RedisClientTest, ConnectionLossFailsInFlightThenRecovers) {
  Options o = Opts();
  o.max_retries = 50;
  auto c = Connect(o);
  ASSERT_TRUE(c);
  ASSERT_EQ(Must(c->Do({"SET", "a", "1"})).str, "OK");
  server_.Pause();  // requests get written but never answered
  std::vector<Future<Result<Reply>>> inflight;
  for (int i = 0; i < 20; i++) inflight.push_back(c->Send({"INCR", "a"}));
  auto t0 = steady_clock::now();
  server_.Stop();
  for (auto& f : inflight) {
    auto r = f.Get();
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code(), EIO) << r.error().ToString();
  }
  EXPECT_LT(steady_clock::now() - t0, std::chrono::seconds(3));
  auto w = c->Do({"SET", "a", "2"});  // while down: a write fails, not retried
  EXPECT_FALSE(w.has_value());
  ASSERT_TRUE(server_.Restart().ok());
  // A read is retried across the reconnect.
  EXPECT_TRUE(Must(c->Do({"GET", "a"})).IsNil());  // a fresh server
  // The GET above came back through the reconnected connection of key a: a write works now.
  EXPECT_EQ(Must(c->Do({"SET", "a", "3"})).str, "OK");
  EXPECT_GE(c->Stats().reconnects, 1u);
}

TEST_F(RedisClientTest, ReadTimeoutFailsWithEtimedoutAndResets) {
  Options o = Opts();
  o.read_timeout_ms = 300;
  o.pipelines = 1;
  auto c = Connect(o);
  ASSERT_TRUE(c);
  server_.Pause();
  auto t0 = steady_clock::now();
  auto r = c->Send({"GET", "x"}).Get();
  auto took = steady_clock::now() - t0;
  server_.Resume();
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ETIMEDOUT) << r.error().ToString();
  EXPECT_GE(took, milliseconds(290));
  EXPECT_LT(took, milliseconds(2000));
  EXPECT_TRUE(c->Do({"PING"}).has_value());  // retried across the reset connection
}

TEST_F(RedisClientTest, DebugSleepTimesOut) {
  Options o = Opts();
  o.read_timeout_ms = 300;
  o.pipelines = 1;
  auto c = Connect(o);
  ASSERT_TRUE(c);
  auto t0 = steady_clock::now();
  auto r = c->Do({"DEBUG", "SLEEP", "2"});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ETIMEDOUT);
  EXPECT_LT(steady_clock::now() - t0, milliseconds(1500));
}

TEST_F(RedisClientTest, FullQueueBlocksThenEagain) {
  Options o = Opts();
  o.max_queued = 4;
  o.write_timeout_ms = 200;
  o.pipelines = 1;
  auto c = Connect(o);
  ASSERT_TRUE(c);
  server_.Pause();
  std::vector<Future<Result<Reply>>> fs;
  for (int i = 0; i < 4; i++) fs.push_back(c->Send({"PING"}));
  auto t0 = steady_clock::now();
  auto r = c->Send({"PING"}).Get();
  EXPECT_GE(steady_clock::now() - t0, milliseconds(190));
  server_.Resume();
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), EAGAIN);
  for (auto& f : fs) EXPECT_TRUE(f.Get().has_value());
}

TEST_F(RedisClientTest, UnreachablePortFailsFast) {
  Options o = Opts();
  server_.Stop();
  auto t0 = steady_clock::now();
  auto c = Client::Connect(o);
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error().code(), EIO) << c.error().ToString();
  EXPECT_LT(steady_clock::now() - t0, std::chrono::seconds(2));
}

TEST_F(RedisClientTest, ClusterIsRefused) {
  Options o = Opts();
  o.cluster = true;
  auto c = Client::Connect(o);
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error().code(), EINVAL);
}

class RedisAuthTest : public RedisFixture {
  std::vector<std::string> ServerArgs() override { return {"--requirepass", "s3cret"}; }
};

TEST_F(RedisAuthTest, WrongPasswordIsEacces) {
  Options o = Opts();
  o.password = "wrong-pw";
  auto c = Client::Connect(o);
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error().code(), EACCES) << c.error().ToString();
  EXPECT_EQ(c.error().message().find("wrong-pw"), std::string::npos);
  o.password = "";
  auto none = Client::Connect(o);
  ASSERT_FALSE(none.has_value());
  EXPECT_EQ(none.error().code(), EACCES) << none.error().ToString();
  o.password = "s3cret";
  o.db = 3;
  auto ok = Connect(o);
  ASSERT_TRUE(ok);
  EXPECT_EQ(Must(ok->Do({"PING"})).str, "PONG");
  auto lease = ok->Lease();
  ASSERT_TRUE(lease.has_value());
  EXPECT_EQ(Must((*lease)->Do({"SET", "indb3", "1"})).str, "OK");
  EXPECT_EQ(Must(ok->Do({"DBSIZE"})).integer, 1);
}

class RedisResp2Test : public RedisFixture {
  // A server that refuses HELLO: the client falls back to RESP2 and turns its cache off.
  std::vector<std::string> ServerArgs() override { return {"--rename-command", "HELLO", ""}; }
};

TEST_F(RedisResp2Test, FallsBackWithoutHello) {
  auto c = Connect();
  ASSERT_TRUE(c);
  EXPECT_FALSE(c->CacheEnabled());
  EXPECT_EQ(Must(c->Do({"SET", "k", "v"})).str, "OK");
  EXPECT_EQ(Must(c->DoCached({"GET", "k"}, "k")).str, "v");
  auto d = c->Lease();
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(Must((*d)->Do({"HGETALL", "none"})).type, Reply::Type::kArray);  // RESP2: no map
}

}  // namespace
}  // namespace tierfs::net::redis
