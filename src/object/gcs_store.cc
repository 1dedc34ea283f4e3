#include "object/gcs_store.h"

#include <nlohmann/json.hpp>

#include "object/gcs_reply.h"
#include "object/http_range.h"
#include "object/key.h"
#include "object/sigv4.h"  // UriEncode: RFC 3986 percent-encoding
#include "object/transport_error.h"

namespace tierfs::object {

using net::http::HttpResponse;

namespace {

std::string Enc(std::string_view s) { return sigv4::UriEncode(s, /*keep_slash=*/false); }

}  // namespace

GcsStore::GcsStore(GcsLocation location, GcsOptions options)
    : loc_(std::move(location)),
      opts_(std::move(options)),
      http_(std::make_unique<net::http::HttpClient>(opts_.http)) {
  if (loc_.credentials) {
    tokens_ = std::make_unique<gcs::TokenSource>(*loc_.credentials, http_.get(), opts_.now);
  }
}

std::string GcsStore::What(std::string_view method, std::string_view key) const {
  return std::string(method) + " " + Describe() + std::string(key);
}

std::string GcsStore::ObjectPath(std::string_view key) const {
  return "/storage/v1/b/" + Enc(loc_.bucket) + "/o/" + Enc(key);
}

Result<HttpResponse> GcsStore::Request(const std::string& method, const std::string& target,
                                       const std::string& what, net::http::Headers headers,
                                       std::string_view body) {
  if (tokens_) {
    auto token = tokens_->Token();
    if (!token) return Err(token.error().code(), what + ": " + token.error().message());
    headers.emplace_back("Authorization", "Bearer " + *token);
  }
  net::http::HttpRequest h;
  h.method = method;
  h.url = target.starts_with("/") ? loc_.endpoint + target : target;
  h.headers = std::move(headers);
  h.body = body;
  auto resp = http_->Do(h);
  if (!resp) return Err(TransportError(resp.error(), what));
  return resp;
}

Result<std::string> GcsStore::Get(std::string_view key, uint64_t off, int64_t limit) {
  RETURN_IF_ERROR(ValidateKey(key));
  if (limit == 0) {
    RETURN_IF_ERROR(Head(key));
    return std::string();
  }
  net::http::Headers headers;
  if (std::string range = RangeHeaderValue(off, limit); !range.empty()) {
    headers.emplace_back("Range", std::move(range));
  }
  const std::string what = What("GET", key);
  ASSIGN_OR_RETURN(HttpResponse resp,
                   Request("GET", ObjectPath(key) + "?alt=media", what, headers));
  if (std::optional<std::string> body = RangedBody(resp, off, limit)) return std::move(*body);
  return Err(GcsStatusOf(resp, what));
}

Status GcsStore::Put(std::string_view key, std::string_view data) {
  RETURN_IF_ERROR(ValidateKey(key));
  if (data.size() > opts_.resumable_threshold) return PutResumable(key, data);
  const std::string what = What("PUT", key);
  ASSIGN_OR_RETURN(
      HttpResponse resp,
      Request("POST",
              "/upload/storage/v1/b/" + Enc(loc_.bucket) + "/o?uploadType=media&name=" + Enc(key),
              what, {{"Content-Type", "application/octet-stream"}}, data));
  if (resp.status != 200) return GcsStatusOf(resp, what);
  return Status::Ok();
}

Status GcsStore::Delete(std::string_view key) {
  RETURN_IF_ERROR(ValidateKey(key));
  const std::string what = What("DELETE", key);
  ASSIGN_OR_RETURN(HttpResponse resp, Request("DELETE", ObjectPath(key), what));
  if (resp.status == 204 || resp.status == 200) return Status::Ok();
  if (resp.status != 404) return GcsStatusOf(resp, what);
  // The object or the bucket is missing: only the first is a success.
  ASSIGN_OR_RETURN(HttpResponse probe, ListRequest("maxResults=1", what));
  if (probe.status == 200) return Status::Ok();
  return GcsStatusOf(probe, what);
}

Result<ObjectInfo> GcsStore::Head(std::string_view key) {
  RETURN_IF_ERROR(ValidateKey(key));
  const std::string what = What("HEAD", key);
  ASSIGN_OR_RETURN(HttpResponse resp, Request("GET", ObjectPath(key), what));
  if (resp.status != 200) return Err(GcsStatusOf(resp, what));
  auto info = ParseGcsObject(resp.body);
  if (!info) return Err(EIO, what + ": " + info.error().message());
  if (info->key != key) return Err(EIO, what + ": the server described '" + info->key + "'");
  return info;
}

Result<HttpResponse> GcsStore::ListRequest(const std::string& query, const std::string& what) {
  return Request("GET",
                 "/storage/v1/b/" + Enc(loc_.bucket) +
                     "/o?fields=items(name,size,updated),nextPageToken,kind&" + query,
                 what);
}

Result<std::vector<ObjectInfo>> GcsStore::List(std::string_view prefix, std::string_view marker,
                                               size_t limit) {
  std::vector<ObjectInfo> out;
  std::string token;
  std::string last;  // the last name listed, to check the order
  const std::string what = What("LIST", prefix);
  for (;;) {
    std::string q = "maxResults=" + std::to_string(opts_.list_page_size);
    if (!prefix.empty()) q += "&prefix=" + Enc(prefix);
    if (!marker.empty()) q += "&startOffset=" + Enc(marker);
    if (!token.empty()) q += "&pageToken=" + Enc(token);
    ASSIGN_OR_RETURN(HttpResponse resp, ListRequest(q, what));
    if (resp.status != 200) return Err(GcsStatusOf(resp, what));
    auto page = ParseGcsList(resp.body);
    if (!page) return Err(EIO, what + ": " + page.error().message());
    for (ObjectInfo& o : page->objects) {
      if (!o.key.starts_with(prefix) || (!last.empty() && o.key <= last)) {
        return Err(EIO,
                   what + ": the server listed '" + o.key + "' out of order or outside the prefix");
      }
      last = o.key;
      if (!marker.empty() && o.key <= marker) continue;  // startOffset is inclusive
      out.push_back(std::move(o));
      if (limit != 0 && out.size() == limit) return out;
    }
    if (page->next_page_token.empty()) return out;
    token = std::move(page->next_page_token);
  }
}

Status GcsStore::Create() {
  const std::string what = "create bucket " + Describe();
  ASSIGN_OR_RETURN(HttpResponse probe, ListRequest("maxResults=1", what));
  if (probe.status == 200) {
    auto page = ParseGcsList(probe.body);
    if (!page)
      return Status(EIO, what + ": not a Cloud Storage endpoint: " + page.error().message());
    return Status::Ok();
  }
  if (loc_.project.empty() && loc_.endpoint == kGoogleStorageEndpoint) {
    // JuiceFS's words: a new bucket belongs to a project, and nothing named one.
    return Status(EINVAL, what + ": GOOGLE_CLOUD_PROJECT environment variable must be set (" +
                              GcsStatusOf(probe, "listing it").message() + ")");
  }
  nlohmann::json bucket = {{"name", loc_.bucket}};
  if (!loc_.region.empty()) bucket["location"] = loc_.region;
  std::string target = "/storage/v1/b";
  if (!loc_.project.empty()) target += "?project=" + Enc(loc_.project);
  std::string body = bucket.dump();
  ASSIGN_OR_RETURN(HttpResponse resp,
                   Request("POST", target, what, {{"Content-Type", "application/json"}}, body));
  if (resp.status == 200) return Status::Ok();
  Status st = GcsStatusOf(resp, what);
  if (resp.status == 409 && st.message().find("You already own this bucket") != std::string::npos) {
    return Status::Ok();
  }
  if (resp.status == 409) return Status(EACCES, st.message());  // another project's name
  return st;
}

Result<std::unique_ptr<ObjectStore>> NewGcsStore(const StoreConfig& config) {
  ASSIGN_OR_RETURN(GcsLocation loc, ParseGcsLocation(config, SystemEnv()));
  return std::unique_ptr<ObjectStore>(std::make_unique<GcsStore>(std::move(loc)));
}

}  // namespace tierfs::object
