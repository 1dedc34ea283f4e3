// FileStore specifics beyond the conformance suite: on-disk layout shared with JuiceFS, atomic
// Put via temporary files, Create failures.
#include "object/file_store.h"

#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "juicefs_required.h"
#include "object/key.h"
#include "object/object_store.h"

namespace tierfs::object {
namespace {

StoreConfig Config(std::string storage, std::string bucket) {
  StoreConfig c;
  c.storage = std::move(storage);
  c.bucket = std::move(bucket);
  return c;
}

namespace fs = std::filesystem;

class FileStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tierfs-fs-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string ReadFile(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
  }
  std::string dir_;
};

TEST_F(FileStoreTest, KeyIsPathUnderBucket) {
  auto store = OpenObjectStore(Config("file", dir_ + "/b"));
  ASSERT_TRUE(store.has_value());
  EXPECT_EQ((*store)->Describe(), "file://" + dir_ + "/b/");
  auto vol = WithPrefix(std::move(*store), "vol/");
  ASSERT_TRUE(vol->Create().ok());
  ASSERT_TRUE(vol->Put("chunks/0/0/1_0_6", "abcdef").ok());
  EXPECT_EQ(ReadFile(dir_ + "/b/vol/chunks/0/0/1_0_6"), "abcdef");
  // Nothing else is left in the directory (the temporary file was renamed).
  size_t n = 0;
  for (auto& e : fs::directory_iterator(dir_ + "/b/vol/chunks/0/0")) {
    EXPECT_EQ(e.path().filename(), "1_0_6");
    ++n;
  }
  EXPECT_EQ(n, 1u);
}

TEST_F(FileStoreTest, RelativeBucketIsMadeAbsolute) {
  std::string cwd = fs::current_path();
  fs::current_path(dir_);
  auto store = OpenObjectStore(Config("file", "rel"));
  fs::current_path(cwd);
  ASSERT_TRUE(store.has_value());
  EXPECT_EQ((*store)->Describe(), "file://" + dir_ + "/rel/");
}

TEST_F(FileStoreTest, ListSkipsTemporaryFiles) {
  FileStore file(dir_ + "/");
  ObjectStore& store = file;
  ASSERT_TRUE(store.Put("d/obj", "x").ok());
  std::ofstream(dir_ + "/d/.obj.tmp.0123456789abcdef") << "partial";
  EXPECT_TRUE(FileStore::IsTempName(".obj.tmp.0123456789abcdef"));
  EXPECT_FALSE(FileStore::IsTempName("obj.tmp.0123456789abcdef"));
  EXPECT_FALSE(FileStore::IsTempName(".obj.tmp.0123"));
  auto l = store.List("", "", 0);
  ASSERT_TRUE(l.has_value());
  ASSERT_EQ(l->size(), 1u);
  EXPECT_EQ((*l)[0].key, "d/obj");
}

TEST_F(FileStoreTest, CreateUnderARegularFileIsEacces) {
  // Tests run as root, for whom permission bits do not deny anything; a path below a regular
  // file cannot be created by anyone.
  std::ofstream(dir_ + "/plain") << "x";
  FileStore store(dir_ + "/plain/bucket/");
  Status st = store.Create();
  EXPECT_EQ(st.code(), EACCES) << st.ToString();
  EXPECT_NE(st.message().find(dir_ + "/plain/bucket/"), std::string::npos) << st.message();
  EXPECT_NE(store.Put("k", "v").code(), 0);
}

TEST_F(FileStoreTest, CreateMakesTheDirectory) {
  FileStore store(dir_ + "/new/deep/bucket/");
  ASSERT_TRUE(store.Create().ok());
  EXPECT_TRUE(fs::is_directory(dir_ + "/new/deep/bucket"));
  EXPECT_TRUE(fs::is_empty(dir_ + "/new/deep/bucket"));  // the probe file is gone
}

TEST_F(FileStoreTest, CreateOnAReadOnlyFileSystemIsEacces) {
  // /proc/self is writable by nobody for new files, root included.
  FileStore store("/proc/self/tierfs-bucket/");
  Status st = store.Create();
  EXPECT_EQ(st.code(), EACCES) << st.ToString();
}

TEST_F(FileStoreTest, GetOfADirectoryIsEnoent) {
  FileStore file(dir_ + "/");
  ObjectStore& store = file;
  ASSERT_TRUE(store.Put("a/b", "x").ok());
  EXPECT_EQ(store.Get("a").error().code(), ENOENT);
  EXPECT_EQ(store.Get("a/b/c").error().code(), ENOENT);  // ENOTDIR maps to ENOENT
}

TEST_F(FileStoreTest, FullDiskIsEnospc) {
  // A 64 KiB tmpfs (tests run as root, so mount(2) is allowed).
  std::string mnt = dir_ + "/small";
  fs::create_directory(mnt);
  ASSERT_EQ(mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=64k"), 0) << std::strerror(errno);
  FileStore file(mnt + "/bucket/");
  ObjectStore& store = file;
  ASSERT_TRUE(store.Create().ok());
  Status st = store.Put("big", std::string(1 << 20, 'x'));
  EXPECT_EQ(st.code(), ENOSPC) << st.ToString();
  // The partial temporary file is gone, and no object appeared.
  EXPECT_TRUE(fs::is_empty(mnt + "/bucket"));
  EXPECT_EQ(store.Get("big").error().code(), ENOENT);
  EXPECT_EQ(umount(mnt.c_str()), 0);
}

TEST(ErrnoMappingTest, OsErrorsMapToTheObjectStoreErrorSpace) {
  EXPECT_EQ(StatusFromErrno(ENOENT, "open", "p").code(), ENOENT);
  EXPECT_EQ(StatusFromErrno(ENOTDIR, "open", "p").code(), ENOENT);
  EXPECT_EQ(StatusFromErrno(EPERM, "open", "p").code(), EACCES);
  EXPECT_EQ(StatusFromErrno(EROFS, "open", "p").code(), EROFS);
  EXPECT_EQ(StatusFromErrno(EDQUOT, "write", "p").code(), ENOSPC);
  EXPECT_EQ(StatusFromErrno(EBADF, "write", "p").code(), EIO);
  Status st = StatusFromErrno(ENOSPC, "write", "/b/k");
  EXPECT_EQ(st.code(), ENOSPC);
  EXPECT_NE(st.message().find("/b/k"), std::string::npos);
}

// Interop: a volume formatted by the real JuiceFS keeps `{name}/juicefs_uuid` at the layout we
// compute. Block objects were checked by hand (mount, write 6 bytes -> vol/chunks/0/0/1_0_6).
TEST_F(FileStoreTest, ReadsAVolumeFormattedByJuicefs) {
  TIERFS_SKIP_WITHOUT_JUICEFS();
  std::string cmd = "juicefs format --bucket " + dir_ + "/jb/ sqlite3://" + dir_ +
                    "/meta.db vol >" + dir_ + "/format.log 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << ReadFile(dir_ + "/format.log");
  auto store = OpenObjectStore(Config("file", dir_ + "/jb/"));
  ASSERT_TRUE(store.has_value());
  auto vol = WithPrefix(std::move(*store), "vol/");
  auto l = vol->List("", "", 0);
  ASSERT_TRUE(l.has_value());
  ASSERT_EQ(l->size(), 1u);
  EXPECT_EQ((*l)[0].key, "juicefs_uuid");
  auto uuid = vol->Get("juicefs_uuid");
  ASSERT_TRUE(uuid.has_value());
  EXPECT_EQ(uuid->size(), 36u);  // a textual UUID
  EXPECT_EQ((*uuid)[8], '-');
}

}  // namespace
}  // namespace tierfs::object
