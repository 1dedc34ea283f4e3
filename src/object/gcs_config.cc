#include "object/gcs_config.h"

#include <cctype>
#include <cstring>
#include <fstream>
#include <sstream>

#include "util/url.h"

namespace tierfs::object {

namespace {

Status Invalid(const StoreConfig& config, const std::string& why) {
  return Status(EINVAL, "invalid --bucket '" + RedactUrl(config.bucket) + "' for storage " +
                            config.storage + ": " + why);
}

// GCS bucket names: 3..63 of lower-case letters, digits, '-', '_' and '.' (longer dotted
// names are not reachable through JuiceFS's form anyway), starting and ending with a letter
// or digit.
bool ValidBucket(std::string_view b) {
  if (b.size() < 3 || b.size() > 63) return false;
  auto alnum = [](char c) {
    return std::islower(static_cast<unsigned char>(c)) ||
           std::isdigit(static_cast<unsigned char>(c));
  };
  if (!alnum(b.front()) || !alnum(b.back())) return false;
  for (char c : b) {
    if (!alnum(c) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

// The text of `path`, or why it cannot be read.
Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return Err(EINVAL, "cannot read Google credentials file " + path + ": " + std::strerror(errno));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The credentials named by --secret-key or the environment, nullopt when none are named.
// `source` is set to where they came from.
Result<std::optional<gcs::GoogleCredentials>> FindCredentials(const StoreConfig& config,
                                                              const EnvLookup& env,
                                                              bool google_endpoint,
                                                              std::string& source) {
  std::string text;
  if (!config.secret_key.empty()) {
    if (config.secret_key.front() == '{') {
      source = "--secret-key";
      text = config.secret_key;
    } else {
      source = config.secret_key;
      ASSIGN_OR_RETURN(text, ReadFile(source));
    }
  } else if (!google_endpoint) {
    return std::optional<gcs::GoogleCredentials>();
  } else if (std::string path = EnvOr(env, "GOOGLE_APPLICATION_CREDENTIALS"); !path.empty()) {
    source = path;
    ASSIGN_OR_RETURN(text, ReadFile(source));
  } else {
    std::string dir = EnvOr(env, "CLOUDSDK_CONFIG");
    if (dir.empty() && !EnvOr(env, "HOME").empty()) dir = EnvOr(env, "HOME") + "/.config/gcloud";
    source = dir + "/application_default_credentials.json";
    auto adc = ReadFile(source);
    if (dir.empty() || !adc) {
      return Err(EINVAL,
                 "no Google credentials: set GOOGLE_APPLICATION_CREDENTIALS to a "
                 "service-account key file, give its path as --secret-key, or run "
                 "`gcloud auth application-default login`");
    }
    text = std::move(*adc);
  }
  ASSIGN_OR_RETURN(gcs::GoogleCredentials creds, gcs::ParseGoogleCredentials(text, source));
  return std::optional<gcs::GoogleCredentials>(std::move(creds));
}

}  // namespace

Result<GcsLocation> ParseGcsLocation(const StoreConfig& config, const EnvLookup& env) {
  std::string text = config.bucket;
  if (text.empty()) return Err(Invalid(config, "no bucket"));
  if (text.find("://") == std::string::npos) text = "gs://" + text;
  auto url = ParseUrl(text);
  if (!url) return Err(Invalid(config, url.error().message()));
  if (!url->user.empty() || url->has_password) {
    return Err(Invalid(config, "credentials do not belong in the URL"));
  }
  GcsLocation loc;
  bool google_endpoint = true;
  bool emulator = false;  // STORAGE_EMULATOR_HOST: Google's libraries send no credentials
  if (url->scheme == "gs") {
    size_t dot = url->host.find('.');
    loc.bucket = url->host.substr(0, dot);
    if (dot != std::string::npos) {
      loc.region = url->host.substr(dot + 1, url->host.find('.', dot + 1) - dot - 1);
    }
    loc.endpoint = kGoogleStorageEndpoint;
    if (std::string emu = EnvOr(env, "STORAGE_EMULATOR_HOST"); !emu.empty()) {
      while (emu.ends_with('/')) emu.pop_back();
      loc.endpoint = emu.find("://") == std::string::npos ? "http://" + emu : emu;
      emulator = true;
    }
  } else if (url->scheme == "http" || url->scheme == "https") {
    std::string path = url->path;
    if (path.starts_with('/')) path.erase(0, 1);
    loc.bucket = path.substr(0, path.find('/'));
    std::string host = url->host.find(':') != std::string::npos ? "[" + url->host + "]" : url->host;
    loc.endpoint = url->scheme + "://" + host + (url->port ? ":" + std::to_string(url->port) : "");
    google_endpoint = loc.endpoint == kGoogleStorageEndpoint;
    if (loc.bucket.empty())
      return Err(Invalid(config, "no bucket: give " + loc.endpoint + "/BUCKET"));
  } else {
    return Err(Invalid(
        config, "scheme must be gs (or http/https for an emulator), not '" + url->scheme + "'"));
  }
  if (!ValidBucket(loc.bucket)) return Err(Invalid(config, "bad bucket name '" + loc.bucket + "'"));
  loc.project = EnvOr(env, "GOOGLE_CLOUD_PROJECT");
  if (emulator) return loc;
  auto creds = FindCredentials(config, env, google_endpoint, loc.credentials_source);
  if (!creds)
    return Err(EINVAL, "credentials for " + loc.Describe() + ": " + creds.error().message());
  loc.credentials = std::move(*creds);
  if (loc.project.empty() && loc.credentials) loc.project = loc.credentials->project_id;
  return loc;
}

}  // namespace tierfs::object
