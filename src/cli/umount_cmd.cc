// tierfs umount MOUNTPOINT [--force] [--flush]: unmounts (lazily with --force, like `juicefs
// umount -f`); with --flush it first waits until every staged (write-back) block is uploaded.
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

#include "cli/commands.h"

namespace tierfs::cli {
namespace {

// fusermount3 works for unprivileged users; root can use umount2 directly.
int FuserUmount(const std::string& mp, bool lazy) {
  pid_t pid = fork();
  if (pid == 0) {
    if (lazy)
      execlp("fusermount3", "fusermount3", "-u", "-z", mp.c_str(), nullptr);
    else
      execlp("fusermount3", "fusermount3", "-u", mp.c_str(), nullptr);
    _exit(127);
  }
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) < 0) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int Run(const std::string& mountpoint, bool force) {
  std::error_code ec;
  std::string mp = std::filesystem::absolute(mountpoint, ec).lexically_normal().string();
  if (mp.size() > 1 && mp.back() == '/') mp.pop_back();
  int flags = force ? MNT_DETACH : 0;
  if (::umount2(mp.c_str(), flags) == 0) return 0;
  int err = errno;
  if (err == EPERM && FuserUmount(mp, force) == 0) return 0;
  if (err == EINVAL) return Fail("umount", mp + " is not mounted");
  if (err == EBUSY)
    return Fail("umount", mp + " is busy (files open or a process inside); use --force to detach");
  return Fail("umount", mp + ": " + std::strerror(err));
}

}  // namespace

void AddUmount(CLI::App& app, int& rc) {
  CLI::App* c = app.add_subcommand("umount", "Unmount a volume");
  static std::string mp;
  static bool force = false;
  static bool flush = false;
  c->add_option("MOUNTPOINT", mp, "mount point")->required();
  c->add_flag("-f,--force", force, "detach even if busy (lazy unmount)");
  c->add_flag("--flush", flush, "wait until every staged block is uploaded, then unmount");
  c->callback([&rc] {
    if (flush) {
      if (Status st = FlushMount(mp, 24LL * 3600 * 1000); !st.ok()) {
        rc = Fail("umount", "flush of " + mp + " failed, not unmounted: " + st.message());
        return;
      }
    }
    rc = Run(mp, force);
  });
}

}  // namespace tierfs::cli
