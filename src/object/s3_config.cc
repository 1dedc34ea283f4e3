#include "object/s3_config.h"

#include <cstdlib>
#include <regex>

#include "util/url.h"

namespace tierfs::object {

namespace {

constexpr const char* kDefaultRegion = "us-east-1";

Status Invalid(const StoreConfig& config, const std::string& why) {
  return Status(EINVAL, "invalid --bucket '" + RedactUrl(config.bucket) + "' for storage " +
                            config.storage + ": " + why);
}

std::string Env(const EnvLookup& env, const char* name) {
  std::optional<std::string> v = env(name);
  return v ? *v : std::string();
}

// host[:port] as it goes into URLs and the Host header.
std::string Authority(const Url& url) {
  std::string host = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  return url.port != 0 ? host + ":" + std::to_string(url.port) : host;
}

bool VhostForCustomEndpoints(const EnvLookup& env) {
  std::string v = Env(env, "JFS_S3_VHOST_STYLE");
  return !(v.empty() || v == "0" || v == "false");
}

// JuiceFS parseRegion: "s3-REGION.amazonaws.com", "s3.REGION.amazonaws.com[.cn]",
// "s3.dualstack.REGION...", bare "amazonaws.com" (us-east-1), "s3-external-1" (us-east-1).
std::string RegionOfAwsHost(std::string_view host) {
  if (host.starts_with("s3-") || host.starts_with("s3.")) host.remove_prefix(3);
  if (host.starts_with("dualstack.")) host.remove_prefix(10);
  if (host.starts_with("amazonaws.com")) return kDefaultRegion;
  std::string region(host.substr(0, host.find('.')));
  return region == "external-1" ? kDefaultRegion : region;
}

std::string AwsEndpoint(const std::string& region) {
  return "s3." + region + ".amazonaws.com" + (region.starts_with("cn-") ? ".cn" : "");
}

// Region named by an OVH or Oracle endpoint host, else "".
std::string RegionOfCompatibleHost(const std::string& host) {
  static const std::regex oracle(
      R"(^(?:.*\.)?(?:compat|vhcompat)\.objectstorage\.([^.]+)\.(?:oraclecloud\.com|oci\.customer-oci\.com)$)");
  static const std::regex ovh(R"(^s3\.(\w*)(\.\w*)?\.cloud\.ovh\.net$)");
  std::smatch m;
  if (std::regex_match(host, m, oracle) || std::regex_match(host, m, ovh)) return m[1];
  return "";
}

// S3 bucket names are 3..63 of [a-z0-9.-]; older AWS buckets and other stores allow capitals
// and '_', so only what can never be a bucket is refused.
Status CheckBucketName(const StoreConfig& config, std::string_view bucket) {
  if (bucket.empty()) return Invalid(config, "no bucket name");
  if (bucket.size() > 255) return Invalid(config, "bucket name longer than 255 characters");
  for (char c : bucket) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_') {
      return Invalid(config, "bad character '" + std::string(1, c) + "' in bucket name '" +
                                 std::string(bucket) + "'");
    }
  }
  return Status::Ok();
}

Result<Url> ParseEndpoint(const StoreConfig& config, std::string text) {
  auto url = ParseUrl(text);
  if (!url) return Err(Invalid(config, url.error().message()));
  if (url->scheme != "http" && url->scheme != "https") {
    return Err(Invalid(config, "scheme must be http or https, not '" + url->scheme + "'"));
  }
  if (url->host.empty()) return Err(Invalid(config, "no host"));
  if (!url->user.empty() || url->has_password) {
    return Err(Invalid(config, "credentials belong in --access-key/--secret-key, not the URL"));
  }
  return url;
}

// The first segment of "/a/b/c", or "" for "" and "/".
std::string FirstSegment(std::string_view path) {
  if (path.starts_with('/')) path.remove_prefix(1);
  return std::string(path.substr(0, path.find('/')));
}

Status FillCredentials(const StoreConfig& config, const EnvLookup& env, bool minio,
                       S3Location& loc) {
  sigv4::Credentials& c = loc.creds;
  c = {config.access_key, config.secret_key, config.session_token};
  if (c.access_key.empty() && minio) {
    c.access_key = Env(env, "MINIO_ACCESS_KEY");
    c.secret_key = Env(env, "MINIO_SECRET_KEY");
  }
  if (c.access_key.empty()) {
    c.access_key = Env(env, "AWS_ACCESS_KEY_ID");
    c.secret_key = Env(env, "AWS_SECRET_ACCESS_KEY");
    if (c.session_token.empty()) c.session_token = Env(env, "AWS_SESSION_TOKEN");
  }
  if (c.access_key == "anonymous") {
    loc.anonymous = true;
    return Status::Ok();
  }
  if (c.access_key.empty() || c.secret_key.empty()) {
    return Status(EINVAL, "no credentials for " + loc.Describe() +
                              ": give --access-key and --secret-key, set AWS_ACCESS_KEY_ID and "
                              "AWS_SECRET_ACCESS_KEY, or use --access-key anonymous");
  }
  return Status::Ok();
}

}  // namespace

std::string S3Location::Describe() const {
  if (storage == "minio") return "minio://" + endpoint + "/" + bucket + "/";
  return "s3://" + bucket + "/";
}

Result<S3Location> ParseS3Location(const StoreConfig& config, const EnvLookup& env) {
  std::string text = config.bucket;
  if (text.find("://") == std::string::npos) {
    bool custom = text.find('.') != std::string::npos && !text.ends_with(".amazonaws.com");
    text = (custom ? "http://" : "https://") + text;
  }
  while (text.ends_with('/')) text.pop_back();
  ASSIGN_OR_RETURN(Url url, ParseEndpoint(config, text));

  S3Location loc;
  loc.storage = "s3";
  loc.scheme = url.scheme;
  std::string host = Authority(url);
  bool aws = host.find(".amazonaws.com") != std::string::npos;
  bool custom_vhost = VhostForCustomEndpoints(env);
  if (!url.path.empty() && url.path != "/") {  // ENDPOINT/BUCKET
    loc.bucket = FirstSegment(url.path);
    if (aws) {
      loc.region = RegionOfAwsHost(host);
    } else {
      loc.endpoint = host;
      loc.virtual_host = custom_vhost;
      loc.region = RegionOfCompatibleHost(url.host);
    }
  } else if (size_t dot = host.find('.'); dot == std::string::npos) {  // BUCKET alone
    loc.bucket = host;
    aws = true;
  } else if (aws) {  // BUCKET.s3.REGION.amazonaws.com or a VPC endpoint
    static const std::regex vpc(R"(^.*\.(.*)\.vpce\.amazonaws\.com$)");
    std::smatch m;
    if (std::regex_match(url.host, m, vpc)) {
      loc.bucket = host.substr(0, dot);
      loc.endpoint = host.substr(dot + 1);
      loc.region = m[1];
      aws = false;  // a custom endpoint, path style
    } else {
      size_t s3 = host.find(".s3");
      if (s3 == std::string::npos) return Err(Invalid(config, "no '.s3' in the AWS host name"));
      loc.bucket = host.substr(0, s3);
      loc.region = RegionOfAwsHost("s3" + host.substr(s3 + 3));
    }
  } else {  // BUCKET.ENDPOINT of an S3-compatible service: still path style
    loc.bucket = host.substr(0, dot);
    loc.endpoint = host.substr(dot + 1);
    loc.virtual_host = custom_vhost || url.host.find("vhcompat.objectstorage.") != std::string::npos;
    loc.region = RegionOfCompatibleHost(url.host.substr(dot + 1));
  }
  RETURN_IF_ERROR(CheckBucketName(config, loc.bucket));
  if (loc.region.empty()) loc.region = Env(env, "AWS_REGION");
  if (loc.region.empty()) loc.region = Env(env, "AWS_DEFAULT_REGION");
  if (loc.region.empty()) loc.region = kDefaultRegion;
  if (aws) {
    loc.endpoint = AwsEndpoint(loc.region);
    bool dotted_tls = loc.scheme == "https" && loc.bucket.find('.') != std::string::npos;
    loc.virtual_host = !dotted_tls;
  }
  RETURN_IF_ERROR(FillCredentials(config, env, /*minio=*/false, loc));
  return loc;
}

Result<S3Location> ParseMinioLocation(const StoreConfig& config, const EnvLookup& env) {
  std::string text = config.bucket;
  if (text.find("://") == std::string::npos) text = "http://" + text;
  ASSIGN_OR_RETURN(Url url, ParseEndpoint(config, text));
  std::string_view path = url.path;
  if (path.starts_with('/')) path.remove_prefix(1);
  if (path.starts_with("minio/") && path.size() > 6) path.remove_prefix(6);

  S3Location loc;
  loc.storage = "minio";
  loc.scheme = url.scheme;
  loc.endpoint = Authority(url);
  loc.bucket = FirstSegment(path);
  if (loc.bucket.empty()) return Err(Invalid(config, "no bucket name (http://HOST:PORT/BUCKET)"));
  RETURN_IF_ERROR(CheckBucketName(config, loc.bucket));
  loc.virtual_host = VhostForCustomEndpoints(env);
  auto q = url.query.find("region");
  loc.region = q != url.query.end() ? q->second : Env(env, "MINIO_REGION");
  if (loc.region.empty()) loc.region = kDefaultRegion;
  RETURN_IF_ERROR(FillCredentials(config, env, /*minio=*/true, loc));
  return loc;
}

}  // namespace tierfs::object
