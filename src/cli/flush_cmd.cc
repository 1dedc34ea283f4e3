// tierfs flush MOUNTPOINT: uploads every staged (write-back) block of a running mount now,
// ignoring --upload-delay and --upload-hours, and returns once none is left (with a progress
// line on a terminal). `tierfs umount --flush` runs it before unmounting.
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>

#include "cli/commands.h"
#include "cli/control.h"
#include "cli/progress.h"
#include "util/units.h"

namespace tierfs::cli {

Status FlushMount(const std::string& path, int64_t timeout_ms) {
  ASSIGN_OR_RETURN(std::string mp, MountRootOf(path));
  auto first = ReadStat(mp, "tierfs_staging_blocks");
  const uint64_t total = first ? uint64_t(*first) : 0;
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  std::thread progress;
  if (isatty(STDERR_FILENO) == 1 && total > 0) {
    // Redraws "Staged blocks uploaded: n/total" from .stats until the flush returns.
    progress = std::thread([&] {
      Progress bar("Staged blocks uploaded");
      std::unique_lock lk(mu);
      while (!cv.wait_for(lk, std::chrono::milliseconds(500), [&] { return done; })) {
        auto left = ReadStat(mp, "tierfs_staging_blocks");
        if (left) bar.Update(total - std::min<uint64_t>(total, uint64_t(*left)), total);
      }
      bar.Update(total, total);
      bar.Done();
    });
  }
  auto reply = SendControl(mp, "flush " + std::to_string(timeout_ms));
  {
    std::lock_guard lk(mu);
    done = true;
  }
  cv.notify_all();
  if (progress.joinable()) progress.join();
  if (!reply) return reply.error();
  return Status::Ok();
}

void AddFlush(CLI::App& app, int& rc) {
  CLI::App* c = app.add_subcommand("flush", "Upload every staged (write-back) block of a mount now");
  static std::string mp;
  static std::string timeout = "3600";
  c->add_option("MOUNTPOINT", mp, "mount point")->required();
  c->add_option("--timeout", timeout, "give up after this long (s)")->capture_default_str();
  c->callback([&rc] {
    auto t = ParseDuration(timeout);
    if (!t) {
      rc = Fail("flush", "--timeout: " + t.error().message());
      return;
    }
    Status st = FlushMount(mp, std::chrono::duration_cast<std::chrono::milliseconds>(*t).count());
    rc = st.ok() ? 0 : Fail("flush", st.message());
  });
}

}  // namespace tierfs::cli
