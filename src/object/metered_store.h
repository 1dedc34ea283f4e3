// MeteredStore: an ObjectStore wrapper that records, per request, in `registry` (JuiceFS's
// names with the tierfs_ prefix, from pkg/chunk/cached_store.go initMetrics/regMetrics):
//   tierfs_object_request_durations_histogram_seconds{method}  latency of every request, s
//                                    (metrics::LatencyBuckets(), 100 us .. ~105 s)
//   tierfs_object_request_data_bytes{method}  bytes returned by GET, handed to PUT
//   tierfs_object_request_errors              failed requests, any method (ENOENT is an
//                                             answer, not a failure: not counted)
//   tierfs_object_request_uploading           gauge: PUTs in flight in the inner store
// method is GET, PUT, DELETE, HEAD, LIST or CREATE (JuiceFS measures the first three only).
// JuiceFS's storage_class label is left out: tierfs has no storage classes. A null registry
// makes it a pass-through. At a mount it sits inside the retry and limit wrappers
// (cli/volume_store.h), so it counts attempts, and the time a request waited for a slot or
// for bandwidth is not in its latency, as in JuiceFS.
//
// Ownership: owns `inner`; `registry` is not owned and must outlive the store.
// Thread-safety: as the inner store (the metric handles are resolved once, at construction).
#pragma once

#include <array>
#include <memory>

#include "object/object_store.h"

namespace tierfs::metrics {
class Counter;
class Gauge;
class Histogram;
class Registry;
}  // namespace tierfs::metrics

namespace tierfs::object {

class MeteredStore final : public ObjectStore {
 public:
  MeteredStore(std::unique_ptr<ObjectStore> inner, metrics::Registry* registry);

  std::string Describe() const override { return inner_->Describe(); }
  Result<std::string> Get(std::string_view key, uint64_t off = 0, int64_t limit = -1) override;
  Status Put(std::string_view key, std::string_view data) override;
  Status Delete(std::string_view key) override;
  Result<ObjectInfo> Head(std::string_view key) override;
  Result<std::vector<ObjectInfo>> List(std::string_view prefix, std::string_view marker = {},
                                       size_t limit = 0) override;
  Status Create() override;

 private:
  enum Method { kGet, kPut, kDelete, kHead, kList, kCreate, kNumMethods };
  struct Handles {
    metrics::Histogram* duration = nullptr;
    metrics::Counter* bytes = nullptr;
  };
  // Records one finished request that started at `start_ns` (steady clock).
  void Record(Method m, int64_t start_ns, const Status& st, uint64_t bytes);

  std::unique_ptr<ObjectStore> inner_;
  std::array<Handles, kNumMethods> handles_{};
  metrics::Counter* errors_ = nullptr;
  metrics::Gauge* uploading_ = nullptr;
};

}  // namespace tierfs::object
