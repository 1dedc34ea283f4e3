#include "object/s3_store.h"

#include <algorithm>
#include <climits>

#include "object/crc32c.h"
#include "object/http_head.h"
#include "object/http_range.h"
#include "object/key.h"
#include "object/s3_reply.h"
#include "object/transport_error.h"

namespace tierfs::object {

using net::http::HttpResponse;

S3Store::S3Store(S3Location location, S3Options options)
    : loc_(std::move(location)),
      opts_(std::move(options)),
      http_(std::make_unique<net::http::HttpClient>(opts_.http)) {}

std::string S3Store::What(std::string_view method, std::string_view key) const {
  return std::string(method) + " " + Describe() + std::string(key);
}

Result<HttpResponse> S3Store::Request(const std::string& method, std::string_view key,
                                      sigv4::Query query, sigv4::Headers headers,
                                      std::string_view body) {
  std::string host = loc_.virtual_host ? loc_.bucket + "." + loc_.endpoint : loc_.endpoint;
  std::string path = "/";
  if (!loc_.virtual_host) {
    path += loc_.bucket;
    if (!key.empty()) path += '/';
  }
  path += key;
  sigv4::Request req;
  req.method = method;
  req.path = path;
  req.query = std::move(query);
  req.headers.emplace_back("Host", host);
  req.headers.insert(req.headers.end(), headers.begin(), headers.end());
  req.payload_hash = opts_.sign_payload ? sigv4::Sha256Hex(body) : std::string(sigv4::kUnsignedPayload);
  if (loc_.anonymous) {
    req.headers.emplace_back("x-amz-content-sha256", req.payload_hash);
  } else {
    sigv4::SignOptions so;
    so.region = loc_.region;
    sigv4::Sign(req, loc_.creds, so, opts_.now());
  }

  net::http::HttpRequest h;
  h.method = method;
  h.url = loc_.scheme + "://" + host + sigv4::CanonicalUri(path, false);
  if (!req.query.empty()) {
    h.url += '?';
    h.url += sigv4::CanonicalQuery(req.query);
  }
  h.headers = std::move(req.headers);
  h.body = body;
  h.timeout_ms = method == "GET" || method == "HEAD" ? opts_.get_timeout_ms : opts_.put_timeout_ms;
  auto resp = http_->Do(h);
  if (!resp) return Err(TransportError(resp.error(), What(method, key)));
  return resp;
}

Result<std::string> S3Store::Get(std::string_view key, uint64_t off, int64_t limit) {
  RETURN_IF_ERROR(ValidateKey(key));
  if (limit == 0) {
    RETURN_IF_ERROR(Head(key));
    return std::string();
  }
  sigv4::Headers headers;
  if (std::string range = RangeHeaderValue(off, limit); !range.empty()) {
    headers.emplace_back("Range", std::move(range));
  }
  ASSIGN_OR_RETURN(HttpResponse resp, Request("GET", key, {}, headers));
  if (off == 0 && limit < 0 && resp.status == 200) {  // the whole object: check its CRC
    RETURN_IF_ERROR(VerifyChecksum(resp, What("GET", key)));
  }
  if (std::optional<std::string> body = RangedBody(resp, off, limit)) return std::move(*body);
  return Err(S3StatusOf(resp, What("GET", key)));
}

// JuiceFS pkg/object/checksum.go: a whole object whose x-amz-meta-crc32c (written by JuiceFS or
// by us) does not match its bytes was changed at rest or in flight. Objects without it pass.
Status S3Store::VerifyChecksum(const net::http::HttpResponse& resp, const std::string& what) {
  std::string_view stored = resp.Header(kCrc32cHeader);
  if (stored.empty()) return Status::Ok();
  uint32_t got = Crc32c(resp.body);
  if (stored == std::to_string(got)) return Status::Ok();
  return Status(EBADMSG, what + ": verify checksum failed: the object's CRC-32C is " +
                             std::to_string(got) + ", " + std::string(stored) + " was stored");
}

Status S3Store::Put(std::string_view key, std::string_view data) {
  RETURN_IF_ERROR(ValidateKey(key));
  if (data.size() > opts_.multipart_threshold) return PutMultipart(key, data);
  ASSIGN_OR_RETURN(HttpResponse resp,
                   Request("PUT", key, {}, {{kCrc32cHeader, std::to_string(Crc32c(data))}}, data));
  if (resp.status != 200) return S3StatusOf(resp, What("PUT", key));
  return Status::Ok();
}

Status S3Store::Delete(std::string_view key) {
  RETURN_IF_ERROR(ValidateKey(key));
  ASSIGN_OR_RETURN(HttpResponse resp, Request("DELETE", key));
  if (resp.status == 200 || resp.status == 204) return Status::Ok();
  Status st = S3StatusOf(resp, What("DELETE", key));
  // A missing key is success (S3 itself answers 204); a missing bucket is not.
  if (resp.status == 404 && st.message().find("NoSuchBucket") == std::string::npos) {
    return Status::Ok();
  }
  return st;
}

Result<ObjectInfo> S3Store::Head(std::string_view key) {
  RETURN_IF_ERROR(ValidateKey(key));
  ASSIGN_OR_RETURN(HttpResponse resp, Request("HEAD", key));
  if (resp.status == 404 && resp.Header("x-minio-error-code").empty()) {
    return Err(ENOENT, "no object '" + std::string(key) + "' in " + Describe());
  }
  if (resp.status != 200) return Err(S3StatusOf(resp, What("HEAD", key)));
  return ObjectInfoOfHead(resp, key, What("HEAD", key));
}

Result<std::vector<ObjectInfo>> S3Store::List(std::string_view prefix, std::string_view marker,
                                              size_t limit) {
  std::vector<ObjectInfo> out;
  std::string token;
  const std::string what = What("LIST", prefix);
  for (;;) {
    size_t want = opts_.list_page_size;
    if (limit != 0) want = std::min(want, limit - out.size());
    sigv4::Query q = {{"list-type", "2"}, {"max-keys", std::to_string(want)},
                      {"encoding-type", "url"}};
    if (!prefix.empty()) q.emplace_back("prefix", prefix);
    if (!marker.empty()) q.emplace_back("start-after", marker);
    if (!token.empty()) q.emplace_back("continuation-token", token);
    ASSIGN_OR_RETURN(HttpResponse resp, Request("GET", "", std::move(q)));
    if (resp.status != 200) return Err(S3StatusOf(resp, what));
    auto page = ParseListObjectsV2(resp.body);
    if (!page) return Err(EIO, what + ": " + page.error().message());
    for (ObjectInfo& o : page->objects) {
      bool in_order = out.empty() ? (marker.empty() || o.key > marker) : o.key > out.back().key;
      if (!o.key.starts_with(prefix) || !in_order) {
        return Err(EIO, what + ": the server listed '" + o.key + "' out of order or outside the prefix");
      }
      out.push_back(std::move(o));
      if (limit != 0 && out.size() == limit) return out;
    }
    if (!page->truncated) return out;
    if (page->next_token.empty()) return Err(EIO, what + ": truncated reply without a continuation token");
    token = std::move(page->next_token);
  }
}

Status S3Store::Create() {
  auto probe = Request("GET", "", {{"list-type", "2"}, {"max-keys", "1"}});
  if (!probe) return probe.error();  // unreachable: creating would fail the same way
  if (probe->status == 200) {
    // Something answered 200; it must also speak S3, or nothing else will work either.
    auto page = ParseListObjectsV2(probe->body);
    if (!page) {
      return Status(EIO, "create bucket " + Describe() +
                             ": not an S3 endpoint: " + page.error().message());
    }
    return Status::Ok();
  }
  std::string body;
  // AWS refuses an explicit us-east-1 constraint; that region is the default without one.
  if (loc_.region != "us-east-1") {
    body = "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
           "<LocationConstraint>" + loc_.region + "</LocationConstraint></CreateBucketConfiguration>";
  }
  ASSIGN_OR_RETURN(HttpResponse resp, Request("PUT", "", {}, {}, body));
  if (resp.status == 200) return Status::Ok();
  std::optional<S3Error> e = ParseS3Error(resp.body);
  if (e && e->code == "BucketAlreadyOwnedByYou") return Status::Ok();
  return S3StatusOf(resp, "create bucket " + Describe());
}

namespace {
S3Options OptionsOf(const StoreConfig& config) {
  S3Options o;
  o.get_timeout_ms = int(std::clamp<int64_t>(config.get_timeout_ms, 0, INT32_MAX));
  o.put_timeout_ms = int(std::clamp<int64_t>(config.put_timeout_ms, 0, INT32_MAX));
  return o;
}
}  // namespace

Result<std::unique_ptr<ObjectStore>> NewS3Store(const StoreConfig& config) {
  ASSIGN_OR_RETURN(S3Location loc, ParseS3Location(config, SystemEnv()));
  return std::unique_ptr<ObjectStore>(std::make_unique<S3Store>(std::move(loc), OptionsOf(config)));
}

Result<std::unique_ptr<ObjectStore>> NewMinioStore(const StoreConfig& config) {
  ASSIGN_OR_RETURN(S3Location loc, ParseMinioLocation(config, SystemEnv()));
  return std::unique_ptr<ObjectStore>(std::make_unique<S3Store>(std::move(loc), OptionsOf(config)));
}

}  // namespace tierfs::object
