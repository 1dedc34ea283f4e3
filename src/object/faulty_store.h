// FaultyStore: an ObjectStore wrapper that injects failures, for tests of the layers above
// (leveldb's fault-injection Env, 3FS FaultInjection.h). A real product: a fault-injection
// mount can use it too.
//
// Before forwarding a request, the store consults, in order:
//   1. the interceptor (SetInterceptor): may block (to hold a request in flight) and/or return
//      an error, which is then the request's result;
//   2. the one-shot rule of FailNth: the n-th request counted from the FailNth call fails;
//   3. the rule of FailWhen: every request matching the predicate fails.
// A failed request does not reach the inner store.
//
// Ownership: owns `inner` (reachable through inner()). Thread-safety: all methods may be called
// concurrently; rules may be changed while requests run. The interceptor and predicate run
// without the store's lock held, concurrently with each other.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>

#include "object/object_store.h"

namespace tierfs::object {

enum class ObjectOp { kGet, kPut, kDelete, kHead, kList, kCreate };

struct ObjectRequest {
  ObjectOp op;
  std::string_view key;  // the key, or the prefix for List, "" for Create
};

class FaultyStore final : public ObjectStore {
 public:
  using Predicate = std::function<bool(const ObjectRequest&)>;
  using Interceptor = std::function<Status(const ObjectRequest&)>;

  explicit FaultyStore(std::unique_ptr<ObjectStore> inner) : inner_(std::move(inner)) {}

  ObjectStore* inner() const { return inner_.get(); }
  // Requests seen so far (including failed ones).
  uint64_t requests() const { return requests_.load(); }

  // REQUIRES: n >= 1. Fails the n-th request from now (1 = the next one) with `error`, once.
  void FailNth(uint64_t n, Status error);
  // Fails every request for which `pred` returns true with `error` until Clear().
  void FailWhen(Predicate pred, Status error);
  void SetInterceptor(Interceptor fn);
  // Removes every rule and the interceptor.
  void Clear();

  std::string Describe() const override { return "faulty+" + inner_->Describe(); }
  Result<std::string> Get(std::string_view key, uint64_t off = 0, int64_t limit = -1) override;
  Status Put(std::string_view key, std::string_view data) override;
  Status Delete(std::string_view key) override;
  Result<ObjectInfo> Head(std::string_view key) override;
  Result<std::vector<ObjectInfo>> List(std::string_view prefix, std::string_view marker = {},
                                       size_t limit = 0) override;
  Status Create() override;

 private:
  // The injected error for `req`, or OK to forward it.
  Status Check(const ObjectRequest& req);

  std::unique_ptr<ObjectStore> inner_;
  std::atomic<uint64_t> requests_{0};
  std::mutex mu_;
  uint64_t nth_ = 0;  // requests until the one-shot failure; 0 = none armed
  Status nth_error_;
  std::shared_ptr<const Predicate> pred_;
  Status pred_error_;
  std::shared_ptr<const Interceptor> interceptor_;
};

}  // namespace tierfs::object
