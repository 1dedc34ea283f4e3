// One suite every ObjectStore backend must pass (STYLE.md practice 10): mem, file, file behind
// WithEncryption, s3 and minio on a real MinIO (tests/minio_server.h; one bucket per test),
// wasb on a real Azurite (tests/azurite_server.h; one container per test), gs on a real
// fake-gcs-server (tests/gcs_server.h; one bucket per test), each also behind WithPrefix. The
// s3, wasb and gs instances list in pages of 5 keys so that every List test also pages.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "azurite_server.h"
#include "gcs_server.h"
#include "minio_server.h"
#include "object/azure_store.h"
#include "object/encrypted_store.h"
#include "object/file_store.h"
#include "object/gcs_store.h"
#include "object/mem_store.h"
#include "object/object_store.h"
#include "object/s3_store.h"
#include "test_keys.h"

namespace tierfs::object {
namespace {

struct Backend {
  std::string name;
  // Makes a fresh, empty store; `dir` is a fresh temporary directory it may use.
  std::function<std::unique_ptr<ObjectStore>(const std::string& dir)> make;
  // Head and List report the stored bytes: the object's size plus this (a declared difference:
  // the encryption wrapper reports ciphertext sizes, as JuiceFS does).
  uint64_t size_overhead = 0;
};

// Test names and ctest's say "GetParam() = s3" rather than the struct's bytes.
void PrintTo(const Backend& b, std::ostream* os) { *os << b.name; }

class ConformanceTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tierfs-conf-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    store_ = GetParam().make(dir_);
    ASSERT_NE(store_, nullptr) << "cannot make the " << GetParam().name << " store";
    Status created = store_->Create();
    ASSERT_TRUE(created.ok()) << created.ToString();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::vector<std::string> Keys(std::string_view prefix = {}, std::string_view marker = {},
                                size_t limit = 0) {
    auto r = store_->List(prefix, marker, limit);
    EXPECT_TRUE(r.has_value()) << r.error().ToString();
    std::vector<std::string> keys;
    if (r) {
      for (auto& o : *r) keys.push_back(o.key);
    }
    return keys;
  }

  std::string dir_;
  std::unique_ptr<ObjectStore> store_;
};

TEST_P(ConformanceTest, PutGetRoundTrip) {
  ASSERT_TRUE(store_->Put("a/b/c", "hello").ok());
  auto r = store_->Get("a/b/c");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, "hello");
  ASSERT_TRUE(store_->Put("a/b/c", "bye").ok());  // overwrite
  EXPECT_EQ(*store_->Get("a/b/c"), "bye");
  ASSERT_TRUE(store_->Put("empty", "").ok());
  EXPECT_EQ(*store_->Get("empty"), "");
  std::string binary("\0\1\2\xff", 4);
  ASSERT_TRUE(store_->Put("bin", binary).ok());
  EXPECT_EQ(*store_->Get("bin"), binary);
}

TEST_P(ConformanceTest, RangedGet) {
  ASSERT_TRUE(store_->Put("k", "0123456789").ok());
  EXPECT_EQ(*store_->Get("k", 3, 4), "3456");
  EXPECT_EQ(*store_->Get("k", 3), "3456789");
  EXPECT_EQ(*store_->Get("k", 8, 100), "89");  // clipped
  EXPECT_EQ(*store_->Get("k", 10), "");        // at the end
  EXPECT_EQ(*store_->Get("k", 50, 2), "");     // past the end
  EXPECT_EQ(*store_->Get("k", 2, 0), "");
}

TEST_P(ConformanceTest, MissingObjects) {
  auto g = store_->Get("nope/x");
  ASSERT_FALSE(g.has_value());
  EXPECT_EQ(g.error().code(), ENOENT);
  auto h = store_->Head("nope");
  ASSERT_FALSE(h.has_value());
  EXPECT_EQ(h.error().code(), ENOENT);
  EXPECT_TRUE(store_->Delete("nope/x").ok());  // idempotent
}

TEST_P(ConformanceTest, HeadAndDelete) {
  ASSERT_TRUE(store_->Put("d/obj", std::string(1000, 'x')).ok());
  auto h = store_->Head("d/obj");
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(h->key, "d/obj");
  EXPECT_EQ(h->size, 1000u + GetParam().size_overhead);
  EXPECT_GT(h->mtime, 0);
  ASSERT_TRUE(store_->Delete("d/obj").ok());
  EXPECT_EQ(store_->Get("d/obj").error().code(), ENOENT);
  EXPECT_TRUE(store_->Delete("d/obj").ok());
  // A directory left behind by the file backend is not an object.
  EXPECT_EQ(store_->Head("d").error().code(), ENOENT);
  EXPECT_EQ(store_->Get("d").error().code(), ENOENT);
}

TEST_P(ConformanceTest, InvalidKeys) {
  for (const char* key : {"", "/abs", "a//b", "a/./b", "../x", "a/..", "dir/"}) {
    EXPECT_EQ(store_->Put(key, "x").code(), EINVAL) << key;
    EXPECT_EQ(store_->Get(key).error().code(), EINVAL) << key;
  }
}

TEST_P(ConformanceTest, ListIsLexicographic) {
  // '.' (0x2E) < '/' (0x2F) < '0': a file-tree walk must still produce key order.
  std::vector<std::string> keys = {"a/c/d", "a.txt", "a/b", "ab", "a/b0", "a-", "b", "a/c0"};
  for (auto& k : keys) ASSERT_TRUE(store_->Put(k, k).ok());
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(Keys(), keys);
  auto r = store_->List("", "", 0);
  ASSERT_TRUE(r.has_value());
  for (auto& o : *r) EXPECT_EQ(o.size, o.key.size() + GetParam().size_overhead);
}

TEST_P(ConformanceTest, ListPrefixMarkerLimit) {
  for (auto k : {"x/1", "x/2", "x/3/a", "x/3/b", "x/30", "xy", "y/1"}) {
    ASSERT_TRUE(store_->Put(k, "v").ok());
  }
  using V = std::vector<std::string>;
  EXPECT_EQ(Keys("x/"), (V{"x/1", "x/2", "x/3/a", "x/3/b", "x/30"}));
  EXPECT_EQ(Keys("x/3"), (V{"x/3/a", "x/3/b", "x/30"}));
  EXPECT_EQ(Keys("x"), (V{"x/1", "x/2", "x/3/a", "x/3/b", "x/30", "xy"}));
  EXPECT_EQ(Keys("x/", "x/2"), (V{"x/3/a", "x/3/b", "x/30"}));
  EXPECT_EQ(Keys("x/", "x/3/a"), (V{"x/3/b", "x/30"}));
  EXPECT_EQ(Keys("x/", "x/25"), (V{"x/3/a", "x/3/b", "x/30"}));  // marker need not exist
  EXPECT_EQ(Keys("", "", 3), (V{"x/1", "x/2", "x/3/a"}));
  EXPECT_EQ(Keys("", "x/3/a", 2), (V{"x/3/b", "x/30"}));
  EXPECT_EQ(Keys("", "a", 1), (V{"x/1"}));  // marker before the prefix range
  EXPECT_EQ(Keys("z"), V{});
  EXPECT_EQ(Keys("", "y/1"), V{});
}

TEST_P(ConformanceTest, PagingVisitsEveryKeyOnce) {
  std::vector<std::string> keys;
  for (int i = 0; i < 57; ++i) keys.push_back("p/" + std::to_string(i % 7) + "/" + std::to_string(i));
  for (auto& k : keys) ASSERT_TRUE(store_->Put(k, "").ok());
  std::sort(keys.begin(), keys.end());
  std::vector<std::string> seen;
  std::string marker;
  while (true) {
    auto page = Keys("p/", marker, 10);
    if (page.empty()) break;
    seen.insert(seen.end(), page.begin(), page.end());
    marker = page.back();
  }
  EXPECT_EQ(seen, keys);
}

TEST_P(ConformanceTest, ConcurrentPutGet) {
  constexpr int kThreads = 4, kPerThread = 50;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string key = "c/" + std::to_string(i) + "/same";
        std::string val = std::to_string(t) + ":" + std::string(1000 + i, 'v');
        if (!store_->Put(key, val).ok()) ++failures;
        auto got = store_->Get(key);
        // Another thread may have replaced it, but never with a torn object.
        if (!got || got->size() != val.size() || got->substr(1) != val.substr(1)) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(Keys("c/").size(), size_t{kPerThread});
}

TEST_P(ConformanceTest, WithPrefix) {
  auto vol = WithPrefix(GetParam().make(dir_), "vol/");
  ASSERT_TRUE(vol->Put("chunks/0/0/1_0_6", "abcdef").ok());
  ASSERT_TRUE(store_->Put("other/x", "o").ok());
  EXPECT_EQ(*store_->Get("vol/chunks/0/0/1_0_6"), "abcdef");  // same backing for file
  EXPECT_EQ(*vol->Get("chunks/0/0/1_0_6", 2, 2), "cd");
  EXPECT_EQ(vol->Head("chunks/0/0/1_0_6")->key, "chunks/0/0/1_0_6");
  auto l = vol->List("chunks/", "", 0);
  ASSERT_TRUE(l.has_value());
  ASSERT_EQ(l->size(), 1u);
  EXPECT_EQ((*l)[0].key, "chunks/0/0/1_0_6");
  EXPECT_TRUE(vol->Delete("chunks/0/0/1_0_6").ok());
  EXPECT_EQ(vol->Get("chunks/0/0/1_0_6").error().code(), ENOENT);
}

// mem stores do not share state between instances, so WithPrefix's "same backing" check above
// needs one instance shared by the test fixture and the wrapper.
class Shared final : public ObjectStore {
 public:
  explicit Shared(ObjectStore* s) : s_(s) {}
  std::string Describe() const override { return s_->Describe(); }
  Result<std::string> Get(std::string_view k, uint64_t o, int64_t l) override { return s_->Get(k, o, l); }
  Status Put(std::string_view k, std::string_view d) override { return s_->Put(k, d); }
  Status Delete(std::string_view k) override { return s_->Delete(k); }
  Result<ObjectInfo> Head(std::string_view k) override { return s_->Head(k); }
  Result<std::vector<ObjectInfo>> List(std::string_view p, std::string_view m, size_t l) override {
    return s_->List(p, m, l);
  }
  Status Create() override { return s_->Create(); }

 private:
  ObjectStore* s_;
};

// A bucket of the shared MinIO named after the test directory (so that the two stores the
// WithPrefix test makes share it), or nullptr with the reason as a test failure.
std::unique_ptr<ObjectStore> OnMinio(const std::string& storage, const std::string& dir,
                                     size_t list_page_size) {
  std::string why;
  ::tierfs::testing::MinioServer* minio = ::tierfs::testing::MinioServer::Shared(&why);
  if (minio == nullptr) {
    ADD_FAILURE() << "MinIO: " << why;
    return nullptr;
  }
  StoreConfig c;
  c.storage = storage;
  c.bucket = minio->endpoint() + "/conf-" + std::to_string(std::hash<std::string>()(dir) % 1000000007);
  c.access_key = ::tierfs::testing::MinioServer::kUser;
  c.secret_key = ::tierfs::testing::MinioServer::kPassword;
  // No environment: an AWS_REGION of the machine must not change what the suite tests.
  EnvLookup no_env = [](const char*) { return std::optional<std::string>(); };
  auto loc = storage == "s3" ? ParseS3Location(c, no_env) : ParseMinioLocation(c, no_env);
  if (!loc) {
    ADD_FAILURE() << loc.error().ToString();
    return nullptr;
  }
  S3Options opts;
  opts.list_page_size = list_page_size;
  return std::make_unique<S3Store>(std::move(*loc), opts);
}

// A container of the shared Azurite named after the test directory (tests/azurite_server.h),
// listed in pages of 5 blobs so that every List test also pages.
std::unique_ptr<ObjectStore> OnAzurite(const std::string& dir) {
  std::string why;
  ::tierfs::testing::AzuriteServer* azurite = ::tierfs::testing::AzuriteServer::Shared(&why);
  if (azurite == nullptr) {
    ADD_FAILURE() << "Azurite: " << why;
    return nullptr;
  }
  StoreConfig c;
  c.storage = "wasb";
  c.bucket =
      azurite->endpoint() + "/conf-" + std::to_string(std::hash<std::string>()(dir) % 1000000007);
  c.secret_key = kAzuriteKey;
  auto loc = ParseAzureLocation(c, [](const char*) { return std::optional<std::string>(); });
  if (!loc) {
    ADD_FAILURE() << loc.error().ToString();
    return nullptr;
  }
  AzureOptions opts;
  opts.list_page_size = 5;
  return std::make_unique<AzureStore>(std::move(*loc), opts);
}

// A bucket of the shared fake-gcs-server named after the test directory (tests/gcs_server.h),
// listed in pages of 5 objects.
std::unique_ptr<ObjectStore> OnFakeGcs(const std::string& dir) {
  std::string why;
  ::tierfs::testing::GcsServer* gcs = ::tierfs::testing::GcsServer::Shared(&why);
  if (gcs == nullptr) {
    ADD_FAILURE() << "fake-gcs-server: " << why;
    return nullptr;
  }
  StoreConfig c;
  c.storage = "gs";
  c.bucket =
      gcs->endpoint() + "/conf-" + std::to_string(std::hash<std::string>()(dir) % 1000000007);
  auto loc = ParseGcsLocation(c, [](const char*) { return std::optional<std::string>(); });
  if (!loc) {
    ADD_FAILURE() << loc.error().ToString();
    return nullptr;
  }
  GcsOptions opts;
  opts.list_page_size = 5;
  return std::make_unique<GcsStore>(std::move(*loc), opts);
}

INSTANTIATE_TEST_SUITE_P(
    Backends, ConformanceTest,
    ::testing::Values(
        Backend{"mem",
                [](const std::string& dir) -> std::unique_ptr<ObjectStore> {
                  // One MemStore per test directory, so each test starts empty.
                  static std::map<std::string, std::shared_ptr<MemStore>> by_dir;
                  static std::mutex mu;
                  std::lock_guard lock(mu);
                  auto& m = by_dir[dir];
                  if (!m) m = std::make_shared<MemStore>(dir);
                  return std::make_unique<Shared>(m.get());
                }},
        Backend{"file",
                [](const std::string& dir) -> std::unique_ptr<ObjectStore> {
                  return std::make_unique<FileStore>(dir + "/bucket/");
                }},
        Backend{"encrypted_file",
                [](const std::string& dir) -> std::unique_ptr<ObjectStore> {
                  // One 2048-bit key per test process (ctest runs each test alone).
                  static struct Keys : testing::TestKeys {
                    bool made = Make(/*all=*/false);
                    ~Keys() { Remove(); }
                  } keys;
                  auto key = RsaKey::FromPem(keys.Pem("pkcs8.pem"), "");
                  if (!keys.made || !key) return nullptr;
                  auto cipher = ObjectCipher::New(*key, CipherAlgo::kAes256Gcm);
                  if (!cipher) return nullptr;
                  return WithEncryption(std::make_unique<FileStore>(dir + "/bucket/"), *cipher);
                },
                /*size_overhead=*/3 + 256 + 12 + 16},
        Backend{"s3", [](const std::string& dir) { return OnMinio("s3", dir, 5); }},
        Backend{"minio", [](const std::string& dir) { return OnMinio("minio", dir, 1000); }},
        Backend{"wasb", [](const std::string& dir) { return OnAzurite(dir); }},
        Backend{"gs", [](const std::string& dir) { return OnFakeGcs(dir); }}),
    [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace tierfs::object
