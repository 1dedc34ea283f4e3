#include "object/http_range.h"

namespace tierfs::object {

std::string RangeHeaderValue(uint64_t off, int64_t limit) {
  if (off == 0 && limit < 0) return "";
  std::string range = "bytes=" + std::to_string(off) + "-";
  if (limit > 0) range += std::to_string(off + uint64_t(limit) - 1);
  return range;
}

std::optional<std::string> RangedBody(net::http::HttpResponse& resp, uint64_t off, int64_t limit) {
  if (resp.status == 416) return std::string();
  if (resp.status == 206) return std::move(resp.body);
  if (resp.status != 200) return std::nullopt;
  if (off == 0 && limit < 0) return std::move(resp.body);
  if (off >= resp.body.size()) return std::string();
  return resp.body.substr(off, limit < 0 ? std::string::npos : size_t(limit));
}

}  // namespace tierfs::object
