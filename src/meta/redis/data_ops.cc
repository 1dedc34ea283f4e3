// RedisEngine data primitives on the c{ino}_{indx} lists of 24-byte slice records, the sliceRef
// hash (refcount - 1; a missing field is one reference), delSlices and delfiles (JuiceFS redis.go
// doWrite, doTruncate, doFallocate, CopyFileRange, doCompactChunk, deleteChunk,
// doDeleteFileData, doCleanupDelayedSlices, doDeleteSustainedInode).
#include <linux/falloc.h>

#include <algorithm>
#include <map>

#include "meta/perm.h"
#include "meta/redis/engine.h"

namespace tierfs::meta::redis {
namespace {

// Whole chunks between the ends of a zeroed range above which the existing chunk keys are
// found by SCAN instead of one RPUSHX per index (JuiceFS doTruncate uses 10000 too).
constexpr uint64_t kScanChunksAbove = 10000;
constexpr size_t kLlenBatch = 1000;

void TouchData(Attr& a) { Touch(a, true); }

Result<Attr*> RegularFile(Tx& tx, Ino ino) {
  ASSIGN_OR_RETURN(Attr * a, tx.Node(ino));
  if (a->type == FileType::kDirectory) return Err(EISDIR, "inode is a directory");
  if (a->type != FileType::kFile) return Err(EPERM, "not a regular file");
  return a;
}

void PushSlice(Tx& tx, Ino ino, uint32_t indx, const Slice& s) {
  tx.Queue({"RPUSH", tx.keys().Chunk(ino, indx), EncodeSlice(s)});
}

// The indexes in [lo, hi) of the chunks of `ino` that exist, found by SCAN.
Result<std::vector<uint32_t>> ScanChunks(RedisEngine& e, Ino ino, uint64_t lo, uint64_t hi) {
  std::vector<uint32_t> out;
  std::string pattern = e.keys().prefix + "c" + std::to_string(ino) + "_*";
  std::string cursor = "0";
  do {
    ASSIGN_OR_RETURN(Reply r, e.Do({"SCAN", cursor, "MATCH", pattern, "COUNT", "10000"}));
    if (r.elems.size() != 2) return Err(EIO, "redis SCAN: unexpected reply");
    cursor = r.elems[0].str;
    for (const Reply& k : r.elems[1].elems) {
      auto us = k.str.rfind('_');
      auto v = us == std::string::npos ? std::nullopt : ParseInt(std::string_view(k.str).substr(us + 1));
      if (v && uint64_t(*v) >= lo && uint64_t(*v) < hi) out.push_back(uint32_t(*v));
    }
  } while (cursor != "0");
  return out;
}

// Appends zero slices over file bytes [from, to): the partial chunks at either end get one,
// the whole chunks between get one only where the chunk exists (RPUSHX), as JuiceFS does.
Status ZeroRange(RedisEngine& e, Tx& tx, Ino ino, uint64_t from, uint64_t to) {
  if (from >= to) return Status();
  auto partial = [&](uint64_t lo, uint64_t hi) {
    uint32_t indx = static_cast<uint32_t>(lo >> kChunkBits);
    Slice z;
    z.pos = static_cast<uint32_t>(lo - (uint64_t(indx) << kChunkBits));
    z.len = static_cast<uint32_t>(hi - lo);
    PushSlice(tx, ino, indx, z);
  };
  const uint64_t first_end = std::min(to, ((from >> kChunkBits) + 1) << kChunkBits);
  const bool first_whole = (from & (kChunkSize - 1)) == 0 && first_end - from == kChunkSize;
  if (!first_whole) {
    partial(from, first_end);
    from = first_end;
  }
  if (from >= to) return Status();
  const uint64_t last_start = (to >> kChunkBits) << kChunkBits;
  if (last_start > from) {  // whole chunks [from, last_start)
    Slice z;
    z.len = static_cast<uint32_t>(kChunkSize);
    std::string rec = EncodeSlice(z);
    uint64_t lo = from >> kChunkBits, hi = last_start >> kChunkBits;
    std::vector<uint32_t> idx;
    if (hi - lo > kScanChunksAbove) {
      ASSIGN_OR_RETURN(idx, ScanChunks(e, ino, lo, hi));
    } else {
      for (uint64_t i = lo; i < hi; ++i) idx.push_back(uint32_t(i));
    }
    for (uint32_t i : idx) tx.Queue({"RPUSHX", tx.keys().Chunk(ino, i), rec});
  }
  if (to > last_start && last_start >= from) partial(last_start, to);
  return Status();
}

Status SetLength(RedisEngine& e, Tx& tx, Ino ino, Attr& a, uint64_t length) {
  int64_t delta = Align4K(length) - Align4K(a.length);
  int64_t dlen = static_cast<int64_t>(length) - static_cast<int64_t>(a.length);
  a.length = length;
  if (delta) e.AddUsage(tx, delta, 0);
  return e.AddParentsStat(tx, ino, a, dlen, delta);
}

// Queues one reference less on each slice; `refs` collects (slice, EXEC index) to read back.
void DropRefs(Tx& tx, const std::vector<Slice>& slices,
              std::vector<std::pair<DeadSlice, size_t>>& refs) {
  for (const Slice& s : slices) {
    if (s.id == 0) continue;
    size_t at = tx.Queue({"HINCRBY", tx.keys().Named("sliceRef"), SliceRefField(s.id, s.size), "-1"});
    refs.push_back({DeadSlice{s.id, s.size}, at});
  }
}

// After the commit: the slices whose count went below zero are dead; their fields go.
void CollectDead(RedisEngine& e, const std::vector<Reply>& exec,
                 const std::vector<std::pair<DeadSlice, size_t>>& refs, std::vector<DeadSlice>& dead) {
  for (const auto& [s, at] : refs) {
    if (at < exec.size() && exec[at].integer < 0) {
      dead.push_back(s);
      (void)e.Do({"HDEL", e.keys().Named("sliceRef"), SliceRefField(s.id, s.size)});
    }
  }
}

std::string Join(const Reply& list) {
  std::string raw;
  for (const Reply& r : list.elems) raw += r.str;
  return raw;
}

// Deletes the chunks of `ino` with index in [from, to) in the transaction (their keys watched
// and read), each of their slices losing a reference.
Status DropChunks(RedisEngine& e, Tx& tx, Ino ino, uint64_t from, uint64_t to,
                  std::vector<std::pair<DeadSlice, size_t>>& refs) {
  if (from >= to) return Status();
  std::vector<uint32_t> idx;
  if (to - from > kScanChunksAbove) {
    ASSIGN_OR_RETURN(idx, ScanChunks(e, ino, from, to));
  } else {
    for (uint64_t i = from; i < to; ++i) idx.push_back(uint32_t(i));
  }
  std::vector<std::pair<std::string, Command>> reads;
  for (uint32_t i : idx) {
    std::string ck = e.keys().Chunk(ino, i);
    reads.push_back({ck, {"LRANGE", ck, "0", "-1"}});
  }
  ASSIGN_OR_RETURN(auto lists, tx.ReadAll(reads));
  for (size_t i = 0; i < lists.size(); ++i) {
    if (lists[i].elems.empty()) continue;
    tx.Queue({"DEL", reads[i].first});
    DropRefs(tx, DecodeSlices(Join(lists[i])), refs);
  }
  return Status();
}

}  // namespace

Result<std::string> RedisEngine::DoReadChunk(Ino ino, uint32_t indx) {
  ASSIGN_OR_RETURN(auto replies, DoAll({{"LRANGE", keys_.Chunk(ino, indx), "0", "-1"}, {"EXISTS", keys_.Inode(ino)}}));
  if (replies[0].elems.empty() && replies[1].integer == 0) return Err(ENOENT, "no inode " + std::to_string(ino));
  return Join(replies[0]);
}

Result<uint32_t> RedisEngine::DoWrite(Ino ino, uint32_t indx, uint32_t pos, const Slice& slice,
                                      int64_t mtime_s, uint32_t mtime_ns) {
  uint32_t count = 0;
  size_t at = 0;
  Status st = Txn(keys_.Inode(ino), [&](Tx& tx) -> Status {
    ASSIGN_OR_RETURN(Attr * a, RegularFile(tx, ino));
    if (a->flags & kFlagImmutable) return Status(EPERM, "file is immutable");
    Slice s = slice;
    s.pos = pos;
    at = tx.Queue({"RPUSH", keys_.Chunk(ino, indx), EncodeSlice(s)});
    uint64_t end = (uint64_t(indx) << kChunkBits) + pos + s.len;
    a->mtime = a->ctime = mtime_s;
    a->mtimensec = a->ctimensec = mtime_ns;
    return SetLength(*this, tx, ino, *a, std::max(a->length, end));
  }, [&](const std::vector<Reply>& exec) {
    count = at < exec.size() ? static_cast<uint32_t>(exec[at].integer) : 0;
  });
  if (!st.ok()) return Err(st);
  return count;
}

Result<Attr> RedisEngine::DoTruncate(const Context& ctx, Ino ino, uint64_t length,
                                     bool skip_perm_check, std::vector<DeadSlice>& dead) {
  Attr out;
  std::vector<std::pair<DeadSlice, size_t>> refs;
  Status st = Txn(keys_.Inode(ino), [&](Tx& tx) -> Status {
    refs.clear();
    ASSIGN_OR_RETURN(Attr * a, RegularFile(tx, ino));
    if (!skip_perm_check) RETURN_IF_ERROR(Access(ctx, *a, kMaskWrite));
    if (a->flags & (kFlagImmutable | kFlagAppend)) return Status(EPERM, "file is immutable or append-only");
    uint64_t lo = std::min(a->length, length), hi = std::max(a->length, length);
    if (length < a->length) {
      // Chunks wholly past the new end go now (JuiceFS leaves them to `gc`): the deletion of a
      // freed file finds its chunks from its length.
      const uint64_t keep = (length + kChunkSize - 1) >> kChunkBits;
      const uint64_t had = (a->length + kChunkSize - 1) >> kChunkBits;
      RETURN_IF_ERROR(DropChunks(*this, tx, ino, keep, had, refs));
      hi = std::min(hi, keep << kChunkBits);
    }
    RETURN_IF_ERROR(ZeroRange(*this, tx, ino, lo, hi));
    KillPrivOnWrite(ctx, *a);
    TouchData(*a);
    RETURN_IF_ERROR(SetLength(*this, tx, ino, *a, length));
    out = *a;
    return Status();
  }, [&](const std::vector<Reply>& exec) { CollectDead(*this, exec, refs, dead); });
  if (!st.ok()) return Err(st);
  return out;
}

Status RedisEngine::DoFallocate(const Context& ctx, Ino ino, uint32_t mode, uint64_t off,
                                uint64_t size) {
  RETURN_IF_ERROR(CheckFallocate(mode, size));
  return Txn(keys_.Inode(ino), [&](Tx& tx) -> Status {
    ASSIGN_OR_RETURN(Attr * a, RegularFile(tx, ino));
    if (a->flags & (kFlagImmutable | kFlagAppend)) return Status(EPERM, "file is immutable or append-only");
    uint64_t end = off + size;
    if (mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE)) {
      RETURN_IF_ERROR(ZeroRange(*this, tx, ino, off, end));
    }
    TouchData(*a);
    uint64_t length = (mode & FALLOC_FL_KEEP_SIZE) ? a->length : std::max(a->length, end);
    return SetLength(*this, tx, ino, *a, length);
  });
}

Result<uint64_t> RedisEngine::DoCopyFileRange(const Context& ctx, Ino fin, uint64_t off_in,
                                              Ino fout, uint64_t off_out, uint64_t size) {
  uint64_t copied = 0;
  Status st = Txn(keys_.Inode(fout), [&](Tx& tx) -> Status {
    ASSIGN_OR_RETURN(Attr * in, RegularFile(tx, fin));
    ASSIGN_OR_RETURN(Attr * out, RegularFile(tx, fout));
    RETURN_IF_ERROR(Access(ctx, *in, kMaskRead));
    RETURN_IF_ERROR(Access(ctx, *out, kMaskWrite));
    if (out->flags & (kFlagImmutable | kFlagAppend)) return Status(EPERM, "target is immutable or append-only");
    if (fin == fout && off_in < off_out + size && off_out < off_in + size) {
      return Status(EINVAL, "overlapping copy within one file");
    }
    copied = off_in >= in->length ? 0 : std::min(size, in->length - off_in);
    if (copied == 0) return Status();
    RETURN_IF_ERROR(ZeroRange(*this, tx, fout, off_out, off_out + copied));
    const uint64_t end_in = off_in + copied;
    for (uint32_t indx = off_in >> kChunkBits; (uint64_t(indx) << kChunkBits) < end_in; ++indx) {
      std::string ck = keys_.Chunk(fin, indx);
      ASSIGN_OR_RETURN(Reply list, tx.Read(ck, {"LRANGE", ck, "0", "-1"}));
      const uint64_t base = uint64_t(indx) << kChunkBits;
      for (const Slice& s : DecodeSlices(Join(list))) {
        uint64_t lo = std::max(base + s.pos, off_in), hi = std::min(base + s.pos + s.len, end_in);
        if (lo >= hi) continue;
        for (uint64_t p = lo; p < hi;) {
          uint64_t dst = p - off_in + off_out;
          uint32_t dindx = static_cast<uint32_t>(dst >> kChunkBits);
          uint64_t n = std::min(hi - p, ((uint64_t(dindx) + 1) << kChunkBits) - dst);
          Slice piece = s;
          piece.pos = static_cast<uint32_t>(dst - (uint64_t(dindx) << kChunkBits));
          piece.off = static_cast<uint32_t>(s.off + (p - base - s.pos));
          piece.len = static_cast<uint32_t>(n);
          PushSlice(tx, fout, dindx, piece);
          if (piece.id) {
            tx.Queue({"HINCRBY", keys_.Named("sliceRef"), SliceRefField(piece.id, piece.size), "1"});
          }
          p += n;
        }
      }
    }
    TouchData(*out);
    return SetLength(*this, tx, fout, *out, std::max(out->length, off_out + copied));
  });
  if (!st.ok()) return Err(st);
  return copied;
}

Status RedisEngine::DoCommitCompaction(Ino ino, uint32_t indx, const std::string& expect_prefix,
                                       const std::vector<Slice>& replacement, bool keep_in_trash,
                                       std::vector<DeadSlice>& dead) {
  std::vector<std::pair<DeadSlice, size_t>> refs;
  std::string ck = keys_.Chunk(ino, indx);
  Status st = Txn(ck, [&](Tx& tx) -> Status {
    dead.clear();
    refs.clear();
    ASSIGN_OR_RETURN(Reply list, tx.Read(ck, {"LRANGE", ck, "0", "-1"}));
    if (!Join(list).starts_with(expect_prefix)) return Status(EAGAIN, "chunk changed during compaction");
    const size_t n = expect_prefix.size() / kSliceBytes;
    tx.Queue({"LTRIM", ck, std::to_string(n), "-1"});
    if (!replacement.empty()) {
      Command push{"LPUSH", ck};
      for (auto it = replacement.rbegin(); it != replacement.rend(); ++it) push.push_back(EncodeSlice(*it));
      tx.Queue(std::move(push));
    }
    uint64_t first_new = 0;
    for (const Slice& s : replacement) {
      if (s.id == 0) continue;
      if (!first_new) first_new = s.id;
      tx.Queue({"HSET", keys_.Named("sliceRef"), SliceRefField(s.id, s.size), "0"});
    }
    std::vector<Slice> old = DecodeSlices(expect_prefix);
    if (keep_in_trash && first_new) {
      std::string recs;
      for (const Slice& s : old) {
        if (s.id) recs += EncodeDelayed(s.id, s.size);
      }
      const int64_t now_s = tierfs::Now().sec;
      if (!recs.empty()) {
        tx.Queue({"HSET", keys_.Named("delSlices"), std::to_string(first_new) + "_" + std::to_string(now_s), recs});
      }
      return Status();
    }
    DropRefs(tx, old, refs);
    return Status();
  }, [&](const std::vector<Reply>& exec) { CollectDead(*this, exec, refs, dead); });
  return st;
}

namespace {

// The delfiles member of `ino` ("{ino}:{length}"), nullopt when it has none.
Result<std::optional<std::string>> FindDelFile(RedisEngine& e, Ino ino) {
  if (auto known = e.KnownDelFile(ino)) return known;
  std::string cursor = "0";
  std::string pattern = std::to_string(ino) + ":*";
  do {
    ASSIGN_OR_RETURN(Reply r, e.Do({"ZSCAN", e.keys().Named("delfiles"), cursor, "MATCH", pattern, "COUNT", "1000"}));
    if (r.elems.size() != 2) return Err(EIO, "redis ZSCAN: unexpected reply");
    cursor = r.elems[0].str;
    const auto& kv = r.elems[1].elems;
    for (size_t i = 0; i < kv.size(); i += 2) {
      auto m = ParseDelFileMember(kv[i].str);
      if (m && m->first == ino) return std::optional<std::string>(kv[i].str);
    }
  } while (cursor != "0");
  return std::optional<std::string>();
}

}  // namespace

Result<std::vector<DeadSlice>> RedisEngine::DoDeleteFileChunk(Ino ino, bool& more) {
  more = false;
  ASSIGN_OR_RETURN(auto member, FindDelFile(*this, ino));
  uint64_t length = member ? ParseDelFileMember(*member)->second : 0;
  if (!member) {
    // A sustained inode being released, or a file of a dead session: its attr has the length.
    ASSIGN_OR_RETURN(Reply r, Do({"GET", keys_.Inode(ino)}));
    if (auto a = r.IsNil() ? std::nullopt : DecodeAttr(r.str)) length = a->length;
  }
  const uint64_t chunks = (length + kChunkSize - 1) >> kChunkBits;
  // The first chunk that still exists: LLEN in batches (JuiceFS doDeleteFileData), or SCAN
  // for a huge sparse file; `del_next_` remembers where the previous call stopped.
  uint64_t start = 0;
  {
    std::lock_guard lk(del_mu_);
    if (auto it = del_next_.find(ino); it != del_next_.end()) start = it->second;
  }
  std::optional<uint32_t> found;
  if (chunks - std::min(chunks, start) > kScanChunksAbove) {
    ASSIGN_OR_RETURN(auto idx, ScanChunks(*this, ino, start, chunks));
    if (!idx.empty()) found = *std::min_element(idx.begin(), idx.end());
  }
  for (uint64_t i = start; i < chunks && !found && chunks - start <= kScanChunksAbove; i += kLlenBatch) {
    std::vector<Command> cmds;
    for (uint64_t j = i; j < std::min(chunks, i + kLlenBatch); ++j) cmds.push_back({"LLEN", keys_.Chunk(ino, uint32_t(j))});
    ASSIGN_OR_RETURN(auto rs, DoAll(std::move(cmds)));
    for (size_t j = 0; j < rs.size(); ++j) {
      if (rs[j].integer > 0) { found = uint32_t(i + j); break; }
    }
  }
  {
    std::lock_guard lk(del_mu_);
    if (found) del_next_[ino] = *found; else del_next_.erase(ino);
  }
  if (!found) return std::vector<DeadSlice>();
  std::vector<DeadSlice> dead;
  std::vector<std::pair<DeadSlice, size_t>> refs;
  std::string ck = keys_.Chunk(ino, *found);
  Status st = Txn(ck, [&](Tx& tx) -> Status {
    refs.clear();
    ASSIGN_OR_RETURN(Reply list, tx.Read(ck, {"LRANGE", ck, "0", "-1"}));
    if (list.elems.empty()) return Status();
    tx.Queue({"DEL", ck});
    DropRefs(tx, DecodeSlices(Join(list)), refs);
    return Status();
  }, [&](const std::vector<Reply>& exec) { CollectDead(*this, exec, refs, dead); });
  if (!st.ok()) return Err(st);
  more = true;
  return dead;
}

Result<std::vector<DeadSlice>> RedisEngine::DoCleanupDelayedSlices(int64_t edge) {
  std::string key = keys_.Named("delSlices");
  ASSIGN_OR_RETURN(Reply all, Do({"HKEYS", key}));
  std::vector<DeadSlice> dead;
  for (const Reply& f : all.elems) {
    auto us = f.str.find('_');
    auto ts = us == std::string::npos ? std::nullopt : ParseInt(std::string_view(f.str).substr(us + 1));
    if (!ts || *ts >= edge) continue;
    std::vector<std::pair<DeadSlice, size_t>> refs;
    std::vector<DeadSlice> mine;
    Status st = Txn(key, [&](Tx& tx) -> Status {
      refs.clear();
      ASSIGN_OR_RETURN(Reply v, tx.Read(key, {"HGET", key, f.str}));
      if (v.IsNil()) return Status();  // another client released it
      std::vector<Slice> slices;
      for (size_t off = 0; off + 12 <= v.str.size(); off += 12) {
        Slice s;
        for (int i = 0; i < 8; i++) s.id = s.id << 8 | uint8_t(v.str[off + i]);
        for (int i = 8; i < 12; i++) s.size = s.size << 8 | uint8_t(v.str[off + i]);
        slices.push_back(s);
      }
      DropRefs(tx, slices, refs);
      tx.Queue({"HDEL", key, f.str});
      return Status();
    }, [&](const std::vector<Reply>& exec) { CollectDead(*this, exec, refs, mine); });
    if (!st.ok()) return Err(st);
    dead.insert(dead.end(), mine.begin(), mine.end());
  }
  return dead;
}

Status RedisEngine::DoFinishDelFile(Ino ino) {
  ASSIGN_OR_RETURN(auto member, FindDelFile(*this, ino));
  if (!member) return Status();
  RETURN_IF_ERROR(Do({"ZREM", keys_.Named("delfiles"), *member}));
  ForgetDelFile(ino);
  return Status();
}

Result<std::vector<Ino>> RedisEngine::ListDelFiles(int64_t before, size_t limit) {
  ASSIGN_OR_RETURN(Reply r, Do({"ZRANGEBYSCORE", keys_.Named("delfiles"), "-inf", "(" + std::to_string(before),
                                "LIMIT", "0", std::to_string(limit)}));
  std::vector<Ino> out;
  for (const Reply& m : r.elems) {
    if (auto p = ParseDelFileMember(m.str)) {
      NoteDelFile(p->first, p->second);
      out.push_back(p->first);
    }
  }
  return out;
}

Result<bool> RedisEngine::DoReleaseSustained(uint64_t sid, Ino ino) {
  bool freed = false;
  uint64_t freed_length = 0;
  std::string sk = keys_.Sustained(sid);
  Status st = Txn(keys_.Inode(ino), [&](Tx& tx) -> Status {
    freed = false;
    ASSIGN_OR_RETURN(Reply is, tx.Read(sk, {"SISMEMBER", sk, std::to_string(ino)}));
    if (is.integer == 0) return Status();
    tx.Queue({"SREM", sk, std::to_string(ino)});
    ASSIGN_OR_RETURN(auto a, tx.GetAttr(ino));
    if (!a || a->nlink > 0) return Status();
    const int64_t s = tierfs::Now().sec;
    tx.Queue({"ZADD", keys_.Named("delfiles"), std::to_string(s), DelFileMember(ino, a->length)});
    tx.Queue({"DEL", keys_.Inode(ino)});
    AddUsage(tx, -Align4K(a->length), -1);
    freed = true;
    freed_length = a->length;
    return Status();
  });
  if (!st.ok()) return Err(st);
  if (freed) NoteDelFile(ino, freed_length);
  return freed;
}

}  // namespace tierfs::meta::redis
