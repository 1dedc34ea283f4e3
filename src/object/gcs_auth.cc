#include "object/gcs_auth.h"

#include <nlohmann/json.hpp>

#include "object/rsa_key.h"
#include "object/sigv4.h"  // UriEncode: the form body's percent-encoding
#include "object/transport_error.h"
#include "util/base64.h"

namespace tierfs::object::gcs {

namespace {

using nlohmann::json;

// The string member `key` of object `j`, or "" (absent, or not a string).
std::string Text(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Status Missing(std::string_view source, std::string_view type, const char* field) {
  return Status(EINVAL, "Google credentials " + std::string(source) + ": a " + std::string(type) +
                            " without \"" + field + "\"");
}

// The Status of a reply from the token endpoint that is not a token.
Status TokenError(const net::http::HttpResponse& resp, const std::string& what) {
  json j = json::parse(resp.body, nullptr, /*allow_exceptions=*/false);
  std::string msg = what + ": HTTP " + std::to_string(resp.status);
  if (j.is_object() && !Text(j, "error").empty()) {
    msg += ": " + Text(j, "error");
    if (!Text(j, "error_description").empty()) msg += ": " + Text(j, "error_description");
  } else if (!resp.body.empty()) {
    msg += ": " + resp.body.substr(0, std::min<size_t>(resp.body.find('\n'), 160));
  }
  int code = resp.status == 429 || resp.status == 503 ? EBUSY : resp.status >= 500 ? EIO : EACCES;
  return Status(code, msg);
}

}  // namespace

Result<GoogleCredentials> ParseGoogleCredentials(std::string_view text, std::string_view source) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) {
    return Err(EINVAL, "Google credentials " + std::string(source) + ": not a JSON object");
  }
  GoogleCredentials c;
  c.type = Text(j, "type");
  if (!Text(j, "token_uri").empty()) c.token_uri = Text(j, "token_uri");
  if (c.type == "service_account") {
    c.client_email = Text(j, "client_email");
    c.private_key = Text(j, "private_key");
    c.private_key_id = Text(j, "private_key_id");
    c.project_id = Text(j, "project_id");
    if (c.client_email.empty()) return Err(Missing(source, c.type, "client_email"));
    if (c.private_key.empty()) return Err(Missing(source, c.type, "private_key"));
  } else if (c.type == "authorized_user") {
    c.client_id = Text(j, "client_id");
    c.client_secret = Text(j, "client_secret");
    c.refresh_token = Text(j, "refresh_token");
    if (c.client_id.empty()) return Err(Missing(source, c.type, "client_id"));
    if (c.refresh_token.empty()) return Err(Missing(source, c.type, "refresh_token"));
  } else {
    return Err(EINVAL, "Google credentials " + std::string(source) + ": type '" + c.type +
                           "' is not supported (service_account or authorized_user)");
  }
  return c;
}

Result<std::string> JwtAssertion(const GoogleCredentials& creds, std::string_view scope,
                                 std::time_t now) {
  json header = {{"alg", "RS256"}, {"typ", "JWT"}};
  if (!creds.private_key_id.empty()) header["kid"] = creds.private_key_id;
  json claims = {{"iss", creds.client_email},
                 {"scope", std::string(scope)},
                 {"aud", creds.token_uri},
                 {"iat", int64_t(now)},
                 {"exp", int64_t(now) + 3600}};  // the longest Google accepts
  std::string signing_input = Base64UrlEncode(header.dump()) + "." + Base64UrlEncode(claims.dump());
  auto key = RsaKey::FromPem(creds.private_key, "");
  if (!key) {
    return Err(EINVAL, "the private key of service account " + creds.client_email + ": " +
                           key.error().message());
  }
  ASSIGN_OR_RETURN(std::string sig, (*key)->SignSha256(signing_input));
  return signing_input + "." + Base64UrlEncode(sig);
}

TokenSource::TokenSource(GoogleCredentials creds, net::http::HttpClient* http,
                         std::function<std::time_t()> now)
    : creds_(std::move(creds)), http_(http), now_(std::move(now)) {}

Result<std::string> TokenSource::Token() {
  std::lock_guard lock(mu_);
  if (token_.empty() || now_() + kRefreshMargin >= expiry_) RETURN_IF_ERROR(Refresh());
  return token_;
}

Status TokenSource::Refresh() {
  const std::time_t now = now_();
  std::string form;
  if (creds_.type == "service_account") {
    ASSIGN_OR_RETURN(std::string jwt, JwtAssertion(creds_, kStorageScope, now));
    form = "grant_type=" + sigv4::UriEncode("urn:ietf:params:oauth:grant-type:jwt-bearer", false) +
           "&assertion=" + jwt;
  } else {
    form = "grant_type=refresh_token&client_id=" + sigv4::UriEncode(creds_.client_id, false) +
           "&client_secret=" + sigv4::UriEncode(creds_.client_secret, false) +
           "&refresh_token=" + sigv4::UriEncode(creds_.refresh_token, false);
  }
  const std::string what = "access token from " + creds_.token_uri;
  net::http::HttpRequest req;
  req.method = "POST";
  req.url = creds_.token_uri;
  req.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
  req.body = form;
  auto resp = http_->Do(req);
  if (!resp) return TransportError(resp.error(), what);
  if (resp->status != 200) return TokenError(*resp, what);
  json j = json::parse(resp->body, nullptr, /*allow_exceptions=*/false);
  std::string token = j.is_object() ? Text(j, "access_token") : "";
  if (token.empty()) return Status(EIO, what + ": no access_token in the reply");
  auto expires = j.find("expires_in");
  int64_t seconds = expires != j.end() && expires->is_number() ? expires->get<int64_t>() : 3600;
  token_ = std::move(token);
  expiry_ = now + seconds;
  return Status::Ok();
}

}  // namespace tierfs::object::gcs
