#include "vfs/data_reader.h"

#include <algorithm>
#include <cstring>

namespace tierfs::vfs {
namespace {

// Fills buf with chunk bytes [pos, pos + buf.size()) of the given pieces.
Status ReadChunk(chunk::ChunkStore* store, const std::vector<Piece>& pieces, uint32_t pos,
                 std::span<char> buf) {
  uint64_t end = uint64_t(pos) + buf.size();
  uint64_t cursor = pos;
  for (const Piece& p : pieces) {
    uint64_t p_end = uint64_t(p.pos) + p.len;
    if (p_end <= cursor) continue;
    if (p.pos >= end) break;
    if (p.pos > cursor) {  // hole before the piece
      std::memset(buf.data() + (cursor - pos), 0, p.pos - cursor);
      cursor = p.pos;
    }
    uint64_t n = std::min(p_end, end) - cursor;
    std::span<char> out = buf.subspan(cursor - pos, n);
    if (p.id == 0) {
      std::memset(out.data(), 0, n);
    } else {
      uint32_t slice_off = uint32_t(p.off + (cursor - p.pos));
      auto got = store->ReadSlice(p.id, p.size, slice_off, out);
      if (!got) return got.error();
      if (*got < n) std::memset(out.data() + *got, 0, n - *got);  // short slice: zeros
    }
    cursor += n;
  }
  if (cursor < end) std::memset(buf.data() + (cursor - pos), 0, end - cursor);
  return Status::Ok();
}

}  // namespace

Result<size_t> ReadFileRange(chunk::ChunkStore* store, const PieceSource& pieces, uint64_t length,
                             uint64_t off, std::span<char> buf) {
  if (off >= length) return 0;
  size_t total = std::min<uint64_t>(buf.size(), length - off);
  size_t done = 0;
  while (done < total) {
    uint64_t at = off + done;
    uint32_t indx = uint32_t(at >> meta::kChunkBits);
    uint32_t pos = uint32_t(at & (meta::kChunkSize - 1));
    size_t n = std::min<uint64_t>(total - done, meta::kChunkSize - pos);
    ASSIGN_OR_RETURN(auto chunk_pieces, pieces(indx));
    RETURN_IF_ERROR(ReadChunk(store, chunk_pieces, pos, buf.subspan(done, n)));
    done += n;
  }
  return done;
}

}  // namespace tierfs::vfs
