// WithPrefix (object_store.h): every key is `prefix + key` in the inner store; List results have
// the prefix removed again. Model: JuiceFS pkg/object/prefix.go.
#include <memory>

#include "object/object_store.h"

namespace tierfs::object {
namespace {

class PrefixStore final : public ObjectStore {
 public:
  PrefixStore(std::unique_ptr<ObjectStore> inner, std::string prefix)
      : inner_(std::move(inner)), prefix_(std::move(prefix)) {}

  std::string Describe() const override { return inner_->Describe() + prefix_; }
  Result<std::string> Get(std::string_view key, uint64_t off, int64_t limit) override {
    return inner_->Get(Full(key), off, limit);
  }
  Status Put(std::string_view key, std::string_view data) override {
    return inner_->Put(Full(key), data);
  }
  Status Delete(std::string_view key) override { return inner_->Delete(Full(key)); }
  Result<ObjectInfo> Head(std::string_view key) override {
    ASSIGN_OR_RETURN(ObjectInfo info, inner_->Head(Full(key)));
    info.key = std::string(key);
    return info;
  }
  Result<std::vector<ObjectInfo>> List(std::string_view prefix, std::string_view marker,
                                       size_t limit) override {
    std::string full_marker = marker.empty() ? std::string() : Full(marker);
    ASSIGN_OR_RETURN(std::vector<ObjectInfo> objs, inner_->List(Full(prefix), full_marker, limit));
    for (ObjectInfo& o : objs) o.key.erase(0, prefix_.size());
    return objs;
  }
  Status Create() override { return inner_->Create(); }

 private:
  std::string Full(std::string_view key) const { return prefix_ + std::string(key); }

  std::unique_ptr<ObjectStore> inner_;
  std::string prefix_;
};

}  // namespace

std::unique_ptr<ObjectStore> WithPrefix(std::unique_ptr<ObjectStore> inner, std::string prefix) {
  return std::make_unique<PrefixStore>(std::move(inner), std::move(prefix));
}

}  // namespace tierfs::object
