#include "object/crc32c.h"

#include <gtest/gtest.h>

#include <string>

namespace tierfs::object {
namespace {

// The check value of CRC-32C (the CRC catalogue's "check" for CRC-32/ISCSI) and RFC 3720
// appendix B.4's test patterns.
TEST(Crc32cTest, KnownValues) {
  EXPECT_EQ(Crc32c(""), 0u);
  EXPECT_EQ(Crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(Crc32c(std::string(32, '\0')), 0x8A9136AAu);
  EXPECT_EQ(Crc32c(std::string(32, '\xff')), 0x62A8AB43u);
  std::string inc;
  for (int i = 0; i < 32; ++i) inc.push_back(char(i));
  EXPECT_EQ(Crc32c(inc), 0x46DD794Eu);
}

TEST(Crc32cTest, OneFlippedBitChangesIt) {
  std::string data(4 << 20, 'x');
  uint32_t want = Crc32c(data);
  data[12345] ^= 0x10;
  EXPECT_NE(Crc32c(data), want);
}

}  // namespace
}  // namespace tierfs::object
