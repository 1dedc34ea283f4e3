// The .control file's commands: one command per write(2), its reply read back from offset 0.
// A text protocol of tierfs's own (JuiceFS's .control speaks a binary one; its CLI cannot drive
// a tierfs mount and the reverse):
//   flush TIMEOUT_MS              uploads every staged block now; waits up to TIMEOUT_MS
//   warmup|check|evict INO...     tier-1 fill / count / drop of the files' blocks
// Replies: "ok\n" or "ok blocks B bytes N cached_blocks C cached_bytes M files F\n", or
// "error ERRNO MESSAGE\n". The write itself returns once the command is done.
#include <set>
#include <sstream>

#include "vfs/inode_state.h"
#include "vfs/vfs.h"

namespace tierfs::vfs {
namespace {

std::string Error(const Status& st) {
  return "error " + std::to_string(st.code()) + " " + st.message() + "\n";
}

}  // namespace

std::string Vfs::Control(std::string_view command) {
  std::istringstream in{std::string(command)};
  std::string verb;
  in >> verb;
  if (verb == "flush") {
    int64_t ms = 3'600'000;
    in >> ms;
    Status st = store_->FlushStaging(std::chrono::milliseconds(std::max<int64_t>(ms, 0)));
    return st.ok() ? "ok\n" : Error(st);
  }
  chunk::CacheOp op;
  if (verb == "warmup") {
    op = chunk::CacheOp::kWarm;
  } else if (verb == "check") {
    op = chunk::CacheOp::kCheck;
  } else if (verb == "evict") {
    op = chunk::CacheOp::kEvict;
  } else {
    return Error(Status(EINVAL, "unknown command \"" + verb + "\""));
  }
  chunk::CacheCount total;
  uint64_t files = 0;
  meta::Context root;  // uid 0: the control file is root's (0600)
  for (meta::Ino ino; in >> ino;) {
    auto attr = meta_->GetAttr(root, ino);
    if (!attr) return Error(attr.error());
    if (attr->type != meta::FileType::kFile) continue;
    files++;
    const uint32_t chunks = uint32_t((attr->length + meta::kChunkSize - 1) >> meta::kChunkBits);
    for (uint32_t indx = 0; indx < chunks; indx++) {
      auto slices = meta_->Read(ino, indx);
      if (!slices) return Error(slices.error());
      std::set<uint64_t> seen;
      for (const meta::Slice& s : *slices) {
        if (s.id == 0 || !seen.insert(s.id).second) continue;  // a hole, or listed twice
        auto c = store_->CacheSlice(s.id, s.size, op);
        if (!c) return Error(c.error());
        total += *c;
      }
    }
  }
  return "ok blocks " + std::to_string(total.blocks) + " bytes " + std::to_string(total.bytes) +
         " cached_blocks " + std::to_string(total.cached_blocks) + " cached_bytes " +
         std::to_string(total.cached_bytes) + " files " + std::to_string(files) + "\n";
}

}  // namespace tierfs::vfs
