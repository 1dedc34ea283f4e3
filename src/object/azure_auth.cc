#include "object/azure_auth.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>
#include <optional>

#include "util/base64.h"

namespace tierfs::object::azure {

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Trimmed, each inner run of spaces and tabs as one space.
std::string Unfold(std::string_view v) {
  std::string out;
  for (char c : v) {
    bool space = c == ' ' || c == '\t' || c == '\r' || c == '\n';
    if (space) {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += c;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// The value of the standard header `lower_name` as signed, "" when absent.
std::string Standard(const Headers& headers, std::string_view lower_name) {
  for (const auto& [name, value] : headers) {
    if (Lower(name) == lower_name) return Unfold(value);
  }
  return "";
}

}  // namespace

Result<SharedKey> ParseSharedKey(std::string account, std::string_view base64_key) {
  std::optional<std::string> key = Base64Decode(base64_key);
  if (!key || key->empty()) {
    return Err(EINVAL, "the account key of Azure storage account '" + account +
                           "' is not base64 (copy it from the portal's Access keys page)");
  }
  return SharedKey{std::move(account), std::move(*key)};
}

std::string StringToSign(std::string_view method, std::string_view account,
                         std::string_view encoded_path, const Query& query, const Headers& headers,
                         size_t content_length) {
  std::string s(method);
  s += '\n';
  for (std::string_view name : {"content-encoding", "content-language"}) {
    s += Standard(headers, name) + "\n";
  }
  s += (content_length == 0 ? std::string() : std::to_string(content_length)) + "\n";
  for (std::string_view name : {"content-md5", "content-type", "date", "if-modified-since",
                                "if-match", "if-none-match", "if-unmodified-since", "range"}) {
    s += Standard(headers, name) + "\n";
  }
  std::map<std::string, std::string> ms;
  for (const auto& [name, value] : headers) {
    std::string lower = Lower(name);
    if (lower.starts_with("x-ms-")) ms[lower] = Unfold(value);
  }
  for (const auto& [name, value] : ms) s += name + ":" + value + "\n";
  s += "/";
  s += account;
  s += encoded_path;
  std::map<std::string, std::vector<std::string>> params;
  for (const auto& [name, value] : query) params[Lower(name)].push_back(value);
  for (auto& [name, values] : params) {
    std::sort(values.begin(), values.end());
    s += "\n" + name + ":";
    for (size_t i = 0; i < values.size(); ++i) s += (i ? "," : "") + values[i];
  }
  return s;
}

std::string HmacSha256Base64(std::string_view key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), int(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
  return Base64Encode(std::string_view(reinterpret_cast<const char*>(mac), len));
}

std::string SharedKeyAuthorization(const SharedKey& key, std::string_view string_to_sign) {
  return "SharedKey " + key.account + ":" + HmacSha256Base64(key.key, string_to_sign);
}

std::string HttpDate(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  // %a and %b follow the locale; RFC 1123 wants the English names whatever it is.
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

}  // namespace tierfs::object::azure
