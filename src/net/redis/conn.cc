#include "net/redis/conn.h"

#include "util/log.h"

namespace tierfs::net::redis {

namespace {

int RemainingMs(Clock::time_point deadline) {
  if (deadline == Clock::time_point::max()) return -1;
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return ms < 0 ? 0 : int(ms);
}

// Redis sends "-ERR <message>" for a failed handshake step; quote the server, never our args.
std::string ServerSays(const Reply& r) { return r.IsError() ? r.str : "unexpected reply"; }

}  // namespace

bool IsAuthError(const Reply& r) {
  if (!r.IsError()) return false;
  if (r.ErrorIs("WRONGPASS") || r.ErrorIs("NOAUTH") || r.ErrorIs("NOPERM")) return true;
  return r.str.find("invalid password") != std::string::npos ||
         r.str.find("without any password configured") != std::string::npos;
}

Result<std::unique_ptr<Conn>> Conn::Open(const Endpoint& ep, const Options& opt, bool tracking) {
  ASSIGN_OR_RETURN(auto stream, Stream::Dial(ep, opt.tls, opt.dial_timeout_ms));
  std::unique_ptr<Conn> c(new Conn(ep, std::move(stream)));
  RETURN_IF_ERROR(c->Hello(opt));
  RETURN_IF_ERROR(c->Setup(opt, tracking));
  return c;
}

Status Conn::Hello(const Options& opt) {
  Command hello = {"HELLO", "3"};
  if (!opt.password.empty())
    hello.insert(hello.end(), {"AUTH", opt.user.empty() ? "default" : opt.user, opt.password});
  Command one[] = {hello};
  ASSIGN_OR_RETURN(auto r, RoundTrip(one, opt.dial_timeout_ms));
  if (!r[0].IsError()) return Status();
  if (IsAuthError(r[0]))
    return Status(EACCES, "redis at " + ep_.ToString() + " refused the login: " + r[0].str);
  // No RESP3 (Redis < 6 answers "unknown command", a proxy may answer NOPROTO): RESP2.
  resp_ = 2;
  if (opt.password.empty()) return Status();
  Command auth = {"AUTH"};
  if (!opt.user.empty()) auth.push_back(opt.user);
  auth.push_back(opt.password);
  Command two[] = {auth};
  ASSIGN_OR_RETURN(auto a, RoundTrip(two, opt.dial_timeout_ms));
  if (a[0].IsError())
    return Status(EACCES, "redis at " + ep_.ToString() + " refused AUTH: " + a[0].str);
  return Status();
}

Status Conn::Setup(const Options& opt, bool tracking) {
  std::vector<Command> cmds;
  if (opt.db != 0) cmds.push_back({"SELECT", std::to_string(opt.db)});
  bool want_tracking = tracking && resp_ == 3;
  if (tracking && resp_ != 3)
    TIERFS_LOG_WARN("redis at {} does not speak RESP3: client-side cache off", ep_.ToString());
  // Default mode (not OPTIN): every read on this connection is tracked, so a cached read needs
  // no CLIENT CACHING YES before it (one command fewer per miss; a create cost three). The
  // server also tracks the reads we do not cache (chunk lists, listings): their invalidations
  // are a few more push frames, which find nothing to drop.
  if (want_tracking) cmds.push_back({"CLIENT", "TRACKING", "ON"});
  if (cmds.empty()) return Status();
  ASSIGN_OR_RETURN(auto r, RoundTrip(cmds, opt.dial_timeout_ms));
  if (opt.db != 0 && r[0].IsError())
    return Status(EINVAL, "redis at " + ep_.ToString() + ": SELECT " + std::to_string(opt.db) +
                              ": " + ServerSays(r[0]));
  if (want_tracking) {
    tracking_ = !r.back().IsError();
    if (!tracking_)
      TIERFS_LOG_WARN("redis at {} refused CLIENT TRACKING ({}): client-side cache off",
                      ep_.ToString(), r.back().str);
  }
  return Status();
}

Status Conn::Next(Clock::time_point deadline, std::vector<Reply>* out) {
  char buf[64 << 10];
  size_t before = out->size();
  for (;;) {
    for (;;) {
      ASSIGN_OR_RETURN(auto r, parser_.Next());
      if (!r) break;
      out->push_back(std::move(*r));
    }
    if (out->size() > before) return Status();
    ASSIGN_OR_RETURN(size_t n, stream_->Read(buf, sizeof buf, RemainingMs(deadline)));
    parser_.Feed(std::string_view(buf, n));
  }
}

Result<std::vector<Reply>> Conn::RoundTrip(std::span<const Command> cmds, int timeout_ms) {
  std::string wire;
  for (const Command& c : cmds) EncodeCommand(c, &wire);
  uint64_t syscalls = 0;
  RETURN_IF_ERROR(stream_->Write(wire, timeout_ms, &syscalls));
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  std::vector<Reply> got, replies;
  while (replies.size() < cmds.size()) {
    got.clear();
    RETURN_IF_ERROR(Next(deadline, &got));
    for (Reply& r : got) {
      if (r.is_push) continue;
      if (replies.size() == cmds.size()) return Err(EPROTO, "redis sent more replies than asked for");
      replies.push_back(std::move(r));
    }
  }
  return replies;
}

}  // namespace tierfs::net::redis
