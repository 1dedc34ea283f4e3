// StoreWrapper: the base of an ObjectStore wrapper that changes some methods and forwards the
// others, unchanged, to the store it wraps (leveldb's EnvWrapper). A wrapper overrides what it
// changes and reaches the wrapped store through inner().
//
// Ownership: owns `inner`. Thread-safety: as the inner store.
#pragma once

#include <memory>

#include "object/object_store.h"

namespace tierfs::object {

class StoreWrapper : public ObjectStore {
 public:
  explicit StoreWrapper(std::unique_ptr<ObjectStore> inner) : inner_(std::move(inner)) {}

  std::string Describe() const override { return inner_->Describe(); }
  Result<std::string> Get(std::string_view key, uint64_t off = 0, int64_t limit = -1) override {
    return inner_->Get(key, off, limit);
  }
  Status Put(std::string_view key, std::string_view data) override {
    return inner_->Put(key, data);
  }
  Status Delete(std::string_view key) override { return inner_->Delete(key); }
  Result<ObjectInfo> Head(std::string_view key) override { return inner_->Head(key); }
  Result<std::vector<ObjectInfo>> List(std::string_view prefix, std::string_view marker = {},
                                       size_t limit = 0) override {
    return inner_->List(prefix, marker, limit);
  }
  Status Create() override { return inner_->Create(); }

 protected:
  ObjectStore* inner() const { return inner_.get(); }

 private:
  std::unique_ptr<ObjectStore> inner_;
};

}  // namespace tierfs::object
