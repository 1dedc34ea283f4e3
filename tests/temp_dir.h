// TempDir: a fresh directory under /tmp for one test, removed with its contents when the
// TempDir is destroyed. Aborts the test binary (via gtest's fatal failure in the caller's
// ASSERT) when mkdtemp fails: path() is then empty.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <string>

namespace tierfs::testing {

class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "tierfs-test") {
    std::string tmpl = "/tmp/" + prefix + "-XXXXXX";
    if (mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace tierfs::testing
