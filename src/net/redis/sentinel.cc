#include "net/redis/sentinel.h"

#include "net/redis/cluster.h"
#include "util/log.h"

namespace tierfs::net::redis {

namespace {

// One sentinel's answer: the master's address, or why not.
Result<Endpoint> AskSentinel(const std::string& sentinel, const Options& opt) {
  ASSIGN_OR_RETURN(Endpoint ep, ParseHostPort(sentinel));
  Options so = opt;
  so.user.clear();
  so.password = opt.sentinel_password;
  so.db = 0;
  ASSIGN_OR_RETURN(auto conn, Conn::Open(ep, so, false));
  Command ask[] = {{"SENTINEL", "get-master-addr-by-name", opt.master_name}};
  ASSIGN_OR_RETURN(auto r, conn->RoundTrip(ask, opt.dial_timeout_ms));
  const Reply& a = r[0];
  if (a.IsError()) return Err(EIO, "sentinel " + sentinel + ": " + a.str);
  if (a.elems.size() != 2)
    return Err(EIO, "sentinel " + sentinel + " does not know master " + opt.master_name);
  return ParseHostPort(a.elems[0].str + ":" + a.elems[1].str);
}

}  // namespace

Resolver MakeResolver(const Options& opt) {
  if (opt.cluster) return MakeClusterResolver(opt);
  if (opt.master_name.empty()) {
    Endpoint ep{opt.host, opt.port, opt.unix_path};
    return [ep]() -> Result<Endpoint> { return ep; };
  }
  return [opt]() -> Result<Endpoint> {
    std::string why;
    for (const std::string& s : opt.sentinels) {
      auto ep = AskSentinel(s, opt);
      if (ep) return ep;
      why += (why.empty() ? "" : "; ") + ep.error().message();
    }
    return Err(EIO, "no sentinel gave the address of master " + opt.master_name + ": " + why);
  };
}

}  // namespace tierfs::net::redis
