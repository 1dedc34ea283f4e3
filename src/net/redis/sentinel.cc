#include "net/redis/sentinel.h"

#include "util/log.h"

namespace tierfs::net::redis {

Result<Endpoint> ParseHostPort(const std::string& hp) {
  size_t colon = hp.rfind(':');
  if (colon == std::string::npos || colon + 1 == hp.size())
    return Err(EINVAL, "redis: address without a port: " + hp);
  Endpoint ep;
  ep.host = hp.substr(0, colon);
  if (ep.host.size() >= 2 && ep.host.front() == '[' && ep.host.back() == ']')
    ep.host = ep.host.substr(1, ep.host.size() - 2);
  try {
    ep.port = std::stoi(hp.substr(colon + 1));
  } catch (...) {
    return Err(EINVAL, "redis: bad port in " + hp);
  }
  return ep;
}

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
