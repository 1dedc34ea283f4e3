// redis_client_bench: GET/SET ops/s through Client::Do from 1, 4, 16, 64 threads, against one
// command per round trip on one plain connection (a Dedicated lease used synchronously).
// Starts its own redis-server (tests/redis_server.h) unless given a URL:
//   ninja -C build redis_client_bench && build/bench/redis_client/redis_client_bench [url] [seconds]
// Compare with the server's own ceiling:
//   redis-benchmark -p <port> -P 16 -t get,set -q     (16 commands per round trip, 50 clients)
//   redis-benchmark -p <port> -P 1 -c 1 -t get,set -q (one command per round trip)
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include "net/redis/client.h"
#include "redis_server.h"

using namespace tierfs::net::redis;
using Clock = std::chrono::steady_clock;

namespace {

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

Command SetOrGet(int t, uint64_t i) {
  std::string key = "bench:" + std::to_string(t) + ":" + std::to_string(i % 1000);
  if (i % 2 == 0) return {"SET", key, "0123456789abcdef0123456789abcdef"};
  return {"GET", key};
}

}  // namespace

int main(int argc, char** argv) {
  tierfs::testing::RedisServer server;
  std::string url;
  if (argc > 1) {
    url = argv[1];
  } else {
    if (auto s = server.Start(); !s.ok()) {
      std::fprintf(stderr, "starting redis-server: %s\n", s.ToString().c_str());
      return 1;
    }
    url = server.url();
  }
  double seconds = argc > 2 ? std::atof(argv[2]) : 2.0;
  auto opt = OptionsFromUrl(url);
  if (!opt) return std::fprintf(stderr, "%s\n", opt.error().ToString().c_str()), 1;
  opt->client_cache = false;
  auto client = Client::Connect(*opt);
  if (!client) return std::fprintf(stderr, "%s\n", client.error().ToString().c_str()), 1;
  Client& c = **client;

  auto lease = c.Lease();
  if (!lease) return 1;
  double single = Measure(1, seconds, [&](int t, uint64_t i) { (void)(*lease)->Do(SetOrGet(t, i)); });
  lease->reset();
  std::printf("| mode | threads | ops/s | writes/command |\n|---|---|---|---|\n");
  std::printf("| one command per round trip (1 connection) | 1 | %.0f | 1 |\n", single);
  for (int threads : {1, 4, 16, 64}) {
    ClientStats before = c.Stats();
    double ops = Measure(threads, seconds, [&](int t, uint64_t i) { (void)c.Do(SetOrGet(t, i)); });
    ClientStats after = c.Stats();
    std::printf("| Client::Do (%d pipelines) | %d | %.0f | %.3f |\n", opt->pipelines, threads, ops,
                double(after.writes - before.writes) / double(after.commands - before.commands));
  }
  // 16 threads with 8 requests in flight each: what a batched caller gets.
  double batched = Measure(16, seconds, [&](int t, uint64_t i) {
    std::vector<Future<tierfs::Result<Reply>>> fs;
    for (int k = 0; k < 8; k++) fs.push_back(c.Send(SetOrGet(t, i * 8 + k)));
    for (auto& f : fs) (void)f.Get();
  });
  std::printf("| Client::Send, 8 in flight per thread | 16 | %.0f | |\n", batched * 8);
  return 0;
}
