#include "object/azure_config.h"

#include <cctype>
#include <map>

#include "util/url.h"

namespace tierfs::object {

namespace {

using Fields = std::map<std::string, std::string>;  // connection string, keys lower-cased

Status Invalid(const StoreConfig& config, const std::string& why) {
  return Status(EINVAL, "invalid --bucket '" + RedactUrl(config.bucket) + "' for storage " +
                            config.storage + ": " + why);
}

// A problem with the credentials rather than the bucket text.
Status BadCredentials(const AzureLocation& loc, const std::string& why) {
  return Status(EINVAL, "credentials for " + loc.Describe() + ": " + why);
}

std::string Lower(std::string s) {
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// An http(s) URL without user info, or why not.
Result<Url> HttpUrl(std::string_view text) {
  auto url = ParseUrl(text);
  if (!url) return Err(url.error());
  if (url->scheme != "http" && url->scheme != "https") {
    return Err(EINVAL, "scheme must be http or https, not '" + url->scheme + "'");
  }
  if (url->host.empty()) return Err(EINVAL, "no host in '" + std::string(text) + "'");
  if (!url->user.empty() || url->has_password) {
    return Err(EINVAL, "credentials belong in --access-key/--secret-key, not the URL");
  }
  return url;
}

std::string HostPort(const Url& url) {
  std::string host = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  return url.port != 0 ? host + ":" + std::to_string(url.port) : host;
}

std::vector<std::string> Segments(std::string_view path) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < path.size()) {
    size_t end = std::min(path.find('/', start), path.size());
    if (end > start) out.emplace_back(path.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// Azure container names: 3..63 of lower-case letters, digits and single hyphens, starting
// and ending with a letter or digit; "$root" and "$web" are the special ones.
bool ValidContainer(std::string_view c) {
  if (c == "$root" || c == "$web") return true;
  if (c.size() < 3 || c.size() > 63 || c.front() == '-' || c.back() == '-') return false;
  for (size_t i = 0; i < c.size(); ++i) {
    bool ok = std::islower(static_cast<unsigned char>(c[i])) ||
              std::isdigit(static_cast<unsigned char>(c[i])) || c[i] == '-';
    if (!ok || (c[i] == '-' && c[i - 1] == '-')) return false;
  }
  return true;
}

// "A=1;B=x=y;" -> {a: 1, b: x=y}: the value runs to the next ';' and may hold '='.
Result<Fields> ParseConnectionString(std::string_view text) {
  Fields out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = std::min(text.find(';', start), text.size());
    std::string_view part = text.substr(start, end - start);
    start = end + 1;
    while (!part.empty() && std::isspace(static_cast<unsigned char>(part.front())))
      part.remove_prefix(1);
    if (part.empty()) continue;
    size_t eq = part.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      return Err(EINVAL, "AZURE_STORAGE_CONNECTION_STRING: '" +
                             std::string(part.substr(0, part.find('='))) + "' is not Key=Value");
    }
    out[Lower(std::string(part.substr(0, eq)))] = std::string(part.substr(eq + 1));
  }
  return out;
}

std::string Field(const Fields& f, const char* lower_key) {
  auto it = f.find(lower_key);
  return it == f.end() ? std::string() : it->second;
}

// The endpoint, account and secrets a connection string names.
Status ApplyConnectionString(const Fields& f, AzureLocation& loc, std::string& key64) {
  if (Lower(Field(f, "usedevelopmentstorage")) == "true") {
    loc.scheme = "http";
    loc.host = "127.0.0.1:10000";
    loc.base_path = std::string("/") + kAzuriteAccount;
    loc.account = kAzuriteAccount;
    key64 = kAzuriteKey;
    return Status::Ok();
  }
  loc.account = Field(f, "accountname");
  key64 = Field(f, "accountkey");
  loc.sas = Field(f, "sharedaccesssignature");
  std::string endpoint = Field(f, "blobendpoint");
  if (!endpoint.empty()) {
    auto url = HttpUrl(endpoint);
    if (!url)
      return Status(EINVAL,
                    "AZURE_STORAGE_CONNECTION_STRING: BlobEndpoint: " + url.error().message());
    loc.scheme = url->scheme;
    loc.host = HostPort(*url);
    loc.base_path = url->path;
    while (loc.base_path.ends_with('/')) loc.base_path.pop_back();
    return Status::Ok();
  }
  if (loc.account.empty()) {
    return Status(EINVAL,
                  "AZURE_STORAGE_CONNECTION_STRING has neither AccountName nor BlobEndpoint");
  }
  std::string protocol = Lower(Field(f, "defaultendpointsprotocol"));
  loc.scheme = protocol.empty() ? "https" : protocol;
  if (loc.scheme != "http" && loc.scheme != "https") {
    return Status(
        EINVAL, "AZURE_STORAGE_CONNECTION_STRING: DefaultEndpointsProtocol must be http or https");
  }
  std::string suffix = Field(f, "endpointsuffix");
  loc.host = loc.account + ".blob." + (suffix.empty() ? "core.windows.net" : suffix);
  loc.base_path.clear();
  return Status::Ok();
}

}  // namespace

std::string AzureLocation::Describe() const { return "wasb://" + container + "/"; }

Result<AzureLocation> ParseAzureLocation(const StoreConfig& config, const EnvLookup& env) {
  std::string text = config.bucket;
  while (text.ends_with('/')) text.pop_back();
  if (text.empty()) return Err(Invalid(config, "no container"));
  if (text.find("://") == std::string::npos) text = "https://" + text;
  auto url = HttpUrl(text);
  if (!url) return Err(Invalid(config, url.error().message()));

  AzureLocation loc;
  loc.scheme = url->scheme;
  std::string url_account;  // the account the URL names, if it does
  std::string domain;       // JuiceFS's form: the service host without the account
  std::vector<std::string> segs = Segments(url->path);
  if (segs.empty()) {
    size_t dot = url->host.find('.');
    loc.container = url->host.substr(0, dot);
    domain = dot == std::string::npos ? "" : url->host.substr(dot + 1);
    if (domain.empty()) domain = "blob.core.windows.net";
    if (!domain.starts_with("blob")) domain = "blob." + domain;
    if (url->port != 0) domain += ":" + std::to_string(url->port);
  } else if (segs.size() == 1) {
    size_t dot = url->host.find('.');
    if (dot == std::string::npos) {
      return Err(Invalid(config,
                         "a container URL's host must be ACCOUNT.blob.DOMAIN (or give "
                         "an emulator's http://HOST:PORT/ACCOUNT/CONTAINER)"));
    }
    url_account = url->host.substr(0, dot);
    loc.host = HostPort(*url);
    loc.container = segs[0];
  } else if (segs.size() == 2) {
    url_account = segs[0];
    loc.base_path = "/" + segs[0];
    loc.host = HostPort(*url);
    loc.container = segs[1];
  } else {
    return Err(
        Invalid(config,
                "too many path segments (the forms are https://CONTAINER.DOMAIN, "
                "https://ACCOUNT.blob.DOMAIN/CONTAINER, http://HOST:PORT/ACCOUNT/CONTAINER)"));
  }
  if (!ValidContainer(loc.container)) {
    return Err(Invalid(config, "bad container name '" + loc.container +
                                   "' (3-63 lower-case letters, digits and single hyphens)"));
  }

  std::string key64;
  std::string conn = EnvOr(env, "AZURE_STORAGE_CONNECTION_STRING");
  if (!conn.empty()) {
    auto fields = ParseConnectionString(conn);
    if (!fields) return Err(BadCredentials(loc, fields.error().message()));
    Status st = ApplyConnectionString(*fields, loc, key64);
    if (!st.ok()) return Err(BadCredentials(loc, st.message()));
  } else {
    if (!config.access_key.empty() && !url_account.empty() && config.access_key != url_account) {
      return Err(Invalid(config, "the access key names account '" + config.access_key +
                                     "' but the URL names '" + url_account + "'"));
    }
    loc.account = !url_account.empty()         ? url_account
                  : !config.access_key.empty() ? config.access_key
                                               : EnvOr(env, "AZURE_STORAGE_ACCOUNT");
    key64 = !config.secret_key.empty() ? config.secret_key : EnvOr(env, "AZURE_STORAGE_KEY");
    loc.sas = !config.session_token.empty() ? config.session_token
                                            : EnvOr(env, "AZURE_STORAGE_SAS_TOKEN");
    if (loc.account.empty()) {
      return Err(BadCredentials(loc,
                                "no storage account: give it as --access-key or "
                                "AZURE_STORAGE_ACCOUNT, or in the URL"));
    }
    if (!domain.empty()) loc.host = loc.account + "." + domain;
  }
  while (!loc.sas.empty() && (loc.sas.front() == '?' || loc.sas.front() == ' '))
    loc.sas.erase(0, 1);
  while (!loc.sas.empty() && loc.sas.back() == ' ') loc.sas.pop_back();
  if (!key64.empty()) {
    if (loc.account.empty())
      return Err(BadCredentials(loc, "an account key needs the account's name"));
    auto key = azure::ParseSharedKey(loc.account, key64);
    if (!key) return Err(BadCredentials(loc, key.error().message()));
    loc.key = std::move(key->key);
  } else if (loc.sas.empty()) {
    return Err(
        BadCredentials(loc, "none for storage account '" + loc.account +
                                "': give the account key (--secret-key or AZURE_STORAGE_KEY), a "
                                "SAS token (--session-token or AZURE_STORAGE_SAS_TOKEN) or "
                                "AZURE_STORAGE_CONNECTION_STRING"));
  }
  return loc;
}

}  // namespace tierfs::object
