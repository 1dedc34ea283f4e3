#include "object/s3_reply.h"

#include <charconv>
#include <ctime>
#include <map>

#include "object/http_status.h"
#include "object/xml.h"
#include "util/url.h"

namespace tierfs::object {

namespace {

const std::map<std::string_view, int>& CodeTable() {
  static const std::map<std::string_view, int> table = {
      {"NoSuchKey", ENOENT},
      {"NoSuchBucket", ENOENT},
      {"NoSuchUpload", ENOENT},
      {"AccessDenied", EACCES},
      {"InvalidAccessKeyId", EACCES},
      {"SignatureDoesNotMatch", EACCES},
      {"RequestTimeTooSkewed", EACCES},
      {"ExpiredToken", EACCES},
      {"InvalidToken", EACCES},
      {"AllAccessDisabled", EACCES},
      {"BucketAlreadyExists", EACCES},  // the name belongs to another account
      {"SlowDown", EBUSY},
      {"ServiceUnavailable", EBUSY},
      {"Throttling", EBUSY},
      {"RequestLimitExceeded", EBUSY},
      {"XMinioServerNotInitialized", EBUSY},
      {"XMinioStorageFull", ENOSPC},
      {"QuotaExceeded", ENOSPC},
      {"PermanentRedirect", EINVAL},  // the bucket is in another region or endpoint
      {"AuthorizationQueryParametersError", EINVAL},
      {"InvalidBucketName", EINVAL},
      {"KeyTooLongError", EINVAL},
      {"InvalidArgument", EINVAL},
      {"InvalidRequest", EINVAL},
      {"AuthorizationHeaderMalformed", EINVAL},
      {"EntityTooLarge", EINVAL},
  };
  return table;
}

int ErrnoOfStatus(int status) {
  // 301: moved for good (S3 answers PermanentRedirect for a bucket of another region);
  // 405: method not allowed, not an S3 endpoint.
  if (status == 301 || status == 405) return EINVAL;
  return ErrnoOfHttpStatus(status);
}

// The start of a body that is not S3's, on one line, for the message.
std::string Snippet(std::string_view body) {
  std::string out;
  for (char c : body.substr(0, 120)) out += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
  return body.size() > 120 ? out + "..." : out;
}

}  // namespace

std::optional<S3Error> ParseS3Error(std::string_view body) {
  if (body.find("<Error") == std::string_view::npos) return std::nullopt;
  auto doc = ParseXml(body);
  if (!doc || doc->name != "Error") return std::nullopt;
  S3Error e{std::string(doc->ChildText("Code")), std::string(doc->ChildText("Message")),
            std::string(doc->ChildText("Endpoint"))};
  if (e.code.empty()) return std::nullopt;
  return e;
}

Status S3StatusOf(const net::http::HttpResponse& resp, std::string_view what) {
  std::optional<S3Error> e = ParseS3Error(resp.body);
  if (!e && !resp.Header("x-minio-error-code").empty()) {
    e = S3Error{std::string(resp.Header("x-minio-error-code")),
                std::string(resp.Header("x-minio-error-desc")), ""};
    // MinIO quotes the description header.
    if (e->message.size() >= 2 && e->message.front() == '"' && e->message.back() == '"') {
      e->message = e->message.substr(1, e->message.size() - 2);
    }
  }
  std::string msg(what);
  if (!e) {
    msg += ": HTTP " + std::to_string(resp.status);
    if (!resp.body.empty()) msg += ": " + Snippet(resp.body);
    return Status(ErrnoOfStatus(resp.status), msg);
  }
  msg += ": " + e->code;
  if (!e->message.empty()) msg += ": " + e->message;
  if (!e->endpoint.empty()) msg += " (endpoint " + e->endpoint + ")";
  auto it = CodeTable().find(e->code);
  return Status(it != CodeTable().end() ? it->second : ErrnoOfStatus(resp.status), msg);
}

Result<ListPage> ParseListObjectsV2(std::string_view body) {
  ASSIGN_OR_RETURN(XmlNode doc, ParseXml(body));
  if (doc.name != "ListBucketResult") {
    return Err(EIO, "not a ListObjectsV2 reply: <" + doc.name + ">");
  }
  bool url_encoded = doc.ChildText("EncodingType") == "url";
  ListPage page;
  page.truncated = doc.ChildText("IsTruncated") == "true";
  page.next_token = doc.ChildText("NextContinuationToken");
  for (const XmlNode& c : doc.children) {
    if (c.name != "Contents") continue;
    ObjectInfo o;
    o.key = c.ChildText("Key");
    if (url_encoded) {
      auto k = PercentDecode(o.key, /*plus_is_space=*/true);
      if (!k) return Err(EIO, "bad key '" + o.key + "' in ListObjectsV2 reply: " + k.error().message());
      o.key = std::move(*k);
    }
    std::string_view size = c.ChildText("Size");
    if (std::from_chars(size.data(), size.data() + size.size(), o.size).ec != std::errc()) {
      return Err(EIO, "bad size '" + std::string(size) + "' for '" + o.key + "' in ListObjectsV2 reply");
    }
    o.mtime = ParseS3Time(c.ChildText("LastModified"));
    page.objects.push_back(std::move(o));
  }
  return page;
}

Result<std::string> ParseUploadId(std::string_view body) {
  ASSIGN_OR_RETURN(XmlNode doc, ParseXml(body));
  std::string_view id = doc.ChildText("UploadId");
  if (doc.name != "InitiateMultipartUploadResult" || id.empty()) {
    return Err(EIO, "no UploadId in the CreateMultipartUpload reply: " + Snippet(body));
  }
  return std::string(id);
}

std::string CompleteMultipartBody(const std::vector<std::string>& etags) {
  std::string out = "<CompleteMultipartUpload>";
  for (size_t i = 0; i < etags.size(); ++i) {
    out += "<Part><PartNumber>" + std::to_string(i + 1) + "</PartNumber><ETag>" +
           XmlEscape(etags[i]) + "</ETag></Part>";
  }
  return out + "</CompleteMultipartUpload>";
}

int64_t ParseS3Time(std::string_view text) {
  std::string s(text);
  std::tm tm{};
  const char* end = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (end == nullptr) {
    tm = {};
    end = strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S", &tm);
  }
  if (end == nullptr) return 0;
  return int64_t(timegm(&tm));
}

}  // namespace tierfs::object
