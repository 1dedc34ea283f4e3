// Future<T>: a value that will be there later, completed once by the connection's reader thread
// (or by whoever fails the request). Copies share one state.
// Thread-safety: any thread may wait on or copy a Future; Get() may be called any number of
// times (it copies; Take() moves the value out and must be the last call).
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

namespace tierfs::net::redis {

template <class T>
class Future {
 public:
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    std::optional<T> value;
    std::vector<std::function<void(const T&)>> callbacks;

    // Completes the future; REQUIRES: called once.
    void Set(T v) {
      std::vector<std::function<void(const T&)>> cbs;
      {
        std::lock_guard lock(mu);
        value.emplace(std::move(v));
        cbs.swap(callbacks);
      }
      cv.notify_all();
      for (auto& cb : cbs) cb(*value);  // value is never written again: safe to read unlocked
    }
    const T& Wait() {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return value.has_value(); });
      return *value;
    }
  };

  Future() = default;
  explicit Future(std::shared_ptr<State> s) : s_(std::move(s)) {}
  // A future that is already complete.
  static Future Completed(T v) {
    auto s = std::make_shared<State>();
    s->value.emplace(std::move(v));
    return Future(std::move(s));
  }

  // Blocks until the value is there. REQUIRES: valid().
  T Get() { return s_->Wait(); }
  // Like Get() but moves the value out; REQUIRES: no later Get()/Take() on any copy.
  T Take() {
    s_->Wait();
    std::lock_guard lock(s_->mu);
    return std::move(*s_->value);
  }
  bool Ready() const {
    std::lock_guard lock(s_->mu);
    return s_->value.has_value();
  }
  bool valid() const { return s_ != nullptr; }
  // Runs `fn` with the value once it is there: at once on this thread when it already is, else
  // on the completing thread (the reader: keep it short, never block on the Client in it).
  void Then(std::function<void(const T&)> fn) {
    std::unique_lock lock(s_->mu);
    if (!s_->value) {
      s_->callbacks.push_back(std::move(fn));
      return;
    }
    lock.unlock();
    fn(*s_->value);
  }

 private:
  std::shared_ptr<State> s_;
};

}  // namespace tierfs::net::redis
