// Checks shared by the tests of the HTTP backends (s3_store_test, azure_store_test,
// gcs_store_test) on their real servers, beyond the conformance suite: ranges at and past
// the end, keys that URLs and XML/JSON treat specially, a dead endpoint, an HTTP server that
// is not an object store. Each Expect* reports through gtest EXPECT/ASSERT in the caller's test.
// Thread-safety: one test thread (PutConcurrently starts its own threads and joins them).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "local_http_server.h"
#include "object/object_store.h"
#include "port_holder.h"

namespace tierfs::object::testing {

inline std::string RandomBytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string s(n, '\0');
  for (size_t i = 0; i + 8 <= n; i += 8) {
    uint64_t v = rng();
    std::memcpy(&s[i], &v, 8);
  }
  return s;
}

// "<prefix><the running test's name in lower case>", cut to 63 characters: a bucket or
// container name of its own for each test.
inline std::string NameForThisTest(const std::string& prefix) {
  std::string name = prefix;
  for (char c : std::string(::testing::UnitTest::GetInstance()->current_test_info()->name())) {
    name += char(std::tolower(static_cast<unsigned char>(c)));
  }
  return name.substr(0, 63);
}

inline std::vector<std::string> Names(const std::vector<ObjectInfo>& objects) {
  std::vector<std::string> out;
  for (const ObjectInfo& o : objects) out.push_back(o.key);
  return out;
}

// Puts every key (value "x") from 8 threads; the number of failed Puts.
inline int PutConcurrently(ObjectStore& store, const std::vector<std::string>& keys) {
  constexpr size_t kThreads = 8;
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (size_t t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (size_t i = t; i < keys.size(); i += kThreads) {
        if (!store.Put(keys[i], "x").ok()) ++failed;
      }
    });
  }
  for (auto& th : threads) th.join();
  return failed.load();
}

// `n` keys "many/<i>" and one "other" put through `store`, then listed through each of
// `readers` (the same bucket, other page sizes): all of them, the first n - 50, those after
// the middle one, and everything.
inline void ExpectListingPages(ObjectStore& store, const std::vector<ObjectStore*>& readers,
                               int n) {
  std::vector<std::string> keys;
  for (int i = 0; i < n; ++i) keys.push_back("many/" + std::to_string(i));
  ASSERT_EQ(PutConcurrently(store, keys), 0);
  ASSERT_TRUE(store.Put("other", "y").ok());
  std::sort(keys.begin(), keys.end());
  const size_t half = keys.size() / 2, most = keys.size() - 50;
  for (ObjectStore* s : readers) {
    auto all = s->List("many/");
    ASSERT_TRUE(all.has_value()) << all.error().ToString();
    EXPECT_EQ(Names(*all), keys);
    auto limited = s->List("many/", "", most);
    ASSERT_TRUE(limited.has_value()) << limited.error().ToString();
    EXPECT_EQ(Names(*limited), std::vector<std::string>(keys.begin(), keys.begin() + most));
    auto after = s->List("many/", keys[half - 1], 0);
    ASSERT_TRUE(after.has_value()) << after.error().ToString();
    EXPECT_EQ(Names(*after), std::vector<std::string>(keys.begin() + half, keys.end()));
    EXPECT_EQ(s->List("")->size(), keys.size() + 1);
  }
}

// JuiceFS objbench's special key (its "测试编码文件" prefix, JSON, a \x1f and '%'), then
// characters that URLs, XML and JSON treat specially.
inline std::vector<std::string> KeysThatNeedEncoding(bool with_control_char = true) {
  return {std::string("\xe6\xb5\x8b\xe8\xaf\x95\xe7\xbc\x96\xe7\xa0\x81\xe6\x96\x87\xe4\xbb\xb6"
                      "{\"name\":\"juicefs\"}") +
              (with_control_char ? "\x1f" : "") + "%uFF081%uFF09.jpg",
          "sp ace+plus",
          "q?hash#amp&eq=semi;",
          "tilde~star*paren()",
          "pct%2Fnot-a-slash",
          "lt<gt>quot\"apos'",
          "dir/a\tb"};
}

// Each key goes in, comes back, is listed in order, and goes away; a List starting after the
// special key's Chinese prefix returns exactly that key (objbench checks this).
inline void ExpectKeysRoundTrip(ObjectStore& store, const std::vector<std::string>& keys) {
  for (const std::string& k : keys) {
    ASSERT_TRUE(store.Put(k, "v:" + k).ok()) << k;
    auto got = store.Get(k);
    ASSERT_TRUE(got.has_value()) << k << ": " << got.error().ToString();
    EXPECT_EQ(*got, "v:" + k);
    EXPECT_EQ(store.Head(k)->size, k.size() + 2);
  }
  auto all = store.List("");
  ASSERT_TRUE(all.has_value()) << all.error().ToString();
  std::vector<std::string> want = keys;
  std::sort(want.begin(), want.end());
  EXPECT_EQ(Names(*all), want);
  auto after =
      store.List("", "\xe6\xb5\x8b\xe8\xaf\x95\xe7\xbc\x96\xe7\xa0\x81\xe6\x96\x87\xe4\xbb\xb6");
  ASSERT_TRUE(after.has_value()) << after.error().ToString();
  ASSERT_EQ(after->size(), 1u);
  EXPECT_EQ((*after)[0].key, keys[0]);
  for (const std::string& k : keys) EXPECT_TRUE(store.Delete(k).ok()) << k;
  EXPECT_TRUE(store.List("")->empty());
}

// `key` holds `data` (tens of MiB, put in parts): ranges across the 16 MiB part boundaries,
// the tail, a long range, and the whole object read back.
inline void ExpectBigObjectByRanges(ObjectStore& store, const std::string& key,
                                    const std::string& data) {
  EXPECT_EQ(store.Head(key)->size, data.size());
  struct Range {
    uint64_t off;
    int64_t len;
  };
  for (Range r : {Range{0, 100}, Range{(16 << 20) - 10, 20}, Range{(32 << 20) - 1, 2},
                  Range{data.size() - 5, 100}, Range{12345, 5 << 20}}) {
    auto got = store.Get(key, r.off, r.len);
    ASSERT_TRUE(got.has_value()) << got.error().ToString();
    EXPECT_EQ(*got, data.substr(r.off, size_t(r.len))) << r.off;
  }
  EXPECT_EQ(*store.Get(key), data);
}

// Ranges at and past the end of a 10-byte and an empty object, and of a missing one.
inline void ExpectRangesPastTheEnd(ObjectStore& store) {
  ASSERT_TRUE(store.Put("r", "0123456789").ok());
  EXPECT_EQ(*store.Get("r", 10), "");  // the servers answer 416 here
  EXPECT_EQ(*store.Get("r", 10, 5), "");
  EXPECT_EQ(*store.Get("r", 1000, 1), "");
  EXPECT_EQ(*store.Get("r", 8, 1000), "89");  // clipped
  EXPECT_EQ(*store.Get("r", 9, 1), "9");
  ASSERT_TRUE(store.Put("empty", "").ok());
  EXPECT_EQ(*store.Get("empty", 0, 5), "");
  EXPECT_EQ(*store.Get("empty", 3), "");
  EXPECT_EQ(store.Get("nope", 10, 5).error().code(), ENOENT);
  EXPECT_EQ(store.Get("nope", 0, 0).error().code(), ENOENT);
}

// `make(host)` builds the store aimed at "127.0.0.1:PORT" with 500 ms connect and request
// timeouts. A port nobody listens on fails at once with EIO naming it; a server that accepts
// and never answers fails with ETIMEDOUT within the timeout (plus slack).
inline void ExpectDeadEndpointFails(
    const std::function<std::unique_ptr<ObjectStore>(const std::string& host)>& make) {
  using std::chrono::milliseconds;
  using std::chrono::steady_clock;
  std::string host = "127.0.0.1:" + std::to_string(::tierfs::testing::PortHolder::ClosedPort());
  auto refused = make(host);
  auto start = steady_clock::now();
  Status st = refused->Put("k", "v");
  EXPECT_EQ(st.code(), EIO) << st.ToString();
  EXPECT_NE(st.message().find(host), std::string::npos) << st.message();
  EXPECT_LT(steady_clock::now() - start, milliseconds(500));

  ::tierfs::testing::PortHolder hung;  // accepts the connection, never answers
  auto silent = make("127.0.0.1:" + std::to_string(hung.port()));
  start = steady_clock::now();
  auto got = silent->Get("k");
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().code(), ETIMEDOUT) << got.error().ToString();
  EXPECT_LT(steady_clock::now() - start, milliseconds(2500));
}

// An HTTP server that is not an object store: every GET gets an HTML page, every other
// request 405. port() <= 0 when it could not start.
class HtmlServer {
 public:
  HtmlServer() {
    auto page = [](const httplib::Request&, httplib::Response& res) {
      res.set_content("<html><body>It works!</body></html>", "text/html");
    };
    auto refuse = [](const httplib::Request&, httplib::Response& res) { res.status = 405; };
    http_.server().Get(".*", page);
    http_.server().Put(".*", refuse);
    http_.server().Post(".*", refuse);
    http_.server().Delete(".*", refuse);
    started_ = http_.Start();
  }
  int port() const { return started_ ? http_.port() : -1; }

 private:
  ::tierfs::testing::LocalHttpServer http_;
  bool started_ = false;
};

}  // namespace tierfs::object::testing
