#include "fuse/kernel_notifier.h"

#include <array>
#include <cerrno>

namespace tierfs::fuse {
namespace {

// Delay before repeat n (µs): ~31 ms in all, longer than a LOOKUP reply takes to be installed on
// a loaded machine.
constexpr std::array<int, 6> kRepeatDelaysUs = {200, 800, 2000, 4000, 8000, 16000};

}  // namespace

KernelNotifier::KernelNotifier(fuse_session* se, size_t max_queued)
    : se_(se), max_repeats_queued_(max_queued), pool_(1, max_queued),
      repeater_([this] { RepeatLoop(); }) {}

KernelNotifier::~KernelNotifier() {
  pool_.Stop();
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  repeater_.join();
}

void KernelNotifier::Inode(meta::Ino ino) {
  (void)pool_.TrySubmit([this, ino] { SendOrRepeat(Pending{ino, {}, 0, {}}); });
}

void KernelNotifier::Entry(meta::Ino parent, const std::string& name) {
  if (name.empty()) return;
  (void)pool_.TrySubmit([this, parent, name] { SendOrRepeat(Pending{parent, name, 0, {}}); });
}

uint64_t KernelNotifier::repeats() const {
  std::lock_guard lk(mu_);
  return repeated_;
}

bool KernelNotifier::Send(const Pending& p) {
  int rc = p.name.empty()
               // off -1: the attributes only. The page cache is not dropped here: the push
               // for a change may be one of our own writes, arriving after the kernel cached
               // the bytes just written or read. Another client's write changes mtime, which
               // the kernel compares when it re-reads the attributes at the next read
               // (FUSE_CAP_AUTO_INVAL_DATA) and PageCachePolicy compares at the next open.
               ? fuse_lowlevel_notify_inval_inode(se_, p.ino, -1, 0)
               : fuse_lowlevel_notify_inval_entry(se_, p.ino, p.name.data(), p.name.size());
  return rc == -ENOENT;
}

void KernelNotifier::SendOrRepeat(Pending p) {
  if (!Send(p) || p.attempt >= int(kRepeatDelaysUs.size())) return;
  p.due = Clock::now() + std::chrono::microseconds(kRepeatDelaysUs[p.attempt]);
  std::lock_guard lk(mu_);
  if (stopping_ || repeats_.size() >= max_repeats_queued_) return;
  // Keep the queue ordered by due time: a later attempt (longer delay) goes behind.
  auto it = repeats_.end();
  while (it != repeats_.begin() && std::prev(it)->due > p.due) --it;
  repeats_.insert(it, std::move(p));
  cv_.notify_one();
}

void KernelNotifier::RepeatLoop() {
  std::unique_lock lk(mu_);
  while (!stopping_) {
    if (repeats_.empty()) {
      cv_.wait(lk);
      continue;
    }
    if (Clock::now() < repeats_.front().due) {
      cv_.wait_until(lk, repeats_.front().due);
      continue;
    }
    Pending p = std::move(repeats_.front());
    repeats_.pop_front();
    ++repeated_;
    ++p.attempt;
    lk.unlock();
    SendOrRepeat(std::move(p));
    lk.lock();
  }
}

}  // namespace tierfs::fuse
