#include <fcntl.h>

#include "sql/test_fixture.h"

namespace tierfs::meta::testing {
namespace {

using NamespaceTest = EngineMetaTest;
TIERFS_ALL_ENGINES(NamespaceTest);

TEST_P(NamespaceTest, RootAndLoad) {
  auto a = meta_->GetAttr(root_, kRootIno);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->type, FileType::kDirectory);
  EXPECT_EQ(a->mode, 0777);
  EXPECT_EQ(a->nlink, 2u);
  auto f = meta_->Load();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->name, "testvol");
  Format again;
  again.name = "testvol";
  EXPECT_EQ(Code(meta_->Init(again, false)), EEXIST);
}

TEST_P(NamespaceTest, MknodLookupDotDotdot) {
  Entry d = Mk(kRootIno, "d", FileType::kDirectory, 0755);
  Entry f = Mk(d.ino, "f");
  EXPECT_EQ(meta_->GetAttr(root_, kRootIno)->nlink, 3u);
  auto e = meta_->Lookup(root_, d.ino, "f");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->ino, f.ino);
  EXPECT_EQ(meta_->Lookup(root_, d.ino, ".")->ino, d.ino);
  EXPECT_EQ(meta_->Lookup(root_, d.ino, "..")->ino, kRootIno);
  EXPECT_EQ(meta_->Lookup(root_, kRootIno, "..")->ino, kRootIno);
  EXPECT_EQ(Code(meta_->Lookup(root_, d.ino, "nope")), ENOENT);
  EXPECT_EQ(Code(meta_->Lookup(root_, f.ino, "x")), ENOTDIR);
  EXPECT_EQ(Code(meta_->Mknod(root_, d.ino, "f", FileType::kFile, 0644, 0, 0)), EEXIST);
  EXPECT_EQ(Code(meta_->Mknod(root_, d.ino, std::string(256, 'a'), FileType::kFile, 0644, 0, 0)), ENAMETOOLONG);
  EXPECT_EQ(Code(meta_->Lookup(root_, d.ino, std::string(256, 'a'))), ENAMETOOLONG);
  EXPECT_EQ(Code(meta_->Mknod(root_, f.ino, "x", FileType::kFile, 0644, 0, 0)), ENOTDIR);
}

TEST_P(NamespaceTest, UmaskAndSymlink) {
  auto e = meta_->Mknod(root_, kRootIno, "f", FileType::kFile, 0666, 022, 0);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->attr.mode, 0644);
  auto s = meta_->Mknod(root_, kRootIno, "s", FileType::kSymlink, 0777, 0, 0, "/some/where");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->attr.length, 11u);
  EXPECT_EQ(*meta_->ReadLink(root_, s->ino), "/some/where");
  EXPECT_EQ(Code(meta_->ReadLink(root_, e->ino)), EINVAL);
}

TEST_P(NamespaceTest, PermissionDeniedForOthers) {
  Entry d = Mk(kRootIno, "d", FileType::kDirectory, 0755);
  Context alice = User(1000, 1000);
  EXPECT_EQ(Code(meta_->Mknod(alice, d.ino, "x", FileType::kFile, 0644, 0, 0)), EACCES);
  Entry p = Mk(kRootIno, "p", FileType::kDirectory, 0700);
  EXPECT_EQ(Code(meta_->Lookup(alice, p.ino, "x")), EACCES);
  Entry f = Mk(kRootIno, "f", FileType::kFile, 0600);
  EXPECT_EQ(Code(meta_->Open(alice, f.ino, O_RDONLY)), EACCES);
  EXPECT_TRUE(meta_->Open(root_, f.ino, O_RDWR).has_value());
  EXPECT_EQ(Code(meta_->Readdir(alice, p.ino, false)), EACCES);
}

TEST_P(NamespaceTest, SetgidDirectoryPropagates) {
  Entry d = Mk(kRootIno, "d", FileType::kDirectory, 02777);
  ASSERT_TRUE(meta_->SetAttr(root_, d.ino, kSetAttrGid, [] { Attr a; a.gid = 50; return a; }()).has_value());
  Context alice = User(1000, 1000);
  auto sub = meta_->Mknod(alice, d.ino, "sub", FileType::kDirectory, 0755, 0, 0);
  ASSERT_TRUE(sub.has_value());
  EXPECT_EQ(sub->attr.gid, 50u);
  EXPECT_EQ(sub->attr.uid, 1000u);
  EXPECT_TRUE(sub->attr.mode & 02000);
  auto f = meta_->Mknod(alice, d.ino, "f", FileType::kFile, 0644, 0, 0);
  EXPECT_EQ(f->attr.gid, 50u);
  EXPECT_FALSE(f->attr.mode & 02000);
}

TEST_P(NamespaceTest, StickyDirectory) {
  Entry t = Mk(kRootIno, "tmp", FileType::kDirectory, 01777);
  Context alice = User(1000, 1000), bob = User(1001, 1001);
  ASSERT_TRUE(meta_->Mknod(alice, t.ino, "a", FileType::kFile, 0644, 0, 0).has_value());
  EXPECT_EQ(Code(meta_->Unlink(bob, t.ino, "a")), EPERM);
  EXPECT_EQ(Code(meta_->Rename(bob, t.ino, "a", t.ino, "b", 0)), EPERM);
  EXPECT_TRUE(meta_->Unlink(alice, t.ino, "a").ok());
}

TEST_P(NamespaceTest, UnlinkRmdirErrors) {
  Entry d = Mk(kRootIno, "d", FileType::kDirectory);
  Mk(d.ino, "f");
  EXPECT_EQ(Code(meta_->Unlink(root_, kRootIno, "d")), EISDIR);
  EXPECT_EQ(Code(meta_->Rmdir(root_, d.ino, "f")), ENOTDIR);
  EXPECT_EQ(Code(meta_->Rmdir(root_, kRootIno, "d")), ENOTEMPTY);
  EXPECT_EQ(Code(meta_->Rmdir(root_, d.ino, ".")), EINVAL);
  EXPECT_EQ(Code(meta_->Unlink(root_, d.ino, "zz")), ENOENT);
  EXPECT_TRUE(meta_->Unlink(root_, d.ino, "f").ok());
  EXPECT_TRUE(meta_->Rmdir(root_, kRootIno, "d").ok());
  EXPECT_EQ(meta_->GetAttr(root_, kRootIno)->nlink, 2u);
  EXPECT_EQ(Code(meta_->GetAttr(root_, d.ino)), ENOENT);
}

TEST_P(NamespaceTest, RenameOverwriteAndFlags) {
  Entry a = Mk(kRootIno, "a");
  Entry b = Mk(kRootIno, "b");
  EXPECT_EQ(Code(meta_->Rename(root_, kRootIno, "a", kRootIno, "b", kRenameNoReplace)), EEXIST);
  EXPECT_EQ(Code(meta_->Rename(root_, kRootIno, "a", kRootIno, "c", kRenameExchange)), ENOENT);
  EXPECT_EQ(Code(meta_->Rename(root_, kRootIno, "a", kRootIno, "b", kRenameExchange | kRenameNoReplace)), EINVAL);
  ASSERT_TRUE(meta_->Rename(root_, kRootIno, "a", kRootIno, "b", kRenameExchange).has_value());
  EXPECT_EQ(meta_->Lookup(root_, kRootIno, "a")->ino, b.ino);
  EXPECT_EQ(meta_->Lookup(root_, kRootIno, "b")->ino, a.ino);
  ASSERT_TRUE(meta_->Rename(root_, kRootIno, "a", kRootIno, "b", 0).has_value());
  EXPECT_EQ(meta_->Lookup(root_, kRootIno, "b")->ino, b.ino);
  EXPECT_EQ(Code(meta_->Lookup(root_, kRootIno, "a")), ENOENT);
  EXPECT_EQ(Code(meta_->GetAttr(root_, a.ino)), ENOENT);  // overwritten and freed
}

TEST_P(NamespaceTest, RenameDirectories) {
  Entry d1 = Mk(kRootIno, "d1", FileType::kDirectory);
  Entry d2 = Mk(kRootIno, "d2", FileType::kDirectory);
  Entry sub = Mk(d1.ino, "sub", FileType::kDirectory);
  Entry f = Mk(kRootIno, "f");
  EXPECT_EQ(Code(meta_->Rename(root_, kRootIno, "d1", sub.ino, "x", 0)), EINVAL);
  EXPECT_EQ(Code(meta_->Rename(root_, kRootIno, "d1", d1.ino, "x", 0)), EINVAL);
  EXPECT_EQ(Code(meta_->Rename(root_, kRootIno, "f", kRootIno, "d2", 0)), EISDIR);
  EXPECT_EQ(Code(meta_->Rename(root_, kRootIno, "d2", kRootIno, "f", 0)), ENOTDIR);
  EXPECT_EQ(Code(meta_->Rename(root_, kRootIno, "d2", kRootIno, "d1", 0)), ENOTEMPTY);
  // Move sub from d1 to d2: nlinks follow.
  ASSERT_TRUE(meta_->Rename(root_, d1.ino, "sub", d2.ino, "sub", 0).has_value());
  EXPECT_EQ(meta_->GetAttr(root_, d1.ino)->nlink, 2u);
  EXPECT_EQ(meta_->GetAttr(root_, d2.ino)->nlink, 3u);
  EXPECT_EQ(meta_->GetAttr(root_, sub.ino)->parent, d2.ino);
  EXPECT_EQ(meta_->Lookup(root_, sub.ino, "..")->ino, d2.ino);
  // Overwrite the now-empty d1 with d2.
  ASSERT_TRUE(meta_->Rename(root_, kRootIno, "d2", kRootIno, "d1", 0).has_value());
  EXPECT_EQ(Code(meta_->GetAttr(root_, d1.ino)), ENOENT);
  EXPECT_EQ(meta_->GetAttr(root_, kRootIno)->nlink, 3u);
}

TEST_P(NamespaceTest, HardLinks) {
  Entry d = Mk(kRootIno, "d", FileType::kDirectory);
  Entry f = Mk(kRootIno, "f");
  auto a = meta_->Link(root_, f.ino, d.ino, "g");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->nlink, 2u);
  EXPECT_EQ(a->parent, 0u);
  EXPECT_EQ(Code(meta_->Link(root_, d.ino, kRootIno, "dl")), EPERM);
  EXPECT_EQ(Code(meta_->Link(root_, f.ino, d.ino, "g")), EEXIST);
  EXPECT_TRUE(meta_->Unlink(root_, kRootIno, "f").ok());
  EXPECT_EQ(meta_->GetAttr(root_, f.ino)->nlink, 1u);
}

TEST_P(NamespaceTest, ReaddirPlus) {
  Entry d = Mk(kRootIno, "d", FileType::kDirectory);
  Mk(d.ino, "x");
  Mk(d.ino, "y", FileType::kDirectory);
  auto r = meta_->Readdir(root_, d.ino, true);
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->size(), 4u);
  EXPECT_EQ((*r)[0].name, ".");
  EXPECT_EQ((*r)[1].name, "..");
  EXPECT_EQ((*r)[1].ino, kRootIno);
  EXPECT_EQ((*r)[2].name, "x");
  EXPECT_TRUE((*r)[3].attr.full);
  EXPECT_EQ((*r)[3].attr.type, FileType::kDirectory);
}

TEST_P(NamespaceTest, SetAttrRules) {
  Entry f = Mk(kRootIno, "f", FileType::kFile, 06755);
  Context alice = User(1000, 1000);
  Attr in;
  in.mode = 0600;
  EXPECT_EQ(Code(meta_->SetAttr(alice, f.ino, kSetAttrMode, in)), EPERM);
  in.uid = 1000;
  in.gid = 1000;
  auto a = meta_->SetAttr(root_, f.ino, kSetAttrUid | kSetAttrGid, in);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->mode, 0755);  // chown cleared setuid and setgid (group-exec set)
  EXPECT_EQ(Code(meta_->SetAttr(alice, f.ino, kSetAttrUid, [] { Attr x; x.uid = 0; return x; }())), EPERM);
  in.atime = 123;
  in.mtime = 456;
  a = meta_->SetAttr(alice, f.ino, kSetAttrAtime | kSetAttrMtime, in);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->atime, 123);
  EXPECT_EQ(a->mtime, 456);
  EXPECT_EQ(meta_->GetAttr(root_, f.ino)->mtime, 456);
}

TEST(OpenMetaTest, BadUrls) {
  EXPECT_EQ(OpenMeta("nothing", false).error().code(), EINVAL);
  auto r = OpenMeta("foo://x", false);
  EXPECT_EQ(r.error().code(), EINVAL);
  EXPECT_NE(r.error().message().find("sqlite3"), std::string::npos);
  EXPECT_EQ(OpenMeta("sqlite3:///nonexistent/dir/x.db", true).error().code(), ENOENT);
}

TEST(OpenMetaTest, CorruptDatabase) {
  char tmpl[] = "/tmp/tierfs-meta-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  std::string path = dir + "/bad.db";
  FILE* f = fopen(path.c_str(), "w");
  fputs("this is not a sqlite database, just some text that is long enough.......", f);
  fclose(f);
  auto r = OpenMeta("sqlite3://" + path, true);
  EXPECT_FALSE(r.has_value());
  if (!r) {
    EXPECT_EQ(r.error().code(), EIO);
  }
  auto fresh = OpenMeta("sqlite3://" + dir + "/empty.db?_journal=WAL", false);
  ASSERT_TRUE(fresh.has_value());
  EXPECT_EQ((*fresh)->Load().error().code(), ENOENT);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tierfs::meta::testing
