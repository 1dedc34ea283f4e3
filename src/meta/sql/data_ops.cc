// SqlEngine data primitives: chunk slice lists (read, write, truncate, fallocate,
// copy_file_range, compaction commit), slice reference counts and the deletion of freed files.
#include <linux/falloc.h>

#include <algorithm>

#include "meta/perm.h"
#include "meta/sql/engine.h"

namespace tierfs::meta::sql {
namespace {

Status AppendSlice(Conn& c, const Dialect& d, Ino ino, uint32_t indx, const Slice& s) {
  std::string rec = EncodeSlice(s);
  ASSIGN_OR_RETURN(auto n, c.Exec("UPDATE jfs_chunk SET slices=" + d.AppendBlob("slices") +
                                      " WHERE inode=? AND indx=?", {rec, ino, indx}));
  if (n == 0) {
    RETURN_IF_ERROR(c.Exec("INSERT INTO jfs_chunk (inode,indx,slices) VALUES (?,?,?)", {ino, indx, rec}));
  }
  return Status();
}

// Appends zero slices over file bytes [from, to). The partial chunks at either end get one
// (created if absent); the whole chunks between get one only where a row exists, all with one
// statement (JuiceFS doTruncate does the same: absent chunks already read as zeros), so a
// `truncate -s 1P` costs a few statements, not one per chunk.
Status ZeroRange(Conn& c, const Dialect& d, Ino ino, uint64_t from, uint64_t to) {
  if (from >= to) return Status();
  auto partial = [&](uint64_t lo, uint64_t hi) {  // [lo, hi) within one chunk
    uint32_t indx = static_cast<uint32_t>(lo >> kChunkBits);
    Slice z;
    z.pos = static_cast<uint32_t>(lo - (uint64_t(indx) << kChunkBits));
    z.len = static_cast<uint32_t>(hi - lo);  // id 0, size 0: a hole (JuiceFS marshalSlice(pos, 0, 0, 0, len))
    return AppendSlice(c, d, ino, indx, z);
  };
  const uint64_t first_end = std::min(to, ((from >> kChunkBits) + 1) << kChunkBits);
  const bool first_whole = (from & (kChunkSize - 1)) == 0 && first_end - from == kChunkSize;
  if (!first_whole) {
    RETURN_IF_ERROR(partial(from, first_end));
    from = first_end;
  }
  if (from >= to) return Status();
  const uint64_t last_start = (to >> kChunkBits) << kChunkBits;  // start of `to`'s chunk
  if (last_start > from) {  // whole chunks [from, last_start)
    Slice z;
    z.len = static_cast<uint32_t>(kChunkSize);
    RETURN_IF_ERROR(c.Exec("UPDATE jfs_chunk SET slices=" + d.AppendBlob("slices") +
                               " WHERE inode=? AND indx>=? AND indx<?",
                           {EncodeSlice(z), ino, static_cast<int64_t>(from >> kChunkBits),
                            static_cast<int64_t>(last_start >> kChunkBits)}));
  }
  if (to > last_start && last_start >= from) RETURN_IF_ERROR(partial(last_start, to));
  return Status();
}

Status AddRef(Conn& c, uint64_t id, uint32_t size) {
  ASSIGN_OR_RETURN(auto n, c.Exec("UPDATE jfs_chunk_ref SET refs=refs+1 WHERE chunkid=?", {id}));
  if (n == 0) {
    RETURN_IF_ERROR(c.Exec("INSERT INTO jfs_chunk_ref (chunkid,size,refs) VALUES (?,?,2)", {id, size}));
  }
  return Status();
}

// One reference of slice `id` is gone; records it in `dead` when none is left.
Status DropRef(Conn& c, uint64_t id, uint32_t size, std::vector<DeadSlice>& dead) {
  if (id == 0) return Status();
  RETURN_IF_ERROR(c.Exec("UPDATE jfs_chunk_ref SET refs=refs-1 WHERE chunkid=?", {id}));
  ASSIGN_OR_RETURN(auto r, c.QueryOne("SELECT refs FROM jfs_chunk_ref WHERE chunkid=?", {id}));
  if (!r || r->I(0) <= 0) {
    RETURN_IF_ERROR(c.Exec("DELETE FROM jfs_chunk_ref WHERE chunkid=?", {id}));
    dead.push_back({id, size});
  }
  return Status();
}

Status SetLength(SqlEngine& e, Conn& c, Ino ino, Attr& a, uint64_t length) {
  int64_t delta = Align4K(length) - Align4K(a.length);
  int64_t dlen = static_cast<int64_t>(length) - static_cast<int64_t>(a.length);
  a.length = length;
  if (delta) RETURN_IF_ERROR(SqlEngine::AddUsage(c, delta, 0));
  RETURN_IF_ERROR(e.AddParentsStat(c, ino, a, dlen, delta));
  return SqlEngine::UpdateNode(c, ino, a);
}

void TouchData(Attr& a) { Touch(a, true); }

Result<Attr> RegularFile(Conn& c, Ino ino) {
  ASSIGN_OR_RETURN(Attr a, SqlEngine::MustGetNode(c, ino));
  if (a.type == FileType::kDirectory) return Err(EISDIR, "inode is a directory");
  if (a.type != FileType::kFile) return Err(EPERM, "not a regular file");
  return a;
}

}  // namespace

Result<std::string> SqlEngine::DoReadChunk(Ino ino, uint32_t indx) {
  std::string raw;
  Status st = Txn(false, [&](Conn& c) -> Status {
    ASSIGN_OR_RETURN(auto r, c.QueryOne("SELECT slices FROM jfs_chunk WHERE inode=? AND indx=?", {ino, indx}));
    if (r) {
      raw = r->B(0);
      return Status();
    }
    ASSIGN_OR_RETURN(auto a, GetNode(c, ino));
    if (!a) return Status(ENOENT, "no inode " + std::to_string(ino));
    raw.clear();
    return Status();
  });
  if (!st.ok()) return Err(st);
  return raw;
}

Result<uint32_t> SqlEngine::DoWrite(Ino ino, uint32_t indx, uint32_t pos, const Slice& slice,
                                    int64_t mtime_s, uint32_t mtime_ns) {
  uint32_t count = 0;
  Status st = Txn(true, [&](Conn& c) -> Status {
    ASSIGN_OR_RETURN(Attr a, RegularFile(c, ino));
    if (a.flags & kFlagImmutable) return Status(EPERM, "file is immutable");
    Slice s = slice;
    s.pos = pos;
    RETURN_IF_ERROR(AppendSlice(c, dialect(), ino, indx, s));
    if (s.id != 0) {
      RETURN_IF_ERROR(c.Exec(dialect().InsertIgnore("jfs_chunk_ref", "chunkid,size,refs", 3), {s.id, s.size, 1}));
    }
    uint64_t end = (uint64_t(indx) << kChunkBits) + pos + s.len;
    a.mtime = a.ctime = mtime_s;
    a.mtimensec = a.ctimensec = mtime_ns;
    ASSIGN_OR_RETURN(auto rows, c.Query("SELECT length(CAST(slices AS BLOB)) FROM jfs_chunk WHERE inode=? AND indx=?",
                                        {ino, indx}));
    count = rows.empty() ? 0 : uint32_t(rows[0].U(0) / kSliceBytes);
    return SetLength(*this, c, ino, a, std::max(a.length, end));
  });
  if (!st.ok()) return Err(st);
  return count;
}

Result<Attr> SqlEngine::DoTruncate(const Context& ctx, Ino ino, uint64_t length,
                                   bool skip_perm_check, std::vector<DeadSlice>&) {
  Attr out;
  Status st = Txn(true, [&](Conn& c) -> Status {
    ASSIGN_OR_RETURN(Attr a, RegularFile(c, ino));
    if (!skip_perm_check) RETURN_IF_ERROR(Access(ctx, a, kMaskWrite));
    if (a.flags & (kFlagImmutable | kFlagAppend)) return Status(EPERM, "file is immutable or append-only");
    uint64_t lo = std::min(a.length, length), hi = std::max(a.length, length);
    RETURN_IF_ERROR(ZeroRange(c, dialect(), ino, lo, hi));
    KillPrivOnWrite(ctx, a);
    TouchData(a);
    RETURN_IF_ERROR(SetLength(*this, c, ino, a, length));
    out = a;
    return Status();
  });
  if (!st.ok()) return Err(st);
  return out;
}

Status SqlEngine::DoFallocate(const Context& ctx, Ino ino, uint32_t mode, uint64_t off,
                              uint64_t size) {
  RETURN_IF_ERROR(CheckFallocate(mode, size));
  return Txn(true, [&](Conn& c) -> Status {
    ASSIGN_OR_RETURN(Attr a, RegularFile(c, ino));
    if (a.flags & (kFlagImmutable | kFlagAppend)) return Status(EPERM, "file is immutable or append-only");
    uint64_t end = off + size;
    if (mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE)) {
      RETURN_IF_ERROR(ZeroRange(c, dialect(), ino, off, end));
    }
    TouchData(a);
    uint64_t length = (mode & FALLOC_FL_KEEP_SIZE) ? a.length : std::max(a.length, end);
    return SetLength(*this, c, ino, a, length);
  });
}

Result<uint64_t> SqlEngine::DoCopyFileRange(const Context& ctx, Ino fin, uint64_t off_in,
                                            Ino fout, uint64_t off_out, uint64_t size) {
  uint64_t copied = 0;
  Status st = Txn(true, [&](Conn& c) -> Status {
    ASSIGN_OR_RETURN(Attr in, RegularFile(c, fin));
    ASSIGN_OR_RETURN(Attr out, RegularFile(c, fout));
    RETURN_IF_ERROR(Access(ctx, in, kMaskRead));
    RETURN_IF_ERROR(Access(ctx, out, kMaskWrite));
    if (out.flags & (kFlagImmutable | kFlagAppend)) return Status(EPERM, "target is immutable or append-only");
    if (fin == fout && off_in < off_out + size && off_out < off_in + size) {
      return Status(EINVAL, "overlapping copy within one file");
    }
    copied = off_in >= in.length ? 0 : std::min(size, in.length - off_in);
    if (copied == 0) return Status();
    // Zeros first, so the source's holes overwrite what the target had there.
    RETURN_IF_ERROR(ZeroRange(c, dialect(), fout, off_out, off_out + copied));
    const uint64_t end_in = off_in + copied;
    for (uint32_t indx = off_in >> kChunkBits; (uint64_t(indx) << kChunkBits) < end_in; ++indx) {
      ASSIGN_OR_RETURN(auto r, c.QueryOne("SELECT slices FROM jfs_chunk WHERE inode=? AND indx=?", {fin, indx}));
      if (!r) continue;
      const uint64_t base = uint64_t(indx) << kChunkBits;
      for (const Slice& s : DecodeSlices(r->B(0))) {
        uint64_t lo = std::max(base + s.pos, off_in), hi = std::min(base + s.pos + s.len, end_in);
        if (lo >= hi) continue;
        // Piece [lo, hi) of the source maps to [lo - off_in + off_out, ...) of the target,
        // split where it crosses a target chunk boundary.
        for (uint64_t p = lo; p < hi;) {
          uint64_t dst = p - off_in + off_out;
          uint32_t dindx = static_cast<uint32_t>(dst >> kChunkBits);
          uint64_t n = std::min(hi - p, ((uint64_t(dindx) + 1) << kChunkBits) - dst);
          Slice piece = s;
          piece.pos = static_cast<uint32_t>(dst - (uint64_t(dindx) << kChunkBits));
          piece.off = static_cast<uint32_t>(s.off + (p - base - s.pos));
          piece.len = static_cast<uint32_t>(n);
          RETURN_IF_ERROR(AppendSlice(c, dialect(), fout, dindx, piece));
          if (piece.id) RETURN_IF_ERROR(AddRef(c, piece.id, piece.size));
          p += n;
        }
      }
    }
    TouchData(out);
    return SetLength(*this, c, fout, out, std::max(out.length, off_out + copied));
  });
  if (!st.ok()) return Err(st);
  return copied;
}

Status SqlEngine::DoCommitCompaction(Ino ino, uint32_t indx, const std::string& expect_prefix,
                                     const std::vector<Slice>& replacement, bool keep_in_trash,
                                     std::vector<DeadSlice>& dead) {
  return Txn(true, [&](Conn& c) -> Status {
    dead.clear();
    ASSIGN_OR_RETURN(auto r, c.QueryOne("SELECT slices FROM jfs_chunk WHERE inode=? AND indx=?", {ino, indx}));
    if (!r || !r->B(0).starts_with(expect_prefix)) {
      return Status(EAGAIN, "chunk changed during compaction");
    }
    std::string next;
    for (const Slice& s : replacement) next += EncodeSlice(s);
    next += r->B(0).substr(expect_prefix.size());
    RETURN_IF_ERROR(c.Exec("UPDATE jfs_chunk SET slices=? WHERE inode=? AND indx=?", {next, ino, indx}));
    uint64_t first_new = 0;
    for (const Slice& s : replacement) {
      if (s.id == 0) continue;
      if (!first_new) first_new = s.id;
      RETURN_IF_ERROR(c.Exec(dialect().InsertIgnore("jfs_chunk_ref", "chunkid,size,refs", 3), {s.id, s.size, 1}));
    }
    std::vector<Slice> old = DecodeSlices(expect_prefix);
    if (keep_in_trash && first_new) {
      std::string recs;
      for (const Slice& s : old) {
        if (s.id == 0) continue;
        std::string b = EncodeSlice(s);  // id u64 at [4,12), size u32 at [12,16)
        recs += b.substr(4, 12);
      }
      const int64_t now_s = tierfs::Now().sec;
      return ToStatus(c.Exec("INSERT INTO jfs_delslices (chunkid,deleted,slices) VALUES (?,?,?)", {first_new, now_s, recs}));
    }
    for (const Slice& s : old) RETURN_IF_ERROR(DropRef(c, s.id, s.size, dead));
    return Status();
  });
}

Result<std::vector<DeadSlice>> SqlEngine::DoDeleteFileChunk(Ino ino, bool& more) {
  std::vector<DeadSlice> dead;
  Status st = Txn(true, [&](Conn& c) -> Status {
    dead.clear();
    ASSIGN_OR_RETURN(auto r, c.QueryOne("SELECT indx,slices FROM jfs_chunk WHERE inode=? ORDER BY indx LIMIT 1", {ino}));
    more = r.has_value();
    if (!r) return Status();
    for (const Slice& s : DecodeSlices(r->B(1))) RETURN_IF_ERROR(DropRef(c, s.id, s.size, dead));
    return ToStatus(c.Exec("DELETE FROM jfs_chunk WHERE inode=? AND indx=?", {ino, r->I(0)}));
  });
  if (!st.ok()) return Err(st);
  return dead;
}

Result<std::vector<DeadSlice>> SqlEngine::DoCleanupDelayedSlices(int64_t edge) {
  std::vector<int64_t> ids;
  Status st = Txn(false, [&](Conn& c) -> Status {
    ASSIGN_OR_RETURN(auto rows, c.Query("SELECT chunkid FROM jfs_delslices WHERE deleted < ?", {edge}));
    ids.clear();
    for (auto& r : rows) ids.push_back(r.I(0));
    return Status();
  });
  if (!st.ok()) return Err(st);
  std::vector<DeadSlice> dead;
  for (int64_t id : ids) {
    std::vector<DeadSlice> mine;
    st = Txn(true, [&](Conn& c) -> Status {
      mine.clear();
      ASSIGN_OR_RETURN(auto r, c.QueryOne("SELECT slices FROM jfs_delslices WHERE chunkid=?", {id}));
      if (!r) return Status();  // another client released it
      // 12-byte records: slice id (u64) and size (u32), big-endian (FORMAT.md §1.3).
      const std::string& raw = r->B(0);
      for (size_t off = 0; off + 12 <= raw.size(); off += 12) {
        uint64_t sid = 0;
        uint32_t size = 0;
        for (int i = 0; i < 8; i++) sid = sid << 8 | uint8_t(raw[off + i]);
        for (int i = 8; i < 12; i++) size = size << 8 | uint8_t(raw[off + i]);
        RETURN_IF_ERROR(DropRef(c, sid, size, mine));
      }
      return ToStatus(c.Exec("DELETE FROM jfs_delslices WHERE chunkid=?", {id}));
    });
    if (!st.ok()) return Err(st);
    dead.insert(dead.end(), mine.begin(), mine.end());
  }
  return dead;
}

Status SqlEngine::DoFinishDelFile(Ino ino) {
  return Txn(true, [&](Conn& c) -> Status {
    return ToStatus(c.Exec("DELETE FROM jfs_delfile WHERE inode=?", {ino}));
  });
}

Result<std::vector<Ino>> SqlEngine::ListDelFiles(int64_t before, size_t limit) {
  std::vector<Ino> out;
  Status st = Txn(false, [&](Conn& c) -> Status {
    ASSIGN_OR_RETURN(auto rows, c.Query("SELECT inode FROM jfs_delfile WHERE expire < ? LIMIT ?",
                                        {before, static_cast<int64_t>(limit)}));
    out.clear();
    for (auto& r : rows) out.push_back(r.U(0));
    return Status();
  });
  if (!st.ok()) return Err(st);
  return out;
}

Result<bool> SqlEngine::DoReleaseSustained(uint64_t sid, Ino ino) {
  bool freed = false;
  Status st = Txn(true, [&](Conn& c) -> Status {
    freed = false;
    ASSIGN_OR_RETURN(auto n, c.Exec("DELETE FROM jfs_sustained WHERE sid=? AND inode=?", {sid, ino}));
    if (n == 0) return Status();
    ASSIGN_OR_RETURN(freed, FreeSustained(c, ino));
    return Status();
  });
  if (!st.ok()) return Err(st);
  return freed;
}

}  // namespace tierfs::meta::sql
