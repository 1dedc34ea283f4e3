#include "vfs/slice_view.h"

#include <algorithm>

namespace tierfs::vfs {
namespace {

// Removes [pos, end) from the pieces, trimming pieces that straddle its edges.
void Cut(std::vector<Piece>& pieces, uint64_t pos, uint64_t end) {
  std::vector<Piece> out;
  out.reserve(pieces.size() + 1);
  for (const Piece& p : pieces) {
    uint64_t p_end = uint64_t(p.pos) + p.len;
    if (p_end <= pos || p.pos >= end) {
      out.push_back(p);
      continue;
    }
    if (p.pos < pos) {  // keep the left part
      Piece left = p;
      left.len = uint32_t(pos - p.pos);
      out.push_back(left);
    }
    if (p_end > end) {  // keep the right part
      Piece right = p;
      uint32_t skip = uint32_t(end - p.pos);
      right.pos = uint32_t(end);
      right.len = p.len - skip;
      right.off = p.off + skip;
      out.push_back(right);
    }
  }
  pieces.swap(out);
}

}  // namespace

void OverlaySlice(std::vector<Piece>& pieces, const meta::Slice& s) {
  if (s.len == 0) return;
  Cut(pieces, s.pos, uint64_t(s.pos) + s.len);
  Piece p{s.pos, s.len, s.id, s.size, s.off};
  auto at = std::lower_bound(pieces.begin(), pieces.end(), p,
                             [](const Piece& a, const Piece& b) { return a.pos < b.pos; });
  pieces.insert(at, p);
}

std::vector<Piece> ResolveSlices(const std::vector<meta::Slice>& slices) {
  std::vector<Piece> pieces;
  for (const meta::Slice& s : slices) OverlaySlice(pieces, s);
  return pieces;
}

}  // namespace tierfs::vfs
