#include "object/file_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <random>

#include "object/key.h"
#include "util/file_io.h"

namespace tierfs::object {
namespace {

constexpr std::string_view kTmpInfix = ".tmp.";
constexpr size_t kTmpRandDigits = 16;

std::string RandomHex() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  static const char kHex[] = "0123456789abcdef";
  uint64_t v = rng();
  std::string s(kTmpRandDigits, '0');
  for (size_t i = 0; i < kTmpRandDigits; ++i, v >>= 4) s[i] = kHex[v & 15];
  return s;
}

// mkdir -p of every directory above `path` (a file path under an existing or creatable root).
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int Release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

}  // namespace

bool FileStore::IsTempName(std::string_view name) {
  if (name.size() < 1 + kTmpInfix.size() + kTmpRandDigits || name.front() != '.') return false;
  std::string_view tail = name.substr(name.size() - kTmpRandDigits - kTmpInfix.size());
  if (!tail.starts_with(kTmpInfix)) return false;
  return std::all_of(tail.begin() + kTmpInfix.size(), tail.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

Result<std::string> FileStore::Get(std::string_view key, uint64_t off, int64_t limit) {
  RETURN_IF_ERROR(ValidateKey(key));
  std::string path = Path(key);
  Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return Err(StatusFromErrno(errno, "open", path));
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return Err(StatusFromErrno(errno, "stat", path));
  if (!S_ISREG(st.st_mode)) return Err(ENOENT, path + " is not a regular file");
  uint64_t size = static_cast<uint64_t>(st.st_size);
  if (off >= size) return std::string();
  uint64_t n = size - off;
  if (limit >= 0 && static_cast<uint64_t>(limit) < n) n = static_cast<uint64_t>(limit);
  std::string out(n, '\0');
  uint64_t got = 0;
  while (got < n) {
    ssize_t r = pread(fd.get(), out.data() + got, n - got, static_cast<off_t>(off + got));
    if (r < 0) {
      if (errno == EINTR) continue;
      return Err(StatusFromErrno(errno, "read", path));
    }
    if (r == 0) break;  // truncated under us: return what exists
    got += static_cast<uint64_t>(r);
  }
  out.resize(got);
  return out;
}

Status FileStore::Put(std::string_view key, std::string_view data) {
  RETURN_IF_ERROR(ValidateKey(key));
  std::string path = Path(key);
  size_t slash = path.rfind('/');
  std::string name = path.substr(slash + 1);
  // Keep the temporary name within NAME_MAX (255) for long keys.
  if (name.size() > 200) name.resize(200);
  std::string tmp = path.substr(0, slash + 1) + "." + name + std::string(kTmpInfix) + RandomHex();

  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0 && errno == ENOENT) {
    if (int e = MakeParents(path, 0777); e != 0) return StatusFromErrno(e, "mkdir for", path);
    fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  }
  if (fd < 0) return StatusFromErrno(errno, "create", tmp);
  Fd guard(fd);
  int e = WriteAll(fd, data);
  if (e == 0 && close(guard.Release()) != 0) e = errno;
  if (e == 0 && rename(tmp.c_str(), path.c_str()) != 0) e = errno;
  if (e != 0) {
    unlink(tmp.c_str());
    return StatusFromErrno(e, "write", path);
  }
  return Status::Ok();
}

Status FileStore::Delete(std::string_view key) {
  RETURN_IF_ERROR(ValidateKey(key));
  std::string path = Path(key);
  if (unlink(path.c_str()) != 0 && errno != ENOENT && errno != ENOTDIR) {
    return StatusFromErrno(errno, "unlink", path);
  }
  return Status::Ok();
}

Result<ObjectInfo> FileStore::Head(std::string_view key) {
  RETURN_IF_ERROR(ValidateKey(key));
  std::string path = Path(key);
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return Err(StatusFromErrno(errno, "stat", path));
  if (!S_ISREG(st.st_mode)) return Err(ENOENT, path + " is not a regular file");
  return ObjectInfo{std::string(key), static_cast<uint64_t>(st.st_size), st.st_mtim.tv_sec};
}

struct FileStore::ListState {
  std::string_view prefix;
  std::string_view marker;
  size_t limit;
  std::vector<ObjectInfo> out;
  bool Full() const { return limit != 0 && out.size() >= limit; }
};

// Visits directory `dir_key` ("" for the root, else ending in '/'). Entries are sorted by name
// with '/' appended to directories: since all keys below a directory share its name + '/',
// visiting in that order yields keys in global lexicographic order.
Status FileStore::Walk(const std::string& dir_key, ListState& st) {
  std::string dir_path = root_ + dir_key;
  DIR* d = opendir(dir_path.c_str());
  if (d == nullptr) {
    if (errno == ENOENT || errno == ENOTDIR) return Status::Ok();
    return StatusFromErrno(errno, "opendir", dir_path);
  }
  struct Entry {
    std::string key;  // full key; directories end in '/'
    uint64_t size;
    int64_t mtime;
  };
  std::vector<Entry> entries;
  while (struct dirent* de = readdir(d)) {
    std::string_view name = de->d_name;
    if (name == "." || name == ".." || IsTempName(name)) continue;
    struct stat sb;
    if (fstatat(dirfd(d), de->d_name, &sb, 0) != 0) continue;  // vanished or dangling link
    if (S_ISDIR(sb.st_mode)) {
      entries.push_back({dir_key + std::string(name) + "/", 0, 0});
    } else if (S_ISREG(sb.st_mode)) {
      entries.push_back({dir_key + std::string(name), static_cast<uint64_t>(sb.st_size),
                         sb.st_mtim.tv_sec});
    }
  }
  closedir(d);
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.key < b.key; });
  for (Entry& e : entries) {
    if (st.Full()) break;
    bool is_dir = e.key.back() == '/';
    // Prune sub-trees that cannot hold a key with the prefix, or only keys <= marker.
    if (!e.key.starts_with(st.prefix) && !(is_dir && st.prefix.starts_with(e.key))) continue;
    if (!st.marker.empty()) {
      if (is_dir ? (e.key < st.marker && !st.marker.starts_with(e.key)) : e.key <= st.marker) {
        continue;
      }
    }
    if (is_dir) {
      RETURN_IF_ERROR(Walk(e.key, st));
    } else {
      st.out.push_back(ObjectInfo{std::move(e.key), e.size, e.mtime});
    }
  }
  return Status::Ok();
}

Result<std::vector<ObjectInfo>> FileStore::List(std::string_view prefix, std::string_view marker,
                                                size_t limit) {
  ListState st{prefix, marker, limit, {}};
  RETURN_IF_ERROR(Walk("", st));
  return std::move(st.out);
}

Status FileStore::Create() {
  auto denied = [&](int e, const char* what) {
    return Status(EACCES, "cannot use " + root_ + " as the bucket of the file storage: " + what +
                              ": " + std::strerror(e));
  };
  std::string probe = root_ + "." + std::string("probe") + std::string(kTmpInfix) + RandomHex();
  if (int e = MakeParents(probe, 0777); e != 0) {
    if (e == ENOSPC || e == EDQUOT) return StatusFromErrno(e, "mkdir", root_);
    return denied(e, "cannot create the directory");
  }
  // Creating and removing a file is the only check that works as root (access(2) says yes).
  int fd = open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == ENOSPC || errno == EDQUOT) return StatusFromErrno(errno, "create", probe);
    return denied(errno, "the directory is not writable");
  }
  close(fd);
  unlink(probe.c_str());
  return Status::Ok();
}

Result<std::unique_ptr<ObjectStore>> NewFileStore(const StoreConfig& config) {
  std::string root = config.bucket;
  if (root.empty()) return Err(EINVAL, "file storage needs a bucket directory");
  if (root.starts_with("file://")) root = root.substr(7);
  if (root.front() != '/') {
    char cwd[4096];
    if (getcwd(cwd, sizeof cwd) == nullptr) return Err(StatusFromErrno(errno, "getcwd", root));
    root = std::string(cwd) + "/" + root;
  }
  if (root.back() != '/') root += '/';
  return std::make_unique<FileStore>(std::move(root));
}

}  // namespace tierfs::object
