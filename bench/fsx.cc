// fsx: a file-system exerciser in the classic pattern, written for bench/run.py.
//
//   fsx [-N ops] [-S seed] [-l maxlen] [-o maxop] [-c closeprob] [-M] [-d modelfile] [-L logtail] FILE
//
// One file, opened O_RDWR (created or truncated to 0 first), takes a seeded stream of random
// operations, with equal weight: read (pread), write (pwrite), mapread (mmap MAP_SHARED + compare),
// mapwrite (extend with ftruncate if needed, mmap + memcpy + msync(MS_ASYNC)), truncate (ftruncate to a
// random length in [0, maxlen]). Each op moves 1 byte to maxop bytes (default 64 KiB) at a random
// offset below maxlen (default 10,000,000 bytes). After each op, with probability 1/closeprob (default
// 100), the file is closed and reopened, and its size checked with fstat.
//
// The program keeps the file's expected contents in memory (bytes past EOF are kept zero, so holes and
// extensions read as zeros) and checks every read and every mapped read against it, and the zeros past
// EOF in the last mapped page. On the first mismatch it prints the offending op, the first bad byte and
// the last -L ops (default 40) to stderr and exits 1; a failing system call exits 2, SIGBUS exits 3.
// At the end it closes, reopens and compares the whole file with the model (not timed), optionally
// writes the model to -d FILE (so a caller can compare after a remount), and prints one JSON line:
//   {"ops": N, "seconds": S, "ops_per_s": R, "final_size": B, "reads": ..., ...}
// The op sequence depends only on the seed and the options, so a failing run is reproduced by running
// the same command again.
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

enum Op { kRead, kWrite, kMapRead, kTruncate, kMapWrite, kNumOps };
const char* const kOpName[] = {"read", "write", "mapread", "truncate", "mapwrite"};

struct LogEntry {
  uint64_t n;
  int op;
  uint64_t off, size;       // truncate: off = new length, size = 0
  uint64_t size_after;      // modelled file size after the op
  bool reopened;
};

struct Options {
  uint64_t ops = 10000;
  uint64_t seed = 1;
  uint64_t maxlen = 10'000'000;
  uint64_t maxop = 65536;
  uint64_t closeprob = 100;
  bool mmap = true;
  size_t logtail = 40;
  const char* dump = nullptr;
  const char* path = nullptr;
};

Options opt;
int fd = -1;
std::vector<uint8_t> model;  // maxlen bytes; [file_size, maxlen) always zero
uint64_t file_size = 0;
uint64_t opnum = 0;          // the op in progress (1-based)
std::vector<LogEntry> ring;  // the last logtail ops
uint64_t counts[kNumOps] = {};
uint64_t reopens = 0;
long pagesize = 4096;

// splitmix64: small, fast, and the same sequence everywhere (std:: distributions are not).
struct Rng {
  uint64_t s;
  uint64_t next() {
    uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint64_t below(uint64_t n) { return n ? next() % n : 0; }
};

// Logged before the op's system calls, so a failing call shows in the tail.
void log_op(int op, uint64_t off, uint64_t size, uint64_t size_after) {
  if (opt.logtail == 0) return;
  LogEntry e{opnum, op, off, size, size_after, false};
  if (ring.size() < opt.logtail) {
    ring.push_back(e);
  } else {
    ring[(opnum - 1) % opt.logtail] = e;
  }
}

void mark_reopened() {
  if (opt.logtail) ring[(opnum - 1) % opt.logtail].reopened = true;
}

void print_log() {
  fprintf(stderr, "fsx: last %zu ops (seed %llu, maxlen %llu, maxop %llu):\n", ring.size(),
          (unsigned long long)opt.seed, (unsigned long long)opt.maxlen, (unsigned long long)opt.maxop);
  std::vector<LogEntry> tail(ring);
  std::sort(tail.begin(), tail.end(), [](const LogEntry& a, const LogEntry& b) { return a.n < b.n; });
  for (const LogEntry& e : tail) {
    if (e.op == kTruncate) {
      fprintf(stderr, "  %8llu %-8s to %llu%s\n", (unsigned long long)e.n, kOpName[e.op],
              (unsigned long long)e.off, e.reopened ? "  (then close+reopen)" : "");
    } else {
      fprintf(stderr, "  %8llu %-8s 0x%llx..0x%llx (%llu bytes), size after %llu%s\n", (unsigned long long)e.n,
              kOpName[e.op], (unsigned long long)e.off, (unsigned long long)(e.off + e.size),
              (unsigned long long)e.size, (unsigned long long)e.size_after, e.reopened ? "  (then close+reopen)" : "");
    }
  }
}

[[noreturn]] void die_sys(const char* what) {
  int err = errno;
  fprintf(stderr, "fsx: op %llu: %s failed: %s\n", (unsigned long long)opnum, what, strerror(err));
  print_log();
  exit(2);
}

void on_sigbus(int) {
  // Not async-signal-safe, but the process is ending and the log is the point.
  fprintf(stderr, "fsx: op %llu: SIGBUS touching a mapping (file shorter than it should be?)\n",
          (unsigned long long)opnum);
  print_log();
  _exit(3);
}

// Compare `got` (file bytes from `off`) with the model; on a difference report and exit 1.
void check(const char* how, uint64_t off, const uint8_t* got, uint64_t len) {
  const uint8_t* want = model.data() + off;
  if (memcmp(got, want, len) == 0) return;
  uint64_t first = 0;
  while (got[first] == want[first]) first++;
  uint64_t last = len - 1;
  while (got[last] == want[last]) last--;
  uint64_t bad = 0;
  for (uint64_t i = first; i <= last; i++) bad += got[i] != want[i];
  fprintf(stderr,
          "fsx: MISMATCH in op %llu (%s of 0x%llx..0x%llx, file size %llu): first bad byte at file offset "
          "0x%llx: got 0x%02x, expected 0x%02x; %llu bad bytes within 0x%llx..0x%llx\n",
          (unsigned long long)opnum, how, (unsigned long long)off, (unsigned long long)(off + len),
          (unsigned long long)file_size, (unsigned long long)(off + first), got[first], want[first],
          (unsigned long long)bad, (unsigned long long)(off + first), (unsigned long long)(off + last + 1));
  fprintf(stderr, "  got:     ");
  for (uint64_t i = first; i < std::min(first + 16, len); i++) fprintf(stderr, " %02x", got[i]);
  fprintf(stderr, "\n  expected:");
  for (uint64_t i = first; i < std::min(first + 16, len); i++) fprintf(stderr, " %02x", want[i]);
  fprintf(stderr, "\n");
  print_log();
  exit(1);
}

void check_fstat(const char* when) {
  struct stat st;
  if (fstat(fd, &st) != 0) die_sys("fstat");
  if ((uint64_t)st.st_size != file_size) {
    fprintf(stderr, "fsx: op %llu: %s: fstat size %lld, expected %llu\n", (unsigned long long)opnum, when,
            (long long)st.st_size, (unsigned long long)file_size);
    print_log();
    exit(1);
  }
}

void open_file(int flags) {
  fd = open(opt.path, O_RDWR | flags, 0644);
  if (fd < 0) die_sys("open");
}

// Data for op n: a stream unique to (seed, n), so stale bytes from an earlier write never match.
void gen(uint8_t* buf, uint64_t len) {
  Rng r{opt.seed * 0x100000001b3ULL ^ (opnum * 0x9e3779b97f4a7c15ULL)};
  uint64_t i = 0;
  for (; i + 8 <= len; i += 8) {
    uint64_t v = r.next();
    memcpy(buf + i, &v, 8);
  }
  uint64_t v = r.next();
  for (; i < len; i++, v >>= 8) buf[i] = (uint8_t)v;
}

void full_read(uint64_t off, uint8_t* buf, uint64_t len, uint64_t* got) {
  *got = 0;
  while (*got < len) {
    ssize_t n = pread(fd, buf + *got, len - *got, (off_t)(off + *got));
    if (n < 0) {
      if (errno == EINTR) continue;
      die_sys("pread");
    }
    if (n == 0) break;
    *got += (uint64_t)n;
  }
}

void do_read(Rng& r, std::vector<uint8_t>& buf) {
  uint64_t off = r.below(file_size ? file_size : 1);
  uint64_t size = 1 + r.below(opt.maxop);
  uint64_t want = off < file_size ? std::min(size, file_size - off) : 0;
  log_op(kRead, off, size, file_size);
  uint64_t got;
  full_read(off, buf.data(), size, &got);
  if (got != want) {
    fprintf(stderr, "fsx: op %llu: read of 0x%llx..0x%llx returned %llu bytes, expected %llu (file size %llu)\n",
            (unsigned long long)opnum, (unsigned long long)off, (unsigned long long)(off + size),
            (unsigned long long)got, (unsigned long long)want, (unsigned long long)file_size);
    print_log();
    exit(1);
  }
  check("read", off, buf.data(), got);
}

void do_write(Rng& r, std::vector<uint8_t>& buf) {
  uint64_t off = r.below(opt.maxlen);
  uint64_t size = std::min(1 + r.below(opt.maxop), opt.maxlen - off);
  gen(buf.data(), size);
  log_op(kWrite, off, size, std::max(file_size, off + size));
  for (uint64_t done = 0; done < size;) {
    ssize_t n = pwrite(fd, buf.data() + done, size - done, (off_t)(off + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      die_sys("pwrite");
    }
    done += (uint64_t)n;
  }
  memcpy(model.data() + off, buf.data(), size);
  file_size = std::max(file_size, off + size);
}

void do_truncate(Rng& r) {
  uint64_t len = r.below(opt.maxlen + 1);
  log_op(kTruncate, len, 0, len);
  if (ftruncate(fd, (off_t)len) != 0) die_sys("ftruncate");
  if (len < file_size) memset(model.data() + len, 0, file_size - len);
  file_size = len;
}

// The zeros POSIX requires past EOF in the mapped page that holds EOF.
void check_eof_page(const uint8_t* map, uint64_t map_off, uint64_t map_len) {
  if (file_size % pagesize == 0) return;
  uint64_t page_end = (file_size / pagesize + 1) * pagesize;
  if (file_size < map_off || page_end > map_off + map_len) return;
  const uint8_t* p = map + (file_size - map_off);
  for (uint64_t i = 0; i < page_end - file_size; i++) {
    if (p[i] != 0) {
      fprintf(stderr, "fsx: op %llu: mapped byte 0x%llx past EOF (%llu) is 0x%02x, expected 0\n",
              (unsigned long long)opnum, (unsigned long long)(file_size + i), (unsigned long long)file_size, p[i]);
      print_log();
      exit(1);
    }
  }
}

void do_mapread(Rng& r) {
  if (file_size == 0) {  // nothing to map (mmap of length 0 is EINVAL)
    log_op(kMapRead, 0, 0, 0);
    return;
  }
  uint64_t off = r.below(file_size);
  uint64_t size = std::min(1 + r.below(opt.maxop), file_size - off);
  log_op(kMapRead, off, size, file_size);
  uint64_t pg = off & ~(uint64_t)(pagesize - 1);
  // Map through the end of the page holding EOF when the range reaches it, to check the zeros there.
  uint64_t end = off + size;
  uint64_t eof_page_end = (file_size + pagesize - 1) / pagesize * pagesize;
  if ((end + pagesize - 1) / pagesize * pagesize >= eof_page_end) end = eof_page_end;
  uint64_t len = end - pg;
  void* m = mmap(nullptr, len, PROT_READ, MAP_SHARED, fd, (off_t)pg);
  if (m == MAP_FAILED) die_sys("mmap (read)");
  auto* p = static_cast<const uint8_t*>(m);
  check("mapread", off, p + (off - pg), size);
  check_eof_page(p, pg, len);
  if (munmap(m, len) != 0) die_sys("munmap");
}

void do_mapwrite(Rng& r, std::vector<uint8_t>& buf) {
  uint64_t off = r.below(opt.maxlen);
  uint64_t size = std::min(1 + r.below(opt.maxop), opt.maxlen - off);
  gen(buf.data(), size);
  log_op(kMapWrite, off, size, std::max(file_size, off + size));
  if (off + size > file_size) {
    if (ftruncate(fd, (off_t)(off + size)) != 0) die_sys("ftruncate (extend for mapwrite)");
    file_size = off + size;
  }
  uint64_t pg = off & ~(uint64_t)(pagesize - 1);
  uint64_t len = off + size - pg;
  void* m = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)pg);
  if (m == MAP_FAILED) die_sys("mmap (write)");
  auto* p = static_cast<uint8_t*>(m);
  memcpy(p + (off - pg), buf.data(), size);
  memcpy(model.data() + off, buf.data(), size);
  // Dirty pages are left to writeback (MS_ASYNC, like classic fsx's msync(..., 0)): the page cache, close
  // and truncate have to get them to the file system, and syncing every op would time the disk instead.
  if (msync(m, len, MS_ASYNC) != 0) die_sys("msync");
  check_eof_page(p, pg, len);
  if (munmap(m, len) != 0) die_sys("munmap");
}

[[noreturn]] void usage() {
  fprintf(stderr,
          "usage: fsx [-N ops] [-S seed] [-l maxlen] [-o maxop] [-c closeprob] [-M] [-d modelfile] [-L logtail] "
          "FILE\n");
  exit(64);
}

uint64_t num(const char* s) {
  char* end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 0);
  if (errno || *end || end == s) usage();
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  int c;
  while ((c = getopt(argc, argv, "N:S:l:o:c:Md:L:")) != -1) {
    switch (c) {
      case 'N': opt.ops = num(optarg); break;
      case 'S': opt.seed = num(optarg); break;
      case 'l': opt.maxlen = num(optarg); break;
      case 'o': opt.maxop = num(optarg); break;
      case 'c': opt.closeprob = num(optarg); break;
      case 'M': opt.mmap = false; break;
      case 'd': opt.dump = optarg; break;
      case 'L': opt.logtail = num(optarg); break;
      default: usage();
    }
  }
  if (optind + 1 != argc || opt.maxlen == 0 || opt.maxop == 0) usage();
  opt.path = argv[optind];
  pagesize = sysconf(_SC_PAGESIZE);
  signal(SIGBUS, on_sigbus);
  model.assign(opt.maxlen, 0);
  std::vector<uint8_t> buf(opt.maxop);
  ring.reserve(opt.logtail);
  Rng r{opt.seed};
  open_file(O_CREAT | O_TRUNC);

  auto t0 = std::chrono::steady_clock::now();
  for (opnum = 1; opnum <= opt.ops; opnum++) {
    int op = (int)r.below(kNumOps);
    if (!opt.mmap && (op == kMapRead || op == kMapWrite)) op = op == kMapRead ? kRead : kWrite;
    counts[op]++;
    switch (op) {
      case kRead: do_read(r, buf); break;
      case kWrite: do_write(r, buf); break;
      case kMapRead: do_mapread(r); break;
      case kTruncate: do_truncate(r); break;
      case kMapWrite: do_mapwrite(r, buf); break;
    }
    if (opt.closeprob && r.below(opt.closeprob) == 0) {
      if (close(fd) != 0) die_sys("close");
      open_file(0);
      reopens++;
      mark_reopened();
      check_fstat("after reopen");
    }
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  opnum = opt.ops;

  // Final check, not timed: reopen and compare the whole file.
  if (close(fd) != 0) die_sys("close");
  open_file(0);
  check_fstat("final");
  std::vector<uint8_t> all(file_size + 1);
  uint64_t got;
  full_read(0, all.data(), file_size + 1, &got);
  if (got != file_size) {
    fprintf(stderr, "fsx: final read returned %llu bytes, expected %llu\n", (unsigned long long)got,
            (unsigned long long)file_size);
    print_log();
    return 1;
  }
  check("final full read", 0, all.data(), file_size);
  if (close(fd) != 0) die_sys("close");
  if (opt.dump) {
    FILE* f = fopen(opt.dump, "wb");
    if (!f || fwrite(model.data(), 1, file_size, f) != file_size || fclose(f) != 0) die_sys("writing the model");
  }
  printf("{\"ops\": %llu, \"seconds\": %.6f, \"ops_per_s\": %.1f, \"final_size\": %llu, \"reads\": %llu, "
         "\"writes\": %llu, \"mapreads\": %llu, \"truncates\": %llu, \"mapwrites\": %llu, \"reopens\": %llu, "
         "\"seed\": %llu}\n",
         (unsigned long long)opt.ops, secs, opt.ops / secs, (unsigned long long)file_size,
         (unsigned long long)counts[kRead], (unsigned long long)counts[kWrite], (unsigned long long)counts[kMapRead],
         (unsigned long long)counts[kTruncate], (unsigned long long)counts[kMapWrite], (unsigned long long)reopens,
         (unsigned long long)opt.seed);
  return 0;
}
