// The functional checks (store_check.h): every row passes on the mem and file backends, on a
// real MinIO (s3 backend, small list pages) and behind encryption; a backend that fails one kind of
// request (FaultyStore) or returns wrong bytes fails the rows of that request and no other;
// ProbeStore creates a missing bucket and keeps the backend's message.
#include "object/store_check.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <set>

#include "minio_server.h"
#include "object/encrypted_store.h"
#include "object/faulty_store.h"
#include "object/file_store.h"
#include "object/mem_store.h"
#include "object/s3_config.h"
#include "object/s3_store.h"
#include "test_keys.h"

namespace tierfs::object {
namespace {

// Small enough to keep the suite quick; the file test runs the default (64 MiB) once.
CheckOptions QuickOptions() {
  CheckOptions o;
  o.large_object_size = 3 * kMiB + 17;
  return o;
}

std::map<std::string, CheckResult> ByName(const std::vector<CheckResult>& rows) {
  std::map<std::string, CheckResult> m;
  for (const auto& r : rows) m[r.name] = r;
  return m;
}

// Every row but those in `failing` passes; those have `outcome`. Returns the rows by name.
std::map<std::string, CheckResult> ExpectOnly(const std::vector<CheckResult>& rows,
                                              const std::set<std::string>& failing,
                                              CheckOutcome outcome = CheckOutcome::kFail) {
  auto m = ByName(rows);
  EXPECT_EQ(m.size(), rows.size()) << "row names must be unique";
  for (const auto& name : failing) EXPECT_TRUE(m.count(name)) << "no row named " << name;
  for (const auto& r : rows) {
    CheckOutcome want = failing.count(r.name) ? outcome : CheckOutcome::kPass;
    EXPECT_EQ(OutcomeName(r.outcome), OutcomeName(want))
        << r.category << " / " << r.name << ": " << r.error.ToString();
  }
  return m;
}

std::vector<std::string> AllKeys(ObjectStore& store) {
  std::vector<std::string> keys;
  auto listed = store.List("");
  EXPECT_TRUE(listed.has_value()) << listed.error().ToString();
  if (listed)
    for (const auto& o : *listed) keys.push_back(o.key);
  return keys;
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/tierfs-check-XXXXXX";
    EXPECT_NE(mkdtemp(tmpl), nullptr);
    path_ = tmpl;
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(StoreCheckTest, EveryRowPassesOnMemAndLeavesNothing) {
  auto mem = std::make_unique<MemStore>();
  MemStore* raw = mem.get();
  auto store = WithPrefix(std::move(mem), "bench/");
  std::vector<std::string> seen;
  auto rows = RunFunctionalChecks(*store, QuickOptions(),
                                  [&](const CheckResult& r) { seen.push_back(r.name); });
  ExpectOnly(rows, {});
  EXPECT_TRUE(AllPassed(rows));
  ASSERT_EQ(seen.size(), rows.size());  // on_row saw every row, in order
  EXPECT_EQ(seen.front(), "create the bucket and probe it");
  EXPECT_EQ(rows.size(), 17u);
  EXPECT_TRUE(AllKeys(*raw).empty());
}

TEST(StoreCheckTest, EveryRowPassesOnFileWithTheDefaultLargeObject) {
  TempDir dir;
  FileStore file(dir.path() + "/bucket/");  // the bucket directory does not exist yet
  auto rows = RunFunctionalChecks(file);
  ExpectOnly(rows, {});
  EXPECT_TRUE(AllKeys(file).empty());
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir.path()))
    EXPECT_FALSE(e.is_regular_file()) << "left behind: " << e.path();
}

// MinIO through the s3 backend: 7 keys per ListObjectsV2 page, so that the list rows walk the
// server's continuation tokens, and the 64 MiB object goes up in parts (above 32 MiB).
TEST(StoreCheckTest, EveryRowPassesOnMinio) {
  std::string why;
  ::tierfs::testing::MinioServer* minio = ::tierfs::testing::MinioServer::Shared(&why);
  ASSERT_NE(minio, nullptr) << why;
  StoreConfig c;
  c.storage = "s3";
  c.bucket = minio->endpoint() + "/store-check";  // created by the probe
  c.access_key = ::tierfs::testing::MinioServer::kUser;
  c.secret_key = ::tierfs::testing::MinioServer::kPassword;
  auto loc = ParseS3Location(c, [](const char*) { return std::optional<std::string>(); });
  ASSERT_TRUE(loc.has_value()) << loc.error().ToString();
  S3Options opts;
  opts.list_page_size = 7;
  auto store = WithPrefix(std::make_unique<S3Store>(std::move(*loc), opts), "check/");
  auto rows = RunFunctionalChecks(*store);
  ExpectOnly(rows, {});
  EXPECT_TRUE(AllKeys(*store).empty());
}

class EncryptedCheckTest : public testing::WithTestKeys<> {};

TEST_F(EncryptedCheckTest, ProbeAndChecksPassThroughEncryption) {
  auto cipher = Cipher("pkcs8.pem", CipherAlgo::kAes256Gcm);
  ASSERT_NE(cipher, nullptr);
  auto store = WithEncryption(std::make_unique<MemStore>(), cipher);
  EXPECT_TRUE(ProbeStore(*store).ok());
  // Head and List report ciphertext sizes: the rows that compare sizes with the plaintext's
  // are the declared difference; everything that reads bytes back passes.
  auto rows = RunFunctionalChecks(*store, QuickOptions());
  ExpectOnly(rows, {"overwrite an object", "put an empty object", "head an object",
                    "list by prefix", "special characters in keys", "put a large object"});
}

TEST(StoreCheckTest, ProbeCreatesAMissingBucket) {
  FaultyStore store(std::make_unique<MemStore>());
  std::vector<ObjectOp> ops;
  store.SetInterceptor([&](const ObjectRequest& r) {
    ops.push_back(r.op);
    return Status::Ok();
  });
  store.FailNth(1, Status(ENOENT, "NoSuchBucket: The specified bucket does not exist"));
  EXPECT_TRUE(ProbeStore(store).ok());
  ASSERT_GE(ops.size(), 3u);
  EXPECT_EQ(ops[0], ObjectOp::kPut);
  EXPECT_EQ(ops[1], ObjectOp::kCreate);
  EXPECT_EQ(ops[2], ObjectOp::kPut);
  EXPECT_TRUE(AllKeys(*store.inner()).empty());
}

TEST(StoreCheckTest, ProbeKeepsTheBackendsMessageAndDoesNotCreateWhenDenied) {
  FaultyStore store(std::make_unique<MemStore>());
  bool created = false;
  store.SetInterceptor([&](const ObjectRequest& r) {
    if (r.op == ObjectOp::kCreate) created = true;
    return Status::Ok();
  });
  store.FailWhen([](const ObjectRequest& r) { return r.op == ObjectOp::kPut; },
                 Status(EACCES, "AccessDenied: Access Denied."));
  Status s = ProbeStore(store);
  EXPECT_EQ(s.code(), EACCES);
  EXPECT_TRUE(s.message().starts_with("put testing/")) << s.message();
  EXPECT_NE(s.message().find("EACCES: AccessDenied: Access Denied."), std::string::npos)
      << s.message();
  EXPECT_FALSE(created);
}

TEST(StoreCheckTest, ProbeReportsBothErrorsWhenCreateFailsToo) {
  FaultyStore store(std::make_unique<MemStore>());
  store.FailWhen(
      [](const ObjectRequest& r) { return r.op == ObjectOp::kPut || r.op == ObjectOp::kCreate; },
      Status(EIO, "connection refused"));
  Status s = ProbeStore(store);
  EXPECT_EQ(s.code(), EIO);
  EXPECT_TRUE(s.message().starts_with("create the bucket: EIO: connection refused")) << s.message();
  EXPECT_NE(s.message().find("after put testing/"), std::string::npos) << s.message();
}

TEST(StoreCheckTest, ProbeFailsWhenDeleteFails) {
  FaultyStore store(std::make_unique<MemStore>());
  store.FailWhen([](const ObjectRequest& r) { return r.op == ObjectOp::kDelete; },
                 Status(EACCES, "no delete permission"));
  Status s = ProbeStore(store);
  EXPECT_EQ(s.code(), EACCES);
  EXPECT_TRUE(s.message().starts_with("delete testing/")) << s.message();
}

TEST(StoreCheckTest, AFailedProbeSkipsTheRest) {
  FaultyStore store(std::make_unique<MemStore>());
  store.FailWhen([](const ObjectRequest& r) { return r.op == ObjectOp::kHead; },
                 Status(EIO, "injected head failure"));
  auto rows = RunFunctionalChecks(store, QuickOptions());
  ASSERT_EQ(rows.size(), 17u);
  EXPECT_EQ(rows[0].outcome, CheckOutcome::kFail);
  EXPECT_NE(rows[0].error.message().find("injected head failure"), std::string::npos);
  for (size_t i = 1; i < rows.size(); ++i)
    EXPECT_EQ(rows[i].outcome, CheckOutcome::kSkipped) << rows[i].name;
  EXPECT_FALSE(AllPassed(rows));
}

// One kind of failing request, and the rows it must fail (all others pass).
struct Fault {
  std::string name;
  FaultyStore::Predicate when;
  Status error;
  std::set<std::string> rows;
  CheckOutcome outcome = CheckOutcome::kFail;
  bool cleans_up = true;  // false when the fault is the Delete that would clean up
};

class StoreCheckFaultTest : public ::testing::TestWithParam<Fault> {};

TEST_P(StoreCheckFaultTest, FailsTheRightRows) {
  const Fault& f = GetParam();
  FaultyStore store(std::make_unique<MemStore>());
  store.FailWhen(f.when, f.error);
  auto rows = RunFunctionalChecks(store, QuickOptions());
  auto m = ExpectOnly(rows, f.rows, f.outcome);
  for (const auto& name : f.rows) {
    EXPECT_EQ(m[name].error.code(), f.error.code()) << name;
    EXPECT_NE(m[name].error.message().find(f.error.message()), std::string::npos)
        << name << ": " << m[name].error.message();
  }
  EXPECT_EQ(AllPassed(rows), f.outcome == CheckOutcome::kNotSupported);
  store.Clear();
  if (f.cleans_up) {
    EXPECT_TRUE(AllKeys(*store.inner()).empty()) << "a failing check left objects behind";
  }
}

FaultyStore::Predicate On(ObjectOp op, std::string prefix) {
  return [op, prefix](const ObjectRequest& r) { return r.op == op && r.key.starts_with(prefix); };
}

INSTANTIATE_TEST_SUITE_P(
    Faults, StoreCheckFaultTest,
    ::testing::Values(
        Fault{"head", On(ObjectOp::kHead, "head/"), Status(EIO, "head broke"), {"head an object"}},
        Fault{"head_missing_is_eio",
              On(ObjectOp::kHead, "head-missing/"),
              Status(EIO, "500 Internal"),
              {"head a missing key"}},
        Fault{"get_missing_is_eacces",
              On(ObjectOp::kGet, "get-missing/"),
              Status(EACCES, "AccessDenied"),
              {"get a missing key"}},
        Fault{"range_past_end",
              On(ObjectOp::kGet, "range-end/"),
              Status(EINVAL, "InvalidRange"),
              {"get a range past the end"}},
        Fault{"ranges", On(ObjectOp::kGet, "range/"), Status(EIO, "bad range"), {"get a range"}},
        Fault{"list",
              On(ObjectOp::kList, "list/"),
              Status(EIO, "list broke"),
              {"list by prefix", "list with marker and limit", "list continuation"}},
        Fault{"list_not_supported",
              On(ObjectOp::kList, "list/"),
              Status(ENOTSUP, "no listing"),
              {"list by prefix", "list with marker and limit", "list continuation"},
              CheckOutcome::kNotSupported},
        Fault{"list_fixture_put",
              On(ObjectOp::kPut, "list/k0"),
              Status(ENOSPC, "full"),
              {"list by prefix", "list with marker and limit", "list continuation"}},
        Fault{"delete",
              On(ObjectOp::kDelete, "delete/"),
              Status(EACCES, "no delete"),
              {"delete an object"},
              CheckOutcome::kFail,
              /*cleans_up=*/false},
        Fault{"delete_missing",
              On(ObjectOp::kDelete, "delete-missing/"),
              Status(EIO, "oops"),
              {"delete a missing key"}},
        Fault{"special_keys",
              On(ObjectOp::kPut, "keys/%2F"),
              Status(EINVAL, "bad key"),
              {"special characters in keys"}},
        Fault{"large_put",
              On(ObjectOp::kPut, "large/"),
              Status(EIO, "EntityTooLarge"),
              {"put a large object"}},
        Fault{"empty_put",
              On(ObjectOp::kPut, "empty/"),
              Status(EINVAL, "empty body"),
              {"put an empty object"}},
        Fault{"overwrite",
              On(ObjectOp::kGet, "overwrite/"),
              Status(EIO, "stale"),
              {"overwrite an object"}}),
    [](const auto& info) { return info.param.name; });

// A backend that returns wrong bytes: a ranged Get answered with the whole object.
class IgnoresRanges final : public ObjectStore {
 public:
  std::string Describe() const override { return "ignores-ranges"; }
  Result<std::string> Get(std::string_view key, uint64_t, int64_t) override {
    return mem_.Get(key);
  }
  Status Put(std::string_view key, std::string_view data) override { return mem_.Put(key, data); }
  Status Delete(std::string_view key) override { return mem_.Delete(key); }
  Result<ObjectInfo> Head(std::string_view key) override { return mem_.Head(key); }
  Result<std::vector<ObjectInfo>> List(std::string_view p, std::string_view m, size_t l) override {
    return mem_.List(p, m, l);
  }
  Status Create() override { return Status::Ok(); }

 private:
  MemStore mem_;
};

TEST(StoreCheckTest, WrongBytesFailTheRangeRowsWithWhatCameBack) {
  IgnoresRanges store;
  auto rows = RunFunctionalChecks(store, QuickOptions());
  auto m = ExpectOnly(rows, {"get a range", "get a range past the end", "put a large object"});
  EXPECT_EQ(m["get a range"].error.code(), EIO);
  EXPECT_EQ(m["get a range"].error.message(),
            "get range/object offset 0 limit 1: expected 1 bytes \"0\", got 16 bytes "
            "\"0123456789abcdef\"");
}

TEST(StoreCheckTest, DeleteAllSweepsEverything) {
  MemStore store;
  ASSERT_TRUE(store.Put("a/1", "x").ok());
  ASSERT_TRUE(store.Put("b", "y").ok());
  EXPECT_TRUE(DeleteAll(store).ok());
  EXPECT_TRUE(AllKeys(store).empty());
  FaultyStore faulty(std::make_unique<MemStore>());
  ASSERT_TRUE(faulty.Put("k", "v").ok());
  faulty.FailWhen([](const ObjectRequest& r) { return r.op == ObjectOp::kDelete; },
                  Status(EIO, "nope"));
  Status s = DeleteAll(faulty);
  EXPECT_EQ(s.code(), EIO);
  EXPECT_EQ(s.message(), "delete k: EIO: nope");
}

}  // namespace
}  // namespace tierfs::object
