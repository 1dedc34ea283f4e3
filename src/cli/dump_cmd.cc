// tierfs dump META-URL [FILE]: the volume's metadata as JuiceFS JSON dump (meta/dump.h), to
// FILE (written as FILE.tmp, renamed when complete; gzip when FILE ends in .gz, as `juicefs
// dump` does) or stdout. Secret key and session token read "removed" unless --keep-secret-key.
#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "cli/commands.h"
#include "cli/progress.h"
#include "meta/dump.h"

namespace tierfs::cli {
namespace {

struct DumpFlags {
  std::string meta_url;
  std::string file;
  std::string subdir;
  bool keep_secret_key = false;
  bool skip_trash = false;
  bool fast = false;  // accepted for JuiceFS compatibility
  int threads = 10;   // accepted for JuiceFS compatibility
};

int Run(const DumpFlags& f) {
  if (EndsWith(f.file, ".zstd")) return Fail("dump", "zstd output is not supported; use a .gz or plain file");
  auto engine = meta::OpenEngine(f.meta_url, /*must_exist=*/true);
  if (!engine) return Fail("dump", engine.error().message());

  std::string tmp = f.file.empty() ? "" : f.file + ".tmp";
  FILE* plain = nullptr;
  gzFile gz = nullptr;
  if (f.file.empty()) {
    plain = stdout;
  } else if (EndsWith(f.file, ".gz")) {
    gz = gzopen(tmp.c_str(), "wb1");
    if (!gz) return Fail("dump", tmp + ": " + std::strerror(errno));
  } else {
    plain = std::fopen(tmp.c_str(), "wb");
    if (!plain) return Fail("dump", tmp + ": " + std::strerror(errno));
  }
  auto write = [&](std::string_view s) -> Status {
    if (gz) {
      if (gzwrite(gz, s.data(), unsigned(s.size())) != int(s.size())) {
        int e;
        return Status(EIO, tmp + ": " + gzerror(gz, &e));
      }
      return Status();
    }
    if (std::fwrite(s.data(), 1, s.size(), plain) != s.size()) {
      return Status(EIO, (f.file.empty() ? std::string("stdout") : tmp) + ": " + std::strerror(errno));
    }
    return Status();
  };

  Progress bar("Dumped entries");
  meta::DumpOptions opt;
  opt.keep_secret_key = f.keep_secret_key;
  opt.skip_trash = f.skip_trash;
  opt.subdir = f.subdir;
  opt.progress = [&bar](uint64_t d, uint64_t t) { bar.Update(d, t); };
  opt.warn = [](const std::string& m) { std::fprintf(stderr, "tierfs dump: warning: %s\n", m.c_str()); };
  Status st = meta::DumpVolume(**engine, write, opt);
  bar.Done();
  if (gz) {
    int rc = gzclose(gz);
    if (st.ok() && rc != Z_OK) st = Status(EIO, tmp + ": gzip close failed");
  } else if (plain == stdout) {
    if (std::fflush(stdout) != 0 && st.ok()) st = Status(EIO, std::string("stdout: ") + std::strerror(errno));
  } else if (std::fclose(plain) != 0 && st.ok()) {
    st = Status(EIO, tmp + ": " + std::strerror(errno));
  }
  if (!tmp.empty()) {
    if (st.ok() && std::rename(tmp.c_str(), f.file.c_str()) != 0) {
      st = Status(errno, f.file + ": " + std::strerror(errno));
    }
    if (!st.ok()) std::remove(tmp.c_str());
  }
  if (!st.ok()) return Fail("dump", st.message());
  std::fprintf(stderr, "tierfs dump: dumped metadata into %s\n", f.file.empty() ? "STDOUT" : f.file.c_str());
  return 0;
}

}  // namespace

void AddDump(CLI::App& app, int& rc) {
  static DumpFlags f;
  CLI::App* c = app.add_subcommand("dump", "Dump metadata into a JSON file (the format of `juicefs dump`)");
  c->add_option("META-URL", f.meta_url, "metadata engine URL")->required();
  c->add_option("FILE", f.file, "output file (default: stdout); gzip-compressed when it ends in .gz");
  c->add_option("--subdir", f.subdir, "only dump this sub-directory (a path from the root)");
  c->add_flag("--keep-secret-key", f.keep_secret_key,
              "keep the secret key and session token intact (careful: they may leak)");
  c->add_flag("--skip-trash", f.skip_trash, "skip the trash");
  c->add_option("--threads", f.threads, "accepted for JuiceFS compatibility; ignored (the dump is sequential)");
  c->add_flag("--fast", f.fast, "accepted for JuiceFS compatibility; ignored");
  c->callback([&rc] { rc = Run(f); });
}

}  // namespace tierfs::cli
