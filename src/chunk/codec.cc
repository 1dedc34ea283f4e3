#include "chunk/codec.h"

#include <lz4.h>
#include <zstd.h>

#include <climits>

namespace tierfs::chunk {
namespace {

Status Corrupt(std::string_view what, const std::string& why) {
  return Status(EIO, "corrupt object " + std::string(what) + ": " + why);
}

class NoneCodec final : public Codec {
 public:
  std::string_view name() const override { return "none"; }
  bool identity() const override { return true; }
  Result<std::string> Encode(std::string_view plain) const override { return std::string(plain); }
  Status Decode(std::string_view encoded, std::span<char> out, std::string_view what) const override {
    if (encoded.size() != out.size()) {
      return Corrupt(what, "has " + std::to_string(encoded.size()) + " bytes, expected " +
                               std::to_string(out.size()));
    }
    std::copy(encoded.begin(), encoded.end(), out.begin());
    return Status::Ok();
  }
};

class Lz4Codec final : public Codec {
 public:
  std::string_view name() const override { return "lz4"; }
  Result<std::string> Encode(std::string_view plain) const override {
    if (plain.size() > LZ4_MAX_INPUT_SIZE) return Err(EINVAL, "block too large for lz4");
    std::string out(LZ4_compressBound(static_cast<int>(plain.size())), '\0');
    int n = LZ4_compress_default(plain.data(), out.data(), static_cast<int>(plain.size()),
                                 static_cast<int>(out.size()));
    if (n <= 0) return Err(EIO, "lz4 compression failed");
    out.resize(static_cast<size_t>(n));
    return out;
  }
  Status Decode(std::string_view encoded, std::span<char> out, std::string_view what) const override {
    if (encoded.size() > INT_MAX || out.size() > INT_MAX) return Corrupt(what, "too large for lz4");
    int n = LZ4_decompress_safe(encoded.data(), out.data(), static_cast<int>(encoded.size()),
                                static_cast<int>(out.size()));
    if (n < 0) return Corrupt(what, "lz4 decompression failed");
    if (static_cast<size_t>(n) != out.size()) {
      return Corrupt(what, "lz4 gave " + std::to_string(n) + " bytes, expected " +
                               std::to_string(out.size()));
    }
    return Status::Ok();
  }
};

class ZstdCodec final : public Codec {
 public:
  // JuiceFS compresses with level 1 (pkg/compress).
  static constexpr int kLevel = 1;
  std::string_view name() const override { return "zstd"; }
  Result<std::string> Encode(std::string_view plain) const override {
    std::string out(ZSTD_compressBound(plain.size()), '\0');
    size_t n = ZSTD_compress(out.data(), out.size(), plain.data(), plain.size(), kLevel);
    if (ZSTD_isError(n)) return Err(EIO, std::string("zstd compression failed: ") + ZSTD_getErrorName(n));
    out.resize(n);
    return out;
  }
  Status Decode(std::string_view encoded, std::span<char> out, std::string_view what) const override {
    size_t n = ZSTD_decompress(out.data(), out.size(), encoded.data(), encoded.size());
    if (ZSTD_isError(n)) return Corrupt(what, std::string("zstd: ") + ZSTD_getErrorName(n));
    if (n != out.size()) {
      return Corrupt(what, "zstd gave " + std::to_string(n) + " bytes, expected " +
                               std::to_string(out.size()));
    }
    return Status::Ok();
  }
};

}  // namespace

Result<std::unique_ptr<Codec>> NewCodec(std::string_view compression) {
  if (compression.empty() || compression == "none") return std::make_unique<NoneCodec>();
  if (compression == "lz4") return std::make_unique<Lz4Codec>();
  if (compression == "zstd") return std::make_unique<ZstdCodec>();
  return Err(EINVAL, "unknown compression '" + std::string(compression) + "' (known: none, lz4, zstd)");
}

}  // namespace tierfs::chunk
