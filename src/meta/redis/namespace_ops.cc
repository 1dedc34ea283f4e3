// RedisEngine namespace primitives: getattr, lookup, setattr, mknod, unlink, rmdir, rename,
// link, readlink, readdir, on the d{dir} / i{ino} / p{ino} / s{ino} keys (JuiceFS redis.go
// doMknod, doUnlink, doRmdir, doRename, doLink, doReaddir). POSIX rules come from meta/perm.h.
#include <algorithm>

#include "meta/perm.h"
#include "meta/redis/engine.h"

namespace tierfs::meta::redis {
namespace {

constexpr uint8_t kImmutableOrAppend = kFlagImmutable | kFlagAppend;
constexpr size_t kAttrBatch = 1000;  // attr reads per DoCachedAll

Result<Attr*> WritableDir(Tx& tx, const Context& ctx, Ino ino) {
  ASSIGN_OR_RETURN(Attr * d, tx.Node(ino));
  RETURN_IF_ERROR(CheckWritableDir(ctx, *d, ino));
  return d;
}

Result<std::pair<Ino, FileType>> MustEntry(Tx& tx, Ino parent, std::string_view name) {
  ASSIGN_OR_RETURN(auto e, tx.GetEntry(parent, name));
  if (!e) return Err(ENOENT, "no entry '" + std::string(name) + "' in " + std::to_string(parent));
  return *e;
}

Result<bool> DirEmpty(Tx& tx, Ino dir) {
  std::string k = tx.keys().Entries(dir);
  ASSIGN_OR_RETURN(Reply r, tx.Read(k, {"HLEN", k}));
  return r.integer == 0;
}

// EINVAL if `dir` is `anc` or below it (walks parent pointers of directories).
Status CheckNotBelow(Tx& tx, Ino dir, Ino anc) {
  for (Ino cur = dir; cur != kRootIno;) {
    if (cur == anc) return Status(EINVAL, "cannot move a directory into its own subtree");
    ASSIGN_OR_RETURN(auto a, tx.GetAttr(cur));
    if (!a || a->parent == 0 || a->parent == cur) break;
    cur = a->parent;
  }
  return Status();
}

// As the SQL engine's UseTrash (JuiceFS doUnlink): into the trash unless it is off, the inode
// skips it, or a multiply-linked file's trash name is taken already.
Result<bool> UseTrash(Tx& tx, const std::optional<TrashTarget>& trash, Ino parent, Ino ino,
                      std::string_view name, const Attr& a) {
  if (!trash || (a.flags & kFlagSkipTrash)) return false;
  if (a.type == FileType::kDirectory || a.nlink <= 1) return true;
  ASSIGN_OR_RETURN(auto taken, tx.GetEntry(trash->dir, TrashName(parent, ino, name)));
  return !taken.has_value();
}

// Hard-link bookkeeping: the p{ino} hash counts links per parent when Attr.parent is 0.
void MoveLink(Tx& tx, Ino ino, const Attr& a, Ino from, Ino to) {
  if (a.parent != 0) return;
  if (from) tx.Queue({"HINCRBY", tx.keys().Parents(ino), std::to_string(from), "-1"});
  if (to) tx.Queue({"HINCRBY", tx.keys().Parents(ino), std::to_string(to), "1"});
}

void PutEntry(Tx& tx, Ino dir, std::string_view name, FileType t, Ino ino) {
  tx.Queue({"HSET", tx.keys().Entries(dir), std::string(name), EncodeEntry(t, ino)});
}

void DelEntry(Tx& tx, Ino dir, std::string_view name) {
  tx.Queue({"HDEL", tx.keys().Entries(dir), std::string(name)});
}

// Deletes a removed directory's own keys (its entries hash is empty).
void DropDir(RedisEngine& e, Tx& tx, Ino dir) {
  tx.DropNode(dir);
  tx.Queue({"DEL", e.keys().Inode(dir)});
  tx.Queue({"DEL", e.keys().Xattrs(dir)});
  if (e.dir_stats()) {
    for (const char* h : {"dirDataLength", "dirUsedSpace", "dirUsedInodes"}) {
      tx.Queue({"HDEL", e.keys().Named(h), std::to_string(dir)});
    }
  }
  e.AddUsage(tx, -Align4K(0), -1);
}

}  // namespace

std::vector<Result<Attr>> RedisEngine::GetAttrs(std::span<const Ino> inos) {
  // Tracked reads (client-side cache): the server announces later changes of every attr that
  // goes up to the kernel.
  std::vector<Result<Attr>> out;
  out.reserve(inos.size());
  for (size_t i = 0; i < inos.size(); i += kAttrBatch) {
    size_t n = std::min(kAttrBatch, inos.size() - i);
    std::vector<std::pair<Command, std::string>> reads;
    reads.reserve(n);
    for (size_t j = 0; j < n; ++j) {
      std::string k = keys_.Inode(inos[i + j]);
      reads.push_back({{"GET", k}, k});
    }
    auto rs = client_->DoCachedAll(reads);
    for (size_t j = 0; j < n; ++j) {
      Ino ino = inos[i + j];
      auto& r = rs[j];
      if (!r) {
        out.push_back(Err(MetaError(r.error())));
      } else if (r->IsError()) {
        out.push_back(Err(EIO, "redis GET: " + r->str));
      } else if (r->IsNil()) {
        out.push_back(Err(ENOENT, "no inode " + std::to_string(ino)));
      } else if (auto a = DecodeAttr(r->str)) {
        NoteHanded(ino);
        out.push_back(*a);
      } else {
        out.push_back(Err(EIO, "corrupt attr of inode " + std::to_string(ino)));
      }
    }
  }
  return out;
}

Result<Attr> RedisEngine::GetFreshAttr(Ino ino) {
  // Dropped first, so the read goes to the server (and is tracked again); a nil there also
  // leaves nothing stale behind for the lookup that follows an ESTALE.
  const std::string k = keys_.Inode(ino);
  client_->Invalidate(std::span<const std::string>(&k, 1));
  return std::move(GetAttrs(std::span<const Ino>(&ino, 1))[0]);
}

Result<Entry> RedisEngine::DoLookup(const Context& ctx, Ino parent, std::string_view name) {
  return LookupOnce(ctx, parent, name, 2);
}

Result<Entry> RedisEngine::LookupOnce(const Context& ctx, Ino parent, std::string_view name,
                                      int retries_left) {
  // The parent's attr and the entry in one round trip (both tracked), then the child's attr.
  std::string pk = keys_.Inode(parent), dk = keys_.Entries(parent);
  NoteLookup(parent, name);
  auto got = client_->DoCachedAll({{{"GET", pk}, pk}, {{"HGET", dk, std::string(name)}, dk}});
  for (auto& r : got) {
    if (!r) return Err(MetaError(r.error()));
    if (r->IsError()) return Err(EIO, "redis lookup: " + r->str);
  }
  if (got[0]->IsNil()) return Err(ENOENT, "no inode " + std::to_string(parent));
  auto p = DecodeAttr(got[0]->str);
  if (!p) return Err(EIO, "corrupt attr of inode " + std::to_string(parent));
  NoteHanded(parent);
  if (p->type != FileType::kDirectory) return Err(ENOTDIR, "lookup in a non-directory");
  RETURN_IF_ERROR(Access(ctx, *p, kMaskExec));
  const Reply& r = *got[1];
  if (r.IsNil()) return Err(ENOENT, "no entry '" + std::string(name) + "' in " + std::to_string(parent));
  auto ent = DecodeEntry(r.str);
  if (!ent) return Err(EIO, "corrupt entry '" + std::string(name) + "' of directory " + std::to_string(parent));
  Entry e;
  e.ino = ent->second;
  e.name = name;
  auto attr = std::move(GetAttrs(std::span<const Ino>(&e.ino, 1))[0]);
  if (!attr && attr.error().code() == ENOENT && retries_left > 0) {
    // The entry names an inode that is gone: another client removed it, or renamed another file
    // over the name, in one transaction; the two keys' invalidations travel on different
    // connections, so the cached entry can be older than the inode's removal. Read it again.
    client_->Invalidate(std::span<const std::string>(&dk, 1));
    return LookupOnce(ctx, parent, name, retries_left - 1);
  }
  ASSIGN_OR_RETURN(e.attr, std::move(attr));
  return e;
}

Result<Attr> RedisEngine::DoSetAttr(Ino ino, const std::function<Result<Attr>(const Attr&)>& update) {
  Attr out;
  Status st = Txn(keys_.Inode(ino), [&](Tx& tx) -> Status {
    ASSIGN_OR_RETURN(Attr * cur, tx.Node(ino));
    ASSIGN_OR_RETURN(out, update(*cur));
    *cur = out;
    return Status();
  });
  if (!st.ok()) return Err(st);
  return out;
}

Result<Entry> RedisEngine::DoMknod(const Context& ctx, Ino parent, std::string_view name, Ino ino,
                                   Attr attr, std::string_view target) {
  Entry e;
  Status st = Txn(keys_.Inode(parent), [&](Tx& tx) -> Status {
    const std::pair<Ino, std::string_view> want[] = {{parent, name}};
    RETURN_IF_ERROR(tx.Preload(std::span<const Ino>(&parent, 1), want));
    ASSIGN_OR_RETURN(Attr * p, WritableDir(tx, ctx, parent));
    ASSIGN_OR_RETURN(auto existing, tx.GetEntry(parent, name));
    if (existing) return Status(EEXIST, "entry '" + std::string(name) + "' exists");
    Attr a = attr;
    InitOwner(ctx, *p, a);
    Touch(a, true);
    a.atime = a.mtime; a.atimensec = a.mtimensec;
    a.parent = parent;
    if (a.type == FileType::kDirectory) p->nlink++;
    Touch(*p, true);
    tx.Queue({"SET", keys_.Inode(ino), EncodeAttr(a)});
    PutEntry(tx, parent, name, a.type, ino);
    if (a.type == FileType::kSymlink) tx.Queue({"SET", keys_.Symlink(ino), std::string(target)});
    AddUsage(tx, Align4K(0), 1);
    AddDirStat(tx, parent, 0, Align4K(0), 1);
    if (a.type == FileType::kDirectory && dir_stats()) {
      for (const char* h : {"dirDataLength", "dirUsedSpace", "dirUsedInodes"}) {
        tx.Queue({"HSET", keys_.Named(h), std::to_string(ino), "0"});
      }
    }
    e.ino = ino;
    e.name = name;
    e.attr = a;
    e.attr.full = true;
    return Status();
  });
  if (!st.ok()) return Err(st);
  return e;
}

Result<Removed> RedisEngine::DoUnlink(const Context& ctx, Ino parent, std::string_view name,
                                      const std::optional<TrashTarget>& trash, uint64_t sid,
                                      const std::function<bool(Ino)>& is_open) {
  Removed out;
  Status st = Txn(keys_.Inode(parent), [&](Tx& tx) -> Status {
    out = Removed{};
    const std::pair<Ino, std::string_view> want[] = {{parent, name}};
    RETURN_IF_ERROR(tx.Preload(std::span<const Ino>(&parent, 1), want));
    ASSIGN_OR_RETURN(Attr * p, WritableDir(tx, ctx, parent));
    ASSIGN_OR_RETURN(auto edge, MustEntry(tx, parent, name));
    if (edge.second == FileType::kDirectory) return Status(EISDIR, "unlink of a directory");
    ASSIGN_OR_RETURN(Attr * a, tx.Node(edge.first));
    RETURN_IF_ERROR(CheckSticky(ctx, *p, *a));
    if (a->flags & kImmutableOrAppend) return Status(EPERM, "file is immutable or append-only");
    DelEntry(tx, parent, name);
    if (!IsTrash(parent)) Touch(*p, true);
    Touch(*a, false);
    out.ino = edge.first;
    int64_t len = edge.second == FileType::kFile ? static_cast<int64_t>(a->length) : 0;
    AddDirStat(tx, parent, -len, -Align4K(len), -1);
    ASSIGN_OR_RETURN(bool to_trash, UseTrash(tx, trash, parent, edge.first, name, *a));
    if (to_trash) {
      PutEntry(tx, trash->dir, TrashName(parent, edge.first, name), edge.second, edge.first);
      MoveLink(tx, edge.first, *a, parent, trash->dir);
      if (a->parent != 0) a->parent = trash->dir;
      out.attr = *a;
      return Status();
    }
    a->nlink--;
    out.attr = *a;
    if (a->nlink > 0) {
      MoveLink(tx, edge.first, *a, parent, 0);
      return Status();
    }
    return RetireInode(tx, edge.first, *a, sid, is_open(edge.first), out);
  });
  if (!st.ok()) return Err(st);
  if (out.freed) NoteDelFile(out.ino, out.attr.length);
  return out;
}

Status RedisEngine::DoRmdir(const Context& ctx, Ino parent, std::string_view name,
                            const std::optional<TrashTarget>& trash) {
  return Txn(keys_.Inode(parent), [&](Tx& tx) -> Status {
    const std::pair<Ino, std::string_view> want[] = {{parent, name}};
    RETURN_IF_ERROR(tx.Preload(std::span<const Ino>(&parent, 1), want));
    ASSIGN_OR_RETURN(Attr * p, WritableDir(tx, ctx, parent));
    ASSIGN_OR_RETURN(auto edge, MustEntry(tx, parent, name));
    if (edge.second != FileType::kDirectory) return Status(ENOTDIR, "rmdir of a non-directory");
    ASSIGN_OR_RETURN(Attr * a, tx.Node(edge.first));
    RETURN_IF_ERROR(CheckSticky(ctx, *p, *a));
    if (a->flags & kImmutableOrAppend) return Status(EPERM, "directory is immutable or append-only");
    ASSIGN_OR_RETURN(bool empty, DirEmpty(tx, edge.first));
    if (!empty) return Status(ENOTEMPTY, "directory '" + std::string(name) + "' not empty");
    DelEntry(tx, parent, name);
    if (!IsTrash(parent)) {
      p->nlink--;
      Touch(*p, true);
    }
    AddDirStat(tx, parent, 0, -Align4K(0), -1);
    ASSIGN_OR_RETURN(bool to_trash, UseTrash(tx, trash, parent, edge.first, name, *a));
    if (to_trash) {
      PutEntry(tx, trash->dir, TrashName(parent, edge.first, name), edge.second, edge.first);
      a->parent = trash->dir;
      Touch(*a, false);
      return Status();
    }
    DropDir(*this, tx, edge.first);
    return Status();
  });
}

// ---- rename, in steps (as the SQL engine's) ----
namespace {

struct RenameOp {
  RenameOp(RedisEngine& engine, Tx& t, const Context& context) : e(engine), tx(t), ctx(context) {}
  RedisEngine& e;
  Tx& tx;
  const Context& ctx;
  Ino psrc = 0, pdst = 0;
  std::string_view nsrc, ndst;
  uint32_t flags = 0;
  Attr* ps = nullptr;
  Attr* pd = nullptr;
  Attr* sa = nullptr;
  Attr* da = nullptr;
  std::pair<Ino, FileType> se;
  std::optional<std::pair<Ino, FileType>> de;
  bool sdir() const { return se.second == FileType::kDirectory; }
  bool ddir() const { return de && de->second == FileType::kDirectory; }
};

int64_t StatLength(FileType t, const Attr& a) {
  return t == FileType::kFile ? static_cast<int64_t>(a.length) : 0;
}

void MoveDirStat(RenameOp& op, Ino from, Ino to, FileType t, const Attr& a) {
  if (from == to) return;
  int64_t len = StatLength(t, a);
  op.e.AddDirStat(op.tx, from, -len, -Align4K(len), -1);
  op.e.AddDirStat(op.tx, to, len, Align4K(len), 1);
}

Result<bool> LoadRename(RenameOp& op) {
  const Ino parents[] = {op.psrc, op.pdst};
  const std::pair<Ino, std::string_view> want[] = {{op.psrc, op.nsrc}, {op.pdst, op.ndst}};
  RETURN_IF_ERROR(op.tx.Preload(parents, want));
  ASSIGN_OR_RETURN(op.ps, WritableDir(op.tx, op.ctx, op.psrc));
  ASSIGN_OR_RETURN(op.pd, WritableDir(op.tx, op.ctx, op.pdst));
  ASSIGN_OR_RETURN(op.se, MustEntry(op.tx, op.psrc, op.nsrc));
  ASSIGN_OR_RETURN(op.de, op.tx.GetEntry(op.pdst, op.ndst));
  ASSIGN_OR_RETURN(op.sa, op.tx.Node(op.se.first));
  RETURN_IF_ERROR(CheckSticky(op.ctx, *op.ps, *op.sa));
  if (op.sa->flags & kImmutableOrAppend) return Err(EPERM, "source is immutable or append-only");
  if (op.de && (op.flags & kRenameNoReplace)) return Err(EEXIST, "rename target exists");
  if (!op.de && (op.flags & kRenameExchange)) return Err(ENOENT, "exchange target missing");
  if (op.de && op.de->first == op.se.first) return true;
  if (op.sdir() && op.psrc != op.pdst) {
    RETURN_IF_ERROR(CheckNotBelow(op.tx, op.pdst, op.se.first));
    RETURN_IF_ERROR(Access(op.ctx, *op.sa, kMaskWrite));
  }
  if (op.de) {
    ASSIGN_OR_RETURN(op.da, op.tx.Node(op.de->first));
    RETURN_IF_ERROR(CheckSticky(op.ctx, *op.pd, *op.da));
    if (op.da->flags & kImmutableOrAppend) return Err(EPERM, "target is immutable or append-only");
  }
  return false;
}

Status ExchangeEntries(RenameOp& op) {
  if (op.ddir() && op.psrc != op.pdst) {
    RETURN_IF_ERROR(CheckNotBelow(op.tx, op.psrc, op.de->first));
    RETURN_IF_ERROR(Access(op.ctx, *op.da, kMaskWrite));
  }
  PutEntry(op.tx, op.psrc, op.nsrc, op.de->second, op.de->first);
  PutEntry(op.tx, op.pdst, op.ndst, op.se.second, op.se.first);
  if (op.psrc != op.pdst) {
    if (op.sdir()) { op.ps->nlink--; op.pd->nlink++; }
    if (op.ddir()) { op.pd->nlink--; op.ps->nlink++; }
    MoveLink(op.tx, op.de->first, *op.da, op.pdst, op.psrc);
    MoveLink(op.tx, op.se.first, *op.sa, op.psrc, op.pdst);
    if (op.da->parent != 0) op.da->parent = op.psrc;
    if (op.sa->parent != 0) op.sa->parent = op.pdst;
    MoveDirStat(op, op.psrc, op.pdst, op.se.second, *op.sa);
    MoveDirStat(op, op.pdst, op.psrc, op.de->second, *op.da);
  }
  Touch(*op.da, false);
  return Status();
}

Status ReplaceTarget(RenameOp& op, const std::optional<TrashTarget>& trash, uint64_t sid,
                     const std::function<bool(Ino)>& is_open, std::optional<Removed>& removed) {
  if (op.sdir() && !op.ddir()) return Status(ENOTDIR, "cannot overwrite a non-directory with a directory");
  if (!op.sdir() && op.ddir()) return Status(EISDIR, "cannot overwrite a directory with a non-directory");
  const Ino dino = op.de->first;
  if (op.ddir()) {
    ASSIGN_OR_RETURN(bool empty, DirEmpty(op.tx, dino));
    if (!empty) return Status(ENOTEMPTY, "rename target directory not empty");
  }
  // The entry itself is overwritten by MoveSource's HSET.
  int64_t len = StatLength(op.de->second, *op.da);
  op.e.AddDirStat(op.tx, op.pdst, -len, -Align4K(len), -1);
  if (op.ddir()) op.pd->nlink--;
  Touch(*op.da, false);
  ASSIGN_OR_RETURN(bool to_trash, UseTrash(op.tx, trash, op.pdst, dino, op.ndst, *op.da));
  if (to_trash) {
    PutEntry(op.tx, trash->dir, TrashName(op.pdst, dino, op.ndst), op.de->second, dino);
    MoveLink(op.tx, dino, *op.da, op.pdst, trash->dir);
    if (op.ddir() || op.da->parent != 0) op.da->parent = trash->dir;
    return Status();
  }
  if (op.ddir()) {
    DropDir(op.e, op.tx, dino);
    return Status();
  }
  op.da->nlink--;
  Removed r;
  r.ino = dino;
  r.attr = *op.da;
  if (op.da->nlink == 0) {
    RETURN_IF_ERROR(op.e.RetireInode(op.tx, dino, *op.da, sid, is_open(dino), r));
  } else {
    MoveLink(op.tx, dino, *op.da, op.pdst, 0);
  }
  removed = r;
  return Status();
}

void MoveSource(RenameOp& op) {
  DelEntry(op.tx, op.psrc, op.nsrc);
  PutEntry(op.tx, op.pdst, op.ndst, op.se.second, op.se.first);
  if (op.psrc != op.pdst) {
    if (op.sdir()) { op.ps->nlink--; op.pd->nlink++; }
    MoveLink(op.tx, op.se.first, *op.sa, op.psrc, op.pdst);
    if (op.sa->parent != 0) op.sa->parent = op.pdst;
    MoveDirStat(op, op.psrc, op.pdst, op.se.second, *op.sa);
  }
}

}  // namespace

Result<Entry> RedisEngine::DoRename(const Context& ctx, Ino psrc, std::string_view nsrc, Ino pdst,
                                    std::string_view ndst, uint32_t flags,
                                    const std::optional<TrashTarget>& trash, uint64_t sid,
                                    const std::function<bool(Ino)>& is_open,
                                    std::optional<Removed>& removed) {
  Entry out;
  Status st = Txn(keys_.Inode(std::min(psrc, pdst)), [&](Tx& tx) -> Status {
    removed.reset();
    RenameOp op(*this, tx, ctx);
    op.psrc = psrc; op.pdst = pdst; op.nsrc = nsrc; op.ndst = ndst; op.flags = flags;
    ASSIGN_OR_RETURN(bool noop, LoadRename(op));
    out.ino = op.se.first;
    out.name = ndst;
    if (noop) {
      out.attr = *op.sa;
      return Status();
    }
    if (flags & kRenameExchange) {
      RETURN_IF_ERROR(ExchangeEntries(op));
    } else {
      if (op.de) RETURN_IF_ERROR(ReplaceTarget(op, trash, sid, is_open, removed));
      MoveSource(op);
    }
    Touch(*op.sa, false);
    Touch(*op.ps, true);
    Touch(*op.pd, true);
    out.attr = *op.sa;
    return Status();
  });
  if (!st.ok()) return Err(st);
  if (removed && removed->freed) NoteDelFile(removed->ino, removed->attr.length);
  return out;
}

Result<Attr> RedisEngine::DoLink(const Context& ctx, Ino ino, Ino parent, std::string_view name) {
  Attr out;
  Status st = Txn(keys_.Inode(parent), [&](Tx& tx) -> Status {
    const Ino both[] = {ino, parent};
    const std::pair<Ino, std::string_view> want[] = {{parent, name}};
    RETURN_IF_ERROR(tx.Preload(both, want));
    ASSIGN_OR_RETURN(Attr * a, tx.Node(ino));
    if (a->type == FileType::kDirectory) return Status(EPERM, "hard link to a directory");
    if (a->flags & kImmutableOrAppend) return Status(EPERM, "file is immutable or append-only");
    ASSIGN_OR_RETURN(Attr * p, WritableDir(tx, ctx, parent));
    ASSIGN_OR_RETURN(auto existing, tx.GetEntry(parent, name));
    if (existing) return Status(EEXIST, "entry '" + std::string(name) + "' exists");
    PutEntry(tx, parent, name, a->type, ino);
    // JuiceFS doLink: Parent becomes 0 and p{ino} counts the links of each parent.
    if (a->parent != 0) tx.Queue({"HINCRBY", keys_.Parents(ino), std::to_string(a->parent), "1"});
    tx.Queue({"HINCRBY", keys_.Parents(ino), std::to_string(parent), "1"});
    a->nlink++;
    a->parent = 0;
    int64_t len = a->type == FileType::kFile ? static_cast<int64_t>(a->length) : 0;
    AddDirStat(tx, parent, len, Align4K(len), 1);
    Touch(*a, false);
    Touch(*p, true);
    out = *a;
    return Status();
  });
  if (!st.ok()) return Err(st);
  return out;
}

Result<std::string> RedisEngine::DoReadlink(Ino ino) {
  ASSIGN_OR_RETURN(Attr a, std::move(GetAttrs(std::span<const Ino>(&ino, 1))[0]));
  if (a.type != FileType::kSymlink) return Err(EINVAL, "not a symlink");
  std::string k = keys_.Symlink(ino);
  ASSIGN_OR_RETURN(Reply r, Cached({"GET", k}, k));
  if (r.IsNil()) return Err(EIO, "symlink " + std::to_string(ino) + " has no target");
  return r.str;
}

Result<std::vector<Entry>> RedisEngine::DoReaddir(const Context& ctx, Ino ino, bool plus) {
  // readdirplus hands the kernel dentries, which only an invalidation of the directory can take
  // back; their names are noted after the listing is read, so an invalidation that arrived in
  // between announced them to nobody: then the listing is read again (once).
  for (int attempt = 0;; ++attempt) {
    auto gen = DirGen(ino);
    auto out = ReaddirOnce(ctx, ino, plus);
    if (!out || !plus || attempt > 0 || DirGen(ino) == gen) return out;
  }
}

Result<std::vector<Entry>> RedisEngine::ReaddirOnce(const Context& ctx, Ino ino, bool plus) {
  std::string ik = keys_.Inode(ino), dk = keys_.Entries(ino);
  // The directory's attr and its entries in one round trip, both tracked.
  auto got = client_->DoCachedAll({{{"GET", ik}, ik}, {{"HGETALL", dk}, dk}});
  std::vector<Reply> replies;
  for (auto& r : got) {
    if (!r) return Err(MetaError(r.error()));
    if (r->IsError()) return Err(EIO, "redis readdir: " + r->str);
    replies.push_back(std::move(*r));
  }
  if (replies[0].IsNil()) return Err(ENOENT, "no inode " + std::to_string(ino));
  auto d = DecodeAttr(replies[0].str);
  if (!d) return Err(EIO, "corrupt attr of inode " + std::to_string(ino));
  if (d->type != FileType::kDirectory) return Err(ENOTDIR, "readdir of a non-directory");
  RETURN_IF_ERROR(Access(ctx, *d, kMaskRead));
  const auto& kv = replies[1].elems;
  std::vector<Entry> out;
  out.reserve(kv.size() / 2);
  for (size_t i = 0; i + 1 < kv.size(); i += 2) {
    auto ent = DecodeEntry(kv[i + 1].str);
    if (!ent) continue;  // a corrupt entry is skipped, as JuiceFS does
    Entry e;
    e.name = kv[i].str;
    e.ino = ent->second;
    e.attr.type = ent->first;
    out.push_back(std::move(e));
  }
  if (!plus || out.empty()) return out;
  // readdirplus hands the kernel dentries too: their changes must reach it.
  for (const auto& e : out) NoteLookup(ino, e.name);
  std::vector<Ino> inos;
  inos.reserve(out.size());
  for (auto& e : out) inos.push_back(e.ino);
  auto attrs = GetAttrs(inos);
  for (size_t i = 0; i < out.size(); ++i) {
    if (attrs[i]) {
      out[i].attr = *attrs[i];
    } else if (attrs[i].error().code() == ENOENT) {
      out[i].attr_known = false;  // removed since the listing was read: no dentry for the kernel
    } else {
      return Err(attrs[i].error());
    }
  }
  return out;
}

}  // namespace tierfs::meta::redis
