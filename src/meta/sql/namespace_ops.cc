// SqlEngine namespace primitives: lookup, getattr, setattr, mknod, unlink, rmdir, rename, link,
// readlink, readdir. Each is one transaction; POSIX rules come from meta/perm.h.
#include <map>

#include "meta/perm.h"
#include "meta/sql/engine.h"

namespace tierfs::meta::sql {
namespace {

constexpr uint8_t kImmutableOrAppend = kFlagImmutable | kFlagAppend;

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

void Touch(Attr& a, bool mtime) {
  int64_t s; uint32_t ns;
  NowTime(s, ns);
  a.ctime = s; a.ctimensec = ns;
  if (mtime) { a.mtime = s; a.mtimensec = ns; }
}

Result<Attr*> WritableDir(NodeSet& nodes, const Context& ctx, Ino ino) {
  ASSIGN_OR_RETURN(Attr * d, nodes.Get(ino));
  if (d->type != FileType::kDirectory) return Err(ENOTDIR, "inode " + std::to_string(ino) + " is not a directory");
  RETURN_IF_ERROR(Access(ctx, *d, kMaskWrite | kMaskExec));
  if (d->nlink == 0) return Err(ENOENT, "directory " + std::to_string(ino) + " was removed");
  if (d->flags & kImmutableOrAppend) return Err(EPERM, "directory is immutable or append-only");
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
    for (Ino ino : inos) {
      if (found.count(ino)) continue;
      ASSIGN_OR_RETURN(auto a, GetNode(c, ino));
      if (a) found.emplace(ino, *a);
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
    Touch(*p, true);
    Touch(*a, false);
    out.ino = edge.first;
    if (trash) {
      RETURN_IF_ERROR(c.Exec("INSERT INTO jfs_edge (parent,name,inode,type) VALUES (?,?,?,?) "
                             "ON CONFLICT DO NOTHING",
                             {trash->dir, trash->name, edge.first, static_cast<int>(edge.second)}));
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
    p->nlink--;
    Touch(*p, true);
    if (trash) {
      RETURN_IF_ERROR(c.Exec("INSERT INTO jfs_edge (parent,name,inode,type) VALUES (?,?,?,?) "
                             "ON CONFLICT DO NOTHING",
                             {trash->dir, trash->name, edge.first, static_cast<int>(edge.second)}));
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

Result<Entry> SqlEngine::DoRename(const Context& ctx, Ino psrc, std::string_view nsrc, Ino pdst,
                                  std::string_view ndst, uint32_t flags, uint64_t sid,
                                  const std::function<bool(Ino)>& is_open,
                                  std::optional<Removed>& removed) {
  Entry out;
  Status st = Txn(true, [&](Conn& c) -> Status {
    removed.reset();
    NodeSet nodes(c);
    ASSIGN_OR_RETURN(Attr * ps, WritableDir(nodes, ctx, psrc));
    ASSIGN_OR_RETURN(Attr * pd, WritableDir(nodes, ctx, pdst));
    ASSIGN_OR_RETURN(auto se, MustEdge(c, psrc, nsrc));
    ASSIGN_OR_RETURN(auto de, GetEdge(c, pdst, ndst));
    ASSIGN_OR_RETURN(Attr * sa, nodes.Get(se.first));
    out.ino = se.first;
    out.name = ndst;
    RETURN_IF_ERROR(CheckSticky(ctx, *ps, *sa));
    if (sa->flags & kImmutableOrAppend) return Status(EPERM, "source is immutable or append-only");
    if (de && (flags & kRenameNoReplace)) return Status(EEXIST, "rename target exists");
    if (!de && (flags & kRenameExchange)) return Status(ENOENT, "exchange target missing");
    if (de && de->first == se.first) {  // same inode (or same entry): nothing to do
      out.attr = *sa;
      return Status();
    }
    const bool sdir = se.second == FileType::kDirectory;
    const bool ddir = de && de->second == FileType::kDirectory;
    if (sdir && psrc != pdst) {
      RETURN_IF_ERROR(CheckNotBelow(c, pdst, se.first));
      RETURN_IF_ERROR(Access(ctx, *sa, kMaskWrite));  // its ".." changes
    }
    if (de) {
      ASSIGN_OR_RETURN(Attr * da, nodes.Get(de->first));
      RETURN_IF_ERROR(CheckSticky(ctx, *pd, *da));
      if (da->flags & kImmutableOrAppend) return Status(EPERM, "target is immutable or append-only");
      if (flags & kRenameExchange) {
        if (ddir && psrc != pdst) {
          RETURN_IF_ERROR(CheckNotBelow(c, psrc, de->first));
          RETURN_IF_ERROR(Access(ctx, *da, kMaskWrite));
        }
        RETURN_IF_ERROR(c.Exec("UPDATE jfs_edge SET inode=?,type=? WHERE parent=? AND name=?",
                               {de->first, static_cast<int>(de->second), psrc, nsrc}));
        RETURN_IF_ERROR(c.Exec("UPDATE jfs_edge SET inode=?,type=? WHERE parent=? AND name=?",
                               {se.first, static_cast<int>(se.second), pdst, ndst}));
        if (psrc != pdst) {
          if (sdir) { ps->nlink--; pd->nlink++; }
          if (ddir) { pd->nlink--; ps->nlink++; }
          if (da->parent != 0) da->parent = psrc;
          if (sa->parent != 0) sa->parent = pdst;
        }
        Touch(*da, false);
        Touch(*sa, false);
        Touch(*ps, true);
        Touch(*pd, true);
        out.attr = *sa;
        return nodes.Flush();
      }
      if (sdir && !ddir) return Status(ENOTDIR, "cannot overwrite a non-directory with a directory");
      if (!sdir && ddir) return Status(EISDIR, "cannot overwrite a directory with a non-directory");
      RETURN_IF_ERROR(c.Exec("DELETE FROM jfs_edge WHERE parent=? AND name=?", {pdst, ndst}));
      if (ddir) {
        ASSIGN_OR_RETURN(bool empty, DirEmpty(c, de->first));
        if (!empty) return Status(ENOTEMPTY, "rename target directory not empty");
        pd->nlink--;
        nodes.Drop(de->first);
        RETURN_IF_ERROR(c.Exec("DELETE FROM jfs_node WHERE inode=?", {de->first}));
        RETURN_IF_ERROR(c.Exec("DELETE FROM jfs_xattr WHERE inode=?", {de->first}));
        RETURN_IF_ERROR(c.Exec("DELETE FROM jfs_dir_stats WHERE inode=?", {de->first}));
        RETURN_IF_ERROR(AddUsage(c, -Align4K(0), -1));
      } else {
        da->nlink--;
        Touch(*da, false);
        Removed r;
        r.ino = de->first;
        r.attr = *da;
        if (da->nlink == 0) {
          Attr dead = *da;
          nodes.Drop(de->first);
          RETURN_IF_ERROR(UpdateNode(c, de->first, dead));
          RETURN_IF_ERROR(RetireInode(c, de->first, dead, sid, is_open(de->first), r));
        }
        removed = r;
      }
    }
    RETURN_IF_ERROR(c.Exec("DELETE FROM jfs_edge WHERE parent=? AND name=?", {psrc, nsrc}));
    RETURN_IF_ERROR(c.Exec("INSERT INTO jfs_edge (parent,name,inode,type) VALUES (?,?,?,?)",
                           {pdst, ndst, se.first, static_cast<int>(se.second)}));
    if (psrc != pdst) {
      if (sdir) { ps->nlink--; pd->nlink++; }
      if (sa->parent != 0) sa->parent = pdst;
    }
    Touch(*sa, false);
    Touch(*ps, true);
    Touch(*pd, true);
    out.attr = *sa;
    return nodes.Flush();
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
    ASSIGN_OR_RETURN(auto rows, c.Query("SELECT name,inode,type FROM jfs_edge WHERE parent=? ORDER BY id", {ino}));
    std::vector<Ino> inos;
    for (auto& r : rows) {
      Entry e;
      e.name = r.B(0);
      e.ino = r.U(1);
      e.attr.type = static_cast<FileType>(r.I(2));
      inos.push_back(e.ino);
      out.push_back(std::move(e));
    }
    if (!plus) return Status();
    for (auto& e : out) {
      ASSIGN_OR_RETURN(auto a, GetNode(c, e.ino));
      if (a) e.attr = *a;
    }
    return Status();
  });
  if (!st.ok()) return Err(st);
  return out;
}

}  // namespace tierfs::meta::sql
