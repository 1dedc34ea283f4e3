// Vfs directory handles: a listing snapshot per opendir, served by index.
#include "vfs/inode_state.h"
#include "vfs/vfs.h"

namespace tierfs::vfs {

Result<uint64_t> Vfs::OpenDir(const meta::Context& ctx, meta::Ino ino, bool plus) {
  ASSIGN_OR_RETURN(meta::Attr a, meta_->GetAttr(ctx, ino));
  if (a.type != meta::FileType::kDirectory) return Err(ENOTDIR);
  auto h = std::make_shared<Handle>();
  h->ino = ino;
  h->is_dir = true;
  h->plus = plus;
  h->inode = AcquireInode(ino);
  {
    std::lock_guard lk(h->inode->mu);
    h->inode->dir_attr = a;
  }
  return NewHandle(std::move(h));
}

Result<const std::vector<DirEntryOut>*> Vfs::ReadDir(const meta::Context& ctx, meta::Ino ino,
                                                     uint64_t fh, uint64_t off, bool plus) {
  auto h = GetHandle(fh);
  if (!h || !h->is_dir) return Err(EBADF, "unknown directory handle");
  std::lock_guard lk(h->mu);
  // Offset 0 starts a listing (opendir or rewinddir): it must show the directory as it is now.
  if (off == 0 || !h->listed || (plus && !h->plus)) {
    auto listed = meta_->Readdir(ctx, ino, plus);
    // The directory was open, so ENOENT means it was removed since: like Linux, a removed
    // directory lists empty rather than failing (found by the model test).
    if (!listed && listed.error().code() != ENOENT) return Err(std::move(listed.error()));
    std::vector<meta::Entry> entries = listed ? std::move(*listed) : std::vector<meta::Entry>{};
    h->entries.clear();
    h->entries.reserve(entries.size() + 3);
    for (const meta::Entry& e : entries) {
      EntryOut out = MakeEntry(e.ino, e.attr);
      if (!e.attr_known) {  // listed, but gone since: a name without a dentry for the kernel
        out.ino = 0;
        out.attr_timeout = out.entry_timeout = 0;
      }
      h->entries.push_back({e.name, out});
    }
    if (ino == meta::kRootIno) {
      for (meta::Ino vino : {kStatsIno, kConfigIno}) {
        h->entries.push_back({vino == kStatsIno ? ".stats" : ".config",
                              MakeEntry(vino, *InternalAttr(vino))});
      }
      if (auto t = meta_->GetAttr(ctx, meta::kTrashIno)) {
        h->entries.push_back({".trash", MakeEntry(meta::kTrashIno, *t)});
      }
    }
    h->listed = true;
    h->plus = plus;
  }
  return &h->entries;
}

Status Vfs::ReleaseDir(meta::Ino ino, uint64_t fh) {
  auto h = TakeHandle(fh);
  if (!h) return Status(EBADF, "unknown directory handle");
  if (h->inode) ReleaseInode(ino, h->inode);
  return Status::Ok();
}

}  // namespace tierfs::vfs
