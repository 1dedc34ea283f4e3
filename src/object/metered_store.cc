#include "object/metered_store.h"

#include <chrono>

#include "object/metrics_bridge.h"

namespace tierfs::object {
namespace {

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

template <class T>
Status StatusOf(const Result<T>& r) {
  return r.has_value() ? Status::Ok() : r.error();
}

}  // namespace

MeteredStore::MeteredStore(std::unique_ptr<ObjectStore> inner, metrics::Registry* registry)
    : inner_(std::move(inner)) {
  static constexpr const char* kNames[kNumMethods] = {"GET",  "PUT",  "DELETE",
                                                      "HEAD", "LIST", "CREATE"};
  for (int m = 0; m < kNumMethods; ++m) {
    metrics::Labels labels = {{"method", kNames[m]}};
    handles_[m].duration = mbridge::GetHistogram(
        registry, "tierfs_object_request_durations_histogram_seconds",
        "Object storage requests latency distributions.", metrics::LatencyBuckets(), labels);
    handles_[m].bytes = mbridge::GetCounter(registry, "tierfs_object_request_data_bytes",
                                            "Object requests size in bytes.", labels);
  }
  errors_ = mbridge::GetCounter(registry, "tierfs_object_request_errors",
                                "failed requests to object store");
  uploading_ = mbridge::GetGauge(registry, "tierfs_object_request_uploading",
                                 "number of uploading requests");
}

void MeteredStore::Record(Method m, int64_t start_ns, const Status& st, uint64_t bytes) {
  mbridge::Observe(handles_[m].duration, static_cast<double>(NowNs() - start_ns) / 1e9);
  if (!st.ok() && st.code() != ENOENT) mbridge::Inc(errors_);
  if (st.ok() && bytes > 0) mbridge::Inc(handles_[m].bytes, bytes);
}

Result<std::string> MeteredStore::Get(std::string_view key, uint64_t off, int64_t limit) {
  int64_t t = NowNs();
  auto r = inner_->Get(key, off, limit);
  Record(kGet, t, StatusOf(r), r.has_value() ? r->size() : 0);
  return r;
}

Status MeteredStore::Put(std::string_view key, std::string_view data) {
  int64_t t = NowNs();
  mbridge::Add(uploading_, 1);
  Status st = inner_->Put(key, data);
  mbridge::Add(uploading_, -1);
  Record(kPut, t, st, data.size());
  return st;
}

Status MeteredStore::Delete(std::string_view key) {
  int64_t t = NowNs();
  Status st = inner_->Delete(key);
  Record(kDelete, t, st, 0);
  return st;
}

Result<ObjectInfo> MeteredStore::Head(std::string_view key) {
  int64_t t = NowNs();
  auto r = inner_->Head(key);
  Record(kHead, t, StatusOf(r), 0);
  return r;
}

Result<std::vector<ObjectInfo>> MeteredStore::List(std::string_view prefix,
                                                   std::string_view marker, size_t limit) {
  int64_t t = NowNs();
  auto r = inner_->List(prefix, marker, limit);
  Record(kList, t, StatusOf(r), 0);
  return r;
}

Status MeteredStore::Create() {
  int64_t t = NowNs();
  Status st = inner_->Create();
  Record(kCreate, t, st, 0);
  return st;
}

}  // namespace tierfs::object
