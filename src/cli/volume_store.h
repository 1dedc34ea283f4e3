// OpenVolumeStore: the object store of a volume, stacked as JuiceFS's cmd/format.go
// createStorage stacks it: the backend of Storage/Bucket -> WithPrefix("{Name}/") ->
// WithEncryption when the setting has an EncryptKey (EncryptAlgo's AEAD, the key's passphrase
// from $JFS_RSA_PASSPHRASE). Compression is not here: the chunk layer does it above.
//
// `format` is the setting as stored: secrets still encrypted (KeyEncrypted) are decrypted on a
// copy; the caller's copy keeps them as they are. Nothing is contacted or created (no
// Create(), no request): format and mount decide what to check.
// Errors: EINVAL for a setting that cannot be used (secrets that do not decrypt, an unknown
// EncryptAlgo, a key that does not parse, a passphrase that is missing: object::kNeedPassphrase,
// JuiceFS's wording) and the backend's own errors (an unknown storage).
#pragma once

#include <memory>

#include "meta/format.h"
#include "object/object_store.h"
#include "util/status.h"

namespace tierfs::cli {

Result<std::unique_ptr<object::ObjectStore>> OpenVolumeStore(const meta::Format& format);

}  // namespace tierfs::cli
