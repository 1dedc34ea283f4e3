#include "object/azure_reply.h"

#include <charconv>
#include <map>

#include "object/http_status.h"
#include "object/s3_reply.h"  // ParseS3Time reads the RFC 1123 dates Azure sends too
#include "object/xml.h"
#include "util/url.h"

namespace tierfs::object {

namespace {

const std::map<std::string_view, int>& CodeTable() {
  static const std::map<std::string_view, int> table = {
      {"BlobNotFound", ENOENT},
      {"ContainerNotFound", ENOENT},
      {"ResourceNotFound", ENOENT},
      {"AuthenticationFailed", EACCES},
      {"AuthorizationFailure", EACCES},
      {"AuthorizationPermissionMismatch", EACCES},
      {"AuthorizationResourceTypeMismatch", EACCES},
      {"InsufficientAccountPermissions", EACCES},
      {"AccountIsDisabled", EACCES},
      {"ServerBusy", EBUSY},
      {"OperationTimedOut", ETIMEDOUT},
      {"InvalidBlockList", EINVAL},
      {"InvalidBlobOrBlock", EINVAL},
      {"InvalidQueryParameterValue", EINVAL},
      {"InvalidHeaderValue", EINVAL},
      {"InvalidResourceName", EINVAL},
      {"RequestBodyTooLarge", EINVAL},
      {"MissingRequiredHeader", EINVAL},
      {"OutOfRangeInput", EINVAL},
  };
  return table;
}

// The first line of `text`, at most 160 bytes.
std::string FirstLine(std::string_view text) {
  std::string_view line = text.substr(0, text.find_first_of("\r\n"));
  return line.size() > 160 ? std::string(line.substr(0, 160)) + "..." : std::string(line);
}

}  // namespace

std::optional<AzureError> AzureErrorOf(const net::http::HttpResponse& resp) {
  if (resp.body.find("<Error") != std::string::npos) {
    auto doc = ParseXml(resp.body);
    if (doc && doc->name == "Error" && !doc->ChildText("Code").empty()) {
      return AzureError{std::string(doc->ChildText("Code")), FirstLine(doc->ChildText("Message"))};
    }
  }
  std::string_view code = resp.Header("x-ms-error-code");
  if (code.empty()) return std::nullopt;
  return AzureError{std::string(code), ""};
}

Status AzureStatusOf(const net::http::HttpResponse& resp, std::string_view what) {
  std::string msg(what);
  std::optional<AzureError> e = AzureErrorOf(resp);
  if (!e) {
    msg += ": HTTP " + std::to_string(resp.status);
    if (!resp.body.empty()) msg += ": " + FirstLine(resp.body);
    return Status(ErrnoOfHttpStatus(resp.status), msg);
  }
  msg += ": " + e->code;
  if (!e->message.empty()) msg += ": " + e->message;
  auto it = CodeTable().find(e->code);
  return Status(it != CodeTable().end() ? it->second : ErrnoOfHttpStatus(resp.status), msg);
}

Result<AzureListPage> ParseListBlobs(std::string_view body) {
  ASSIGN_OR_RETURN(XmlNode doc, ParseXml(body));
  if (doc.name != "EnumerationResults") {
    return Err(EIO, "not a List Blobs reply: <" + doc.name + ">");
  }
  AzureListPage page;
  page.next_marker = doc.ChildText("NextMarker");
  const XmlNode* blobs = doc.Child("Blobs");
  if (blobs == nullptr) return page;
  for (const XmlNode& b : blobs->children) {
    if (b.name != "Blob") continue;
    ObjectInfo o;
    const XmlNode* name = b.Child("Name");
    o.key = name ? name->text : "";
    // A name with characters XML cannot carry comes percent-encoded (Encoded="true").
    if (name && name->Attribute("Encoded") == "true") {
      auto decoded = PercentDecode(o.key);
      if (!decoded) return Err(EIO, "bad encoded name '" + o.key + "' in List Blobs reply");
      o.key = std::move(*decoded);
    }
    const XmlNode* props = b.Child("Properties");
    std::string_view size = props ? props->ChildText("Content-Length") : std::string_view();
    if (std::from_chars(size.data(), size.data() + size.size(), o.size).ec != std::errc()) {
      return Err(EIO, "bad Content-Length '" + std::string(size) + "' for '" + o.key +
                          "' in List Blobs reply");
    }
    o.mtime = ParseS3Time(props->ChildText("Last-Modified"));
    page.objects.push_back(std::move(o));
  }
  return page;
}

std::string BlockListBody(const std::vector<std::string>& block_ids) {
  std::string out = "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>";
  for (const std::string& id : block_ids) out += "<Latest>" + id + "</Latest>";
  return out + "</BlockList>";
}

}  // namespace tierfs::object
