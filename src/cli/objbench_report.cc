#include "cli/objbench_report.h"

#include <fmt/format.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "util/units.h"

namespace tierfs::cli {
namespace {

// The message names the failed step and keeps the backend's errno name and text after it.
std::string ErrorText(const Status& s) { return s.message(); }
std::string ErrnoText(const Status& s) { return s.ok() ? "" : ErrnoName(s.code()); }

// A table line without the padding of an empty last column.
void PrintLine(std::string line) {
  while (!line.empty() && line.back() == ' ') line.pop_back();
  std::printf("%s\n", line.c_str());
}

}  // namespace

ObjbenchReport::ObjbenchReport(bool json, std::string storage, const object::BenchOptions& options)
    : json_(json), storage_(std::move(storage)), options_(options) {}

void ObjbenchReport::BeginChecks() {
  if (json_) return;
  fmt::print("Functional checks of {}\n", storage_);
  PrintLine(fmt::format("{:<8}  {:<30}  {:<13}  {}", "CATEGORY", "TEST", "RESULT", "ERROR"));
  std::fflush(stdout);
}

void ObjbenchReport::Check(const object::CheckResult& row) {
  checks_.push_back(row);
  if (json_) return;
  PrintLine(fmt::format("{:<8}  {:<30}  {:<13}  {}", row.category, row.name,
                        object::OutcomeName(row.outcome), ErrorText(row.error)));
  std::fflush(stdout);
}

void ObjbenchReport::EndChecks() {
  if (json_) return;
  size_t counts[4] = {};
  for (const auto& r : checks_) ++counts[static_cast<int>(r.outcome)];
  using O = object::CheckOutcome;
  fmt::print("{} checks: {} passed, {} failed, {} not supported, {} skipped\n\n", checks_.size(),
             counts[int(O::kPass)], counts[int(O::kFail)], counts[int(O::kNotSupported)],
             counts[int(O::kSkipped)]);
}

void ObjbenchReport::BeginBench() {
  if (json_) return;
  fmt::print(
      "Throughput of {}\n{} threads; big object {} in {} blocks of {}; {} small objects "
      "of {}\n{:<20}  {:>8}  {:>10}  {:>9}  {:>10}  {:>9}  {:>6}\n",
      storage_, options_.threads, FormatBytes(options_.big_object_size),
      object::BigObjectBlocks(options_), FormatBytes(options_.block_size), options_.small_objects,
      FormatBytes(options_.small_object_size), "ITEM", "REQUESTS", "REQUESTS/S", "MiB/S",
      "MEDIAN ms", "P99 ms", "ERRORS");
  std::fflush(stdout);
}

void ObjbenchReport::Bench(const object::BenchRow& row) {
  bench_.push_back(row);
  if (json_) return;
  std::string mib = row.op == "put" || row.op == "get" ? fmt::format("{:.2f}", row.MiBPerSecond())
                                                       : std::string("-");
  fmt::print("{:<20}  {:>8}  {:>10.1f}  {:>9}  {:>10.2f}  {:>9.2f}  {:>6}\n", row.item,
             row.requests, row.RequestsPerSecond(), mib, row.median_ms, row.p99_ms, row.errors);
  std::fflush(stdout);
}

void ObjbenchReport::EndBench() {
  if (json_) return;
  for (const auto& r : bench_) {
    if (r.op == "list" && r.requests > 0)
      fmt::print("list: {} objects per request\n", r.listed / r.requests);
  }
  for (const auto& r : bench_) {
    if (r.errors > 0)
      fmt::print("{}: {} errors, the first: {}\n", r.item, r.errors, ErrorText(r.first_error));
  }
}

void ObjbenchReport::Finish(const Status& cleanup, bool passed) {
  if (!json_) return;
  nlohmann::ordered_json out;
  out["storage"] = storage_;
  out["settings"] = {{"block_size", options_.block_size},
                     {"big_object_size", options_.big_object_size},
                     {"big_objects", object::BigObjectBlocks(options_)},
                     {"small_object_size", options_.small_object_size},
                     {"small_objects", options_.small_objects},
                     {"threads", options_.threads}};
  out["functional"] = nlohmann::ordered_json::array();
  for (const auto& r : checks_) {
    out["functional"].push_back({{"category", r.category},
                                 {"test", r.name},
                                 {"result", object::OutcomeName(r.outcome)},
                                 {"errno", ErrnoText(r.error)},
                                 {"error", ErrorText(r.error)}});
  }
  out["performance"] = nlohmann::ordered_json::array();
  for (const auto& r : bench_) {
    out["performance"].push_back({{"item", r.item},
                                  {"op", r.op},
                                  {"requests", r.requests},
                                  {"bytes", r.bytes},
                                  {"listed", r.listed},
                                  {"errors", r.errors},
                                  {"seconds", r.seconds},
                                  {"requests_per_second", r.RequestsPerSecond()},
                                  {"mib_per_second", r.MiBPerSecond()},
                                  {"median_ms", r.median_ms},
                                  {"p99_ms", r.p99_ms},
                                  {"first_errno", ErrnoText(r.first_error)},
                                  {"first_error", ErrorText(r.first_error)}});
  }
  out["cleanup"] = cleanup.ok() ? std::string("ok") : cleanup.message();
  out["passed"] = passed;
  // Error text may hold bytes of odd keys: replace invalid UTF-8 rather than throw.
  std::printf("%s\n", out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
}

}  // namespace tierfs::cli
