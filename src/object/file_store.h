// FileStore: the `file` storage. The bucket is a local directory; object `key` is the regular
// file `{bucket}/{key}`, intermediate '/' segments being sub-directories. This is the layout
// JuiceFS's file backend (pkg/object/file.go) uses, so `juicefs format --bucket /b/ vol` and
// tierfs share objects: block 0 of slice 1 (6 bytes) of volume "vol" is /b/vol/chunks/0/0/1_0_6.
//
// Put writes a temporary file in the target's directory ("." + name + ".tmp." + 16 hex
// digits) and renames it over the key, so readers see the old or the new object, never a torn
// one; parent directories are created as needed (mode 0777 and files 0666, before umask, like
// JuiceFS). No fsync (JuiceFS neither). List walks the tree in lexicographic key order and
// skips these temporary files. Delete is idempotent and leaves empty directories in place.
//
// Errors: ENOENT missing object; EACCES/EROFS not permitted (Create: bucket not creatable or
// not writable); ENOSPC disk or quota full; EINVAL bad key; EIO otherwise. Messages name the
// path. Thread-safety: all methods may be called concurrently (no shared mutable state).
#pragma once

#include <memory>
#include <string>

#include "object/object_store.h"

namespace tierfs::object {

class FileStore final : public ObjectStore {
 public:
  // `root`: absolute directory path ending in '/'.
  explicit FileStore(std::string root) : root_(std::move(root)) {}

  std::string Describe() const override { return "file://" + root_; }
  Result<std::string> Get(std::string_view key, uint64_t off = 0, int64_t limit = -1) override;
  Status Put(std::string_view key, std::string_view data) override;
  Status Delete(std::string_view key) override;
  Result<ObjectInfo> Head(std::string_view key) override;
  Result<std::vector<ObjectInfo>> List(std::string_view prefix, std::string_view marker = {},
                                       size_t limit = 0) override;
  Status Create() override;

  // True for the names Put uses for its temporary files (never listed as objects).
  static bool IsTempName(std::string_view name);

 private:
  std::string Path(std::string_view key) const { return root_ + std::string(key); }
  struct ListState;
  Status Walk(const std::string& dir_key, ListState& st);

  std::string root_;
};

// Factory used by OpenObjectStore: makes config.bucket absolute (relative to the working
// directory) and ensures a trailing '/'.
Result<std::unique_ptr<ObjectStore>> NewFileStore(const StoreConfig& config);

}  // namespace tierfs::object
