// Base64 as RFC 4648 defines it: the standard alphabet with '=' padding (section 4: what
// Azure Shared Key and SAS, and the JuiceFS setting's secrets use) and the URL-safe alphabet
// without padding (section 5: what JSON Web Tokens use, RFC 7515 section 2).
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tierfs {

// Standard alphabet, padded: "hi" -> "aGk=".
std::string Base64Encode(std::string_view in);
// The bytes of padded standard base64; nullopt when the text is not exactly that (a length
// that is not a multiple of 4, a character outside the alphabet, padding in the middle).
std::optional<std::string> Base64Decode(std::string_view in);
// URL-safe alphabet ('-' and '_' for '+' and '/'), no padding: "hi?" -> "aGk_".
std::string Base64UrlEncode(std::string_view in);

}  // namespace tierfs
