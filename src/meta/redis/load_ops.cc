// RedisEngine's side of dump and load (meta/dump.h): listing delfiles and sustained inodes, and
// the raw writes of a load with the keys and values JuiceFS redisMeta.LoadMeta/loadEntry write
// (i{ino}, d{dir}, c{ino}_{indx} lists of 24-byte slices, s{ino}, x{ino}, p{ino} of hard links,
// sliceRef "k{id}_{size}" = refs - 1 where refs > 1, delfiles, dirDataLength/dirUsedSpace/
// dirUsedInodes of every directory, the counters, setting).
//
// Atomicity: JuiceFS sends the load in MULTI..EXEC batches of ~1000 commands and leaves what it
// sent when it fails half-way. Here the writes are pipelined in batches too (one MULTI..EXEC
// of a whole dump would be held in the server's memory and block it), but the writer keeps the
// inode numbers and chunk indexes it stored, and a writer that ends without a successful Commit
// deletes every key it wrote. The setting, which makes the DB a volume, is written last, in one
// MSET with the counters.
#include <algorithm>
#include <string>

#include "meta/redis/engine.h"
#include "util/log.h"

namespace tierfs::meta::redis {
namespace {

constexpr size_t kBatchCommands = 256;     // commands per pipelined round trip
constexpr size_t kBatchBytes = 4 << 20;    // or bytes of arguments
constexpr size_t kFieldsPerCommand = 256;  // HSET/RPUSH/ZADD/DEL arguments per command

// (member, score) pairs of a ZRANGE ... WITHSCORES reply, RESP2 (flat) or RESP3 (pairs).
std::vector<std::pair<std::string, double>> ScoredMembers(const Reply& r) {
  std::vector<std::pair<std::string, double>> out;
  auto score = [](const Reply& s) -> double {
    if (s.type == Reply::Type::kInteger) return double(s.integer);
    try {
      return s.str.empty() ? 0 : std::stod(s.str);
    } catch (const std::exception&) {
      return 0;
    }
  };
  const auto& z = r.elems;
  for (size_t i = 0; i < z.size();) {
    if (z[i].type == Reply::Type::kArray && z[i].elems.size() == 2) {
      out.emplace_back(z[i].elems[0].str, score(z[i].elems[1]));
      i += 1;
    } else if (i + 1 < z.size()) {
      out.emplace_back(z[i].str, score(z[i + 1]));
      i += 2;
    } else {
      break;
    }
  }
  return out;
}

class RedisLoadWriter : public LoadWriter {
 public:
  explicit RedisLoadWriter(RedisEngine& e) : e_(e), k_(e.keys()) {}
  ~RedisLoadWriter() override {
    if (!committed_ && wrote_) Rollback();
  }

  Status AddNode(const LoadedNode& n) override {
    if (committed_) return Status(EINVAL, "load already ended");
    inos_.push_back(n.ino);
    switch (n.attr.type) {
      case FileType::kFile:
        for (const auto& [indx, slices] : n.chunks) {
          if (slices.empty()) continue;
          std::string key = k_.Chunk(n.ino, indx);
          chunks_.emplace_back(n.ino, indx);
          Command cmd;
          for (const auto& s : slices) {
            if (cmd.empty()) cmd = {"RPUSH", key};
            cmd.push_back(EncodeSlice(s));
            if (cmd.size() - 2 >= kFieldsPerCommand) RETURN_IF_ERROR(Queue(std::move(cmd)));
          }
          if (!cmd.empty()) RETURN_IF_ERROR(Queue(std::move(cmd)));
        }
        break;
      case FileType::kSymlink:
        RETURN_IF_ERROR(Queue({"SET", k_.Symlink(n.ino), n.symlink}));
        break;
      case FileType::kDirectory: {
        int64_t length = 0, space = 0, inodes = 0;
        std::string key = k_.Entries(n.ino);
        Command cmd;
        for (const auto& e : n.entries) {
          if (cmd.empty()) cmd = {"HSET", key};
          cmd.push_back(e.name);
          cmd.push_back(EncodeEntry(e.type, e.ino));
          if ((cmd.size() - 2) / 2 >= kFieldsPerCommand) RETURN_IF_ERROR(Queue(std::move(cmd)));
          uint64_t len = e.type == FileType::kFile ? e.length : 0;
          length += static_cast<int64_t>(len);
          space += Align4K(len);
          ++inodes;
        }
        if (!cmd.empty()) RETURN_IF_ERROR(Queue(std::move(cmd)));
        // JuiceFS loadEntry writes the statistics of every directory, whether or not the
        // volume keeps them (DirStats).
        std::string f = std::to_string(n.ino);
        RETURN_IF_ERROR(Queue({"HSET", k_.Named("dirDataLength"), f, std::to_string(length)}));
        RETURN_IF_ERROR(Queue({"HSET", k_.Named("dirUsedSpace"), f, std::to_string(space)}));
        RETURN_IF_ERROR(Queue({"HSET", k_.Named("dirUsedInodes"), f, std::to_string(inodes)}));
        break;
      }
      default:
        break;
    }
    if (!n.xattrs.empty()) {
      Command cmd{"HSET", k_.Xattrs(n.ino)};
      for (const auto& [name, value] : n.xattrs) {
        cmd.push_back(name);
        cmd.push_back(value);
      }
      RETURN_IF_ERROR(Queue(std::move(cmd)));
    }
    return Queue({"SET", k_.Inode(n.ino), EncodeAttr(n.attr)});
  }

  Status Commit(const LoadedVolume& v) override {
    if (committed_) return Status(EINVAL, "load already ended");
    Command z;
    for (const auto& d : v.delfiles) {
      if (z.empty()) z = {"ZADD", k_.Named("delfiles")};
      z.push_back(std::to_string(d.expire));
      z.push_back(DelFileMember(d.ino, d.length));
      if ((z.size() - 2) / 2 >= kFieldsPerCommand) RETURN_IF_ERROR(Queue(std::move(z)));
    }
    if (!z.empty()) RETURN_IF_ERROR(Queue(std::move(z)));
    Command refs;
    for (const auto& r : v.slice_refs) {
      if (r.id == 0 || r.refs <= 1) continue;  // one reference: no field (JuiceFS)
      if (refs.empty()) refs = {"HSET", k_.Named("sliceRef")};
      refs.push_back(SliceRefField(r.id, r.size));
      refs.push_back(std::to_string(r.refs - 1));
      if ((refs.size() - 2) / 2 >= kFieldsPerCommand) RETURN_IF_ERROR(Queue(std::move(refs)));
    }
    if (!refs.empty()) RETURN_IF_ERROR(Queue(std::move(refs)));
    RETURN_IF_ERROR(StoreLinks(v));
    // Last, in one command: the counters (nextinode/nextchunk hold the last id used) and the
    // setting, as JuiceFS LoadMeta's MSET and SET.
    Command mset{"MSET"};
    for (const auto& [name, value] : v.counters) {
      mset.push_back(k_.Counter(name));
      bool last_used = name == "nextInode" || name == "nextChunk";
      mset.push_back(std::to_string(last_used ? value - 1 : value));
    }
    mset.push_back(k_.Named("setting"));
    mset.push_back(v.setting_json);
    RETURN_IF_ERROR(Queue(std::move(mset)));
    RETURN_IF_ERROR(Flush());
    committed_ = true;
    return Status();
  }

 private:
  // Hard links: nlink = the number of links, parent 0, and p{ino} counts the links per
  // directory (JuiceFS patches the stored attr's bytes the same way).
  Status StoreLinks(const LoadedVolume& v) {
    RETURN_IF_ERROR(Flush());  // the attrs to patch are stored
    for (size_t i = 0; i < v.links.size(); i += kBatchCommands) {
      size_t end = std::min(v.links.size(), i + kBatchCommands);
      std::vector<Command> gets;
      for (size_t j = i; j < end; ++j) gets.push_back({"GET", k_.Inode(v.links[j].first)});
      ASSIGN_OR_RETURN(auto attrs, e_.DoAll(std::move(gets)));
      for (size_t j = i; j < end; ++j) {
        auto [ino, nlink] = v.links[j];
        auto a = DecodeAttr(attrs[j - i].str);
        if (!a) return Status(EIO, "load: inode " + std::to_string(ino) + " was not stored");
        a->nlink = nlink;
        a->parent = 0;
        RETURN_IF_ERROR(Queue({"SET", k_.Inode(ino), EncodeAttr(*a)}));
      }
    }
    for (const auto& p : v.link_parents) {
      RETURN_IF_ERROR(Queue({"HINCRBY", k_.Parents(p.ino), std::to_string(p.parent), std::to_string(p.count)}));
    }
    return Status();
  }

  Status Queue(Command cmd) {
    for (const auto& a : cmd) pending_bytes_ += a.size();
    pending_.push_back(std::move(cmd));
    if (pending_.size() >= kBatchCommands || pending_bytes_ >= kBatchBytes) return Flush();
    return Status();
  }

  Status Flush() {
    if (pending_.empty()) return Status();
    wrote_ = true;
    std::vector<Command> cmds;
    cmds.swap(pending_);
    pending_bytes_ = 0;
    auto r = e_.DoAll(std::move(cmds));
    if (!r) return Status(r.error().code(), "load: " + r.error().message());
    return Status();
  }

  // Deletes every key the load may have written (DEL of an absent key is a no-op).
  void Rollback() {
    pending_.clear();
    pending_bytes_ = 0;
    std::vector<Command> cmds;
    Command del;
    auto add = [&](std::string key) {
      if (del.empty()) del = {"DEL"};
      del.push_back(std::move(key));
      if (del.size() - 1 >= kFieldsPerCommand) cmds.push_back(std::move(del)), del.clear();
    };
    for (const char* name : {"setting", "nextinode", "nextchunk", "nextsession", "nextTrash", "usedSpace",
                             "totalInodes", "delfiles", "sliceRef", "dirDataLength", "dirUsedSpace",
                             "dirUsedInodes"}) {
      add(k_.Named(name));
    }
    for (Ino ino : inos_) {
      add(k_.Inode(ino));
      add(k_.Entries(ino));
      add(k_.Symlink(ino));
      add(k_.Xattrs(ino));
      add(k_.Parents(ino));
    }
    for (const auto& [ino, indx] : chunks_) add(k_.Chunk(ino, indx));
    if (!del.empty()) cmds.push_back(std::move(del));
    for (size_t i = 0; i < cmds.size(); i += kBatchCommands) {
      std::vector<Command> part(std::make_move_iterator(cmds.begin() + i),
                                std::make_move_iterator(cmds.begin() + std::min(cmds.size(), i + kBatchCommands)));
      auto r = e_.DoAll(std::move(part));
      if (!r) {
        TIERFS_LOG_WARN("load: cannot delete what the failed load wrote ({}); the Redis database "
                        "must be emptied before another load", r.error().message());
        return;
      }
    }
  }

  RedisEngine& e_;
  const Keys& k_;
  std::vector<Command> pending_;
  size_t pending_bytes_ = 0;
  bool wrote_ = false, committed_ = false;
  std::vector<Ino> inos_;                           // every node stored
  std::vector<std::pair<Ino, uint32_t>> chunks_;    // every chunk list stored
};

}  // namespace

Result<std::vector<DelFileRow>> RedisEngine::ListAllDelFiles() {
  ASSIGN_OR_RETURN(Reply r, Do({"ZRANGE", keys_.Named("delfiles"), "0", "-1", "WITHSCORES"}));
  std::vector<DelFileRow> out;
  for (const auto& [member, score] : ScoredMembers(r)) {
    auto m = ParseDelFileMember(member);
    if (!m) {
      TIERFS_LOG_WARN("invalid delfile string: {}", member);  // skipped, as JuiceFS DumpMeta
      continue;
    }
    out.push_back({m->first, m->second, static_cast<int64_t>(score)});
  }
  return out;
}

Result<std::vector<std::pair<uint64_t, Ino>>> RedisEngine::ListSustained() {
  ASSIGN_OR_RETURN(Reply sessions, Do({"ZRANGE", keys_.Named("allSessions"), "0", "-1"}));
  std::vector<uint64_t> sids;
  for (const Reply& m : sessions.elems) {
    if (auto id = ParseInt(m.str)) sids.push_back(uint64_t(*id));
  }
  std::vector<std::pair<uint64_t, Ino>> out;
  for (size_t i = 0; i < sids.size(); i += kBatchCommands) {
    size_t end = std::min(sids.size(), i + kBatchCommands);
    std::vector<Command> cmds;
    for (size_t j = i; j < end; ++j) cmds.push_back({"SMEMBERS", keys_.Sustained(sids[j])});
    ASSIGN_OR_RETURN(auto sets, DoAll(std::move(cmds)));
    for (size_t j = i; j < end; ++j) {
      for (const Reply& m : sets[j - i].elems) {
        if (auto ino = ParseInt(m.str)) out.emplace_back(sids[j], Ino(*ino));
      }
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<std::unique_ptr<LoadWriter>> RedisEngine::BeginLoad() {
  ASSIGN_OR_RETURN(Reply setting, Do({"EXISTS", keys_.Named("setting")}));
  if (setting.integer > 0) return Err(EEXIST, "the redis database is not empty (it holds a volume)");
  if (keys_.prefix.empty()) {
    ASSIGN_OR_RETURN(Reply n, Do({"DBSIZE"}));
    if (n.integer > 0) {
      return Err(EEXIST, "the redis database is not empty (it holds " + std::to_string(n.integer) + " keys)");
    }
  } else {
    // Redis Cluster: the DB is shared; only keys of this volume's prefix count (JuiceFS scans
    // for them too).
    std::string cursor = "0";
    do {
      ASSIGN_OR_RETURN(Reply r, Do({"SCAN", cursor, "MATCH", keys_.prefix + "*", "COUNT", "1000"}));
      if (r.elems.size() != 2) return Err(EIO, "redis SCAN: unexpected reply");
      if (!r.elems[1].elems.empty()) {
        return Err(EEXIST, "the redis database is not empty (it holds keys of prefix " + keys_.prefix + ")");
      }
      cursor = r.elems[0].str;
    } while (cursor != "0");
  }
  return std::unique_ptr<LoadWriter>(std::make_unique<RedisLoadWriter>(*this));
}

}  // namespace tierfs::meta::redis
