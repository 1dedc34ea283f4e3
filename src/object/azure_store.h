// AzureStore: the `wasb` (and alias `azure`) storage, an ObjectStore over the Azure Blob
// service REST API (Microsoft's Blob service REST reference: Put Blob, Put Block, Put Block
// List, Get Blob, Get Blob Properties, Delete Blob, List Blobs, Create Container), with
// x-ms-version azure::kApiVersion, authorized with Shared Key (azure_auth.h) or a SAS token,
// sent through net/http's HttpClient. Where the container is and the credentials come from
// AzureLocation (azure_config.h). Model: JuiceFS pkg/object/azure.go.
//
// Behaviour (each as JuiceFS does it unless said):
// - Put: one Put Blob (block blob) up to AzureOptions::block_threshold bytes; above it Put
//   Block for each block of block_size bytes, then Put Block List. Until the list is
//   committed readers see the old blob (or none). A failed Put leaves uncommitted blocks,
//   which Azure discards at the blob's next commit or after a week (there is no abort).
// - Get: x-ms-range "bytes=OFF-END" unless the whole blob is asked for; a 416 (offset at or
//   past the end) is an empty result, as the interface wants. limit 0 is a Head.
// - Delete: BlobNotFound succeeds; ContainerNotFound is ENOENT.
// - List: List Blobs pages of AzureOptions::list_page_size (maxresults) with the prefix,
//   following NextMarker; Azure has no start-after, so names up to the marker are dropped
//   here (JuiceFS does the same). A page whose names leave the prefix or go backwards is EIO.
// - Create: Create Container; ContainerAlreadyExists counts as success.
//
// Errors: as azure_reply.h says for replies (403 AuthenticationFailed -> EACCES with the
// server's message, BlobNotFound/ContainerNotFound -> ENOENT, ServerBusy -> EBUSY, 5xx ->
// EIO); transport failures as transport_error.h says (ETIMEDOUT, else EIO naming the host);
// EINVAL for a bad key. No retries here (a wrapper's job).
// Thread-safety: all methods may be called concurrently (the HttpClient is thread-safe; the
// store has no other mutable state).
#pragma once

#include <ctime>
#include <functional>
#include <memory>
#include <string>

#include "net/http/http_client.h"
#include "object/azure_config.h"
#include "object/object_store.h"

namespace tierfs::object {

struct AzureOptions {
  net::http::HttpOptions http;
  // Blobs larger than this (bytes) go up in blocks. One Put Blob may carry 5000 MiB; the
  // volume's blocks (<= 16 MiB) always fit in one.
  size_t block_threshold = 32 << 20;
  // Bytes per block; grown when a blob would need more than Azure's 50000 blocks.
  size_t block_size = 16 << 20;
  size_t list_page_size = 5000;  // maxresults per List Blobs request (Azure's own maximum)
  // The clock requests are dated with (unix seconds, x-ms-date).
  std::function<std::time_t()> now = [] { return std::time(nullptr); };
};

class AzureStore final : public ObjectStore {
 public:
  AzureStore(AzureLocation location, AzureOptions options = {});

  std::string Describe() const override { return loc_.Describe(); }
  Result<std::string> Get(std::string_view key, uint64_t off = 0, int64_t limit = -1) override;
  Status Put(std::string_view key, std::string_view data) override;
  Status Delete(std::string_view key) override;
  Result<ObjectInfo> Head(std::string_view key) override;
  Result<std::vector<ObjectInfo>> List(std::string_view prefix, std::string_view marker = {},
                                       size_t limit = 0) override;
  Status Create() override;

  // One authorized request to this container (key "" = the container itself), as the
  // methods above send them: the reply whatever its HTTP status; a transport failure as a
  // Status. For tests and tools that need a call the interface has no method for.
  Result<net::http::HttpResponse> Request(const std::string& method, std::string_view key,
                                          azure::Query query = {}, azure::Headers headers = {},
                                          std::string_view body = {});

  const AzureLocation& location() const { return loc_; }

 private:
  Status PutBlocks(std::string_view key, std::string_view data);
  // "GET wasb://c/key": the start of every message about `key`.
  std::string What(std::string_view method, std::string_view key) const;

  AzureLocation loc_;
  AzureOptions opts_;
  std::unique_ptr<net::http::HttpClient> http_;
};

// The factory used by OpenObjectStore for `wasb` and `azure` (azure_config.h says how it
// parses config.bucket and where credentials come from).
Result<std::unique_ptr<ObjectStore>> NewAzureStore(const StoreConfig& config);

}  // namespace tierfs::object
