// Google OAuth 2.0 access tokens for the gs storage, from the credentials files Google's
// client libraries read ("Application Default Credentials"): a service-account key (type
// "service_account") signs a JWT and trades it for a token (the JWT bearer grant, RFC 7523,
// as Google's "Using OAuth 2.0 for Server to Server Applications" describes it); a gcloud
// user login (type "authorized_user") trades its refresh token (RFC 6749 section 6).
//
//   JWT = base64url(header) "." base64url(claims) "." base64url(RS256 signature)
//   header = {"alg":"RS256","typ":"JWT","kid":private_key_id}
//   claims = {"iss":client_email,"scope":SCOPE,"aud":token_uri,"iat":now,"exp":now+3600}
//   POST token_uri, application/x-www-form-urlencoded:
//     grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=JWT
//   reply {"access_token":..., "expires_in":seconds, "token_type":"Bearer"}
//
// Errors: EINVAL for a credentials file that is not one of the two kinds (the message names
// its source and the missing field, never a secret); TokenSource::Token(): EACCES when the
// token endpoint refuses (with its "error" and "error_description", e.g. "invalid_grant:
// Invalid JWT Signature."), EBUSY on 429/503, ETIMEDOUT/EIO when it cannot be reached.
// Thread-safety: the functions are pure; TokenSource may be used from any number of threads
// (one refresh at a time, the others wait for it).
#pragma once

#include <ctime>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "net/http/http_client.h"
#include "util/status.h"

namespace tierfs::object::gcs {

// The scope Google's Go storage client asks for by default (what JuiceFS gets).
inline constexpr std::string_view kStorageScope =
    "https://www.googleapis.com/auth/devstorage.full_control";
inline constexpr std::string_view kDefaultTokenUri = "https://oauth2.googleapis.com/token";

struct GoogleCredentials {
  std::string type;  // "service_account" or "authorized_user"
  std::string token_uri = std::string(kDefaultTokenUri);
  // service_account
  std::string client_email;
  std::string private_key;  // PEM
  std::string private_key_id;
  std::string project_id;
  // authorized_user
  std::string client_id;
  std::string client_secret;
  std::string refresh_token;
};

// The credentials in `json`; `source` (a file name) goes into error messages.
Result<GoogleCredentials> ParseGoogleCredentials(std::string_view json, std::string_view source);

// The signed JWT of a service account for `scope`, issued at `now` (unix seconds), valid an
// hour. EINVAL when the private key does not parse.
Result<std::string> JwtAssertion(const GoogleCredentials& creds, std::string_view scope,
                                 std::time_t now);

// Access tokens for one set of credentials, cached until kRefreshMargin before they expire.
class TokenSource {
 public:
  // Google's libraries refresh this long before the expiry, so a token is never sent stale.
  static constexpr std::time_t kRefreshMargin = 300;

  // `http` must outlive the source. `now` is the clock (unix seconds) expiries are read on.
  TokenSource(GoogleCredentials creds, net::http::HttpClient* http,
              std::function<std::time_t()> now);

  // A valid access token (the value for "Authorization: Bearer ...").
  Result<std::string> Token();

  const GoogleCredentials& credentials() const { return creds_; }

 private:
  Status Refresh();

  const GoogleCredentials creds_;
  net::http::HttpClient* const http_;
  const std::function<std::time_t()> now_;
  std::mutex mu_;
  std::string token_;       // guarded by mu_
  std::time_t expiry_ = 0;  // unix seconds; guarded by mu_
};

}  // namespace tierfs::object::gcs
