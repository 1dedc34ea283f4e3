// tierfs info PATH: where a file's data lives: inode, length, chunks, slices, object keys.
// Reads the mount's .config to find the metadata engine (as `juicefs info` asks its mount).
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "chunk/chunk_store.h"
#include "cli/commands.h"
#include "meta/meta.h"

namespace tierfs::cli {
namespace {

// The mount root containing `path`: the topmost ancestor on the same device.
std::string MountRoot(const std::string& path) {
  namespace fs = std::filesystem;
  fs::path p = fs::absolute(path).lexically_normal();
  struct stat st;
  if (::stat(p.c_str(), &st) != 0) return "";
  dev_t dev = st.st_dev;
  while (p.has_parent_path() && p != p.root_path()) {
    fs::path parent = p.parent_path();
    if (::stat(parent.c_str(), &st) != 0 || st.st_dev != dev) break;
    p = parent;
  }
  return p.string();
}

int Run(const std::string& path, bool json) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return Fail("info", path + ": " + std::strerror(errno));
  std::string root = MountRoot(path);
  std::ifstream cfg(root + "/.config");
  if (!cfg) return Fail("info", path + " is not inside a tierfs mount");
  std::stringstream ss;
  ss << cfg.rdbuf();
  auto j = nlohmann::json::parse(ss.str(), nullptr, false);
  if (j.is_discarded() || !j.contains("Meta")) return Fail("info", "cannot parse " + root + "/.config");
  std::string url = j["Meta"]["URL"].get<std::string>();
  auto m = meta::OpenMeta(url, true);
  if (!m) return Fail("info", m.error().message());
  auto f = (*m)->Load();
  if (!f) return Fail("info", f.error().message());
  meta::Ino ino = st.st_ino;
  auto attr = (*m)->GetAttr(meta::Context::Root(), ino);
  if (!attr) return Fail("info", attr.error().message());

  nlohmann::ordered_json out;
  out["path"] = path;
  out["inode"] = ino;
  out["length"] = attr->length;
  out["chunks"] = nlohmann::ordered_json::array();
  uint32_t bs = uint32_t(f->BlockSizeBytes());
  if (attr->type == meta::FileType::kFile) {
    uint64_t nchunks = (attr->length + meta::kChunkSize - 1) / meta::kChunkSize;
    for (uint32_t indx = 0; indx < nchunks; indx++) {
      auto slices = (*m)->Read(ino, indx);
      if (!slices) return Fail("info", slices.error().message());
      nlohmann::ordered_json c{{"index", indx}, {"slices", nlohmann::ordered_json::array()}};
      for (const auto& s : *slices) {
        nlohmann::ordered_json objs = nlohmann::ordered_json::array();
        for (uint32_t b = 0; s.id != 0 && uint64_t(b) * bs < s.size; b++) {
          uint32_t len = std::min<uint32_t>(bs, s.size - b * bs);
          objs.push_back(f->name + "/" + chunk::BlockKey(s.id, b, len, f->hash_prefix));
        }
        c["slices"].push_back({{"pos", s.pos}, {"id", s.id}, {"size", s.size}, {"off", s.off},
                               {"len", s.len}, {"objects", objs}});
      }
      out["chunks"].push_back(c);
    }
  }
  if (json) {
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }
  std::printf("%s :\n  inode: %llu\n  length: %llu\n", path.c_str(), (unsigned long long)ino,
              (unsigned long long)attr->length);
  for (const auto& c : out["chunks"]) {
    std::printf("  chunk %u:\n", c["index"].get<uint32_t>());
    for (const auto& s : c["slices"]) {
      std::printf("    slice id=%llu pos=%u size=%u off=%u len=%u\n",
                  (unsigned long long)s["id"].get<uint64_t>(), s["pos"].get<uint32_t>(),
                  s["size"].get<uint32_t>(), s["off"].get<uint32_t>(), s["len"].get<uint32_t>());
      for (const auto& o : s["objects"]) std::printf("      %s\n", o.get<std::string>().c_str());
    }
  }
  return 0;
}

}  // namespace

void AddInfo(CLI::App& app, int& rc) {
  CLI::App* c = app.add_subcommand("info", "Show a file's inode, chunks, slices and objects");
  static std::string path;
  static bool json = false;
  c->add_option("PATH", path, "file or directory inside a mount")->required();
  c->add_flag("--json", json, "print JSON");
  c->callback([&rc] { rc = Run(path, json); });
}

}  // namespace tierfs::cli
