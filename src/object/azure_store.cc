#include "object/azure_store.h"

#include "object/azure_reply.h"
#include "object/http_head.h"
#include "object/http_range.h"
#include "object/key.h"
#include "object/sigv4.h"     // UriEncode: RFC 3986 percent-encoding
#include "object/transport_error.h"

namespace tierfs::object {

using net::http::HttpResponse;

AzureStore::AzureStore(AzureLocation location, AzureOptions options)
    : loc_(std::move(location)),
      opts_(std::move(options)),
      http_(std::make_unique<net::http::HttpClient>(opts_.http)) {}

std::string AzureStore::What(std::string_view method, std::string_view key) const {
  return std::string(method) + " " + Describe() + std::string(key);
}

Result<HttpResponse> AzureStore::Request(const std::string& method, std::string_view key,
                                         azure::Query query, azure::Headers headers,
                                         std::string_view body) {
  std::string path = loc_.base_path + "/" + loc_.container;
  if (!key.empty()) {
    path += '/';
    path += sigv4::UriEncode(key, /*keep_slash=*/true);
  }
  std::string qs;
  for (const auto& [name, value] : query) {
    if (!qs.empty()) qs += '&';
    qs += sigv4::UriEncode(name, false) + "=" + sigv4::UriEncode(value, false);
  }
  headers.emplace_back("x-ms-date", azure::HttpDate(opts_.now()));
  headers.emplace_back("x-ms-version", std::string(azure::kApiVersion));
  if (!loc_.key.empty()) {
    std::string sts = azure::StringToSign(method, loc_.account, path, query, headers, body.size());
    headers.emplace_back("Authorization",
                         azure::SharedKeyAuthorization({loc_.account, loc_.key}, sts));
  } else if (!loc_.sas.empty()) {
    qs += (qs.empty() ? "" : "&") + loc_.sas;
  }
  net::http::HttpRequest h;
  h.method = method;
  h.url = loc_.scheme + "://" + loc_.host + path + (qs.empty() ? "" : "?" + qs);
  h.headers = std::move(headers);
  h.body = body;
  auto resp = http_->Do(h);
  if (!resp) return Err(TransportError(resp.error(), What(method, key)));
  return resp;
}

Result<std::string> AzureStore::Get(std::string_view key, uint64_t off, int64_t limit) {
  RETURN_IF_ERROR(ValidateKey(key));
  if (limit == 0) {
    RETURN_IF_ERROR(Head(key));
    return std::string();
  }
  azure::Headers headers;
  if (std::string range = RangeHeaderValue(off, limit); !range.empty()) {
    headers.emplace_back("x-ms-range", std::move(range));
  }
  ASSIGN_OR_RETURN(HttpResponse resp, Request("GET", key, {}, headers));
  if (std::optional<std::string> body = RangedBody(resp, off, limit)) return std::move(*body);
  return Err(AzureStatusOf(resp, What("GET", key)));
}

Status AzureStore::Put(std::string_view key, std::string_view data) {
  RETURN_IF_ERROR(ValidateKey(key));
  if (data.size() > opts_.block_threshold) return PutBlocks(key, data);
  ASSIGN_OR_RETURN(HttpResponse resp,
                   Request("PUT", key, {}, {{"x-ms-blob-type", "BlockBlob"}}, data));
  if (resp.status != 201) return AzureStatusOf(resp, What("PUT", key));
  return Status::Ok();
}

Status AzureStore::Delete(std::string_view key) {
  RETURN_IF_ERROR(ValidateKey(key));
  ASSIGN_OR_RETURN(HttpResponse resp, Request("DELETE", key));
  if (resp.status == 202 || resp.status == 200) return Status::Ok();
  std::optional<AzureError> e = AzureErrorOf(resp);
  if (resp.status == 404 && e && e->code == "BlobNotFound") return Status::Ok();
  return AzureStatusOf(resp, What("DELETE", key));
}

Result<ObjectInfo> AzureStore::Head(std::string_view key) {
  RETURN_IF_ERROR(ValidateKey(key));
  ASSIGN_OR_RETURN(HttpResponse resp, Request("HEAD", key));
  if (resp.status == 404 && resp.Header("x-ms-error-code") == "BlobNotFound") {
    return Err(ENOENT, "no object '" + std::string(key) + "' in " + Describe());
  }
  if (resp.status != 200) return Err(AzureStatusOf(resp, What("HEAD", key)));
  return ObjectInfoOfHead(resp, key, What("HEAD", key));
}

Result<std::vector<ObjectInfo>> AzureStore::List(std::string_view prefix, std::string_view marker,
                                                 size_t limit) {
  std::vector<ObjectInfo> out;
  std::string next;
  std::string last;  // the last name listed, to check the order
  const std::string what = What("LIST", prefix);
  for (;;) {
    azure::Query q = {{"restype", "container"},
                      {"comp", "list"},
                      {"maxresults", std::to_string(opts_.list_page_size)}};
    if (!prefix.empty()) q.emplace_back("prefix", prefix);
    if (!next.empty()) q.emplace_back("marker", next);
    ASSIGN_OR_RETURN(HttpResponse resp, Request("GET", "", std::move(q)));
    if (resp.status != 200) return Err(AzureStatusOf(resp, what));
    auto page = ParseListBlobs(resp.body);
    if (!page) return Err(EIO, what + ": " + page.error().message());
    for (ObjectInfo& o : page->objects) {
      if (!o.key.starts_with(prefix) || (!last.empty() && o.key <= last)) {
        return Err(EIO,
                   what + ": the server listed '" + o.key + "' out of order or outside the prefix");
      }
      last = o.key;
      if (!marker.empty() && o.key <= marker) continue;  // no start-after in the API
      out.push_back(std::move(o));
      if (limit != 0 && out.size() == limit) return out;
    }
    if (page->next_marker.empty()) return out;
    next = std::move(page->next_marker);
  }
}

Status AzureStore::Create() {
  // A container that lists is usable: credentials that may not create containers (a SAS
  // for this one container) then still pass.
  auto probe =
      Request("GET", "", {{"restype", "container"}, {"comp", "list"}, {"maxresults", "1"}});
  if (!probe) return probe.error();  // unreachable: creating would fail the same way
  if (probe->status == 200) {
    auto page = ParseListBlobs(probe->body);
    if (!page) {
      return Status(EIO, "create container " + Describe() +
                             ": not an Azure Blob endpoint: " + page.error().message());
    }
    return Status::Ok();
  }
  ASSIGN_OR_RETURN(HttpResponse resp, Request("PUT", "", {{"restype", "container"}}));
  if (resp.status == 201) return Status::Ok();
  std::optional<AzureError> e = AzureErrorOf(resp);
  if (e && e->code == "ContainerAlreadyExists") return Status::Ok();
  return AzureStatusOf(resp, "create container " + Describe());
}

Result<std::unique_ptr<ObjectStore>> NewAzureStore(const StoreConfig& config) {
  ASSIGN_OR_RETURN(AzureLocation loc, ParseAzureLocation(config, SystemEnv()));
  return std::unique_ptr<ObjectStore>(std::make_unique<AzureStore>(std::move(loc)));
}

}  // namespace tierfs::object
