#include "object/faulty_store.h"

namespace tierfs::object {

void FaultyStore::FailNth(uint64_t n, Status error) {
  std::lock_guard lock(mu_);
  nth_ = n;
  nth_error_ = std::move(error);
}

void FaultyStore::FailWhen(Predicate pred, Status error) {
  std::lock_guard lock(mu_);
  pred_ = std::make_shared<const Predicate>(std::move(pred));
  pred_error_ = std::move(error);
}

void FaultyStore::SetInterceptor(Interceptor fn) {
  std::lock_guard lock(mu_);
  interceptor_ = fn ? std::make_shared<const Interceptor>(std::move(fn)) : nullptr;
}

void FaultyStore::Clear() {
  std::lock_guard lock(mu_);
  nth_ = 0;
  pred_.reset();
  interceptor_.reset();
}

Status FaultyStore::Check(const ObjectRequest& req) {
  requests_.fetch_add(1);
  std::shared_ptr<const Interceptor> interceptor;
  std::shared_ptr<const Predicate> pred;
  Status pred_error;
  {
    std::lock_guard lock(mu_);
    interceptor = interceptor_;
    pred = pred_;
    pred_error = pred_error_;
  }
  if (interceptor) {
    if (Status st = (*interceptor)(req); !st.ok()) return st;
  }
  {
    std::lock_guard lock(mu_);
    if (nth_ > 0 && --nth_ == 0) return nth_error_;
  }
  if (pred && (*pred)(req)) return pred_error;
  return Status::Ok();
}

Result<std::string> FaultyStore::Get(std::string_view key, uint64_t off, int64_t limit) {
  RETURN_IF_ERROR(Check({ObjectOp::kGet, key}));
  return inner_->Get(key, off, limit);
}

Status FaultyStore::Put(std::string_view key, std::string_view data) {
  RETURN_IF_ERROR(Check({ObjectOp::kPut, key}));
  return inner_->Put(key, data);
}

Status FaultyStore::Delete(std::string_view key) {
  RETURN_IF_ERROR(Check({ObjectOp::kDelete, key}));
  return inner_->Delete(key);
}

Result<ObjectInfo> FaultyStore::Head(std::string_view key) {
  RETURN_IF_ERROR(Check({ObjectOp::kHead, key}));
  return inner_->Head(key);
}

Result<std::vector<ObjectInfo>> FaultyStore::List(std::string_view prefix,
                                                  std::string_view marker, size_t limit) {
  RETURN_IF_ERROR(Check({ObjectOp::kList, prefix}));
  return inner_->List(prefix, marker, limit);
}

Status FaultyStore::Create() {
  RETURN_IF_ERROR(Check({ObjectOp::kCreate, {}}));
  return inner_->Create();
}

}  // namespace tierfs::object
