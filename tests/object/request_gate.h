// RequestGate: a FaultyStore interceptor that holds every request of one kind in flight until
// Open(), counting those held and the most ever held at once. Tests use it to measure a
// concurrency bound, or to keep a request in flight while they look, without sleeping.
//   RequestGate gate(ObjectOp::kPut);
//   faulty->SetInterceptor([&](const ObjectRequest& r) { return gate.Pass(r); });
// Thread-safety: all methods may be called concurrently.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <mutex>

#include "object/faulty_store.h"

namespace tierfs::object {

class RequestGate {
 public:
  explicit RequestGate(ObjectOp op) : op_(op) {}
  // The interceptor: requests of other kinds pass at once; never fails one.
  Status Pass(const ObjectRequest& r) {
    if (r.op != op_) return Status::Ok();
    std::unique_lock lock(mu_);
    max_waiting_ = std::max(max_waiting_, ++waiting_);
    cv_.notify_all();
    cv_.wait(lock, [&] { return open_; });
    --waiting_;
    return Status::Ok();
  }
  // Returns once at least n requests are held.
  void WaitForWaiting(int n) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return waiting_ >= n; });
  }
  // Lets every held request and every later one through.
  void Open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  int max_waiting() {
    std::lock_guard lock(mu_);
    return max_waiting_;
  }

 private:
  const ObjectOp op_;
  std::mutex mu_;
  std::condition_variable cv_;
  int waiting_ = 0;
  int max_waiting_ = 0;
  bool open_ = false;
};

}  // namespace tierfs::object
