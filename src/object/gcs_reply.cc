#include "object/gcs_reply.h"

#include <charconv>
#include <ctime>
#include <nlohmann/json.hpp>

#include "object/http_status.h"

namespace tierfs::object {

namespace {

using nlohmann::json;

int ErrnoOfHttp(int status) {
  return status == 409 ? EEXIST : ErrnoOfHttpStatus(status);  // 409: the bucket exists
}

std::string TextOf(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// One Objects resource; `where` names the reply in errors.
Result<ObjectInfo> ObjectOf(const json& j, const char* where) {
  if (!j.is_object() || TextOf(j, "name").empty()) {
    return Err(EIO, std::string("not an object resource in the ") + where);
  }
  ObjectInfo o;
  o.key = TextOf(j, "name");
  auto size = j.find("size");
  bool ok = false;
  if (size != j.end() && size->is_string()) {
    const std::string& s = size->get_ref<const std::string&>();
    ok = std::from_chars(s.data(), s.data() + s.size(), o.size).ec == std::errc();
  } else if (size != j.end() && size->is_number_unsigned()) {
    o.size = size->get<uint64_t>();
    ok = true;
  }
  if (!ok) return Err(EIO, "bad size for '" + o.key + "' in the " + where);
  o.mtime = ParseRfc3339(TextOf(j, "updated"));
  return o;
}

}  // namespace

Status GcsStatusOf(const net::http::HttpResponse& resp, std::string_view what) {
  std::string msg(what);
  json j = json::parse(resp.body, nullptr, /*allow_exceptions=*/false);
  auto err = j.is_object() ? j.find("error") : j.end();
  if (j.is_object() && err != j.end() && err->is_object()) {
    std::string reason;
    auto errors = err->find("errors");
    if (errors != err->end() && errors->is_array() && !errors->empty()) {
      reason = TextOf((*errors)[0], "reason");
    }
    if (!reason.empty()) msg += ": " + reason;
    msg += ": " + TextOf(*err, "message");
  } else {
    msg += ": HTTP " + std::to_string(resp.status);
    std::string_view body = resp.body;
    body = body.substr(0, std::min(body.find_first_of("\r\n"), size_t{160}));
    if (!body.empty()) msg += ": " + std::string(body);
  }
  return Status(ErrnoOfHttp(resp.status), msg);
}

Result<ObjectInfo> ParseGcsObject(std::string_view body) {
  return ObjectOf(json::parse(body, nullptr, /*allow_exceptions=*/false), "object reply");
}

Result<GcsListPage> ParseGcsList(std::string_view body) {
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return Err(EIO, "not an Objects: list reply (not JSON)");
  GcsListPage page;
  page.next_page_token = TextOf(j, "nextPageToken");
  auto items = j.find("items");
  if (items == j.end()) {
    if (TextOf(j, "kind") != "storage#objects") {
      return Err(EIO, "not an Objects: list reply (no items, kind '" + TextOf(j, "kind") + "')");
    }
    return page;
  }
  if (!items->is_array()) return Err(EIO, "not an Objects: list reply (items is not a list)");
  for (const json& item : *items) {
    ASSIGN_OR_RETURN(ObjectInfo o, ObjectOf(item, "list reply"));
    page.objects.push_back(std::move(o));
  }
  return page;
}

int64_t ParseRfc3339(std::string_view text) {
  std::string s(text);
  std::tm tm{};
  const char* end = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (end == nullptr) return 0;
  int64_t t = int64_t(timegm(&tm));
  if (*end == '.') {
    while (*++end >= '0' && *end <= '9') {
    }
  }
  int sign = *end == '+' ? -1 : *end == '-' ? 1 : 0;  // "+02:00" is 2 h ahead of UTC
  int hh = 0, mm = 0;
  if (sign != 0 && std::sscanf(end + 1, "%2d:%2d", &hh, &mm) == 2)
    t += sign * (hh * 3600 + mm * 60);
  return t;
}

}  // namespace tierfs::object
