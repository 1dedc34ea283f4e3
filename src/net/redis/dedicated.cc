#include "net/redis/dedicated.h"

#include "net/redis/pipe.h"

#include <strings.h>

namespace tierfs::net::redis {

namespace {

bool NameIs(const Command& c, const char* name) {
  return !c.empty() && strcasecmp(c[0].c_str(), name) == 0;
}

class DedicatedImpl : public Dedicated {
 public:
  DedicatedImpl(std::shared_ptr<DedicatedPool> pool, std::unique_ptr<Conn> c, int timeout_ms)
      : pool_(std::move(pool)), conn_(std::move(c)), timeout_ms_(timeout_ms) {}

  ~DedicatedImpl() override {
    if (conn_ && !Reset()) conn_.reset();
    pool_->Return(std::move(conn_));
  }

  Result<Reply> Do(const Command& cmd) override {
    ASSIGN_OR_RETURN(auto r, Pipeline(std::span<const Command>(&cmd, 1)));
    return std::move(r[0]);
  }

  Result<std::vector<Reply>> Pipeline(std::span<const Command> cmds) override {
    if (!conn_) return Err(EIO, "dedicated redis connection is broken");
    if (cmds.empty()) return std::vector<Reply>();
    for (const Command& c : cmds) Track(c);
    auto r = conn_->RoundTrip(cmds, timeout_ms_);
    // After a failure the stream may hold half a reply: the connection cannot be reused.
    if (!r) {
      conn_.reset();
      if (r.error().code() != ETIMEDOUT) return Err(EIO, r.error().message());
    }
    if (const Reply* m = r ? Moved(*r) : nullptr) {
      // Redis Cluster moved the slot: drop the connection; the next lease dials the new master.
      std::string what = m->str;
      conn_.reset();
      redirected_ = true;
      return Err(EAGAIN, "redis: the cluster redirected the command (" + what + ")");
    }
    return r;
  }

  bool redirected() const override { return redirected_; }

 private:
  // Follows MULTI state so the connection goes back clean.
  void Track(const Command& c) {
    if (NameIs(c, "MULTI")) in_multi_ = true;
    if (NameIs(c, "WATCH")) watching_ = true;
    if (NameIs(c, "EXEC") || NameIs(c, "DISCARD") || NameIs(c, "UNWATCH")) in_multi_ = watching_ = false;
  }
  // DISCARD (which also unwatches) or UNWATCH when needed (EXEC already dropped the watches);
  // false when the connection is not reusable.
  bool Reset() {
    if (!in_multi_ && !watching_) return true;
    Command c = {in_multi_ ? "DISCARD" : "UNWATCH"};
    auto r = conn_->RoundTrip(std::span<const Command>(&c, 1), timeout_ms_);
    return r && !(*r)[0].IsError();
  }

  std::shared_ptr<DedicatedPool> pool_;
  std::unique_ptr<Conn> conn_;
  int timeout_ms_;
  bool in_multi_ = false;
  bool watching_ = false;
  bool redirected_ = false;
};

}  // namespace

Result<std::unique_ptr<Dedicated>> DedicatedPool::Lease() {
  std::unique_ptr<Conn> c;
  {
    std::unique_lock lock(mu_);
    auto room = [&] { return !idle_.empty() || open_ < opt_.dedicated_pool; };
    if (!cv_.wait_for(lock, std::chrono::milliseconds(opt_.write_timeout_ms), room))
      return Err(EAGAIN, "all " + std::to_string(opt_.dedicated_pool) +
                             " dedicated redis connections stayed leased");
    if (!idle_.empty()) {
      c = std::move(idle_.back());
      idle_.pop_back();
    } else {
      open_++;  // reserve the slot; dial unlocked
    }
  }
  if (!c) {
    auto ep = resolve_();
    auto opened = ep ? Conn::Open(*ep, opt_, false) : Err(ep.error());
    if (!opened) {
      Return(nullptr);
      return Err(opened.error());
    }
    c = std::move(*opened);
  }
  return std::unique_ptr<Dedicated>(
      std::make_unique<DedicatedImpl>(shared_from_this(), std::move(c), opt_.read_timeout_ms));
}

void DedicatedPool::Return(std::unique_ptr<Conn> c) {
  {
    std::lock_guard lock(mu_);
    if (c)
      idle_.push_back(std::move(c));
    else
      open_--;
  }
  cv_.notify_one();
}

}  // namespace tierfs::net::redis
