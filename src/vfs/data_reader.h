// DataReader: reads committed file bytes: chunk slice lists from meta, resolved to pieces
// (slice_view.h), pieces read from the chunk store; holes and id-0 slices read as zeros.
//
// Thread-safety: thread-safe; holds no per-file state (the VFS caches slice lists).
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "chunk/chunk_store.h"
#include "meta/meta.h"
#include "vfs/slice_view.h"

namespace tierfs::vfs {

// Returns the resolved pieces of chunk `indx` of the file (possibly from a cache).
using PieceSource = std::function<Result<std::vector<Piece>>(uint32_t indx)>;

// Reads min(buf.size(), length - off) bytes at `off` of a file of `length` bytes.
// Returns the number of bytes read (0 at or past EOF); EIO/ENOENT from the chunk store.
Result<size_t> ReadFileRange(chunk::ChunkStore* store, const PieceSource& pieces, uint64_t length,
                             uint64_t off, std::span<char> buf);

}  // namespace tierfs::vfs
