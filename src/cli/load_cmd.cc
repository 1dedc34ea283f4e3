// tierfs load META-URL [FILE]: loads a JuiceFS JSON dump (meta/dump.h) from FILE (gunzipped
// when it ends in .gz, as `juicefs load` does) or stdin into an empty metadata store. The
// store is left unchanged on any error.
#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <streambuf>

#include "cli/commands.h"
#include "cli/progress.h"
#include "meta/dump.h"
#include "util/url.h"

namespace tierfs::cli {
namespace {

// An input streambuf over a gzip file.
class GzBuf : public std::streambuf {
 public:
  explicit GzBuf(gzFile f) : f_(f) {}
  ~GzBuf() override { gzclose(f_); }
  std::string error;  // the gzip error that ended the stream early, if any

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    int n = gzread(f_, buf_, sizeof buf_);
    if (n < 0) {
      int e;
      error = gzerror(f_, &e);
      return traits_type::eof();
    }
    if (n == 0) return traits_type::eof();
    setg(buf_, buf_, buf_ + n);
    return traits_type::to_int_type(buf_[0]);
  }

 private:
  gzFile f_;
  char buf_[64 << 10];
};

struct LoadFlags {
  std::string meta_url;
  std::string file;
};

int Run(const LoadFlags& f) {
  if (EndsWith(f.file, ".zstd")) return Fail("load", "zstd input is not supported; use a .gz or plain file");
  std::unique_ptr<GzBuf> gzbuf;
  std::unique_ptr<std::istream> owned;
  std::istream* in = &std::cin;
  if (EndsWith(f.file, ".gz")) {
    gzFile gz = gzopen(f.file.c_str(), "rb");
    if (!gz) return Fail("load", f.file + ": " + std::strerror(errno));
    gzbuf = std::make_unique<GzBuf>(gz);
    owned = std::make_unique<std::istream>(gzbuf.get());
    in = owned.get();
  } else if (!f.file.empty()) {
    auto file = std::make_unique<std::ifstream>(f.file, std::ios::binary);
    if (!*file) return Fail("load", f.file + ": " + std::strerror(errno));
    owned = std::move(file);
    in = owned.get();
  }
  // A store that does not exist yet is created here, and removed again if the load fails.
  auto engine = meta::OpenEngine(f.meta_url, /*must_exist=*/true);
  bool created = !engine && engine.error().code() == ENOENT;
  if (created) engine = meta::OpenEngine(f.meta_url, /*must_exist=*/false);
  if (!engine) return Fail("load", engine.error().message());

  Progress bar("Loaded entries");
  meta::LoadOptions opt;
  opt.progress = [&bar](uint64_t d, uint64_t t) { bar.Update(d, t); };
  opt.warn = [](const std::string& m) { std::fprintf(stderr, "tierfs load: warning: %s\n", m.c_str()); };
  Status st = meta::LoadVolume(**engine, *in, opt);
  bar.Done();
  engine->reset();
  if (!st.ok() && created) (void)meta::RemoveCreatedStore(f.meta_url);
  if (!st.ok()) {
    std::string msg = st.message();
    if (gzbuf && !gzbuf->error.empty()) msg = gzbuf->error;  // zlib names the file
    if (st.code() == EEXIST) msg = RedactUrl(f.meta_url) + ": " + msg;
    return Fail("load", msg);
  }
  std::fprintf(stderr, "tierfs load: loaded metadata from %s\n", f.file.empty() ? "STDIN" : f.file.c_str());
  return 0;
}

}  // namespace

void AddLoad(CLI::App& app, int& rc) {
  static LoadFlags f;
  CLI::App* c = app.add_subcommand("load", "Load metadata from a JSON dump (of `juicefs dump` or `tierfs dump`) into an empty database");
  c->add_option("META-URL", f.meta_url, "metadata engine URL")->required();
  c->add_option("FILE", f.file, "dump file (default: stdin); gzip-compressed when it ends in .gz");
  c->callback([&rc] { rc = Run(f); });
}

}  // namespace tierfs::cli
