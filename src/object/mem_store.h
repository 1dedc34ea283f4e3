// MemStore: the `mem` storage, an ObjectStore held in process memory (a std::map, so List is
// naturally in key order). A real product, not a test double: unit tests of every upper layer
// run on it, and `--storage mem` gives a throw-away volume. Contents die with the object.
//
// Thread-safety: all methods may be called concurrently (one shared_mutex; Get copies the
// requested range under a shared lock).
#pragma once

#include <map>
#include <memory>
#include <shared_mutex>
#include <string>

#include "object/object_store.h"

namespace tierfs::object {

class MemStore final : public ObjectStore {
 public:
  // `name` only appears in Describe() ("mem://name").
  explicit MemStore(std::string name = {}) : name_(std::move(name)) {}

  std::string Describe() const override { return "mem://" + name_; }
  Result<std::string> Get(std::string_view key, uint64_t off = 0, int64_t limit = -1) override;
  Status Put(std::string_view key, std::string_view data) override;
  Status Delete(std::string_view key) override;
  Result<ObjectInfo> Head(std::string_view key) override;
  Result<std::vector<ObjectInfo>> List(std::string_view prefix, std::string_view marker = {},
                                       size_t limit = 0) override;
  Status Create() override { return Status::Ok(); }

 private:
  struct Object {
    std::string data;
    int64_t mtime = 0;
  };
  std::string name_;
  mutable std::shared_mutex mu_;
  std::map<std::string, Object, std::less<>> objects_;
};

// Factory used by OpenObjectStore (registry.cc).
Result<std::unique_ptr<ObjectStore>> NewMemStore(const StoreConfig& config);

}  // namespace tierfs::object
