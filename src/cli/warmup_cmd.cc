// tierfs warmup PATH...: fills tier 1 (the disk cache) of the mount holding the paths with the
// blocks of their files (directories recursively); --check reports how much is cached, --evict
// drops it (staged blocks stay). JuiceFS cmd/warmup.go has the same three actions.
#include <sys/stat.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "cli/commands.h"
#include "cli/control.h"
#include "cli/progress.h"
#include "meta/types.h"
#include "util/units.h"

namespace tierfs::cli {
namespace {

namespace fs = std::filesystem;

constexpr size_t kBatch = 256;  // inodes per control command
// Internal inodes (.stats, .config, .control, the trash and all under it) are skipped.
using meta::kMinInternalIno;

struct Counts {
  uint64_t files = 0, blocks = 0, bytes = 0, cached_blocks = 0, cached_bytes = 0;
  void Add(const std::string& reply) {
    std::istringstream in(reply);
    std::string k;
    uint64_t v;
    while (in >> k >> v) {
      if (k == "files") files += v;
      if (k == "blocks") blocks += v;
      if (k == "bytes") bytes += v;
      if (k == "cached_blocks") cached_blocks += v;
      if (k == "cached_bytes") cached_bytes += v;
    }
  }
};

// Inodes of the regular files at or under `path`.
Status Collect(const std::string& path, std::vector<uint64_t>* inodes) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return Status(errno, path + ": " + std::strerror(errno));
  if (S_ISREG(st.st_mode)) {
    inodes->push_back(st.st_ino);
    return Status::Ok();
  }
  if (!S_ISDIR(st.st_mode)) return Status::Ok();
  std::error_code ec;
  for (fs::recursive_directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
    if (::lstat(it->path().c_str(), &st) != 0) continue;
    if (st.st_ino >= kMinInternalIno) {
      if (S_ISDIR(st.st_mode)) it.disable_recursion_pending();
      continue;
    }
    if (S_ISREG(st.st_mode)) inodes->push_back(st.st_ino);
  }
  if (ec) return Status(EIO, path + ": " + ec.message());
  return Status::Ok();
}

int Run(const std::vector<std::string>& paths, const std::string& list, bool evict, bool check) {
  if (evict && check) return Fail("warmup", "--evict and --check exclude each other");
  std::vector<std::string> all = paths;
  if (!list.empty()) {
    std::ifstream in(list);
    if (!in) return Fail("warmup", "cannot read " + list);
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) all.push_back(line);
    }
  }
  if (all.empty()) return Fail("warmup", "no paths given");
  auto mp = MountRootOf(all[0]);
  if (!mp) return Fail("warmup", mp.error().message());
  std::vector<uint64_t> inodes;
  for (const auto& p : all) {
    auto other = MountRootOf(p);
    if (!other) return Fail("warmup", other.error().message());
    if (*other != *mp) return Fail("warmup", p + " is not in the mount at " + *mp);
    if (Status st = Collect(p, &inodes); !st.ok()) return Fail("warmup", st.message());
  }
  const std::string verb = evict ? "evict" : check ? "check" : "warmup";
  Progress bar(evict ? "Evicted files" : check ? "Checked files" : "Warmed up files");
  Counts c;
  for (size_t i = 0; i < inodes.size(); i += kBatch) {
    std::string cmd = verb;
    for (size_t j = i; j < std::min(inodes.size(), i + kBatch); j++) cmd += " " + std::to_string(inodes[j]);
    auto reply = SendControl(*mp, cmd);
    if (!reply) {
      bar.Done();
      return Fail("warmup", reply.error().message());
    }
    c.Add(*reply);
    bar.Update(std::min(inodes.size(), i + kBatch), inodes.size());
  }
  bar.Done();
  double pct = c.bytes ? 100.0 * double(c.cached_bytes) / double(c.bytes) : 100.0;
  if (check) {
    std::printf("%llu files, %llu blocks, %s: %s cached (%.1f%%)\n", (unsigned long long)c.files,
                (unsigned long long)c.blocks, FormatBytes(c.bytes).c_str(),
                FormatBytes(c.cached_bytes).c_str(), pct);
  } else if (evict) {
    std::printf("%llu files, %llu blocks (%s) evicted; %s still cached (staged)\n",
                (unsigned long long)c.files, (unsigned long long)(c.blocks - c.cached_blocks),
                FormatBytes(c.bytes - c.cached_bytes).c_str(), FormatBytes(c.cached_bytes).c_str());
  } else {
    std::printf("%llu files, %llu blocks, %s warmed up\n", (unsigned long long)c.files,
                (unsigned long long)c.blocks, FormatBytes(c.cached_bytes).c_str());
  }
  return 0;
}

}  // namespace

void AddWarmup(CLI::App& app, int& rc) {
  CLI::App* c = app.add_subcommand("warmup", "Fill the local cache with files' blocks");
  static std::vector<std::string> paths;
  static std::string list;
  static bool evict = false, check = false;
  c->add_option("PATH", paths, "files or directories in a mount");
  c->add_option("-f,--file", list, "file listing one path per line");
  c->add_flag("--evict", evict, "drop the files' blocks from the cache instead");
  c->add_flag("--check", check, "report how much of the files is cached");
  c->callback([&rc] { rc = Run(paths, list, evict, check); });
}

}  // namespace tierfs::cli
