// Azure Storage "Shared Key" authorization for the Blob service, written from Microsoft's
// specification "Authorize with Shared Key" (learn.microsoft.com/rest/api/storageservices/
// authorize-with-shared-key, the Blob/Queue/File string-to-sign for version 2009-09-19 and
// later), and the RFC 1123 dates every request carries (x-ms-date).
//
//   StringToSign = VERB \n Content-Encoding \n Content-Language \n Content-Length \n
//                  Content-MD5 \n Content-Type \n Date \n If-Modified-Since \n If-Match \n
//                  If-None-Match \n If-Unmodified-Since \n Range \n
//                  CanonicalizedHeaders CanonicalizedResource
//   CanonicalizedHeaders  = for each x-ms-* header, lower-cased and sorted by name:
//                           "name:value\n" (value trimmed, inner white space runs as one space)
//   CanonicalizedResource = "/" account encoded-URI-path, then for each query parameter
//                           sorted by lower-cased name: "\nname:value" (values decoded; a
//                           repeated name's values sorted and joined with ',')
//   Authorization         = "SharedKey " account ":" Base64(HMAC-SHA256(Base64Decode(key),
//                           UTF-8 StringToSign))
// Content-Length is "" when the body is empty (versions 2015-02-21 and later). The encoded
// path is the path exactly as sent: for the emulator's path-style URLs
// (http://127.0.0.1:10000/devstoreaccount1/c/b) it starts with the account again, so the
// resource reads "/devstoreaccount1/devstoreaccount1/c/b" (Azurite checks it that way).
//
// Thread-safety: pure functions.
#pragma once

#include <ctime>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/status.h"

namespace tierfs::object::azure {

// The REST API version tierfs speaks (sent as x-ms-version): Put Blob up to 5000 MiB, Put
// Block up to 4000 MiB, 50000 blocks per blob.
inline constexpr std::string_view kApiVersion = "2021-08-06";

using Headers = std::vector<std::pair<std::string, std::string>>;
using Query = std::vector<std::pair<std::string, std::string>>;  // decoded name, value

struct SharedKey {
  std::string account;
  std::string key;  // the decoded key bytes (the portal shows them in base64)
};

// The account key from its base64 text; EINVAL (naming the account, not the key) when the
// text is not base64.
Result<SharedKey> ParseSharedKey(std::string account, std::string_view base64_key);

// The string to sign for a request. `encoded_path` starts with '/' and is percent-encoded as
// in the URL; `content_length` is the body's size (0 signs as ""). `headers` are all the
// headers that will be sent (names in any case), Content-Length aside.
std::string StringToSign(std::string_view method, std::string_view account,
                         std::string_view encoded_path, const Query& query, const Headers& headers,
                         size_t content_length);

// The Authorization header value for `string_to_sign`: "SharedKey account:signature".
std::string SharedKeyAuthorization(const SharedKey& key, std::string_view string_to_sign);

// Base64(HMAC-SHA256(key, data)): also what a SAS signature is.
std::string HmacSha256Base64(std::string_view key, std::string_view data);

// "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 1123, always GMT).
std::string HttpDate(std::time_t t);

}  // namespace tierfs::object::azure
