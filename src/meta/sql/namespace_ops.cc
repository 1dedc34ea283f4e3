// SqlEngine namespace primitives: lookup, getattr, setattr, mknod, unlink, rmdir, rename, link,
// readlink, readdir. Each is one transaction; POSIX rules come from meta/perm.h.
#include <algorithm>
#include <map>

#include "meta/perm.h"
#include "meta/sql/engine.h"

namespace tierfs::meta::sql {
namespace {

constexpr uint8_t kImmutableOrAppend = kFlagImmutable | kFlagAppend;
// Inodes per `IN (...)` query: under SQLite's historical 999 bound variables.
constexpr size_t kInBatch = 500;

// Attrs touched by one transaction, written back once at the end (parents may alias).
class NodeSet {
 public:
  explicit NodeSet(Conn& c) : c_(c) {}
  Result<Attr*> Get(Ino ino) {
    auto it = nodes_.find(ino);
    if (it != nodes_.end()) return &it->second;
    ASSIGN_OR_RETURN(Attr a, SqlEngine::MustGetNode(c_, ino));
    return &nodes_.emplace(ino, a).first->second;
  }
  void Drop(Ino ino) { nodes_.erase(ino); }
  Status Flush() {
    for (auto& [ino, a] : nodes_) RETURN_IF_ERROR(SqlEngine::UpdateNode(c_, ino, a));
    return Status();
  }

 private:
  Conn& c_;
  std::map<Ino, Attr> nodes_;
};

Result<Attr*> WritableDir(NodeSet& nodes, const Context& ctx, Ino ino) {
  ASSIGN_OR_RETURN(Attr * d, nodes.Get(ino));
  RETURN_IF_ERROR(CheckWritableDir(ctx, *d, ino));
  return d;
}

Result<std::pair<Ino, FileType>> MustEdge(Conn& c, Ino parent, std::string_view name) {
  ASSIGN_OR_RETURN(auto e, SqlEngine::GetEdge(c, parent, name));
  if (!e) return Err(ENOENT, "no entry '" + std::string(name) + "' in " + std::to_string(parent));
  return *e;
}

// EINVAL if `dir` is `anc` or below it (walks parent pointers of directories).
Status CheckNotBelow(Conn& c, Ino dir, Ino anc) {
  for (Ino cur = dir; cur != kRootIno;) {
    if (cur == anc) return Status(EINVAL, "cannot move a directory into its own subtree");
    ASSIGN_OR_RETURN(Attr a, SqlEngine::MustGetNode(c, cur));
    if (a.parent == 0 || a.parent == cur) break;
    cur = a.parent;
  }
  return Status();
}

// Whether the entry `name` of `parent` (inode `ino`, attr `a`) goes into the trash: the trash
// is on and the inode not flagged to skip it, and, as JuiceFS doUnlink, a file with other
// links whose trash name is taken already (`ln f g; rm g; ln f g; rm g` in one hour) is
// unlinked for real instead, so nlink keeps counting its entries. (A taken name for the
// inode's last counted link can only come from an inconsistent volume: the insert is then
// skipped, which leaves the inode held by the trash entry that exists.)
Result<bool> UseTrash(Conn& c, const std::optional<TrashTarget>& trash, Ino parent, Ino ino,
                      std::string_view name, const Attr& a) {
  if (!trash || (a.flags & kFlagSkipTrash)) return false;
  if (a.type == FileType::kDirectory || a.nlink <= 1) return true;
  ASSIGN_OR_RETURN(auto taken, SqlEngine::GetEdge(c, trash->dir, TrashName(parent, ino, name)));
  return !taken.has_value();
}

Result<bool> DirEmpty(Conn& c, Ino dir) {
  ASSIGN_OR_RETURN(auto r, c.QueryOne("SELECT inode FROM jfs_edge WHERE parent=? LIMIT 1", {dir}));
  return !r.has_value();
}

}  // namespace

std::vector<Result<Attr>> SqlEngine::GetAttrs(std::span<const Ino> inos) {
  std::vector<Result<Attr>> out(inos.size(), Err(ENOENT, "no such inode"));
  if (inos.empty()) return out;
  std::map<Ino, Attr> found;
  Status st = Txn(false, [&](Conn& c) -> Status {
    found.clear();
    std::vector<Ino> uniq(inos.begin(), inos.end());
    std::sort(uniq.begin(), uniq.end());
    uniq.erase(std::unique(uniq.begin(), uniq.end()), uniq.end());
    for (size_t i = 0; i < uniq.size(); i += kInBatch) {
      size_t n = std::min(kInBatch, uniq.size() - i);
      ASSIGN_OR_RETURN(auto attrs, GetNodes(c, std::span<const Ino>(uniq.data() + i, n)));
      found.merge(attrs);
    }
    return Status();
  });
  for (size_t i = 0; i < inos.size(); ++i) {
    if (!st.ok()) {
      out[i] = Err(st);
    } else if (auto it = found.find(inos[i]); it != found.end()) {
      out[i] = it->second;
    } else {
      out[i] = Err(ENOENT, "no inode " + std::to_string(inos[i]));
    }
  }
  return out;
}

Result<Entry> SqlEngine::DoLookup(const Context& ctx, Ino parent, std::string_view name) {
  Entry e;
  Status st = Txn(false, [&](Conn& c) -> Status {
    ASSIGN_OR_RETURN(Attr p, MustGetNode(c, parent));
    if (p.type != FileType::kDirectory) return Status(ENOTDIR, "lookup in a non-directory");
    RETURN_IF_ERROR(Access(ctx, p, kMaskExec));
    ASSIGN_OR_RETURN(auto edge, MustEdge(c, parent, name));
    ASSIGN_OR_RETURN(e.attr, MustGetNode(c, edge.first));
    e.ino = edge.first;
    e.name = name;
    return Status();
  });
  if (!st.ok()) return Err(st);
  return e;
}

Result<Attr> SqlEngine::DoSetAttr(Ino ino, const std::function<Result<Attr>(const Attr&)>& update) {
  Attr out;
  Status st = Txn(true, [&](Conn& c) -> Status {
    ASSIGN_OR_RETURN(Attr cur, MustGetNode(c, ino));
    ASSIGN_OR_RETURN(out, update(cur));
    return UpdateNode(c, ino, out);
  });
  if (!st.ok()) return Err(st);
  return out;
}

Result<Entry> SqlEngine::DoMknod(const Context& ctx, Ino parent, std::string_view name, Ino ino,
                                 Attr attr, std::string_view target) {
  Entry e;
  Status st = Txn(true, [&](Conn& c) -> Status {
    NodeSet nodes(c);
    ASSIGN_OR_RETURN(Attr * p, WritableDir(nodes, ctx, parent));
    ASSIGN_OR_RETURN(auto existing, GetEdge(c, parent, name));
    if (existing) return Status(EEXIST, "entry '" + std::string(name) + "' exists");
    InitOwner(ctx, *p, attr);
    Touch(attr, true);
    attr.atime = attr.mtime; attr.atimensec = attr.mtimensec;
    attr.parent = parent;
    if (attr.type == FileType::kDirectory) p->nlink++;
    Touch(*p, true);
    RETURN_IF_ERROR(InsertNode(c, ino, attr));
    RETURN_IF_ERROR(c.Exec("INSERT INTO jfs_edge (parent,name,inode,type) VALUES (?,?,?,?)",
                           {parent, name, ino, static_cast<int>(attr.type)}));
    if (attr.type == FileType::kSymlink) {
      RETURN_IF_ERROR(c.Exec("INSERT INTO jfs_symlink (inode,target) VALUES (?,?)", {ino, target}));
    }
    RETURN_IF_ERROR(AddUsage(c, Align4K(0), 1));
    RETURN_IF_ERROR(AddDirStat(c, parent, 0, Align4K(0), 1));
    if (attr.type == FileType::kDirectory && dir_stats()) {
      RETURN_IF_ERROR(c.Exec(dialect_.InsertIgnore("jfs_dir_stats", "inode,data_length,used_space,used_inodes", 4),
                             {ino, 0, 0, 0}));
    }
    RETURN_IF_ERROR(nodes.Flush());
    e.ino = ino;
    e.name = name;
    e.attr = attr;
    e.attr.full = true;
    return Status();
  });
  if (!st.ok()) return Err(st);
  return e;
}

Result<Removed> SqlEngine::DoUnlink(const Context& ctx, Ino parent, std::string_view name,
                                    const std::optional<TrashTarget>& trash, uint64_t sid,
                                    const std::function<bool(Ino)>& is_open) {
  Removed out;
  Status st = Txn(true, [&](Conn& c) -> Status {
    out = Removed{};
    NodeSet nodes(c);
    ASSIGN_OR_RETURN(Attr * p, WritableDir(nodes, ctx, parent));
    ASSIGN_OR_RETURN(auto edge, MustEdge(c, parent, name));
    if (edge.second == FileType::kDirectory) return Status(EISDIR, "unlink of a directory");
    ASSIGN_OR_RETURN(Attr * a, nodes.Get(edge.first));
    RETURN_IF_ERROR(CheckSticky(ctx, *p, *a));
    if (a->flags & kImmutableOrAppend) return Status(EPERM, "file is immutable or append-only");
    RETURN_IF_ERROR(c.Exec("DELETE FROM jfs_edge WHERE parent=? AND name=?", {parent, name}));
    if (!IsTrash(parent)) Touch(*p, true);  // JuiceFS leaves trash directories alone
    Touch(*a, false);
    out.ino = edge.first;
    int64_t len = edge.second == FileType::kFile ? static_cast<int64_t>(a->length) : 0;
    RETURN_IF_ERROR(AddDirStat(c, parent, -len, -Align4K(len), -1));
    ASSIGN_OR_RETURN(bool to_trash, UseTrash(c, trash, parent, edge.first, name, *a));
    if (to_trash) {
      RETURN_IF_ERROR(c.Exec("INSERT INTO jfs_edge (parent,name,inode,type) VALUES (?,?,?,?) "
                             "ON CONFLICT DO NOTHING",
                             {trash->dir, TrashName(parent, edge.first, name), edge.first,
                              static_cast<int>(edge.second)}));
      if (a->parent != 0) a->parent = trash->dir;
      out.attr = *a;
      return nodes.Flush();
    }
    a->nlink--;
    out.attr = *a;
    if (a->nlink > 0) return nodes.Flush();
    Attr dead = *a;
    nodes.Drop(edge.first);
    RETURN_IF_ERROR(nodes.Flush());
    RETURN_IF_ERROR(UpdateNode(c, edge.first, dead));
    return RetireInode(c, edge.first, dead, sid, is_open(edge.first), out);
  });
  if (!st.ok()) return Err(st);
  return out;
}

Status SqlEngine::DoRmdir(const Context& ctx, Ino parent, std::string_view name,
                          const std::optional<TrashTarget>& trash) {
  return Txn(true, [&](Conn& c) -> Status {
    NodeSet nodes(c);
    ASSIGN_OR_RETURN(Attr * p, WritableDir(nodes, ctx, parent));
    ASSIGN_OR_RETURN(auto edge, MustEdge(c, parent, name));
    if (edge.second != FileType::kDirectory) return Status(ENOTDIR, "rmdir of a non-directory");
    ASSIGN_OR_RETURN(Attr * a, nodes.Get(edge.first));
    RETURN_IF_ERROR(CheckSticky(ctx, *p, *a));
    if (a->flags & kImmutableOrAppend) return Status(EPERM, "directory is immutable or append-only");
    ASSIGN_OR_RETURN(bool empty, DirEmpty(c, edge.first));
    if (!empty) return Status(ENOTEMPTY, "directory '" + std::string(name) + "' not empty");
    RETURN_IF_ERROR(c.Exec("DELETE FROM jfs_edge WHERE parent=? AND name=?", {parent, name}));
    // A directory moved into the trash does not raise the hour directory's nlink, so removing
    // it from there must not lower it either (JuiceFS doRmdir skips trash parents).
    if (!IsTrash(parent)) {
      p->nlink--;
      Touch(*p, true);
    }
    RETURN_IF_ERROR(AddDirStat(c, parent, 0, -Align4K(0), -1));
    ASSIGN_OR_RETURN(bool to_trash, UseTrash(c, trash, parent, edge.first, name, *a));
    if (to_trash) {
      RETURN_IF_ERROR(c.Exec("INSERT INTO jfs_edge (parent,name,inode,type) VALUES (?,?,?,?) "
                             "ON CONFLICT DO NOTHING",
                             {trash->dir, TrashName(parent, edge.first, name), edge.first,
                              static_cast<int>(edge.second)}));
      a->parent = trash->dir;
      Touch(*a, false);
      return nodes.Flush();
    }
    nodes.Drop(edge.first);
    RETURN_IF_ERROR(nodes.Flush());
    RETURN_IF_ERROR(c.Exec("DELETE FROM jfs_node WHERE inode=?", {edge.first}));
    RETURN_IF_ERROR(c.Exec("DELETE FROM jfs_xattr WHERE inode=?", {edge.first}));
    RETURN_IF_ERROR(c.Exec("DELETE FROM jfs_dir_stats WHERE inode=?", {edge.first}));
    return AddUsage(c, -Align4K(0), -1);
  });
}

// ---- rename, in steps ----
namespace {

// What one rename transaction has read; parents and inodes live in `nodes` (written once).
struct RenameOp {
  RenameOp(Conn& conn, const Context& context) : c(conn), ctx(context), nodes(conn) {}
  Conn& c;
  const Context& ctx;
  Ino psrc = 0, pdst = 0;
  std::string_view nsrc, ndst;
  uint32_t flags = 0;
  NodeSet nodes;
  Attr* ps = nullptr;  // source parent
  Attr* pd = nullptr;  // destination parent
  Attr* sa = nullptr;  // moved inode
  Attr* da = nullptr;  // target inode, if any
  std::pair<Ino, FileType> se;
  std::optional<std::pair<Ino, FileType>> de;
  bool sdir() const { return se.second == FileType::kDirectory; }
  bool ddir() const { return de && de->second == FileType::kDirectory; }
};

// Data length an entry contributes to its directory's stats (files only, as JuiceFS).
int64_t StatLength(FileType t, const Attr& a) {
  return t == FileType::kFile ? static_cast<int64_t>(a.length) : 0;
}

// An entry of type t / attr a leaves dir `from` for dir `to` (JuiceFS updateDirStat pairs).
Status MoveDirStat(SqlEngine& e, Conn& c, Ino from, Ino to, FileType t, const Attr& a) {
  if (from == to) return Status();
  int64_t len = StatLength(t, a);
  RETURN_IF_ERROR(e.AddDirStat(c, from, -len, -Align4K(len), -1));
  return e.AddDirStat(c, to, len, Align4K(len), 1);
}

// Reads both parents, both entries, and checks what every kind of rename requires.
// Returns true when there is nothing to do (target is the source's own inode).
Result<bool> LoadRename(RenameOp& op) {
  ASSIGN_OR_RETURN(op.ps, WritableDir(op.nodes, op.ctx, op.psrc));
  ASSIGN_OR_RETURN(op.pd, WritableDir(op.nodes, op.ctx, op.pdst));
  ASSIGN_OR_RETURN(op.se, MustEdge(op.c, op.psrc, op.nsrc));
  ASSIGN_OR_RETURN(op.de, SqlEngine::GetEdge(op.c, op.pdst, op.ndst));
  ASSIGN_OR_RETURN(op.sa, op.nodes.Get(op.se.first));
  RETURN_IF_ERROR(CheckSticky(op.ctx, *op.ps, *op.sa));
  if (op.sa->flags & kImmutableOrAppend) return Err(EPERM, "source is immutable or append-only");
  if (op.de && (op.flags & kRenameNoReplace)) return Err(EEXIST, "rename target exists");
  if (!op.de && (op.flags & kRenameExchange)) return Err(ENOENT, "exchange target missing");
  if (op.de && op.de->first == op.se.first) return true;
  if (op.sdir() && op.psrc != op.pdst) {
    RETURN_IF_ERROR(CheckNotBelow(op.c, op.pdst, op.se.first));
    RETURN_IF_ERROR(Access(op.ctx, *op.sa, kMaskWrite));  // its ".." changes
  }
  if (op.de) {
    ASSIGN_OR_RETURN(op.da, op.nodes.Get(op.de->first));
    RETURN_IF_ERROR(CheckSticky(op.ctx, *op.pd, *op.da));
    if (op.da->flags & kImmutableOrAppend) return Err(EPERM, "target is immutable or append-only");
  }
  return false;
}

Status ExchangeEntries(SqlEngine& e, RenameOp& op) {
  if (op.ddir() && op.psrc != op.pdst) {
    RETURN_IF_ERROR(CheckNotBelow(op.c, op.psrc, op.de->first));
    RETURN_IF_ERROR(Access(op.ctx, *op.da, kMaskWrite));
  }
  RETURN_IF_ERROR(op.c.Exec("UPDATE jfs_edge SET inode=?,type=? WHERE parent=? AND name=?",
                            {op.de->first, static_cast<int>(op.de->second), op.psrc, op.nsrc}));
  RETURN_IF_ERROR(op.c.Exec("UPDATE jfs_edge SET inode=?,type=? WHERE parent=? AND name=?",
                            {op.se.first, static_cast<int>(op.se.second), op.pdst, op.ndst}));
  if (op.psrc != op.pdst) {
    if (op.sdir()) { op.ps->nlink--; op.pd->nlink++; }
    if (op.ddir()) { op.pd->nlink--; op.ps->nlink++; }
    if (op.da->parent != 0) op.da->parent = op.psrc;
    if (op.sa->parent != 0) op.sa->parent = op.pdst;
    RETURN_IF_ERROR(MoveDirStat(e, op.c, op.psrc, op.pdst, op.se.second, *op.sa));
    RETURN_IF_ERROR(MoveDirStat(e, op.c, op.pdst, op.psrc, op.de->second, *op.da));
  }
  Touch(*op.da, false);
  return Status();
}

// Removes the overwritten target: into the trash when on (JuiceFS), else an empty directory
// is deleted and a file loses a link (retired at its last).
Status ReplaceTarget(SqlEngine& e, RenameOp& op, const std::optional<TrashTarget>& trash,
                     uint64_t sid, const std::function<bool(Ino)>& is_open,
                     std::optional<Removed>& removed) {
  if (op.sdir() && !op.ddir()) return Status(ENOTDIR, "cannot overwrite a non-directory with a directory");
  if (!op.sdir() && op.ddir()) return Status(EISDIR, "cannot overwrite a directory with a non-directory");
  const Ino dino = op.de->first;
  if (op.ddir()) {
    ASSIGN_OR_RETURN(bool empty, DirEmpty(op.c, dino));
    if (!empty) return Status(ENOTEMPTY, "rename target directory not empty");
  }
  RETURN_IF_ERROR(op.c.Exec("DELETE FROM jfs_edge WHERE parent=? AND name=?", {op.pdst, op.ndst}));
  int64_t len = StatLength(op.de->second, *op.da);
  RETURN_IF_ERROR(e.AddDirStat(op.c, op.pdst, -len, -Align4K(len), -1));
  if (op.ddir()) op.pd->nlink--;
  Touch(*op.da, false);
  ASSIGN_OR_RETURN(bool to_trash, UseTrash(op.c, trash, op.pdst, dino, op.ndst, *op.da));
  if (to_trash) {
    RETURN_IF_ERROR(op.c.Exec("INSERT INTO jfs_edge (parent,name,inode,type) VALUES (?,?,?,?) ON CONFLICT DO NOTHING",
                              {trash->dir, TrashName(op.pdst, dino, op.ndst), dino, static_cast<int>(op.de->second)}));
    if (op.ddir() || op.da->parent != 0) op.da->parent = trash->dir;
    return Status();
  }
  if (op.ddir()) {
    op.nodes.Drop(dino);
    RETURN_IF_ERROR(op.c.Exec("DELETE FROM jfs_node WHERE inode=?", {dino}));
    RETURN_IF_ERROR(op.c.Exec("DELETE FROM jfs_xattr WHERE inode=?", {dino}));
    RETURN_IF_ERROR(op.c.Exec("DELETE FROM jfs_dir_stats WHERE inode=?", {dino}));
    return SqlEngine::AddUsage(op.c, -Align4K(0), -1);
  }
  op.da->nlink--;
  Removed r;
  r.ino = dino;
  r.attr = *op.da;
  if (op.da->nlink == 0) {
    Attr dead = *op.da;
    op.nodes.Drop(dino);
    RETURN_IF_ERROR(SqlEngine::UpdateNode(op.c, dino, dead));
    RETURN_IF_ERROR(SqlEngine::RetireInode(op.c, dino, dead, sid, is_open(dino), r));
  }
  removed = r;
  return Status();
}

Status MoveSource(SqlEngine& e, RenameOp& op) {
  RETURN_IF_ERROR(op.c.Exec("DELETE FROM jfs_edge WHERE parent=? AND name=?", {op.psrc, op.nsrc}));
  RETURN_IF_ERROR(op.c.Exec("INSERT INTO jfs_edge (parent,name,inode,type) VALUES (?,?,?,?)",
                            {op.pdst, op.ndst, op.se.first, static_cast<int>(op.se.second)}));
  if (op.psrc != op.pdst) {
    if (op.sdir()) { op.ps->nlink--; op.pd->nlink++; }
    if (op.sa->parent != 0) op.sa->parent = op.pdst;
    RETURN_IF_ERROR(MoveDirStat(e, op.c, op.psrc, op.pdst, op.se.second, *op.sa));
  }
  return Status();
}

}  // namespace

Result<Entry> SqlEngine::DoRename(const Context& ctx, Ino psrc, std::string_view nsrc, Ino pdst,
                                  std::string_view ndst, uint32_t flags,
                                  const std::optional<TrashTarget>& trash, uint64_t sid,
                                  const std::function<bool(Ino)>& is_open,
                                  std::optional<Removed>& removed) {
  Entry out;
  Status st = Txn(true, [&](Conn& c) -> Status {
    removed.reset();
    RenameOp op(c, ctx);
    op.psrc = psrc; op.pdst = pdst; op.nsrc = nsrc; op.ndst = ndst; op.flags = flags;
    ASSIGN_OR_RETURN(bool noop, LoadRename(op));
    out.ino = op.se.first;
    out.name = ndst;
    if (noop) {
      out.attr = *op.sa;
      return Status();
    }
    if (flags & kRenameExchange) {
      RETURN_IF_ERROR(ExchangeEntries(*this, op));
    } else {
      if (op.de) RETURN_IF_ERROR(ReplaceTarget(*this, op, trash, sid, is_open, removed));
      RETURN_IF_ERROR(MoveSource(*this, op));
    }
    Touch(*op.sa, false);
    Touch(*op.ps, true);
    Touch(*op.pd, true);
    out.attr = *op.sa;
    return op.nodes.Flush();
  });
  if (!st.ok()) return Err(st);
  return out;
}

Result<Attr> SqlEngine::DoLink(const Context& ctx, Ino ino, Ino parent, std::string_view name) {
  Attr out;
  Status st = Txn(true, [&](Conn& c) -> Status {
    NodeSet nodes(c);
    ASSIGN_OR_RETURN(Attr * a, nodes.Get(ino));
    if (a->type == FileType::kDirectory) return Status(EPERM, "hard link to a directory");
    if (a->flags & kImmutableOrAppend) return Status(EPERM, "file is immutable or append-only");
    ASSIGN_OR_RETURN(Attr * p, WritableDir(nodes, ctx, parent));
    ASSIGN_OR_RETURN(auto existing, GetEdge(c, parent, name));
    if (existing) return Status(EEXIST, "entry '" + std::string(name) + "' exists");
    RETURN_IF_ERROR(c.Exec("INSERT INTO jfs_edge (parent,name,inode,type) VALUES (?,?,?,?)",
                           {parent, name, ino, static_cast<int>(a->type)}));
    a->nlink++;
    a->parent = 0;  // several parents: JuiceFS keeps none
    int64_t len = a->type == FileType::kFile ? static_cast<int64_t>(a->length) : 0;
    RETURN_IF_ERROR(AddDirStat(c, parent, len, Align4K(len), 1));
    Touch(*a, false);
    Touch(*p, true);
    out = *a;
    return nodes.Flush();
  });
  if (!st.ok()) return Err(st);
  return out;
}

Result<std::string> SqlEngine::DoReadlink(Ino ino) {
  std::string target;
  Status st = Txn(false, [&](Conn& c) -> Status {
    ASSIGN_OR_RETURN(Attr a, MustGetNode(c, ino));
    if (a.type != FileType::kSymlink) return Status(EINVAL, "not a symlink");
    ASSIGN_OR_RETURN(auto r, c.QueryOne("SELECT target FROM jfs_symlink WHERE inode=?", {ino}));
    if (!r) return Status(EIO, "symlink " + std::to_string(ino) + " has no target row");
    target = r->B(0);
    return Status();
  });
  if (!st.ok()) return Err(st);
  return target;
}

Result<std::vector<Entry>> SqlEngine::DoReaddir(const Context& ctx, Ino ino, bool plus) {
  std::vector<Entry> out;
  Status st = Txn(false, [&](Conn& c) -> Status {
    out.clear();
    ASSIGN_OR_RETURN(Attr d, MustGetNode(c, ino));
    if (d.type != FileType::kDirectory) return Status(ENOTDIR, "readdir of a non-directory");
    RETURN_IF_ERROR(Access(ctx, d, kMaskRead));
    if (plus) {
      // One query: the edges with their nodes (a dangling edge keeps its type only).
      ASSIGN_OR_RETURN(auto rows, c.Query(std::string("SELECT e.name,e.inode,e.type,") + NodeColsOf("n") +
                                          " FROM jfs_edge e LEFT JOIN jfs_node n ON n.inode=e.inode"
                                          " WHERE e.parent=? ORDER BY e.id", {ino}));
      for (auto& r : rows) {
        Entry e;
        e.name = r.B(0);
        e.ino = r.U(1);
        if (r.IsNull(3)) {
          e.attr.type = static_cast<FileType>(r.I(2));
        } else {
          e.attr = AttrFromRow(r, 3);
        }
        out.push_back(std::move(e));
      }
      return Status();
    }
    ASSIGN_OR_RETURN(auto rows, c.Query("SELECT name,inode,type FROM jfs_edge WHERE parent=? ORDER BY id", {ino}));
    for (auto& r : rows) {
      Entry e;
      e.name = r.B(0);
      e.ino = r.U(1);
      e.attr.type = static_cast<FileType>(r.I(2));
      out.push_back(std::move(e));
    }
    return Status();
  });
  if (!st.ok()) return Err(st);
  return out;
}

}  // namespace tierfs::meta::sql
