// Tx: one optimistic transaction on the JuiceFS Redis schema, as JuiceFS redisMeta.txn runs
// them (go-redis Tx): every key the transaction reads is WATCHed before it is read (the WATCH
// and the read go in one round trip), the writes are queued and sent as one MULTI..EXEC at the
// end; EXEC answers nil when any watched key changed, and the whole transaction is run again.
// Works with JuiceFS clients on the same volume: they WATCH the same keys.
//
// Thread-safety: a Tx belongs to the thread running the transaction.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "meta/redis/schema.h"
#include "net/redis/client.h"
#include "util/status.h"

namespace tierfs::meta::redis {

using net::redis::Command;
using net::redis::Reply;

class Tx {
 public:
  Tx(net::redis::Dedicated& conn, const Keys& keys) : conn_(conn), keys_(keys) {}

  const Keys& keys() const { return keys_; }

  // WATCHes `key` (once per transaction) and runs `read` in the same round trip. EIO on a
  // transport failure; a server error reply is EIO too (naming the command).
  Result<Reply> Read(const std::string& key, Command read);
  // Several reads, each with the key it WATCHes, in one round trip.
  Result<std::vector<Reply>> ReadAll(const std::vector<std::pair<std::string, Command>>& reads);

  // The inode's attr (watched), nullopt when absent; EIO when the stored value is corrupt.
  Result<std::optional<Attr>> GetAttr(Ino ino);
  // As GetAttr, ENOENT when absent. The returned pointer stays valid for the transaction and
  // changes to it are written back by Commit (one SET per changed inode).
  Result<Attr*> Node(Ino ino);
  // Forgets a Node (the caller deletes or rewrites the inode itself).
  void DropNode(Ino ino) { nodes_.erase(ino); }
  // (inode, type) of entry `name` of `dir` (the d{dir} hash is watched), or nullopt.
  Result<std::optional<std::pair<Ino, FileType>>> GetEntry(Ino dir, std::string_view name);

  // Reads (and watches) these inodes' attrs and these entries in one round trip, so that the
  // Node / GetEntry calls that follow need none. Absent ones are remembered as absent.
  Status Preload(std::span<const Ino> inodes,
                 std::span<const std::pair<Ino, std::string_view>> entries);

  // Queues a write for the MULTI block; returns its index in the EXEC reply. `key` is the key
  // it changes (dropped from the client-side cache when the transaction commits).
  size_t Queue(Command cmd);

  // The queued writes with the changed Nodes' SETs appended; the keys they change.
  std::vector<Command> TakeWrites();
  const std::set<std::string>& touched() const { return touched_; }

 private:
  Status Watch(const std::string& key);

  net::redis::Dedicated& conn_;
  const Keys& keys_;
  std::set<std::string> watched_;
  std::map<Ino, std::pair<Attr, Attr>> nodes_;  // ino -> (as read, current)
  std::set<Ino> absent_;                         // preloaded inodes that do not exist
  std::map<std::pair<Ino, std::string>, std::optional<std::pair<Ino, FileType>>> entries_;
  std::vector<Command> writes_;
  std::set<std::string> touched_;
};

// Transport failures of the client (ETIMEDOUT, EAGAIN, EPROTO, connection errors) as EIO with
// the cause in the message; other statuses unchanged.
Status MetaError(const Status& s);

// The key a command changes: its first argument for the commands the engine writes.
std::string KeyOf(const Command& cmd);

}  // namespace tierfs::meta::redis
