// The bodies the Azure Blob service (and Azurite) sends back, and what a failed reply means
// as a Status. Formats from Microsoft's Blob service REST reference: "Status and error codes"
// (the <Error><Code/><Message/></Error> document, also named by the x-ms-error-code header,
// which is all a HEAD reply has), "Blob service error codes", and "List Blobs"
// (<EnumerationResults>).
//
// Errno of a failed reply (AzureStatusOf), by the error code first, then the HTTP status:
//   ENOENT  BlobNotFound, ContainerNotFound, ResourceNotFound; 404
//   EACCES  AuthenticationFailed, AuthorizationFailure, AuthorizationPermissionMismatch,
//           AuthorizationResourceTypeMismatch, InsufficientAccountPermissions,
//           AccountIsDisabled; 401, 403
//   EBUSY   ServerBusy (throttling: worth retrying after a back-off); 429, 503
//   ETIMEDOUT OperationTimedOut (the server gave up on the request)
//   EINVAL  InvalidBlockList, InvalidBlobOrBlock, InvalidQueryParameterValue,
//           InvalidHeaderValue, InvalidResourceName, RequestBodyTooLarge, MissingRequiredHeader,
//           OutOfRangeInput; 400
//   ENOSPC  507
//   EIO     anything else (5xx, a reply that is not Azure's)
// The message is "<what>: <Code>: <first line of the server's Message>", e.g. "PUT
// wasb://c/k: AuthenticationFailed: Server failed to authenticate the request. Make sure the
// value of the Authorization header is formed correctly including the signature." (the
// RequestId and Time lines that follow are dropped).
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/http/http_client.h"
#include "object/object_store.h"

namespace tierfs::object {

struct AzureError {
  std::string code;     // "BlobNotFound"
  std::string message;  // the first line of the server's text
};

// The error a reply carries: its <Error> body, else its x-ms-error-code header; nullopt when
// it has neither.
std::optional<AzureError> AzureErrorOf(const net::http::HttpResponse& resp);

// The Status for a reply that failed (the table above). `what` is "METHOD wasb://c/key".
Status AzureStatusOf(const net::http::HttpResponse& resp, std::string_view what);

struct AzureListPage {
  std::vector<ObjectInfo> objects;
  std::string next_marker;  // "" on the last page
};

// A List Blobs reply. EIO when the body is not an <EnumerationResults> document.
Result<AzureListPage> ParseListBlobs(std::string_view body);

// The Put Block List body committing these block ids (already base64) in order.
std::string BlockListBody(const std::vector<std::string>& block_ids);

}  // namespace tierfs::object
