#include "fuse/kernel_notifier.h"

namespace tierfs::fuse {

KernelNotifier::KernelNotifier(fuse_session* se, size_t max_queued)
    : se_(se), max_queued_(max_queued), thread_([this] { Loop(); }) {}

KernelNotifier::~KernelNotifier() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void KernelNotifier::Inode(meta::Ino ino) { Push(Item{ino, {}}); }

void KernelNotifier::Entry(meta::Ino parent, const std::string& name) {
  if (!name.empty()) Push(Item{parent, name});
}

void KernelNotifier::Push(Item it) {
  {
    std::lock_guard lk(mu_);
    if (stop_ || queue_.size() >= max_queued_) return;
    queue_.push_back(std::move(it));
  }
  cv_.notify_one();
}

void KernelNotifier::Loop() {
  std::unique_lock lk(mu_);
  for (;;) {
    cv_.wait(lk, [this] { return stop_ || !queue_.empty(); });
    if (stop_) return;
    Item it = std::move(queue_.front());
    queue_.pop_front();
    lk.unlock();
    // ENOENT (the kernel does not know the inode or entry) is the common, harmless answer.
    if (it.name.empty()) {
      // off 0, len 0: attributes and the whole page cache (for a directory: its listing).
      (void)fuse_lowlevel_notify_inval_inode(se_, it.ino, 0, 0);
    } else {
      (void)fuse_lowlevel_notify_inval_entry(se_, it.ino, it.name.data(), it.name.size());
    }
    lk.lock();
  }
}

}  // namespace tierfs::fuse
