#include "chunk/codec.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

namespace tierfs::chunk {
namespace {

std::string Fixture(const std::string& name) {
  // Next to this source file (CMake passes absolute source paths).
  auto path = std::filesystem::path(__FILE__).parent_path() / "testdata" / name;
  std::ifstream f(path, std::ios::binary);
  EXPECT_TRUE(f.good()) << name;
  return std::string(std::istreambuf_iterator<char>(f), {});
}

// The plaintext juicefs stored in the fixtures (tests/chunk/testdata/README).
std::string FixturePlain() {
  std::string s;
  char line[128];
  for (int i = 0; i < 300; ++i) {
    int n = std::snprintf(line, sizeof line,
                          "tierfs fixture line %05d: the quick brown fox jumps over the lazy dog\n", i);
    s.append(line, static_cast<size_t>(n));
  }
  return s;
}

std::string Random(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

class CodecTest : public ::testing::TestWithParam<std::string> {};

TEST_P(CodecTest, RoundTrips) {
  auto codec = NewCodec(GetParam());
  ASSERT_TRUE(codec.has_value());
  EXPECT_EQ((*codec)->name(), GetParam());
  for (const std::string& plain :
       {std::string(), std::string("x"), FixturePlain(), Random(4 << 20, 1),
        std::string(4 << 20, 'z'), Random(100001, 2)}) {
    auto enc = (*codec)->Encode(plain);
    ASSERT_TRUE(enc.has_value());
    std::string out(plain.size(), '\1');
    Status st = (*codec)->Decode(*enc, out, "k");
    ASSERT_TRUE(st.ok()) << st.ToString();
    EXPECT_EQ(out, plain);
  }
}

TEST_P(CodecTest, CorruptOrWrongLengthIsEio) {
  auto codec = NewCodec(GetParam());
  std::string plain = FixturePlain();
  auto enc = (*codec)->Encode(plain);
  ASSERT_TRUE(enc.has_value());
  // Expecting a different length than the object holds.
  std::string longer(plain.size() + 1, '\0');
  Status st = (*codec)->Decode(*enc, longer, "chunks/0/0/1_0_9");
  EXPECT_EQ(st.code(), EIO);
  EXPECT_NE(st.message().find("chunks/0/0/1_0_9"), std::string::npos);
  // Truncated object.
  std::string out(plain.size(), '\0');
  EXPECT_EQ((*codec)->Decode(std::string_view(*enc).substr(0, enc->size() / 2), out, "k").code(), EIO);
  // Garbage.
  EXPECT_EQ((*codec)->Decode(Random(enc->size(), 3), out, "k").code(),
            GetParam() == "none" ? 0 : EIO);
}

INSTANTIATE_TEST_SUITE_P(All, CodecTest, ::testing::Values("none", "lz4", "zstd"));

TEST(CodecTest, UnknownIsEinval) {
  auto c = NewCodec("brotli");
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error().code(), EINVAL);
  EXPECT_EQ((*NewCodec(""))->name(), "none");
}

// Objects written by juicefs 1.4.2 (`format --compress lz4|zstd`, mount, write the plaintext).
TEST(CodecTest, DecodesJuicefsLz4Object) {
  std::string plain = FixturePlain();
  ASSERT_EQ(plain.size(), 21300u);  // the key is 1_0_21300
  std::string out(plain.size(), '\0');
  Status st = (*NewCodec("lz4"))->Decode(Fixture("juicefs_lz4_1_0_21300"), out, "lz4 fixture");
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(out, plain);
}

TEST(CodecTest, DecodesJuicefsZstdObject) {
  std::string plain = FixturePlain();
  std::string out(plain.size(), '\0');
  Status st = (*NewCodec("zstd"))->Decode(Fixture("juicefs_zstd_1_0_21300"), out, "zstd fixture");
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(out, plain);
}

TEST(CodecTest, Lz4OutputIsWhatJuicefsWrites) {
  // Same library call, same input: the bytes should match the juicefs object exactly.
  EXPECT_EQ(*(*NewCodec("lz4"))->Encode(FixturePlain()), Fixture("juicefs_lz4_1_0_21300"));
}

}  // namespace
}  // namespace tierfs::chunk
