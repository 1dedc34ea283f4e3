// redis_client_bench: SET / GET / HGET ops/s through Client::Do from 1, 4, 16, 64 threads, against
// one command per round trip on one plain connection (a Dedicated lease used synchronously) and 16
// threads with 8 requests in flight each (Client::Send). Starts its own redis-server
// (tests/redis_server.h) unless given a URL:
//   ninja -C build redis_client_bench && build/bench/redis_client/redis_client_bench [url] [seconds] [ops]
// ops: comma-separated subset of set,get,hget (default all). One table row per (op, mode, threads).
// bench/redis_client/compare.py runs this and `redis-benchmark -P 16` (the server's pipelined
// ceiling) on one fresh redis-server and prints one table with the ratios.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <sstream>
#include <thread>
#include <vector>

#include "net/redis/client.h"
#include "redis_server.h"

using namespace tierfs::net::redis;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kKeys = 1000;  // per thread: the keys / hash fields each thread cycles through
const std::string kValue = "0123456789abcdef0123456789abcdef";

// Runs op(thread, i) from `threads` threads for `seconds`; returns ops/s.
template <class Op>
double Measure(int threads, double seconds, Op op) {
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> total{0};
  std::vector<std::thread> ts;
  auto t0 = Clock::now();
  for (int t = 0; t < threads; t++)
    ts.emplace_back([&, t] {
      uint64_t n = 0;
      while (!stop.load(std::memory_order_relaxed)) op(t, n++);
      total += n;
    });
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));  // the measuring window
  stop = true;
  for (auto& t : ts) t.join();
  return double(total) / std::chrono::duration<double>(Clock::now() - t0).count();
}

// The command of op `name` for thread t, iteration i. GET and HGET hit keys SET / HSET beforehand.
Command Make(const std::string& name, int t, uint64_t i) {
  std::string k = std::to_string(i % kKeys);
  if (name == "set") return {"SET", "bench:" + std::to_string(t) + ":" + k, kValue};
  if (name == "get") return {"GET", "bench:" + std::to_string(t) + ":" + k};
  return {"HGET", "bench:h" + std::to_string(t), k};
}

}  // namespace

int main(int argc, char** argv) {
  tierfs::testing::RedisServer server;
  std::string url;
  if (argc > 1 && std::string(argv[1]) != "-") {
    url = argv[1];
  } else {
    if (auto s = server.Start(); !s.ok()) {
      std::fprintf(stderr, "starting redis-server: %s\n", s.ToString().c_str());
      return 1;
    }
    url = server.url();
  }
  double seconds = argc > 2 ? std::atof(argv[2]) : 2.0;
  std::vector<std::string> ops;
  {
    std::stringstream ss(argc > 3 ? argv[3] : "set,get,hget");
    for (std::string op; std::getline(ss, op, ',');) {
      if (op != "set" && op != "get" && op != "hget")
        return std::fprintf(stderr, "unknown op %s (set,get,hget)\n", op.c_str()), 2;
      ops.push_back(op);
    }
  }
  auto opt = OptionsFromUrl(url);
  if (!opt) return std::fprintf(stderr, "%s\n", opt.error().ToString().c_str()), 1;
  opt->client_cache = false;  // every GET / HGET goes to the server
  auto client = Client::Connect(*opt);
  if (!client) return std::fprintf(stderr, "%s\n", client.error().ToString().c_str()), 1;
  Client& c = **client;

  // The keys and hash fields GET and HGET read, for up to 64 threads.
  for (int t = 0; t < 64; t++) {
    std::vector<Command> fill;
    for (int k = 0; k < kKeys; k++) {
      fill.push_back(Make("set", t, k));
      fill.push_back({"HSET", "bench:h" + std::to_string(t), std::to_string(k), kValue});
    }
    for (auto& r : c.DoAll(std::move(fill)))
      if (!r) return std::fprintf(stderr, "fill: %s\n", r.error().ToString().c_str()), 1;
  }

  std::printf("| op | mode | threads | ops/s | writes/command |\n|---|---|---|---:|---:|\n");
  for (const auto& name : ops) {
    auto lease = c.Lease();
    if (!lease) return 1;
    double single =
        Measure(1, seconds, [&](int t, uint64_t i) { (void)(*lease)->Do(Make(name, t, i)); });
    lease->reset();
    std::printf("| %s | one command per round trip (1 connection) | 1 | %.0f | 1 |\n", name.c_str(),
                single);
    for (int threads : {1, 4, 16, 64}) {
      ClientStats before = c.Stats();
      double r = Measure(threads, seconds, [&](int t, uint64_t i) { (void)c.Do(Make(name, t, i)); });
      ClientStats after = c.Stats();
      std::printf("| %s | Client::Do (%d pipelines) | %d | %.0f | %.3f |\n", name.c_str(),
                  opt->pipelines, threads, r,
                  double(after.writes - before.writes) / double(after.commands - before.commands));
    }
    // 16 threads with 8 requests in flight each: what a batched caller gets.
    ClientStats before = c.Stats();
    double batched = Measure(16, seconds, [&](int t, uint64_t i) {
      std::vector<Future<tierfs::Result<Reply>>> fs;
      for (int k = 0; k < 8; k++) fs.push_back(c.Send(Make(name, t, i * 8 + k)));
      for (auto& f : fs) (void)f.Get();
    });
    ClientStats after = c.Stats();
    std::printf("| %s | Client::Send, 8 in flight per thread | 16 | %.0f | %.3f |\n", name.c_str(),
                batched * 8,
                double(after.writes - before.writes) / double(after.commands - before.commands));
    std::fflush(stdout);
  }
  return 0;
}
