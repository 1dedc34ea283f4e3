#include "util/base64.h"

#include <cstdint>

namespace tierfs {

namespace {

constexpr std::string_view kStd =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kUrl =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// Every 3 bytes become 4 characters; a short last group gets '=' for each missing character
// when `pad`.
std::string Encode(std::string_view in, std::string_view alphabet, bool pad) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  for (size_t i = 0; i < in.size(); i += 3) {
    size_t n = std::min<size_t>(3, in.size() - i);
    uint32_t group = 0;
    for (size_t j = 0; j < 3; ++j) {
      group = group << 8 | (j < n ? static_cast<unsigned char>(in[i + j]) : 0u);
    }
    for (size_t j = 0; j < 4; ++j) {
      if (j <= n) {
        out += alphabet[(group >> (18 - 6 * j)) & 63];
      } else if (pad) {
        out += '=';
      }
    }
  }
  return out;
}

int Value(char c) {
  size_t at = kStd.find(c);
  return at == std::string_view::npos ? -1 : int(at);
}

}  // namespace

std::string Base64Encode(std::string_view in) { return Encode(in, kStd, true); }

std::string Base64UrlEncode(std::string_view in) { return Encode(in, kUrl, false); }

std::optional<std::string> Base64Decode(std::string_view in) {
  if (in.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(in.size() / 4 * 3);
  for (size_t i = 0; i < in.size(); i += 4) {
    bool last = i + 4 == in.size();
    size_t pad = 0;
    uint32_t group = 0;
    for (size_t j = 0; j < 4; ++j) {
      char c = in[i + j];
      if (c == '=' && last && j >= 2) {
        ++pad;
        group <<= 6;
        continue;
      }
      int v = Value(c);
      if (v < 0 || pad > 0) return std::nullopt;  // not base64, or data after '='
      group = group << 6 | uint32_t(v);
    }
    for (size_t j = 0; j < 3 - pad; ++j) out += char((group >> (16 - 8 * j)) & 0xff);
  }
  return out;
}

}  // namespace tierfs
