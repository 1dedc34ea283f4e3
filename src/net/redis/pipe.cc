#include "net/redis/pipe.h"

#include <random>

#include "util/log.h"

namespace tierfs::net::redis {

namespace {

void FailAll(std::deque<std::unique_ptr<Request>>& reqs, const Status& s) {
  for (auto& r : reqs) r->done(Err(s));
  reqs.clear();
}

void FailAll(std::vector<std::unique_ptr<Request>>& reqs, const Status& s) {
  for (auto& r : reqs) r->done(Err(s));
  reqs.clear();
}

// A backoff in [b/2, b]: pipes that lost the same server do not redial in lockstep.
std::chrono::milliseconds Jitter(int b) {
  thread_local std::minstd_rand rng(std::random_device{}());
  return std::chrono::milliseconds(b / 2 + int(rng() % (unsigned(b) / 2 + 1)));
}

}  // namespace

Pipe::Pipe(size_t index, const Options& opt, Resolver resolve, bool tracking,
           PipeCounters* counters, PipeEvents* events)
    : index_(index),
      opt_(opt),
      resolve_(std::move(resolve)),
      want_tracking_(tracking),
      counters_(counters),
      events_(events) {}

Pipe::~Pipe() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    if (conn_) conn_->Shutdown();
  }
  work_cv_.notify_all();
  space_cv_.notify_all();
  state_cv_.notify_all();
  if (reader_.joinable()) reader_.join();
  if (writer_.joinable()) writer_.join();
  Status gone(EIO, "redis client closed");
  FailAll(inflight_, gone);
  FailAll(queued_, gone);
}

Result<Pipe::Conns> Pipe::Dial() {
  ASSIGN_OR_RETURN(Endpoint ep, resolve_());
  ASSIGN_OR_RETURN(auto c, Conn::Open(ep, opt_, want_tracking_));
  return Conns(std::move(c));
}

Status Pipe::Start() {
  ASSIGN_OR_RETURN(Conns c, Dial());
  tracking_ = c->tracking();
  conn_ = std::move(c);
  gen_ = 1;
  writer_ = std::thread([this] { WriterLoop(); });
  reader_ = std::thread([this] { ReaderLoop(); });
  return Status();
}

void Pipe::Submit(std::vector<std::unique_ptr<Request>> reqs) {
  std::unique_lock lock(mu_);
  auto deadline = Clock::now() + std::chrono::milliseconds(opt_.write_timeout_ms);
  // A group larger than the whole bound still goes when nothing else is pending.
  auto full = [&] {
    size_t pending = queued_.size() + inflight_.size();
    return pending > 0 && pending + reqs.size() > opt_.max_queued;
  };
  while (!stop_ && conn_ && full()) {
    if (space_cv_.wait_until(lock, deadline) == std::cv_status::timeout && full()) {
      lock.unlock();
      FailAll(reqs, Status(EAGAIN, "redis send queue full for " +
                                       std::to_string(opt_.write_timeout_ms) + " ms"));
      return;
    }
  }
  if (stop_ || !conn_) {
    lock.unlock();
    FailAll(reqs, Status(EIO, stop_ ? "redis client closed" : "not connected to redis (reconnecting)"));
    return;
  }
  if (queued_.empty() && !writing_) {
    // The fast path: nobody else is writing, so this thread writes its requests now.
    std::deque<std::unique_ptr<Request>> batch(std::make_move_iterator(reqs.begin()),
                                               std::make_move_iterator(reqs.end()));
    counters_->direct_batches++;
    WriteBatch(lock, batch);
    return;
  }
  bool wake = queued_.empty();
  for (auto& r : reqs) queued_.push_back(std::move(r));
  lock.unlock();
  if (wake) work_cv_.notify_one();
}

void Pipe::WriteBatch(std::unique_lock<std::mutex>& lock, std::deque<std::unique_ptr<Request>>& batch) {
  writing_ = true;
  Conns c = conn_;
  uint64_t gen = gen_;
  auto deadline = Clock::now() + std::chrono::milliseconds(opt_.read_timeout_ms);
  std::string wire;
  uint64_t commands = 0;
  // Move to in-flight before writing: a reply may arrive before Write() returns.
  for (auto& r : batch) {
    // The request's bytes are moved, not copied, when it is the first (often the only) one:
    // nothing reads them after the write.
    if (wire.empty()) wire = std::move(r->wire); else wire += r->wire;
    commands += r->n;
    r->deadline = deadline;
    inflight_.push_back(std::move(r));
  }
  batch.clear();
  lock.unlock();
  counters_->commands += commands;
  uint64_t syscalls = 0;
  Status s = c->stream().Write(wire, opt_.write_timeout_ms, &syscalls);
  counters_->writes += syscalls;
  lock.lock();
  writing_ = false;
  bool more = !queued_.empty();
  lock.unlock();
  if (!s.ok()) Fail(gen, Status(EIO, "writing to redis at " + c->endpoint().ToString() + ": " + s.message()));
  if (more) work_cv_.notify_one();  // queued while this write was under way
}

bool Pipe::WaitConnected(int timeout_ms) {
  std::unique_lock lock(mu_);
  state_cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return stop_ || conn_; });
  return !stop_ && conn_;
}

void Pipe::WriterLoop() {
  for (;;) {
    std::unique_lock lock(mu_);
    work_cv_.wait(lock, [&] { return stop_ || (conn_ && !queued_.empty() && !writing_); });
    if (stop_) return;
    std::deque<std::unique_ptr<Request>> batch;
    batch.swap(queued_);  // everything queued since the last write goes in this one
    WriteBatch(lock, batch);
  }
}

void Pipe::ReaderLoop() {
  for (;;) {
    Conns c;
    uint64_t gen;
    {
      std::lock_guard lock(mu_);
      if (stop_) return;
      c = conn_;
      gen = gen_;
    }
    if (!c) {
      Reconnect();
      continue;
    }
    Status s = ReadUntilError(c, gen);
    Fail(gen, s);
  }
}

Status Pipe::ReadUntilError(const Conns& c, uint64_t gen) {
  std::vector<Reply> got;
  const std::string where = "redis at " + c->endpoint().ToString();
  for (;;) {
    Clock::time_point deadline;
    {
      std::lock_guard lock(mu_);
      if (stop_ || gen != gen_) return Status(EIO, "redis connection closed");
      // Idle: any request written later has a later deadline than this wait's end.
      deadline = inflight_.empty() ? Clock::now() + std::chrono::milliseconds(opt_.read_timeout_ms)
                                   : inflight_.front()->deadline;
    }
    got.clear();
    Status s = c->Next(deadline, &got);
    if (s.code() == ETIMEDOUT) {
      std::lock_guard lock(mu_);
      if (!inflight_.empty() && inflight_.front()->deadline <= Clock::now())
        return Status(ETIMEDOUT, "no reply from " + where + " within " +
                                     std::to_string(opt_.read_timeout_ms) + " ms");
      continue;
    }
    if (!s.ok()) return Status(EIO, where + ": " + s.message());
    RETURN_IF_ERROR(Dispatch(got));
  }
}

const Reply* Moved(const std::vector<Reply>& replies) {
  for (const Reply& r : replies) {
    if (r.IsError() && r.str.starts_with("MOVED ")) return &r;
  }
  return nullptr;
}

Status Pipe::Dispatch(std::vector<Reply>& got) {
  size_t i = 0;
  std::string moved;
  while (i < got.size()) {
    if (got[i].is_push) {
      events_->OnPush(index_, got[i++]);
      continue;
    }
    std::vector<std::unique_ptr<Request>> done;
    bool desync = false;
    {
      std::lock_guard lock(mu_);
      for (; i < got.size() && !got[i].is_push; i++) {
        if (inflight_.empty()) {
          desync = true;
          break;
        }
        Request& r = *inflight_.front();
        r.replies.push_back(std::move(got[i]));
        if (r.replies.size() == r.n) {
          done.push_back(std::move(inflight_.front()));
          inflight_.pop_front();
        }
      }
    }
    if (!done.empty()) space_cv_.notify_all();
    for (auto& r : done) {
      if (const Reply* m = Moved(r->replies)) {
        // Not run: the slot is served elsewhere now. The caller may send it again, and this
        // connection goes, so the next dial asks the cluster for the slot's master.
        moved = m->str;
        r->done(Err(EAGAIN, "redis: the cluster redirected the command (" + m->str + ")"));
      } else {
        r->done(std::move(r->replies));
      }
    }
    if (desync) return Status(EIO, "protocol desync: redis sent a reply nobody asked for");
  }
  if (!moved.empty()) return Status(EIO, "the cluster moved the slot: " + moved);
  return Status();
}


void Pipe::Fail(uint64_t gen, const Status& inflight_err) {
  std::deque<std::unique_ptr<Request>> inflight, queued;
  {
    std::lock_guard lock(mu_);
    if (gen != gen_ || !conn_) return;
    conn_->Shutdown();
    conn_.reset();
    gen_++;
    tracking_ = false;
    inflight.swap(inflight_);
    queued.swap(queued_);
  }
  if (!stop_) TIERFS_LOG_WARN("redis connection {} lost: {}", index_, inflight_err.message());
  space_cv_.notify_all();
  events_->OnReset(index_);
  FailAll(inflight, inflight_err);
  FailAll(queued, Status(EIO, "redis connection lost before the request was sent: " +
                                  inflight_err.message()));
}

void Pipe::Reconnect() {
  int backoff = std::max(1, opt_.min_retry_backoff_ms);
  for (;;) {
    auto c = Dial();
    std::unique_lock lock(mu_);
    if (stop_) return;
    if (c) {
      conn_ = std::move(*c);
      gen_++;
      tracking_ = conn_->tracking();
      counters_->reconnects++;
      lock.unlock();
      TIERFS_LOG_INFO("redis connection {} re-established", index_);
      events_->OnReset(index_);
      state_cv_.notify_all();
      work_cv_.notify_all();
      return;
    }
    TIERFS_LOG_DEBUG("redis connection {}: redial failed: {}", index_, c.error().message());
    state_cv_.wait_for(lock, Jitter(backoff), [&] { return stop_; });
    backoff = std::min(backoff * 2, std::max(backoff, opt_.max_retry_backoff_ms));
  }
}

}  // namespace tierfs::net::redis
