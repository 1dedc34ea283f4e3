#include "meta/types.h"

#include <sys/stat.h>

namespace tierfs::meta {

uint32_t TypeToStatMode(FileType t) {
  switch (t) {
    case FileType::kFile: return S_IFREG;
    case FileType::kDirectory: return S_IFDIR;
    case FileType::kSymlink: return S_IFLNK;
    case FileType::kFifo: return S_IFIFO;
    case FileType::kBlockDev: return S_IFBLK;
    case FileType::kCharDev: return S_IFCHR;
    case FileType::kSocket: return S_IFSOCK;
  }
  return 0;
}

FileType StatModeToType(uint32_t st_mode) {
  switch (st_mode & S_IFMT) {
    case S_IFREG: return FileType::kFile;
    case S_IFDIR: return FileType::kDirectory;
    case S_IFLNK: return FileType::kSymlink;
    case S_IFIFO: return FileType::kFifo;
    case S_IFBLK: return FileType::kBlockDev;
    case S_IFCHR: return FileType::kCharDev;
    case S_IFSOCK: return FileType::kSocket;
    default: return FileType{};
  }
}

}  // namespace tierfs::meta
