// tierfs format META-URL NAME: creates a volume (or, with --force, updates the mutable
// settings of an existing one), as `juicefs format` does (JuiceFS cmd/format.go).
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/volume_store.h"
#include "meta/meta.h"
#include "object/object_cipher.h"
#include "object/store_check.h"
#include "util/units.h"
#include "util/url.h"

namespace tierfs::cli {
namespace {

std::string NewUuid() {
  std::random_device rd;
  std::mt19937_64 gen((uint64_t(rd()) << 32) ^ rd());
  uint64_t hi = gen(), lo = gen();
  hi = (hi & ~0xF000ULL) | 0x4000ULL;                // version 4
  lo = (lo & ~(3ULL << 62)) | (2ULL << 62);          // RFC 4122 variant
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", hi >> 32, (hi >> 16) & 0xFFFF,
                     hi & 0xFFFF, lo >> 48, lo & 0xFFFFFFFFFFFFULL);
}

// Block size in KiB from "4M", "512K" or a plain KiB number; a power of two in [64, 16384].
Result<uint32_t> BlockSizeKiB(const std::string& text) {
  ASSIGN_OR_RETURN(uint64_t bytes, ParseBytes(text, 1024));
  uint64_t kib = bytes / 1024;
  if (kib < 64 || kib > 16384) return Err(EINVAL, "--block-size must be within 64K..16M");
  uint32_t p = 64;
  while (p * 2 <= kib) p *= 2;
  return p;
}

std::string BucketPath(const FormatFlags& f) {
  std::string b = f.bucket.empty() ? "/var/jfs/" : f.bucket;
  if (f.storage == "file") {
    b = std::filesystem::absolute(b).lexically_normal().string();
    if (b.back() != '/') b.push_back('/');
  }
  return b;
}

// Opens the volume's store (bucket + "{name}/" prefix, encryption) and proves it usable before
// anything is written: object::ProbeStore puts a probe object (creating the bucket when it is
// missing), reads it back identical (through the encryption: the key works both ways), finds it
// by head and list, and deletes it. The error keeps the backend's own message.
Result<std::unique_ptr<object::ObjectStore>> CheckedStore(const meta::Format& fmt) {
  ASSIGN_OR_RETURN(auto store, OpenVolumeStore(fmt));
  if (Status s = object::ProbeStore(*store); !s.ok())
    return Err(s.code(), "storage " + store->Describe() + " is not usable: " + s.message());
  return store;
}

// The PEM text of --encrypt-rsa-key, as JuiceFS keeps it (the whole file).
Result<std::string> ReadKeyFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    int e = errno ? errno : EIO;
    return Err(e, "load RSA key from \"" + path + "\": " + std::strerror(e));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int Run(const FormatFlags& f) {
  const std::string cmd = "format";
  if (!meta::ValidVolumeName(f.name))
    return Fail(cmd, "invalid volume name '" + f.name +
                         "': use 3-63 characters of a-z, 0-9 and '-', not starting or ending with '-'");
  if (f.compress != "none" && f.compress != "lz4" && f.compress != "zstd")
    return Fail(cmd, "unknown --compress '" + f.compress + "' (none, lz4, zstd)");
  if (f.trash_days < 0) return Fail(cmd, "--trash-days must be >= 0");
  auto bs = BlockSizeKiB(f.block_size);
  if (!bs) return Fail(cmd, bs.error().message());
  if (auto algo = object::ParseEncryptAlgo(f.encrypt_algo); !algo)
    return Fail(cmd, "--encrypt-algo: " + algo.error().message());

  // An existing database is only read until every check passed.
  auto existing = meta::OpenMeta(f.meta_url, /*must_exist=*/true);
  if (!existing && existing.error().code() != ENOENT) return Fail(cmd, existing.error().message());
  if (existing) {
    auto old = (*existing)->Load();
    if (old) {
      if (!f.force)
        return Fail(cmd, "volume '" + old->name + "' is already formatted in " + RedactUrl(f.meta_url) +
                             "; use --force to update its settings");
      if (old->name != f.name)
        return Fail(cmd, "the database holds volume '" + old->name + "', not '" + f.name + "'");
      if (Status s = old->CheckVersion(); !s.ok()) return Fail(cmd, s.message());
      if (f.encrypt_flags_given)  // as JuiceFS: the objects are already written one way
        std::fprintf(stderr, "tierfs format: warning: --encrypt-rsa-key and --encrypt-algo are "
                             "ignored: they cannot be changed on an existing volume\n");
      meta::Format upd = *old;
      upd.trash_days = f.trash_days;
      upd.capacity = f.capacity_gib << 30;
      upd.inodes = f.inodes;
      if (Status s = (*existing)->Init(upd, /*force=*/true); !s.ok()) return Fail(cmd, s.message());
      std::printf("%s\n", upd.ToJson(true).c_str());
      return 0;
    }
    if (old.error().code() != ENOENT) return Fail(cmd, old.error().message());
    // Refused before the bucket is touched.
    if (Status s = (*existing)->CheckFormattable(f.force); !s.ok()) return Fail(cmd, s.message());
  }

  meta::Format fmt;
  fmt.name = f.name;
  fmt.uuid = NewUuid();
  // `azure` is tierfs's alias of JuiceFS's `wasb`: the setting keeps the name JuiceFS opens.
  fmt.storage = f.storage == "azure" ? "wasb" : f.storage;
  fmt.bucket = BucketPath(f);
  fmt.access_key = f.access_key;
  fmt.secret_key = f.secret_key;
  fmt.session_token = f.session_token;
  fmt.block_size_kib = *bs;
  fmt.compression = f.compress;
  fmt.hash_prefix = f.hash_prefix;
  fmt.capacity = f.capacity_gib << 30;
  fmt.inodes = f.inodes;
  fmt.trash_days = f.trash_days;
  fmt.encrypt_algo = f.encrypt_algo;
  if (!f.encrypt_rsa_key.empty()) {
    auto pem = ReadKeyFile(f.encrypt_rsa_key);
    if (!pem) return Fail(cmd, pem.error().message());
    fmt.encrypt_key = std::move(*pem);
  }

  auto store = CheckedStore(fmt);
  if (!store) return Fail(cmd, store.error().message());
  auto listed = (*store)->List("", "", 2);
  if (!listed) return Fail(cmd, "cannot list bucket " + fmt.bucket + ": " + listed.error().message());
  for (const auto& o : *listed) {
    if (o.key.rfind("testing", 0) != 0)
      return Fail(cmd, "storage " + fmt.bucket + fmt.name +
                           "/ is not empty; clean it up or pick another volume name");
  }
  if (Status s = (*store)->Put("juicefs_uuid", fmt.uuid); !s.ok()) return Fail(cmd, s.message());
  // The setting keeps SecretKey, SessionToken and EncryptKey encrypted, as JuiceFS's does.
  if (Status s = fmt.EncryptSecrets(); !s.ok()) return Fail(cmd, s.message());

  auto m = existing ? std::move(*existing) : nullptr;
  if (!m) {
    auto opened = meta::OpenMeta(f.meta_url, /*must_exist=*/false);
    if (!opened) return Fail(cmd, opened.error().message());
    m = std::move(*opened);
  }
  // --force also takes over a database holding other data (the Redis engine refuses it without).
  if (Status s = m->Init(fmt, f.force); !s.ok()) return Fail(cmd, s.message());
  std::printf("%s\n", fmt.ToJson(true).c_str());
  return 0;
}

}  // namespace

void AddFormat(CLI::App& app, FormatFlags& f, int& rc) {
  CLI::App* c = app.add_subcommand("format", "Format a volume");
  c->add_option("META-URL", f.meta_url, "metadata engine, e.g. sqlite3:///var/lib/tierfs/vol.db")
      ->required();
  c->add_option("NAME", f.name, "volume name")->required();
  c->add_option("--storage", f.storage, "object storage type (file)")->capture_default_str();
  c->add_option("--bucket", f.bucket, "bucket: for file storage a directory (default /var/jfs/)");
  c->add_option("--access-key", f.access_key, "object storage access key");
  c->add_option("--secret-key", f.secret_key, "object storage secret key");
  c->add_option("--session-token", f.session_token,
                "object storage session token (s3: STS token; wasb: SAS token)");
  c->add_option("--block-size", f.block_size, "block size: 4M, 512K or a number of KiB")
      ->capture_default_str();
  c->add_option("--compress", f.compress, "compression: none, lz4, zstd")->capture_default_str();
  c->add_option("--trash-days", f.trash_days, "days deleted files stay in .trash (0 = off)")
      ->capture_default_str();
  c->add_option("--capacity", f.capacity_gib, "volume quota in GiB (0 = unlimited)");
  c->add_option("--inodes", f.inodes, "volume inode quota (0 = unlimited)");
  c->add_flag("--hash-prefix", f.hash_prefix, "prefix object keys with a hash (many-prefix stores)");
  c->add_flag("--force", f.force, "update the settings of an existing volume");
  auto* key = c->add_option("--encrypt-rsa-key", f.encrypt_rsa_key,
                            "RSA private key (PEM) to encrypt the objects with; an encrypted key "
                            "takes its passphrase from JFS_RSA_PASSPHRASE");
  auto* algo = c->add_option("--encrypt-algo", f.encrypt_algo,
                             "encryption algorithm: aes256gcm-rsa, chacha20-rsa")
                   ->capture_default_str();
  c->callback([&f, &rc, key, algo] {
    f.encrypt_flags_given = key->count() > 0 || algo->count() > 0;
    rc = Run(f);
  });
}

}  // namespace tierfs::cli
