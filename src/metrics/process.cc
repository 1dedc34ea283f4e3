#include "metrics/process.h"

#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>

namespace tierfs::metrics {

uint64_t ResidentBytes() {
  // statm: size resident shared text lib data dt, in pages.
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  unsigned long long size = 0, resident = 0;
  int n = std::fscanf(f, "%llu %llu", &size, &resident);
  std::fclose(f);
  if (n != 2) return 0;
  return resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

double CpuSeconds() {
  rusage ru{};
  if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
  auto secs = [](const timeval& tv) { return tv.tv_sec + tv.tv_usec / 1e6; };
  return secs(ru.ru_utime) + secs(ru.ru_stime);
}

void RegisterProcessMetrics(Registry& registry) {
  auto* uptime = registry.GetFloatGauge("tierfs_uptime", "Total running time in seconds.");
  auto* cpu = registry.GetFloatGauge("tierfs_cpu_usage", "Accumulated CPU usage in seconds.");
  auto* memory = registry.GetGauge("tierfs_memory", "Used memory (resident set size) in bytes.");
  auto start = std::chrono::steady_clock::now();
  auto refresh = [=] {
    uptime->Set(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    cpu->Set(CpuSeconds());
    memory->Set(static_cast<int64_t>(ResidentBytes()));
  };
  refresh();
  registry.AddCollectHook(refresh);
}

}  // namespace tierfs::metrics
