// AWS Signature Version 4 (header-based), written from the AWS specification: "Signature
// Version 4 signing process" (AWS General Reference: create a canonical request, create a
// string to sign, calculate the signature) and, for S3's rules, the Amazon S3 API Reference
// "Signature Calculations for the Authorization Header". Tested byte for byte against the
// published vectors in ../shared/testdata/sigv4 (tests/object/sigv4_test.cc).
//
//   canonical request = METHOD \n CanonicalURI \n CanonicalQuery \n
//                       (lower(name):trimmed value \n)* \n SignedHeaders \n PayloadHash
//   string to sign    = "AWS4-HMAC-SHA256" \n AmzDate \n Scope \n hex(SHA256(canonical))
//   signing key       = HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service),
//                            "aws4_request");   signature = hex(HMAC(key, string to sign))
//
// Paths: the caller gives the *decoded* path; the canonical URI is its UriEncode (every byte
// but A-Z a-z 0-9 - _ . ~ and '/' as %XX, upper-case hex). S3 signs exactly the path it is
// sent, encoded once and not normalised (a//b, ./ and .. stay); other services first
// normalise it (SignOptions::normalize_path). Build the request URL with UriEncode and
// CanonicalQuery below so that what is sent is what was signed.
//
// Thread-safety: pure functions.
#pragma once

#include <ctime>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tierfs::object::sigv4 {

using Headers = std::vector<std::pair<std::string, std::string>>;
using Query = std::vector<std::pair<std::string, std::string>>;  // decoded name, value

// The literal payload hash S3 accepts instead of the body's SHA-256 (what JuiceFS sends).
inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";

struct Credentials {
  std::string access_key;
  std::string secret_key;
  std::string session_token;  // "" = none; else sent and signed as X-Amz-Security-Token
};

struct SignOptions {
  std::string region = "us-east-1";
  std::string service = "s3";
  // Remove "." and ".." segments and empty segments from the path before encoding it (RFC
  // 3986 section 5.2.4 plus "//" -> "/"): every service but S3.
  bool normalize_path = false;
  // Add "x-amz-content-sha256: <payload hash>" and sign it. S3 requires it on every request.
  bool content_sha256_header = true;
  // false: the session token header is added after signing, unsigned (some STS flows).
  bool sign_session_token = true;
};

struct Request {
  std::string method;  // "GET", "PUT", ...
  std::string path;    // decoded, starting with '/': "/bucket/dir/a b.txt"
  Query query;         // decoded pairs; "?uploads" is {"uploads", ""}
  Headers headers;     // as they will be sent; must contain Host (with ":port" if not default)
  // Lower-case hex SHA-256 of the body (Sha256Hex), or kUnsignedPayload.
  std::string payload_hash;
};

// The intermediate values, for tests and for debugging a SignatureDoesNotMatch.
struct Signature {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;      // lower-case hex
  std::string authorization;  // the Authorization header value
};

// Signs `req` at time `now` (unix seconds, UTC): adds X-Amz-Date (a request that has one is
// signed for its time instead), x-amz-content-sha256 and X-Amz-Security-Token as the options
// say, then Authorization. Every header present is signed.
Signature Sign(Request& req, const Credentials& creds, const SignOptions& opts, std::time_t now);

// The pieces, exposed for the tests and for building URLs that match the signature.
// UriEncode: RFC 3986 unreserved bytes kept, '/' kept when keep_slash, the rest %XX.
std::string UriEncode(std::string_view s, bool keep_slash);
// "a=1&b=&c=x%2By": names and values UriEncoded, sorted by name then value.
std::string CanonicalQuery(const Query& query);
// The path as signed: normalised when asked, then UriEncoded with '/' kept.
std::string CanonicalUri(std::string_view path, bool normalize);
// "20150830T123600Z".
std::string AmzDate(std::time_t now);
std::string Sha256Hex(std::string_view data);
// hex(HMAC(signing key for date/region/service, string_to_sign)); `date` is "YYYYMMDD".
std::string SignString(std::string_view secret_key, std::string_view date, std::string_view region,
                       std::string_view service, std::string_view string_to_sign);

}  // namespace tierfs::object::sigv4
