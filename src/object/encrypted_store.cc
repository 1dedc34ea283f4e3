// WithEncryption (encrypted_store.h). Model: JuiceFS pkg/object/encrypt.go `encrypted`.
#include "object/encrypted_store.h"

#include "object/store_wrapper.h"

namespace tierfs::object {
namespace {

// Get and Put change the bytes; Delete, Head, List and Create pass through.
class EncryptedStore final : public StoreWrapper {
 public:
  EncryptedStore(std::unique_ptr<ObjectStore> inner, std::shared_ptr<const ObjectCipher> cipher)
      : StoreWrapper(std::move(inner)), cipher_(std::move(cipher)) {}

  std::string Describe() const override { return inner()->Describe() + "(encrypted)"; }

  Result<std::string> Get(std::string_view key, uint64_t off, int64_t limit) override {
    // AEAD verifies whole messages only: a range costs the whole object.
    ASSIGN_OR_RETURN(std::string stored, inner()->Get(key, 0, -1));
    auto plain = cipher_->Decrypt(stored);
    if (!plain) {
      // Corrupt data (object_store.h): reading it again gives the same bytes.
      return Err(EBADMSG, "cannot decrypt object " + std::string(key) + " of " +
                              inner()->Describe() + ": " + plain.error().message());
    }
    if (off == 0 && (limit < 0 || static_cast<uint64_t>(limit) >= plain->size())) return plain;
    if (off >= plain->size()) return std::string();
    return plain->substr(off, limit < 0 ? std::string::npos : static_cast<size_t>(limit));
  }

  Status Put(std::string_view key, std::string_view data) override {
    auto stored = cipher_->Encrypt(data);
    if (!stored) {
      return Status(EIO, "cannot encrypt object " + std::string(key) + " for " +
                             inner()->Describe() + ": " + stored.error().message());
    }
    return inner()->Put(key, *stored);
  }

 private:
  std::shared_ptr<const ObjectCipher> cipher_;
};

}  // namespace

std::unique_ptr<ObjectStore> WithEncryption(std::unique_ptr<ObjectStore> inner,
                                            std::shared_ptr<const ObjectCipher> cipher) {
  return std::make_unique<EncryptedStore>(std::move(inner), std::move(cipher));
}

}  // namespace tierfs::object
