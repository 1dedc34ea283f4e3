// tierfs: a distributed POSIX file system compatible with JuiceFS volumes.
#include <cstdio>
#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"tierfs: a distributed POSIX file system, JuiceFS-volume compatible"};
  app.require_subcommand(1);
  app.set_version_flag("-V,--version", "tierfs 0.1.0 (JuiceFS volume format 1.x)");
  int rc = 0;
  tierfs::cli::FormatFlags format;
  tierfs::cli::MountFlags mount;
  tierfs::cli::AddFormat(app, format, rc);
  tierfs::cli::AddMount(app, mount, rc);
  tierfs::cli::AddUmount(app, rc);
  tierfs::cli::AddStatus(app, rc);
  tierfs::cli::AddInfo(app, rc);
  tierfs::cli::AddDump(app, rc);
  tierfs::cli::AddLoad(app, rc);
  tierfs::cli::AddObjbench(app, rc);
  tierfs::cli::AddFlush(app, rc);
  tierfs::cli::AddWarmup(app, rc);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    // One line: "tierfs: <reason>" (CLI11's help hint goes to the second line only on --help).
    std::fprintf(stderr, "tierfs: %s\n", e.what());
    return 2;
  }
  return rc;
}

namespace tierfs::cli {
int Fail(const std::string& cmd, const std::string& msg) {
  std::fprintf(stderr, "tierfs %s: %s\n", cmd.c_str(), msg.c_str());
  return 1;
}
}  // namespace tierfs::cli
