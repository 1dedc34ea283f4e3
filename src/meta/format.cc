// Format <-> JuiceFS setting JSON. The key order below is the field order of JuiceFS's Go
// `Format` struct (pkg/meta/config.go), which json.MarshalIndent follows; fields tierfs does not
// model are carried through `raw` at their canonical position.
#include "meta/format.h"

#include <array>
#include <cctype>
#include <regex>
#include <string_view>

namespace tierfs::meta {
namespace {

using Json = nlohmann::ordered_json;

// Every field of JuiceFS 1.4's Format, in struct order.
constexpr std::array<std::string_view, 33> kFieldOrder = {
    "Name", "UUID", "Storage", "StorageClass", "Tiers", "Bucket", "AccessKey", "SecretKey",
    "SessionToken", "BlockSize", "Compression", "Shards", "HashPrefix", "Capacity", "Inodes",
    "EncryptKey", "EncryptAlgo", "KeyEncrypted", "UploadLimit", "DownloadLimit", "TrashDays",
    "MetaVersion", "MinClientVersion", "MaxClientVersion", "DirStats", "UserGroupQuota",
    "EnableACL", "RangerRestUrl", "RangerService", "ChangeLog", "ChangeLogMaxAge",
    "ChangeLogMaxLines", "KerbConf"};

Json DefaultTiers() {
  Json tier = Json::object();
  tier["ID"] = 0;
  tier["StorageClass"] = "";
  tier["Tag"] = "";
  Json tiers = Json::object();
  tiers["0"] = tier;
  return tiers;
}

// The typed value of `key`, or a null json when the field is omitted (Go omitempty).
Json TypedField(const Format& f, std::string_view key, bool remove_secrets) {
  auto str = [](const std::string& s) { return s.empty() ? Json() : Json(s); };
  auto secret = [&](const std::string& s) {
    return s.empty() ? Json() : Json(remove_secrets ? std::string("removed") : s);
  };
  if (key == "Name") return f.name;
  if (key == "UUID") return f.uuid;
  if (key == "Storage") return f.storage;
  if (key == "Bucket") return f.bucket;
  if (key == "AccessKey") return str(f.access_key);
  if (key == "SecretKey") return secret(f.secret_key);
  if (key == "SessionToken") return secret(f.session_token);
  if (key == "BlockSize") return f.block_size_kib;
  if (key == "Compression") return str(f.compression);
  if (key == "Shards") return f.shards ? Json(f.shards) : Json();
  if (key == "HashPrefix") return f.hash_prefix ? Json(true) : Json();
  if (key == "Capacity") return f.capacity ? Json(f.capacity) : Json();
  if (key == "Inodes") return f.inodes ? Json(f.inodes) : Json();
  if (key == "EncryptKey") return secret(f.encrypt_key);
  if (key == "EncryptAlgo") return str(f.encrypt_algo);
  if (key == "KeyEncrypted") return f.key_encrypted ? Json(true) : Json();
  if (key == "UploadLimit") return f.upload_limit ? Json(f.upload_limit) : Json();
  if (key == "DownloadLimit") return f.download_limit ? Json(f.download_limit) : Json();
  if (key == "TrashDays") return f.trash_days;
  if (key == "MetaVersion") return f.meta_version ? Json(f.meta_version) : Json();
  if (key == "MinClientVersion") return str(f.min_client_version);
  if (key == "MaxClientVersion") return str(f.max_client_version);
  if (key == "DirStats") return f.dir_stats ? Json(true) : Json();
  if (key == "EnableACL") return f.enable_acl;
  return Json();
}

bool IsTyped(std::string_view key) {
  static constexpr std::array<std::string_view, 24> kTyped = {
      "Name", "UUID", "Storage", "Bucket", "AccessKey", "SecretKey", "SessionToken",
      "BlockSize", "Compression", "Shards", "HashPrefix", "Capacity", "Inodes", "EncryptKey",
      "EncryptAlgo", "KeyEncrypted", "UploadLimit", "DownloadLimit", "TrashDays",
      "MetaVersion", "MinClientVersion", "MaxClientVersion", "DirStats", "EnableACL"};
  for (auto k : kTyped) {
    if (k == key) return true;
  }
  return false;
}

bool IsKnown(std::string_view key) {
  for (auto k : kFieldOrder) {
    if (k == key) return true;
  }
  return false;
}

// Reads `key` into `out` when present; EINVAL when present with the wrong JSON type.
template <class T>
Status Get(const Json& j, const char* key, T& out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return Status();
  try {
    out = it->template get<T>();
  } catch (const std::exception& e) {
    return Status(EINVAL, std::string("setting field ") + key + ": " + e.what());
  }
  return Status();
}

}  // namespace

std::string Format::ToJson(bool remove_secrets) const {
  Json out = Json::object();
  for (auto key : kFieldOrder) {
    std::string k(key);
    if (IsTyped(key)) {
      Json v = TypedField(*this, key, remove_secrets);
      if (!v.is_null()) out[k] = std::move(v);
      continue;
    }
    auto it = raw.find(k);
    if (it != raw.end()) {
      out[k] = *it;
    } else if (key == "Tiers") {
      out[k] = DefaultTiers();
    }
  }
  for (auto it = raw.begin(); it != raw.end(); ++it) {
    if (!IsKnown(it.key())) out[it.key()] = it.value();
  }
  return out.dump(0);
}

Result<Format> Format::FromJson(const std::string& text) {
  Json j;
  try {
    j = Json::parse(text);
  } catch (const std::exception& e) {
    return Err(EINVAL, std::string("malformed volume setting JSON: ") + e.what());
  }
  if (!j.is_object()) return Err(EINVAL, "volume setting JSON is not an object");
  // Absent fields take Go's zero values, as JuiceFS's json.Unmarshal leaves them.
  Format f;
  f.storage.clear();
  f.block_size_kib = 0;
  f.compression.clear();
  f.encrypt_algo.clear();
  f.trash_days = 0;
  f.meta_version = 0;
  f.min_client_version.clear();
  f.dir_stats = false;
  RETURN_IF_ERROR(Get(j, "Name", f.name));
  RETURN_IF_ERROR(Get(j, "UUID", f.uuid));
  RETURN_IF_ERROR(Get(j, "Storage", f.storage));
  RETURN_IF_ERROR(Get(j, "Bucket", f.bucket));
  RETURN_IF_ERROR(Get(j, "AccessKey", f.access_key));
  RETURN_IF_ERROR(Get(j, "SecretKey", f.secret_key));
  RETURN_IF_ERROR(Get(j, "SessionToken", f.session_token));
  RETURN_IF_ERROR(Get(j, "BlockSize", f.block_size_kib));
  RETURN_IF_ERROR(Get(j, "Compression", f.compression));
  RETURN_IF_ERROR(Get(j, "Shards", f.shards));
  RETURN_IF_ERROR(Get(j, "HashPrefix", f.hash_prefix));
  RETURN_IF_ERROR(Get(j, "Capacity", f.capacity));
  RETURN_IF_ERROR(Get(j, "Inodes", f.inodes));
  RETURN_IF_ERROR(Get(j, "EncryptKey", f.encrypt_key));
  RETURN_IF_ERROR(Get(j, "EncryptAlgo", f.encrypt_algo));
  RETURN_IF_ERROR(Get(j, "KeyEncrypted", f.key_encrypted));
  RETURN_IF_ERROR(Get(j, "UploadLimit", f.upload_limit));
  RETURN_IF_ERROR(Get(j, "DownloadLimit", f.download_limit));
  RETURN_IF_ERROR(Get(j, "TrashDays", f.trash_days));
  RETURN_IF_ERROR(Get(j, "MetaVersion", f.meta_version));
  RETURN_IF_ERROR(Get(j, "MinClientVersion", f.min_client_version));
  RETURN_IF_ERROR(Get(j, "MaxClientVersion", f.max_client_version));
  RETURN_IF_ERROR(Get(j, "DirStats", f.dir_stats));
  RETURN_IF_ERROR(Get(j, "EnableACL", f.enable_acl));
  f.raw = std::move(j);
  return f;
}

Status Format::CheckVersion() const {
  if (meta_version > kMaxMetaVersion) {
    return Status(EINVAL, "volume MetaVersion " + std::to_string(meta_version) +
                              " is newer than this client supports (" +
                              std::to_string(kMaxMetaVersion) + ")");
  }
  if (!min_client_version.empty() && CompareVersion(kCompatClientVersion, min_client_version) < 0) {
    return Status(EINVAL, std::string("volume requires client version >= ") +
                              min_client_version + ", this client is " + kCompatClientVersion);
  }
  if (!max_client_version.empty() && CompareVersion(kCompatClientVersion, max_client_version) > 0) {
    return Status(EINVAL, std::string("volume requires client version <= ") +
                              max_client_version + ", this client is " + kCompatClientVersion);
  }
  return Status();
}

std::string Format::UnsupportedFeature() const {
  auto text = [&](const char* key) {
    auto it = raw.find(key);
    return it != raw.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  auto flag = [&](const char* key) {
    auto it = raw.find(key);
    return it != raw.end() && it->is_boolean() && it->get<bool>();
  };
  if (!encrypt_key.empty() && encrypt_algo == "sm4gcm")
    return "SM4-GCM encryption (format --encrypt-algo sm4gcm)";
  if (shards > 1) return "sharded buckets (format --shards " + std::to_string(shards) + ")";
  if (enable_acl) return "POSIX ACLs (format --enable-acl)";
  if (flag("UserGroupQuota")) return "user/group quotas";
  if (!text("RangerRestUrl").empty()) return "Ranger authorization (format --ranger-rest-url)";
  if (flag("ChangeLog")) return "the change log";
  if (!text("KerbConf").empty()) return "Kerberos (KerbConf)";
  if (auto it = raw.find("Tiers"); it != raw.end() && it->is_object()) {
    for (auto t = it->begin(); t != it->end(); ++t) {
      bool plain = t.key() == "0" && t->is_object() && t->value("StorageClass", "").empty() &&
                   t->value("Tag", "").empty();
      if (!plain) return "storage tiers (Tiers)";
    }
  }
  return "";
}

namespace {

struct Version {
  long parts[3] = {0, 0, 0};
  std::string pre;  // after '-', before '+'
};

Version ParseVersion(const std::string& s) {
  Version v;
  std::string core = s.substr(0, s.find('+'));
  auto dash = core.find('-');
  if (dash != std::string::npos) {
    v.pre = core.substr(dash + 1);
    core.resize(dash);
  }
  size_t i = 0;
  for (int p = 0; p < 3 && i <= core.size(); ++p) {
    long n = 0;
    while (i < core.size() && std::isdigit(static_cast<unsigned char>(core[i]))) {
      n = n * 10 + (core[i++] - '0');
    }
    v.parts[p] = n;
    if (i < core.size() && core[i] == '.') ++i; else break;
  }
  return v;
}

}  // namespace

int CompareVersion(const std::string& a, const std::string& b) {
  Version x = ParseVersion(a), y = ParseVersion(b);
  for (int i = 0; i < 3; ++i) {
    if (x.parts[i] != y.parts[i]) return x.parts[i] < y.parts[i] ? -1 : 1;
  }
  // Semver precedence: a pre-release ("1.1.0-A") sorts before its release ("1.1.0").
  if (x.pre == y.pre) return 0;
  if (x.pre.empty()) return 1;
  if (y.pre.empty()) return -1;
  return x.pre < y.pre ? -1 : 1;
}

bool ValidVolumeName(const std::string& name) {
  static const std::regex kRe("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$");
  return std::regex_match(name, kRe);
}

}  // namespace tierfs::meta
