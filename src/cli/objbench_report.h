// What `tierfs objbench` prints: tables on stdout, a row as soon as it is measured, or (with
// --json) one JSON document at the end, for bench scripts. Layout: docs/commands.md
// "tierfs objbench". Thread-safety: one thread.
#pragma once

#include <string>
#include <vector>

#include "object/store_bench.h"
#include "object/store_check.h"

namespace tierfs::cli {

class ObjbenchReport {
 public:
  // `storage`: Describe() of the store under test (the objbench prefix included).
  ObjbenchReport(bool json, std::string storage, const object::BenchOptions& options);

  void BeginChecks();
  void Check(const object::CheckResult& row);
  void EndChecks();
  void BeginBench();
  void Bench(const object::BenchRow& row);
  void EndBench();
  // Prints the JSON document (with --json); `cleanup` is DeleteAll's result, `passed` the
  // verdict the exit code reflects.
  void Finish(const Status& cleanup, bool passed);

 private:
  bool json_;
  std::string storage_;
  object::BenchOptions options_;
  std::vector<object::CheckResult> checks_;
  std::vector<object::BenchRow> bench_;
};

}  // namespace tierfs::cli
