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
//
// WithTransferWrappers: what a mount puts on top, innermost first:
//   volume store -> MeteredStore (registry) -> WithLimits -> WithRetry
// Why this order (JuiceFS's cachedStore does the same within one function, research notes
// sections 4 and 6): the metrics are per attempt, so request counts and errors are the
// requests the storage saw, retries included, and its latency excludes the waits for a slot
// or for bandwidth; the data bytes are those before encryption (JuiceFS: "after compression,
// before encryption"). The limits are inside the retries, so a request sleeping its back-off
// holds no upload/download slot and every attempt pays for the bytes it sends again. Encryption
// and the prefix stay below everything, so a retried PUT is encrypted afresh and every wrapper
// sees the volume's own keys.
#pragma once

#include <cstdint>
#include <memory>

#include "meta/format.h"
#include "object/limited_store.h"
#include "object/object_store.h"
#include "object/retry_store.h"
#include "util/status.h"

namespace tierfs::metrics {
class Registry;
}

namespace tierfs::cli {

// A mount's object-request settings (`tierfs mount` flags; defaults as JuiceFS's).
struct TransferOptions {
  int64_t get_timeout_ms = 60'000;  // --get-timeout: one GET attempt (StoreConfig)
  int64_t put_timeout_ms = 60'000;  // --put-timeout: one PUT attempt
  object::Limits limits;            // --max-uploads, --max-downloads, --upload/download-limit
  object::RetryPolicy retry;        // --io-retries (max_tries)
};

// The timeouts of `transfer` go to the backend's StoreConfig; the rest is not used here.
Result<std::unique_ptr<object::ObjectStore>> OpenVolumeStore(const meta::Format& format,
                                                             const TransferOptions& transfer = {});

// Stacks metrics (when `registry` is not null; it must outlive the store), limits and retries
// on `volume_store` (see the top of this file).
std::unique_ptr<object::ObjectStore> WithTransferWrappers(
    std::unique_ptr<object::ObjectStore> volume_store, const TransferOptions& transfer,
    metrics::Registry* registry);

}  // namespace tierfs::cli
