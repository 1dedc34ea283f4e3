// Format: the volume setting (JuiceFS "Format" JSON in jfs_setting.format / Redis `setting`).
// Field names, defaults and the JSON shape follow JuiceFS pkg/meta/config.go; docs/format.md
// lists them. Unknown fields written by newer clients are kept and written back unchanged.
//
// Thread-safety: value type.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "util/status.h"

namespace tierfs::meta {

// The newest MetaVersion this client understands (JuiceFS MaxVersion).
inline constexpr int kMaxMetaVersion = 1;
// The version tierfs reports to MinClientVersion/MaxClientVersion checks: the JuiceFS release
// whose volume format it implements.
inline constexpr const char* kCompatClientVersion = "1.4.2";

struct Format {
  std::string name;
  std::string uuid;
  std::string storage = "file";
  std::string bucket;
  std::string access_key;
  std::string secret_key;
  std::string session_token;
  uint32_t block_size_kib = 4096;  // KiB (JuiceFS stores BlockSize in KiB)
  std::string compression = "none";  // none | lz4 | zstd
  int shards = 0;
  bool hash_prefix = false;
  uint64_t capacity = 0;  // bytes; 0 = unlimited
  uint64_t inodes = 0;    // 0 = unlimited
  // Encryption at rest: the whole PEM text of `format --encrypt-rsa-key` ("" = objects are
  // stored in plain text), and EncryptAlgo (aes256gcm-rsa | chacha20-rsa; JuiceFS's sm4gcm is
  // not implemented). object/encrypted_store.h does the encrypting.
  std::string encrypt_key;
  std::string encrypt_algo = "aes256gcm-rsa";
  // KeyEncrypted: secret_key, session_token and encrypt_key hold ciphertext (EncryptSecrets).
  bool key_encrypted = false;
  // UploadLimit / DownloadLimit: the volume's default bandwidth limits in Mbps (10^6 bits/s;
  // 0 = none); a mount's --upload-limit / --download-limit override them.
  int64_t upload_limit = 0;
  int64_t download_limit = 0;
  int trash_days = 1;
  int meta_version = 1;
  std::string min_client_version = "1.1.0-A";
  std::string max_client_version;
  bool dir_stats = true;
  bool enable_acl = false;
  // Every field as last read (unknown ones included); ToJson overlays the typed fields on it.
  nlohmann::ordered_json raw = nlohmann::ordered_json::object();

  uint64_t BlockSizeBytes() const { return uint64_t(block_size_kib) * 1024; }

  // Go json.MarshalIndent(f, "", "") shape: one field per line, no indentation.
  // With remove_secrets, secret fields read "removed" (as `juicefs status` prints them).
  std::string ToJson(bool remove_secrets = false) const;
  // EINVAL with the parse error for malformed JSON or wrongly typed known fields.
  static Result<Format> FromJson(const std::string& text);
  // EINVAL naming the problem if this client must not use the volume: MetaVersion newer than
  // kMaxMetaVersion, MinClientVersion newer / MaxClientVersion older than kCompatClientVersion.
  Status CheckVersion() const;
  // JuiceFS Format.Encrypt / Decrypt (pkg/meta/config.go), how the setting keeps its secrets:
  // each non-empty one of secret_key, session_token, encrypt_key becomes the standard base64
  // (padded) of nonce(12) || AES-128-GCM ciphertext || tag(16), no associated data, keyed with
  // MD5 of the UUID text; key_encrypted says so. `format` encrypts a new volume's secrets
  // before it stores the setting; whoever needs them decrypts a copy.
  // EncryptSecrets does nothing when key_encrypted is set or there is no secret (then
  // key_encrypted stays false, as in JuiceFS); DecryptSecrets nothing when key_encrypted is
  // false. EINVAL: EncryptAlgo sm4gcm (SM4-keyed secrets), a secret that was "removed", one
  // that is not base64 or does not decrypt (a changed UUID or value).
  Status EncryptSecrets();
  Status DecryptSecrets();

  // The first feature the setting turns on that this client does not implement, so that it
  // would read the volume wrongly or write what other clients cannot read; "" when none:
  // SM4-GCM encryption (EncryptAlgo sm4gcm), sharded buckets (Shards > 1), POSIX ACLs
  // (EnableACL), user/group quotas (UserGroupQuota), Ranger authorization (RangerRestUrl), the
  // change log (ChangeLog), storage tiers (Tiers beyond the default tier 0), Kerberos
  // (KerbConf). Directory quotas live in the metadata, not the setting: Meta::CheckSupported
  // adds them.
  std::string UnsupportedFeature() const;
};

// Compares JuiceFS version strings ("1.1.0-A", "1.4.2+2026-10-26"): <0, 0, >0.
int CompareVersion(const std::string& a, const std::string& b);

// Volume names: ^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$ (JuiceFS cmd/format.go).
bool ValidVolumeName(const std::string& name);

}  // namespace tierfs::meta
