// Interop with the real `juicefs` binary: a volume formatted and written by JuiceFS is read by
// tierfs, and a volume made by tierfs passes `juicefs status` / `juicefs fsck`. When juicefs is
// not on PATH the tests are skipped (visibly), or fail when TIERFS_REQUIRE_JUICEFS=1 (CI).
#include <cstdlib>
#include <filesystem>

#include "test_fixture.h"

namespace tierfs::meta::testing {
namespace {

// A fresh directory under /tmp, removed at scope exit unless the test failed (then its logs
// stay for reading).
struct TempDir {
  TempDir() {
    char tmpl[] = "/tmp/tierfs-interop-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() {
    if (!::testing::Test::HasFailure()) std::filesystem::remove_all(path);
  }
  std::string path;
};

TEST(JuicefsInteropTest, TierfsReadsJuicefsVolume) {
  TIERFS_SKIP_WITHOUT_JUICEFS();
  TempDir tmp;
  const std::string& dir = tmp.path;
  std::string cmd = "juicefs format --trash-days 1 sqlite3://" + dir + "/j.db jvol --bucket " + dir +
                    "/b/ >/dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  auto m = OpenMeta("sqlite3://" + dir + "/j.db", true);
  ASSERT_TRUE(m.has_value());
  auto f = (*m)->Load();
  ASSERT_TRUE(f.has_value()) << f.error().ToString();
  EXPECT_EQ(f->name, "jvol");
  Context root = Context::Root();
  auto a = (*m)->GetAttr(root, kRootIno);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->mode, 0777);
  EXPECT_EQ((*m)->GetAttr(root, kTrashIno)->mode, 0555);
  // tierfs writes into the JuiceFS volume; JuiceFS must accept it afterwards.
  ASSERT_TRUE((*m)->NewSession(SessionInfo{}, MetaOptions{.no_bgjob = true}, {}).ok());
  auto e = (*m)->Mknod(root, kRootIno, "hello", FileType::kFile, 0644, 0, 0);
  ASSERT_TRUE(e.has_value());
  ASSERT_TRUE((*m)->NewSlice().has_value());
  ASSERT_TRUE((*m)->CloseSession().ok());
  cmd = "juicefs status sqlite3://" + dir + "/j.db >/dev/null 2>&1";
  EXPECT_EQ(std::system(cmd.c_str()), 0);
}

TEST(JuicefsInteropTest, JuicefsAcceptsTierfsVolume) {
  TIERFS_SKIP_WITHOUT_JUICEFS();
  TempDir tmp;
  const std::string& dir = tmp.path;
  auto m = OpenMeta("sqlite3://" + dir + "/t.db", false);
  ASSERT_TRUE(m.has_value());
  Format f;
  f.name = "tvol";
  f.uuid = "11111111-2222-3333-4444-555555555555";
  f.bucket = dir + "/b/";
  ASSERT_TRUE((*m)->Init(f, false).ok());
  Context root = Context::Root();
  auto d = (*m)->Mknod(root, kRootIno, "dir", FileType::kDirectory, 0755, 0, 0);
  ASSERT_TRUE(d.has_value());
  ASSERT_TRUE((*m)->Mknod(root, d->ino, "f", FileType::kFile, 0644, 0, 0).has_value());
  ASSERT_TRUE((*m)->Mknod(root, d->ino, "l", FileType::kSymlink, 0777, 0, 0, "f").has_value());
  m->reset();
  std::string cmd = "juicefs status sqlite3://" + dir + "/t.db > " + dir + "/status.txt 2>&1";
  EXPECT_EQ(std::system(cmd.c_str()), 0);
  cmd = "juicefs fsck sqlite3://" + dir + "/t.db > " + dir + "/fsck.txt 2>&1";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << "see " << dir << "/fsck.txt";
}

}  // namespace
}  // namespace tierfs::meta::testing
