#include "net/redis/cluster.h"

#include <algorithm>
#include <memory>
#include <mutex>
#include <vector>

#include "net/redis/conn.h"

namespace tierfs::net::redis {

uint16_t KeySlot(std::string_view key) {
  if (size_t open = key.find('{'); open != std::string_view::npos) {
    size_t close = key.find('}', open + 1);
    if (close != std::string_view::npos && close > open + 1) key = key.substr(open + 1, close - open - 1);
  }
  uint16_t crc = 0;
  for (unsigned char c : key) {
    crc ^= uint16_t(c) << 8;
    for (int i = 0; i < 8; i++) crc = (crc & 0x8000) ? uint16_t((crc << 1) ^ 0x1021) : uint16_t(crc << 1);
  }
  return uint16_t(crc % kClusterSlots);
}

namespace {

// A connection to one node for a question, without SELECT (a cluster has database 0 only).
Result<std::unique_ptr<Conn>> OpenNode(const std::string& node, const Options& opt) {
  ASSIGN_OR_RETURN(Endpoint ep, ParseHostPort(node));
  Options o = opt;
  o.db = 0;
  return Conn::Open(ep, o, false);
}

// CLUSTER SLOTS: [[start, end, [host, port, id...] (master), replicas...], ...]. Returns the
// master of `slot`, and every node's address in `seen`.
Result<std::string> MasterOf(const Reply& slots, uint16_t slot, std::vector<std::string>* seen) {
  if (slots.IsError()) return Err(EIO, slots.str);
  std::string master;
  for (const Reply& range : slots.elems) {
    if (range.elems.size() < 3) continue;
    for (size_t i = 2; i < range.elems.size(); i++) {
      const Reply& n = range.elems[i];
      if (n.elems.size() < 2 || n.elems[0].str.empty()) continue;
      std::string hp = n.elems[0].str + ":" + std::to_string(n.elems[1].integer);
      seen->push_back(hp);
      if (i == 2 && range.elems[0].integer <= slot && slot <= range.elems[1].integer) master = hp;
    }
  }
  if (master.empty()) return Err(EIO, "no master serves slot " + std::to_string(slot));
  return master;
}

}  // namespace

Resolver MakeClusterResolver(const Options& opt) {
  struct Known {
    std::mutex mu;
    std::vector<std::string> nodes;  // seeds first, then nodes learned
  };
  auto known = std::make_shared<Known>();
  known->nodes = opt.cluster_nodes;
  const uint16_t slot = KeySlot(opt.cluster_key);
  return [opt, known, slot]() -> Result<Endpoint> {
    std::vector<std::string> nodes;
    {
      std::lock_guard lk(known->mu);
      nodes = known->nodes;
    }
    std::string why;
    for (const std::string& node : nodes) {
      auto conn = OpenNode(node, opt);
      Result<std::string> master = conn ? Result<std::string>(Err(EIO, "")) : Err(conn.error());
      if (conn) {
        Command ask[] = {{"CLUSTER", "SLOTS"}};
        auto r = (*conn)->RoundTrip(ask, opt.dial_timeout_ms);
        std::vector<std::string> seen;
        master = r ? MasterOf((*r)[0], slot, &seen) : Err(r.error());
        std::lock_guard lk(known->mu);
        for (auto& s : seen) {
          if (std::find(known->nodes.begin(), known->nodes.end(), s) == known->nodes.end())
            known->nodes.push_back(s);
        }
      }
      if (master) return ParseHostPort(*master);
      why += (why.empty() ? "" : "; ") + node + ": " + master.error().message();
    }
    return Err(EIO, "no Redis Cluster node named the master of slot " + std::to_string(slot) +
                        " (key " + opt.cluster_key + "): " + why);
  };
}

Result<bool> IsClusterNode(const Options& opt) {
  Options o = opt;
  o.db = 0;
  ASSIGN_OR_RETURN(auto conn, Conn::Open(Endpoint{opt.host, opt.port, opt.unix_path}, o, false));
  Command ask[] = {{"CLUSTER", "INFO"}};
  ASSIGN_OR_RETURN(auto r, conn->RoundTrip(ask, opt.dial_timeout_ms));
  return !r[0].IsError();
}

}  // namespace tierfs::net::redis
