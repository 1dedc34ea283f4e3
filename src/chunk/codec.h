// Codec: a block's plaintext <-> its object bytes, per the volume's `Compression` (FORMAT.md §3,
// JuiceFS pkg/compress):
//   none  the object is the plaintext.
//   lz4   raw LZ4 *block* format (LZ4_compress_default / LZ4_decompress_safe): no frame, no
//         length prefix; the plaintext length comes from the object key.
//   zstd  one standard zstd frame from ZSTD_compress at level 1.
// Objects are stored compressed even when that is larger than the input (no "raw" flag).
//
// Errors: Decode returns EIO when the object is corrupt or does not decode to exactly the
// expected length. Thread-safety: codecs are stateless; share one between threads.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "util/status.h"

namespace tierfs::chunk {

class Codec {
 public:
  virtual ~Codec() = default;
  virtual std::string_view name() const = 0;
  // The object bytes for `plain`.
  virtual Result<std::string> Encode(std::string_view plain) const = 0;
  // Decodes `encoded` into exactly out.size() bytes. `what` names the object in errors.
  virtual Status Decode(std::string_view encoded, std::span<char> out,
                        std::string_view what) const = 0;
  // True when the object bytes are the plaintext (enables ranged reads and zero-copy).
  virtual bool identity() const { return false; }
};

// "none" (or ""), "lz4", "zstd"; EINVAL names an unknown algorithm.
Result<std::unique_ptr<Codec>> NewCodec(std::string_view compression);

}  // namespace tierfs::chunk
