// Read resolution of a chunk: the slice list (later slices win) flattened into the visible,
// non-overlapping pieces, as JuiceFS pkg/meta/slice.go defines it (docs/format.md §"read
// resolution"): uncovered ranges and id-0 slices read as zeros.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <vector>

#include "meta/types.h"

namespace tierfs::vfs {

// Chunk bytes [pos, pos+len) are bytes [off, off+len) of slice (id, size); id 0 means zeros.
struct Piece {
  uint32_t pos = 0;
  uint32_t len = 0;
  uint64_t id = 0;
  uint32_t size = 0;
  uint32_t off = 0;
  bool operator==(const Piece&) const = default;
};

// The visible pieces of a chunk, sorted by pos, non-overlapping; gaps are holes (zeros).
std::vector<Piece> ResolveSlices(const std::vector<meta::Slice>& slices);
// Lays slice `s` over resolved `pieces` as a later slice: the same as ResolveSlices of the
// slices behind `pieces` followed by `s`.
void OverlaySlice(std::vector<Piece>& pieces, const meta::Slice& s);

}  // namespace tierfs::vfs
