#include "util/status.h"

#include <gtest/gtest.h>

namespace tierfs {
namespace {

Result<int> Half(int v) {
  if (v % 2 != 0) return Err(EINVAL, "odd");
  return v / 2;
}

Result<int> Quarter(int v) {
  ASSIGN_OR_RETURN(int h, Half(v));
  ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

Status CheckQuarter(int v) {
  RETURN_IF_ERROR(Quarter(v));
  return Status::Ok();
}

TEST(StatusTest, Basics) {
  EXPECT_TRUE(Status().ok());
  EXPECT_EQ(Status().ToString(), "OK");
  Status s(ENOENT, "no dentry 'a'");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), ENOENT);
  EXPECT_EQ(s.ToString(), "ENOENT: no dentry 'a'");
  EXPECT_EQ(Status(EIO, "").ToString().rfind("EIO: ", 0), 0u);
  EXPECT_EQ(ErrnoName(EACCES), "EACCES");
  EXPECT_EQ(ErrnoName(99999), "99999");
}

TEST(StatusTest, Propagation) {
  EXPECT_EQ(Quarter(8).value(), 2);
  EXPECT_EQ(Quarter(6).error().code(), EINVAL);
  EXPECT_TRUE(CheckQuarter(4).ok());
  EXPECT_EQ(CheckQuarter(2).code(), EINVAL);
  Status from_err = Err(EPERM, "x");
  EXPECT_EQ(from_err.code(), EPERM);
}

}  // namespace
}  // namespace tierfs
