// Shared pieces of the dump/load tests (dump_test.cc on SQLite, redis_dump_test.cc on every
// engine): dumping and loading a META-URL, the tree part of a dump, and a volume holding every
// kind of node the format carries.
// Thread-safety: one test thread.
#pragma once

#include <sstream>
#include <string>

#include "meta/dump.h"
#include "meta/sql/test_fixture.h"

namespace tierfs::meta::testing {

// From the "FSTree" key on: the part of a dump that load must reproduce byte for byte, but for
// the trash root's nlink, which load recomputes as JuiceFS does (always 2; tierfs counts the
// hourly directories in it).
inline std::string DumpTree(const std::string& dump) {
  std::string t = dump.substr(dump.find("\n  \"FSTree\""));
  size_t trash = t.find("\n  \"Trash\"");
  size_t nlink = t.find("\"nlink\":", trash);
  if (trash != std::string::npos && nlink != std::string::npos) {
    t.replace(nlink, t.find(',', nlink) - nlink, "\"nlink\":N");
  }
  return t;
}

template <class Base>
class DumpFixture : public Base {
 protected:
  DumpFixture() { this->trash_days_ = 1; }

  std::unique_ptr<Engine> Eng(const std::string& url) {
    auto e = OpenEngine(url, false);
    EXPECT_TRUE(e.has_value()) << e.error().ToString();
    return std::move(*e);
  }

  Result<std::string> Dump(const std::string& url, DumpOptions opt = {}) {
    if (this->meta_) EXPECT_TRUE(this->meta_->FlushStats().ok());  // what the live client batches
    auto e = Eng(url);
    std::string out;
    Status st = DumpVolume(*e, [&](std::string_view s) { out += s; return Status(); }, opt);
    if (!st.ok()) return Err(st);
    return out;
  }

  Status Load(const std::string& url, const std::string& text) {
    auto e = Eng(url);
    std::istringstream in(text);
    return LoadVolume(*e, in, {});
  }

  void WriteSlice(Ino ino, uint32_t indx, uint32_t pos, uint32_t len) {
    auto id = this->meta_->NewSlice();
    ASSERT_TRUE(id.has_value());
    ASSERT_TRUE(this->meta_->Write(ino, indx, pos, Slice{pos, *id, len, 0, len}, 1700000000, 5).ok());
  }

  // A volume with every kind of node the format carries, a delfile (inode 90000) and a
  // sustained inode (90001 of session 7).
  void Populate() {
    auto& m = *this->meta_;
    const Context& root = this->root_;
    Entry d = this->Mk(kRootIno, "dir", FileType::kDirectory, 0755);
    this->Mk(d.ino, "sub", FileType::kDirectory, 0700);
    Entry f = this->Mk(d.ino, "file");
    WriteSlice(f.ino, 0, 0, 6);
    ASSERT_TRUE(m.SetXattr(root, f.ino, "user.a", std::string("x<y\"%\x01\xff", 7), 0).ok());
    ASSERT_TRUE(m.SetXattr(root, f.ino, "user.b", "", 0).ok());
    ASSERT_TRUE(m.Link(root, f.ino, kRootIno, "hard").has_value());
    auto s = m.Mknod(root, kRootIno, "sym", FileType::kSymlink, 0777, 0, 0, "dir/fi le%");
    ASSERT_TRUE(s.has_value());
    Entry sparse = this->Mk(kRootIno, "sparse");
    WriteSlice(sparse.ino, 0, 4096, 100);
    WriteSlice(sparse.ino, 2, 1000, 10);
    WriteSlice(sparse.ino, 2, 0, 2000);  // over the first: two slices in one chunk
    this->Mk(kRootIno, std::string("we ird%\"\\\n\x7f\xfe<&>", 14));
    ASSERT_TRUE(m.Mknod(root, kRootIno, "fifo", FileType::kFifo, 0600, 0, 0).has_value());
    ASSERT_TRUE(m.Mknod(root, kRootIno, "chr", FileType::kCharDev, 0600, 0, 0x0501).has_value());
    Entry gone = this->Mk(kRootIno, "gone");
    WriteSlice(gone.ino, 0, 0, 5);
    ASSERT_TRUE(m.Unlink(root, kRootIno, "gone").ok());  // into the trash
    auto copy = this->Mk(kRootIno, "copy");
    ASSERT_TRUE(m.CopyFileRange(root, sparse.ino, 0, copy.ino, 0, 8192, 0).has_value());
    if (this->EngineName() == "redis") {
      auto c = RawRedis(this->url_);
      ASSERT_TRUE(c);
      for (auto cmd : {net::redis::Command{"ZADD", "delfiles", "1700000000", "90000:123"},
                       net::redis::Command{"SADD", "session7", "90001"},
                       net::redis::Command{"ZADD", "allSessions", "9999999999", "7"}}) {
        ASSERT_TRUE(c->Do(cmd).has_value());
      }
    } else {
      std::string db = this->dir_ + "/meta.db";
      ExecSql(db, "INSERT INTO jfs_delfile (inode,length,expire) VALUES (90000,123,1700000000)");
      ExecSql(db, "INSERT INTO jfs_sustained (sid,inode) VALUES (7,90001)");
    }
  }
};

}  // namespace tierfs::meta::testing
