#include "object/sigv4.h"

#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cctype>
#include <map>

namespace tierfs::object::sigv4 {

namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

std::string Hex(const unsigned char* p, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(2 * n, '0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = kDigits[p[i] >> 4];
    out[2 * i + 1] = kDigits[p[i] & 15];
  }
  return out;
}

std::string Hmac(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), int(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Trims the value and collapses each inner run of white space (a folded header line too) into
// one space, as the canonical header rules say.
std::string CanonicalValue(std::string_view v) {
  std::string out;
  bool pending_space = false;
  for (char c : v) {
    if (IsSpace(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += c;
  }
  return out;
}

const std::string* FindHeader(const Headers& headers, std::string_view lower_name) {
  for (const auto& [name, value] : headers) {
    if (Lower(name) == lower_name) return &value;
  }
  return nullptr;
}

bool HasHeader(const Headers& headers, std::string_view lower_name) {
  return FindHeader(headers, lower_name) != nullptr;
}

// RFC 3986 remove_dot_segments, with empty segments dropped as well ("//" -> "/"); a trailing
// '/' of the input is kept.
std::string NormalizePath(std::string_view path) {
  std::vector<std::string_view> segs;
  size_t start = 0;
  bool trailing = false;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view seg = path.substr(start, end - start);
    trailing = seg.empty() || seg == "." || seg == "..";
    if (seg == "..") {
      if (!segs.empty()) segs.pop_back();
    } else if (!seg.empty() && seg != ".") {
      segs.push_back(seg);
    }
    start = end + 1;
  }
  std::string out;
  for (std::string_view s : segs) {
    out += '/';
    out += s;
  }
  if (out.empty() || trailing) out += '/';
  return out;
}

}  // namespace

std::string UriEncode(std::string_view s, bool keep_slash) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) {
      out += ch;
    } else {
      out += '%';
      out += kDigits[c >> 4];
      out += kDigits[c & 15];
    }
  }
  return out;
}

std::string CanonicalQuery(const Query& query) {
  std::vector<std::pair<std::string, std::string>> enc;
  enc.reserve(query.size());
  for (const auto& [k, v] : query) enc.emplace_back(UriEncode(k, false), UriEncode(v, false));
  std::sort(enc.begin(), enc.end());
  std::string out;
  for (const auto& [k, v] : enc) {
    if (!out.empty()) out += '&';
    out += k + "=" + v;
  }
  return out;
}

std::string CanonicalUri(std::string_view path, bool normalize) {
  return UriEncode(normalize ? NormalizePath(path) : std::string(path), true);
}

std::string AmzDate(std::time_t now) {
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

std::string Sha256Hex(std::string_view data) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), md);
  return Hex(md, sizeof md);
}

std::string SignString(std::string_view secret_key, std::string_view date, std::string_view region,
                       std::string_view service, std::string_view string_to_sign) {
  std::string key = Hmac("AWS4" + std::string(secret_key), date);
  key = Hmac(key, region);
  key = Hmac(key, service);
  key = Hmac(key, "aws4_request");
  std::string sig = Hmac(key, string_to_sign);
  return Hex(reinterpret_cast<const unsigned char*>(sig.data()), sig.size());
}

Signature Sign(Request& req, const Credentials& creds, const SignOptions& opts, std::time_t now) {
  // A request that carries its own X-Amz-Date is signed for that time.
  std::string amz_date;
  if (const std::string* d = FindHeader(req.headers, "x-amz-date")) {
    amz_date = CanonicalValue(*d);
  } else {
    amz_date = AmzDate(now);
    req.headers.emplace_back("X-Amz-Date", amz_date);
  }
  if (opts.content_sha256_header && !HasHeader(req.headers, "x-amz-content-sha256")) {
    req.headers.emplace_back("x-amz-content-sha256", req.payload_hash);
  }
  bool token = !creds.session_token.empty() && !HasHeader(req.headers, "x-amz-security-token");
  if (token && opts.sign_session_token) {
    req.headers.emplace_back("X-Amz-Security-Token", creds.session_token);
  }

  // Headers by lower-case name; repeated names joined with ',' in the order they were given.
  std::map<std::string, std::string> canon;
  for (const auto& [name, value] : req.headers) {
    std::string& slot = canon[Lower(name)];
    if (!slot.empty()) slot += ',';
    slot += CanonicalValue(value);
  }
  std::string header_block, signed_headers;
  for (const auto& [name, value] : canon) {
    header_block += name + ":" + value + "\n";
    if (!signed_headers.empty()) signed_headers += ';';
    signed_headers += name;
  }

  Signature s;
  s.canonical_request = req.method + "\n" + CanonicalUri(req.path, opts.normalize_path) + "\n" +
                        CanonicalQuery(req.query) + "\n" + header_block + "\n" + signed_headers +
                        "\n" + req.payload_hash;
  std::string date = amz_date.substr(0, 8);
  std::string scope = date + "/" + opts.region + "/" + opts.service + "/aws4_request";
  s.string_to_sign = std::string(kAlgorithm) + "\n" + amz_date + "\n" + scope + "\n" +
                     Sha256Hex(s.canonical_request);
  s.signature = SignString(creds.secret_key, date, opts.region, opts.service, s.string_to_sign);
  s.authorization = std::string(kAlgorithm) + " Credential=" + creds.access_key + "/" + scope +
                    ", SignedHeaders=" + signed_headers + ", Signature=" + s.signature;
  if (token && !opts.sign_session_token) {
    req.headers.emplace_back("X-Amz-Security-Token", creds.session_token);
  }
  req.headers.emplace_back("Authorization", s.authorization);
  return s;
}

}  // namespace tierfs::object::sigv4
