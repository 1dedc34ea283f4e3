#include "chunk/cache_file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "chunk/disk_cache.h"
#include "temp_dir.h"

namespace tierfs::chunk {
namespace {

namespace fs = std::filesystem;

std::string Random(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = char(rng());
  return s;
}

class CacheFileTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(dir_.empty()); }
  // Writes `bytes` to a file and returns it open for reading.
  int File(const std::string& bytes) {
    std::string path = dir_ + "/f" + std::to_string(n_++);
    std::ofstream(path, std::ios::binary) << bytes;
    return open(path.c_str(), O_RDONLY);
  }
  tierfs::testing::TempDir tmp_{"tierfs-cf"};
  const std::string dir_ = tmp_.path();
  int n_ = 0;
};

TEST_F(CacheFileTest, TailIsBigEndianCrc32cPer32KiB) {
  // CRC-32C check value of "123456789" is 0xE3069283 (RFC 3720 B.4).
  EXPECT_EQ(ChecksumTail("123456789"), std::string("\xE3\x06\x92\x83", 4));
  EXPECT_EQ(ChecksumBytes(1), 4u);
  EXPECT_EQ(ChecksumBytes(32768), 4u);
  EXPECT_EQ(ChecksumBytes(32769), 8u);
  EXPECT_EQ(ChecksumBytes(4 << 20), 512u);  // a 4 MiB block: 512 bytes, as JuiceFS
  // 32 KiB of zeros: 0xBC43BAAD (JuiceFS's table of the same polynomial).
  EXPECT_EQ(ChecksumTail(std::string(32768, '\0')), std::string("\xBC\x43\xBA\xAD", 4));
  EXPECT_EQ(ChecksumTail(std::string(40000, 'a')).size(), 8u);
}

TEST_F(CacheFileTest, ShapesJuiceFSWrites) {
  EXPECT_TRUE(ShapeOf(100, 100).valid);
  EXPECT_FALSE(ShapeOf(100, 100).checksums);
  EXPECT_TRUE(ShapeOf(100, 104).checksums);
  EXPECT_TRUE(ShapeOf(100, 124).checksums);  // tail + 20-byte staging footer
  EXPECT_TRUE(ShapeOf(100, 118).valid);      // 18-byte footer, no tail
  EXPECT_FALSE(ShapeOf(100, 118).checksums);
  EXPECT_FALSE(ShapeOf(100, 99).valid);
  EXPECT_FALSE(ShapeOf(100, 101).valid);
  EXPECT_FALSE(ShapeOf(100, 108).valid);
  EXPECT_FALSE(ShapeOf(70000, 70008).valid);  // 3 pieces need 12 bytes
  EXPECT_TRUE(ShapeOf(70000, 70012).valid);
}

TEST_F(CacheFileTest, EveryLevelReadsAGoodFile) {
  const std::string block = Random(100000, 1);
  int fd = File(block + ChecksumTail(block));
  CacheFileShape shape = ShapeOf(100000, block.size() + ChecksumBytes(100000));
  for (auto level : {ChecksumLevel::kNone, ChecksumLevel::kFull, ChecksumLevel::kShrink,
                     ChecksumLevel::kExtend}) {
    for (auto [off, n] : {std::pair<uint32_t, size_t>{0, 100000}, {5, 3}, {32760, 40000}, {99990, 10}}) {
      std::string out(n, '\0');
      ASSERT_EQ(ReadCacheFile(fd, 100000, shape, level, off, out), 0) << int(level) << " " << off;
      EXPECT_EQ(out, block.substr(off, n));
    }
  }
  close(fd);
}

TEST_F(CacheFileTest, AFlippedBitIsCaughtWhereTheLevelLooks) {
  std::string block = Random(100000, 2);
  std::string file = block + ChecksumTail(block);
  file[40000] ^= 0x10;  // in piece 1 (32768..65535)
  int fd = File(file);
  CacheFileShape shape{true, true};
  auto read = [&](ChecksumLevel level, uint32_t off, size_t n) {
    std::string out(n, '\0');
    return ReadCacheFile(fd, 100000, shape, level, off, out);
  };
  EXPECT_EQ(read(ChecksumLevel::kNone, 0, 100000), 0);       // not looked at
  EXPECT_EQ(read(ChecksumLevel::kFull, 0, 100000), EBADMSG);  // whole block
  EXPECT_EQ(read(ChecksumLevel::kFull, 39990, 100), 0);       // partial: full does not verify
  EXPECT_EQ(read(ChecksumLevel::kShrink, 39990, 100), 0);     // no whole piece inside
  EXPECT_EQ(read(ChecksumLevel::kShrink, 32768, 32768), EBADMSG);
  EXPECT_EQ(read(ChecksumLevel::kExtend, 39990, 100), EBADMSG);  // widened to piece 1
  EXPECT_EQ(read(ChecksumLevel::kExtend, 70000, 100), 0);        // piece 2 is good
  close(fd);
}

TEST_F(CacheFileTest, DiskCacheServesAJuiceFSFileAndDropsADamagedOne) {
  const std::string root = dir_ + "/uuid/raw/";
  const std::string block = Random(70000, 3);
  const std::string key = "chunks/0/0/9_0_70000";
  fs::create_directories(root + "chunks/0/0");
  std::ofstream(root + key, std::ios::binary) << block + ChecksumTail(block);
  std::string bad = block + ChecksumTail(block);
  bad[10] ^= 1;
  std::ofstream(root + "chunks/0/0/9_1_70000", std::ios::binary) << bad;
  auto dc = DiskCache::Open(root, 1 << 20);
  ASSERT_TRUE(dc.has_value());
  EXPECT_EQ((*dc)->bytes(), 140000u);  // logical bytes, tails not counted
  EXPECT_EQ((*dc)->Load(key, 70000), block);
  std::string out(100, '\0');
  EXPECT_FALSE((*dc)->ReadAt("chunks/0/0/9_1_70000", 70000, 0, out));
  EXPECT_FALSE(fs::exists(root + "chunks/0/0/9_1_70000"));
  EXPECT_TRUE((*dc)->Contains(key));
}

TEST_F(CacheFileTest, ParsesLevelNames) {
  EXPECT_EQ(ParseChecksumLevel("extend").value(), ChecksumLevel::kExtend);
  EXPECT_EQ(ParseChecksumLevel("none").value(), ChecksumLevel::kNone);
  EXPECT_EQ(ParseChecksumLevel("bogus").error().code(), EINVAL);
  EXPECT_EQ(ParseEviction("2-random").value(), Eviction::kTwoRandom);
  EXPECT_EQ(ParseEviction("fifo").error().code(), EINVAL);
}

}  // namespace
}  // namespace tierfs::chunk
