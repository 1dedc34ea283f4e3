// tierfs objbench [ENDPOINT] --storage S --bucket B: checks that an object storage behaves as
// tierfs needs, then measures it (JuiceFS cmd/objbench.go does the same for `juicefs
// objbench`). Everything is written under __tierfs_objbench_<random>/ and deleted at the end.
#include <fmt/format.h>

#include <cstdlib>
#include <random>

#include "cli/commands.h"
#include "cli/objbench_report.h"
#include "object/object_store.h"
#include "object/store_bench.h"
#include "object/store_check.h"
#include "util/units.h"

namespace tierfs::cli {
namespace {

struct ObjbenchFlags {
  std::string endpoint;  // JuiceFS's positional ENDPOINT; --bucket says the same
  std::string bucket;
  std::string storage = "file";
  std::string access_key;
  std::string secret_key;
  std::string session_token;
  std::string block_size = "4M";           // a bare number is KiB, as in JuiceFS
  std::string big_object_size = "1G";      // a bare number is MiB
  std::string small_object_size = "128K";  // a bare number is KiB
  uint64_t small_objects = 100;
  uint64_t threads = 4;
  bool skip_functional_tests = false;
  bool json = false;
};

// The CLI is where tierfs reads its environment: JuiceFS objbench takes the keys from these.
std::string FlagOrEnv(const std::string& flag, const char* var) {
  if (!flag.empty()) return flag;
  const char* v = std::getenv(var);
  return v ? v : "";
}

std::string RandomPrefix() {
  std::mt19937_64 rng(std::random_device{}());
  return fmt::format("__tierfs_objbench_{:012x}/", rng() & 0xFFFFFFFFFFFFULL);
}

Result<object::BenchOptions> ParseOptions(const ObjbenchFlags& f) {
  object::BenchOptions o;
  auto size = [](const std::string& flag, const std::string& text,
                 uint64_t unit) -> Result<uint64_t> {
    auto v = ParseBytes(text, unit);
    if (!v) return Err(v.error().code(), flag + ": " + v.error().message());
    return v;
  };
  ASSIGN_OR_RETURN(o.block_size, size("--block-size", f.block_size, kKiB));
  ASSIGN_OR_RETURN(o.big_object_size, size("--big-object-size", f.big_object_size, kMiB));
  ASSIGN_OR_RETURN(o.small_object_size, size("--small-object-size", f.small_object_size, kKiB));
  o.small_objects = f.small_objects;
  o.threads = f.threads;
  RETURN_IF_ERROR(object::ValidateBenchOptions(o));
  return o;
}

int Run(const ObjbenchFlags& f) {
  const std::string cmd = "objbench";
  if (!f.endpoint.empty() && !f.bucket.empty() && f.endpoint != f.bucket)
    return Fail(cmd, "give the bucket once: ENDPOINT '" + f.endpoint + "' and --bucket '" +
                         f.bucket + "' differ");
  auto options = ParseOptions(f);
  if (!options) return Fail(cmd, options.error().message());
  object::StoreConfig sc;
  sc.storage = f.storage;
  sc.bucket = f.bucket.empty() ? f.endpoint : f.bucket;
  sc.access_key = FlagOrEnv(f.access_key, "ACCESS_KEY");
  sc.secret_key = FlagOrEnv(f.secret_key, "SECRET_KEY");
  sc.session_token = FlagOrEnv(f.session_token, "SESSION_TOKEN");
  if (sc.bucket.empty()) return Fail(cmd, "which bucket? give --bucket (or ENDPOINT)");
  auto raw = object::OpenObjectStore(sc);
  if (!raw) return Fail(cmd, raw.error().message());
  auto store = object::WithPrefix(std::move(*raw), RandomPrefix());
  const std::string where = store->Describe();

  ObjbenchReport report(f.json, where, *options);
  bool passed = true;
  if (f.skip_functional_tests) {
    // The bench alone still needs a usable bucket: say why not in one line.
    if (Status s = object::ProbeStore(*store); !s.ok())
      return Fail(cmd, "storage " + where + " is not usable: " + s.message());
  } else {
    report.BeginChecks();
    auto rows = object::RunFunctionalChecks(*store, {}, [&](const auto& r) { report.Check(r); });
    report.EndChecks();
    passed = object::AllPassed(rows);
    if (rows.front().outcome != object::CheckOutcome::kPass) {  // the probe: nothing to measure
      report.Finish(object::DeleteAll(*store), false);
      return Fail(cmd, "storage " + where + " is not usable: " + rows.front().error.message());
    }
  }
  report.BeginBench();
  auto bench = object::RunBenchmark(*store, *options, [&](const auto& r) { report.Bench(r); });
  report.EndBench();
  uint64_t bench_errors = 0;
  for (const auto& r : bench) bench_errors += r.errors;
  Status cleanup = object::DeleteAll(*store);
  report.Finish(cleanup, passed && bench_errors == 0 && cleanup.ok());
  if (!cleanup.ok())
    return Fail(cmd, "could not delete everything under " + where + ": " + cleanup.ToString());
  if (!passed)
    return Fail(cmd, "some functional checks of " + where + " failed (rows marked fail)");
  if (bench_errors > 0)
    return Fail(cmd, fmt::format("{} requests of the benchmark failed", bench_errors));
  return 0;
}

}  // namespace

void AddObjbench(CLI::App& app, int& rc) {
  static ObjbenchFlags f;
  CLI::App* c =
      app.add_subcommand("objbench", "Check an object storage and measure its throughput");
  c->add_option("ENDPOINT", f.endpoint, "the bucket (same as --bucket)");
  c->add_option("--bucket", f.bucket, "bucket: for file storage a directory");
  c->add_option("--storage", f.storage, "object storage type")->capture_default_str();
  c->add_option("--access-key", f.access_key, "access key (default: $ACCESS_KEY)");
  c->add_option("--secret-key", f.secret_key, "secret key (default: $SECRET_KEY)");
  c->add_option("--session-token", f.session_token, "session token (default: $SESSION_TOKEN)");
  c->add_option("--block-size", f.block_size, "size of each big-object block (bare number: KiB)")
      ->capture_default_str();
  c->add_option("--big-object-size", f.big_object_size,
                "size of the big object, written as blocks (bare number: MiB)")
      ->capture_default_str();
  c->add_option("--small-object-size", f.small_object_size,
                "size of each small object (bare number: KiB)")
      ->capture_default_str();
  c->add_option("--small-objects", f.small_objects, "number of small objects")
      ->capture_default_str();
  c->add_option("-p,--threads", f.threads, "concurrent requests")->capture_default_str();
  c->add_flag("--skip-functional-tests", f.skip_functional_tests,
              "only measure (after a short probe of the bucket)");
  c->add_flag("--json", f.json, "print one JSON document instead of the tables");
  c->callback([&rc] { rc = Run(f); });
}

}  // namespace tierfs::cli
