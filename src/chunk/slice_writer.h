// The SliceWriter of CachedStore (contract in chunk_store.h).
//
// The slice's bytes live in per-block buffers that grow on demand (doubling, from 64 KiB up to
// block_size); every byte of buffer capacity is charged to the store's MemoryBudget when it is
// allocated (never blocking: writers throttle before they write, ChunkStore::Buffer), drains
// while its block uploads and leaves the budget when the upload ends. A block is frozen when handed to the upload pool (FlushTo/Finish); writing below the
// frozen prefix is EINVAL. Upload results are collected in a shared state that the pool's tasks
// co-own, so a writer destroyed without Finish/Abort leaves no dangling task.
#pragma once

#include <cstdint>
#include <memory>

#include "chunk/chunk_store.h"

namespace tierfs::chunk {

class CachedStore;

// Smallest write buffer of a block: keeps the number of reallocations low for small appends
// while a 4 KiB file still costs only 64 KiB of budget. A block of n > 0 bytes is charged at
// least min(n rounded up to this, block_size).
inline constexpr uint64_t kMinWriteBuffer = 64 << 10;

// REQUIRES: `store` outlives the writer's uploads (CachedStore's pool guarantees it).
// With WriteMode::kStage (and a staging directory) blocks are staged instead of uploaded.
std::unique_ptr<SliceWriter> NewSliceWriter(CachedStore* store, uint64_t id, WriteMode mode);

}  // namespace tierfs::chunk
