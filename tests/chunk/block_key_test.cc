#include <gtest/gtest.h>

#include "chunk/chunk_store.h"

namespace tierfs::chunk {
namespace {

TEST(BlockKeyTest, FormatExamples) {
  // FORMAT.md §3: slice 1 of 10 MiB with 4 MiB blocks.
  EXPECT_EQ(BlockKey(1, 0, 4194304, false), "chunks/0/0/1_0_4194304");
  EXPECT_EQ(BlockKey(1, 1, 4194304, false), "chunks/0/0/1_1_4194304");
  EXPECT_EQ(BlockKey(1, 2, 2097152, false), "chunks/0/0/1_2_2097152");
  // Observed with juicefs 1.4.2: a 6-byte file is vol/chunks/0/0/1_0_6.
  EXPECT_EQ(BlockKey(1, 0, 6, false), "chunks/0/0/1_0_6");
}

TEST(BlockKeyTest, DirectoriesDivideTheId) {
  EXPECT_EQ(BlockKey(999, 0, 1, false), "chunks/0/0/999_0_1");
  EXPECT_EQ(BlockKey(1000, 0, 1, false), "chunks/0/1/1000_0_1");
  EXPECT_EQ(BlockKey(1234567, 3, 100, false), "chunks/1/1234/1234567_3_100");
  EXPECT_EQ(BlockKey(18446744073709551615ull, 15, 4194304, false),
            "chunks/18446744073709/18446744073709551/18446744073709551615_15_4194304");
}

TEST(BlockKeyTest, HashPrefix) {
  EXPECT_EQ(BlockKey(1, 0, 6, true), "chunks/01/0/1_0_6");
  EXPECT_EQ(BlockKey(255, 0, 6, true), "chunks/FF/0/255_0_6");
  EXPECT_EQ(BlockKey(256, 1, 7, true), "chunks/00/0/256_1_7");
  EXPECT_EQ(BlockKey(1234567, 2, 3, true), "chunks/87/1/1234567_2_3");  // 1234567 % 256 = 0x87
}

}  // namespace
}  // namespace tierfs::chunk
