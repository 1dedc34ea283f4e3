#include "util/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <latch>

namespace tierfs {
namespace {

TEST(ThreadPoolTest, RunsEverything) {
  std::atomic<int> n{0};
  WaitGroup wg;
  {
    ThreadPool pool(3, 4);
    for (int i = 0; i < 1000; ++i) {
      wg.Add();
      ASSERT_TRUE(pool.Submit([&] {
                        n.fetch_add(1);
                        wg.Done();
                      })
                      .ok());
    }
    wg.Wait();
    EXPECT_EQ(n.load(), 1000);
  }
}

TEST(ThreadPoolTest, SubmitBlocksWhenFull) {
  ThreadPool pool(1, 2);
  std::latch running(1);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  // The worker takes this one and blocks in it; then two tasks fill the queue.
  ASSERT_TRUE(pool.Submit([&] {
                    running.count_down();
                    released.wait();
                  })
                  .ok());
  running.wait();
  ASSERT_TRUE(pool.Submit([] {}).ok());
  ASSERT_TRUE(pool.Submit([] {}).ok());
  EXPECT_EQ(pool.queued(), 2u);
  EXPECT_EQ(pool.TrySubmit([] {}).code(), EAGAIN);

  // A fourth Submit must wait for room: it cannot have returned while the worker is held.
  std::atomic<bool> returned{false};
  std::latch about_to_submit(1);
  std::thread producer([&] {
    about_to_submit.count_down();
    ASSERT_TRUE(pool.Submit([] {}).ok());
    returned = true;
  });
  about_to_submit.wait();
  // The queue stays full as long as the worker is held, so the producer cannot get room.
  EXPECT_EQ(pool.queued(), 2u);
  EXPECT_FALSE(returned.load());
  release.set_value();
  producer.join();
  EXPECT_TRUE(returned.load());
}

TEST(ThreadPoolTest, StopDrainsQueuedTasksAndRefusesNew) {
  std::atomic<int> n{0};
  ThreadPool pool(1, 100);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  ASSERT_TRUE(pool.Submit([&] { released.wait(); }).ok());
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(pool.Submit([&] { n.fetch_add(1); }).ok());
  std::thread stopper([&] { pool.Stop(); });
  release.set_value();
  stopper.join();
  EXPECT_EQ(n.load(), 50);
  EXPECT_EQ(pool.Submit([] {}).code(), ESHUTDOWN);
  EXPECT_EQ(pool.TrySubmit([] {}).code(), ESHUTDOWN);
  pool.Stop();  // idempotent
}

TEST(ThreadPoolTest, StopWakesBlockedProducers) {
  ThreadPool pool(1, 1);
  std::latch running(1);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  ASSERT_TRUE(pool.Submit([&] {
                    running.count_down();
                    released.wait();
                  })
                  .ok());
  running.wait();
  ASSERT_TRUE(pool.Submit([] {}).ok());  // fills the queue
  // Stop() marks the pool stopping before it joins, so the producer (blocked for room, or
  // arriving after) is refused while the worker is still held: no release needed first.
  std::promise<Status> result;
  std::thread producer([&] { result.set_value(pool.Submit([] {})); });
  std::thread stopper([&] { pool.Stop(); });
  Status st = result.get_future().get();
  EXPECT_EQ(st.code(), ESHUTDOWN);
  release.set_value();
  producer.join();
  stopper.join();
}

TEST(WaitGroupTest, WaitsForAll) {
  WaitGroup wg;
  wg.Wait();  // zero: returns at once
  std::atomic<int> n{0};
  std::vector<std::thread> ts;
  wg.Add(8);
  for (int i = 0; i < 8; ++i) {
    ts.emplace_back([&] {
      n.fetch_add(1);
      wg.Done();
    });
  }
  wg.Wait();
  EXPECT_EQ(n.load(), 8);
  for (auto& t : ts) t.join();
}

}  // namespace
}  // namespace tierfs
