// AzureStore::PutBlocks (azure_store.h): a block blob too big for one Put Blob goes up as Put
// Block requests, one after another, then one Put Block List that commits them in order
// (Microsoft's Blob service REST reference: "Put Block", "Put Block List"; the limits are
// those of x-ms-version 2019-12-12 and later).
#include <algorithm>
#include <random>

#include "object/azure_reply.h"
#include "object/azure_store.h"
#include "util/base64.h"

namespace tierfs::object {

namespace {

constexpr size_t kMaxBlocks = 50000;  // Azure's block count limit per blob
constexpr size_t kMiB = 1 << 20;

// Blocks of at least `wanted` bytes, grown (to whole MiB) when `size` would need more than
// kMaxBlocks of them.
size_t BlockSize(size_t size, size_t wanted) {
  size_t block = std::max<size_t>(wanted, 1);
  if (size / block >= kMaxBlocks) block = ((size / kMaxBlocks) / kMiB + 1) * kMiB;
  return block;
}

// A tag for this upload's block ids. Every block id of a blob must have the same length,
// and two uploads of one key at once must not commit each other's blocks: so the ids are
// base64("<16 hex digits of this upload>-<6-digit index>").
std::string UploadTag() {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

}  // namespace

Status AzureStore::PutBlocks(std::string_view key, std::string_view data) {
  const std::string what = What("PUT", key) + " (blocks)";
  const size_t block = BlockSize(data.size(), opts_.block_size);
  const std::string tag = UploadTag();
  std::vector<std::string> ids;
  for (size_t off = 0; off < data.size(); off += block) {
    char index[8];
    std::snprintf(index, sizeof index, "%06zu", ids.size());
    std::string id = Base64Encode(tag + "-" + index);
    ASSIGN_OR_RETURN(
        net::http::HttpResponse r,
        Request("PUT", key, {{"comp", "block"}, {"blockid", id}}, {}, data.substr(off, block)));
    if (r.status != 201) return AzureStatusOf(r, what + " block " + std::to_string(ids.size()));
    ids.push_back(std::move(id));
  }
  ASSIGN_OR_RETURN(net::http::HttpResponse done,
                   Request("PUT", key, {{"comp", "blocklist"}},
                           {{"Content-Type", "application/xml"}}, BlockListBody(ids)));
  if (done.status != 201) return AzureStatusOf(done, what + " block list");
  return Status::Ok();
}

}  // namespace tierfs::object
