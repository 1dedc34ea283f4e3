// Tx: WATCHed reads and a queued MULTI block (see txn.h).
#include "meta/redis/txn.h"

namespace tierfs::meta::redis {
namespace {

Status ReplyError(const Command& cmd, const Reply& r) {
  return Status(EIO, "redis " + (cmd.empty() ? std::string("?") : cmd[0]) + ": " + r.str);
}

}  // namespace

Status MetaError(const Status& s) {
  switch (s.code()) {
    case ETIMEDOUT: case EAGAIN: case EPROTO: case ECONNREFUSED: case ECONNRESET: case EPIPE:
    case ENOTCONN: case EHOSTUNREACH: case ENETUNREACH:
      // A metadata call that the server did not answer is an I/O error for the file system.
      return Status(EIO, "redis: " + ErrnoName(s.code()) + ": " + s.message());
    default:
      return s;
  }
}

std::string KeyOf(const Command& cmd) { return cmd.size() > 1 ? cmd[1] : std::string(); }

Result<std::vector<Reply>> Tx::ReadAll(const std::vector<std::pair<std::string, Command>>& reads) {
  std::vector<Command> cmds;
  std::vector<bool> is_watch;
  // One WATCH for all the keys not watched yet, before the reads (a command fewer per key).
  Command watch = {"WATCH"};
  for (const auto& [key, cmd] : reads) {
    if (!key.empty() && watched_.insert(key).second) watch.push_back(key);
  }
  if (watch.size() > 1) {
    cmds.push_back(std::move(watch));
    is_watch.push_back(true);
  }
  for (const auto& [key, cmd] : reads) {
    cmds.push_back(cmd);
    is_watch.push_back(false);
  }
  auto piped = conn_.Pipeline(cmds);
  if (!piped) return Err(MetaError(piped.error()));
  auto& replies = *piped;
  if (replies.size() != cmds.size()) return Err(EIO, "redis: reply count mismatch");
  std::vector<Reply> out;
  for (size_t i = 0; i < cmds.size(); ++i) {
    if (replies[i].IsError()) return Err(ReplyError(cmds[i], replies[i]));
    if (!is_watch[i]) out.push_back(std::move(replies[i]));
  }
  return out;
}

Result<Reply> Tx::Read(const std::string& key, Command read) {
  ASSIGN_OR_RETURN(auto r, ReadAll({{key, std::move(read)}}));
  return std::move(r[0]);
}

Status Tx::Preload(std::span<const Ino> inodes,
                   std::span<const std::pair<Ino, std::string_view>> entries) {
  std::vector<std::pair<std::string, Command>> reads;
  for (Ino ino : inodes) {
    std::string k = keys_.Inode(ino);
    reads.push_back({k, {"GET", k}});
  }
  for (const auto& [dir, name] : entries) {
    std::string k = keys_.Entries(dir);
    reads.push_back({k, {"HGET", k, std::string(name)}});
  }
  ASSIGN_OR_RETURN(auto got, ReadAll(reads));
  for (size_t i = 0; i < inodes.size(); ++i) {
    if (nodes_.count(inodes[i])) continue;
    if (got[i].IsNil()) {
      absent_.insert(inodes[i]);
      continue;
    }
    auto a = DecodeAttr(got[i].str);
    if (!a) return Status(EIO, "corrupt attr of inode " + std::to_string(inodes[i]));
    nodes_[inodes[i]] = {*a, *a};
  }
  for (size_t j = 0; j < entries.size(); ++j) {
    const Reply& r = got[inodes.size() + j];
    std::optional<std::pair<Ino, FileType>> e;
    if (!r.IsNil()) {
      auto d = DecodeEntry(r.str);
      if (!d) return Status(EIO, "corrupt entry '" + std::string(entries[j].second) + "'");
      e = std::pair{d->second, d->first};
    }
    entries_[{entries[j].first, std::string(entries[j].second)}] = e;
  }
  return Status();
}

Result<std::optional<Attr>> Tx::GetAttr(Ino ino) {
  if (auto it = nodes_.find(ino); it != nodes_.end()) return std::optional<Attr>(it->second.second);
  if (absent_.count(ino)) return std::optional<Attr>();
  std::string key = keys_.Inode(ino);
  ASSIGN_OR_RETURN(Reply r, Read(key, {"GET", key}));
  if (r.IsNil()) return std::optional<Attr>();
  auto a = DecodeAttr(r.str);
  if (!a) return Err(EIO, "corrupt attr of inode " + std::to_string(ino) + " (" + std::to_string(r.str.size()) + " bytes)");
  return a;
}

Result<Attr*> Tx::Node(Ino ino) {
  if (auto it = nodes_.find(ino); it != nodes_.end()) return &it->second.second;
  ASSIGN_OR_RETURN(auto a, GetAttr(ino));
  if (!a) return Err(ENOENT, "no inode " + std::to_string(ino));
  auto& slot = nodes_[ino];
  slot = {*a, *a};
  return &slot.second;
}

Result<std::optional<std::pair<Ino, FileType>>> Tx::GetEntry(Ino dir, std::string_view name) {
  if (auto it = entries_.find({dir, std::string(name)}); it != entries_.end()) return it->second;
  std::string key = keys_.Entries(dir);
  ASSIGN_OR_RETURN(Reply r, Read(key, {"HGET", key, std::string(name)}));
  using Out = std::optional<std::pair<Ino, FileType>>;
  if (r.IsNil()) return Out();
  auto e = DecodeEntry(r.str);
  if (!e) return Err(EIO, "corrupt entry '" + std::string(name) + "' of directory " + std::to_string(dir));
  return Out(std::pair{e->second, e->first});
}

size_t Tx::Queue(Command cmd) {
  touched_.insert(KeyOf(cmd));
  writes_.push_back(std::move(cmd));
  return writes_.size() - 1;
}

std::vector<Command> Tx::TakeWrites() {
  for (auto& [ino, pair] : nodes_) {
    std::string before = EncodeAttr(pair.first), after = EncodeAttr(pair.second);
    if (before != after) Queue({"SET", keys_.Inode(ino), after});
  }
  nodes_.clear();
  return std::move(writes_);
}

}  // namespace tierfs::meta::redis
