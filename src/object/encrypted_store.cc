// WithEncryption (encrypted_store.h). Model: JuiceFS pkg/object/encrypt.go `encrypted`.
#include "object/encrypted_store.h"

namespace tierfs::object {
namespace {

class EncryptedStore final : public ObjectStore {
 public:
  EncryptedStore(std::unique_ptr<ObjectStore> inner, std::shared_ptr<const ObjectCipher> cipher)
      : inner_(std::move(inner)), cipher_(std::move(cipher)) {}

  std::string Describe() const override { return inner_->Describe() + "(encrypted)"; }

  Result<std::string> Get(std::string_view key, uint64_t off, int64_t limit) override {
    // AEAD verifies whole messages only: a range costs the whole object.
    ASSIGN_OR_RETURN(std::string stored, inner_->Get(key, 0, -1));
    auto plain = cipher_->Decrypt(stored);
    if (!plain) {
      return Err(EIO, "cannot decrypt object " + std::string(key) + " of " + inner_->Describe() +
                          ": " + plain.error().message());
    }
    if (off == 0 && (limit < 0 || static_cast<uint64_t>(limit) >= plain->size())) return plain;
    if (off >= plain->size()) return std::string();
    return plain->substr(off, limit < 0 ? std::string::npos : static_cast<size_t>(limit));
  }

  Status Put(std::string_view key, std::string_view data) override {
    auto stored = cipher_->Encrypt(data);
    if (!stored) {
      return Status(EIO, "cannot encrypt object " + std::string(key) + " for " +
                             inner_->Describe() + ": " + stored.error().message());
    }
    return inner_->Put(key, *stored);
  }

  Status Delete(std::string_view key) override { return inner_->Delete(key); }
  Result<ObjectInfo> Head(std::string_view key) override { return inner_->Head(key); }
  Result<std::vector<ObjectInfo>> List(std::string_view prefix, std::string_view marker,
                                       size_t limit) override {
    return inner_->List(prefix, marker, limit);
  }
  Status Create() override { return inner_->Create(); }

 private:
  std::unique_ptr<ObjectStore> inner_;
  std::shared_ptr<const ObjectCipher> cipher_;
};

}  // namespace

std::unique_ptr<ObjectStore> WithEncryption(std::unique_ptr<ObjectStore> inner,
                                            std::shared_ptr<const ObjectCipher> cipher) {
  return std::make_unique<EncryptedStore>(std::move(inner), std::move(cipher));
}

}  // namespace tierfs::object
