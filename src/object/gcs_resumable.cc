// GcsStore::PutResumable (gcs_store.h): an object too big for one media upload goes up as a
// resumable upload (Google's "Perform resumable uploads": POST uploadType=resumable opens a
// session whose URI comes back in Location; each PUT of a chunk carries
// "Content-Range: bytes FIRST-LAST/TOTAL" and is answered 308 with "Range: bytes=0-LAST" for
// what the server kept, until the last one gets 200 or 201). The next chunk starts after what
// the server says it kept; a failed upload is cancelled with a DELETE of the session.
#include <charconv>

#include "object/gcs_reply.h"
#include "object/gcs_store.h"
#include "object/sigv4.h"

namespace tierfs::object {

namespace {

constexpr size_t kChunkQuantum = 256 << 10;  // GCS: every chunk but the last a multiple of this

// How many bytes the server holds after a 308: one past LAST of its "bytes=0-LAST" Range
// header, 0 when there is none (nothing kept yet); nullopt when it cannot be read.
std::optional<uint64_t> Persisted(const net::http::HttpResponse& resp) {
  std::string_view range = resp.Header("range");
  if (range.empty()) return 0;
  size_t dash = range.rfind('-');
  if (dash == std::string_view::npos) return std::nullopt;
  uint64_t last = 0;
  std::string_view digits = range.substr(dash + 1);
  if (std::from_chars(digits.data(), digits.data() + digits.size(), last).ec != std::errc()) {
    return std::nullopt;
  }
  return last + 1;
}

}  // namespace

Status GcsStore::PutResumable(std::string_view key, std::string_view data) {
  const std::string what = What("PUT", key) + " (resumable)";
  ASSIGN_OR_RETURN(net::http::HttpResponse open,
                   Request("POST",
                           "/upload/storage/v1/b/" + sigv4::UriEncode(loc_.bucket, false) +
                               "/o?uploadType=resumable&name=" + sigv4::UriEncode(key, false),
                           what,
                           {{"X-Upload-Content-Type", "application/octet-stream"},
                            {"X-Upload-Content-Length", std::to_string(data.size())}}));
  if (open.status != 200 && open.status != 201) return GcsStatusOf(open, what + " start");
  const std::string session(open.Header("location"));
  if (session.empty()) return Status(EIO, what + ": no session URI (Location) in the reply");

  auto upload = [&]() -> Status {
    const size_t chunk = std::max(
        kChunkQuantum, (opts_.chunk_size + kChunkQuantum - 1) / kChunkQuantum * kChunkQuantum);
    uint64_t off = 0;
    while (off < data.size()) {
      std::string_view part = data.substr(off, chunk);
      std::string range = "bytes " + std::to_string(off) + "-" +
                          std::to_string(off + part.size() - 1) + "/" + std::to_string(data.size());
      ASSIGN_OR_RETURN(net::http::HttpResponse r,
                       Request("PUT", session, what, {{"Content-Range", range}}, part));
      if (r.status == 200 || r.status == 201) return Status::Ok();
      if (r.status != 308) return GcsStatusOf(r, what + " at byte " + std::to_string(off));
      std::optional<uint64_t> kept = Persisted(r);
      // The server may keep less than it was sent, but never less than before.
      if (!kept || *kept <= off || *kept > data.size()) {
        return Status(EIO, what + ": the server kept '" + std::string(r.Header("range")) +
                               "' after bytes " + range.substr(6));
      }
      off = *kept;
    }
    return Status(EIO, what + ": all bytes sent but the upload was not completed");
  };
  Status st = upload();
  if (!st.ok()) (void)Request("DELETE", session, what + " cancel");
  return st;
}

}  // namespace tierfs::object
