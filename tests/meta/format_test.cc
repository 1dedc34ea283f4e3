#include "meta/format.h"

#include <gtest/gtest.h>

#include "meta/types.h"

namespace tierfs::meta {
namespace {

// What `juicefs format sqlite3:///tmp/p.db vol1 --bucket /tmp/pb/` (v1.4.2) stored.
const char* kJuicefsSetting = R"({
"Name": "vol1",
"UUID": "cf3e6f2d-9ee9-480e-a7e7-bcc738d6820c",
"Storage": "file",
"Tiers": {
"0": {
"ID": 0,
"StorageClass": "",
"Tag": ""
}
},
"Bucket": "/tmp/pb/",
"BlockSize": 4096,
"Compression": "none",
"EncryptAlgo": "aes256gcm-rsa",
"TrashDays": 1,
"MetaVersion": 1,
"MinClientVersion": "1.1.0-A",
"DirStats": true,
"EnableACL": false
})";

TEST(FormatTest, RoundTripsJuicefsSettingByteForByte) {
  auto f = Format::FromJson(kJuicefsSetting);
  ASSERT_TRUE(f.has_value()) << f.error().ToString();
  EXPECT_EQ(f->name, "vol1");
  EXPECT_EQ(f->block_size_kib, 4096u);
  EXPECT_EQ(f->trash_days, 1);
  EXPECT_TRUE(f->dir_stats);
  EXPECT_EQ(f->ToJson(), kJuicefsSetting);
}

TEST(FormatTest, NewVolumeMatchesJuicefsShape) {
  Format f;
  f.name = "vol1";
  f.uuid = "cf3e6f2d-9ee9-480e-a7e7-bcc738d6820c";
  f.bucket = "/tmp/pb/";
  EXPECT_EQ(f.ToJson(), kJuicefsSetting);
}

TEST(FormatTest, OmitEmptyAndSecrets) {
  Format f;
  f.name = "abc";
  f.secret_key = "s3cr3t";
  f.access_key = "ak";
  f.capacity = 1 << 30;
  f.trash_days = 0;
  std::string j = f.ToJson();
  EXPECT_NE(j.find("\"SecretKey\": \"s3cr3t\""), std::string::npos);
  EXPECT_NE(j.find("\"Capacity\": 1073741824"), std::string::npos);
  EXPECT_NE(j.find("\"TrashDays\": 0"), std::string::npos);
  EXPECT_EQ(j.find("Inodes"), std::string::npos);
  EXPECT_EQ(j.find("Shards"), std::string::npos);
  std::string r = f.ToJson(/*remove_secrets=*/true);
  EXPECT_NE(r.find("\"SecretKey\": \"removed\""), std::string::npos);
  EXPECT_NE(r.find("\"AccessKey\": \"ak\""), std::string::npos);
}

TEST(FormatTest, UnknownFieldsPreserved) {
  auto f = Format::FromJson(R"({"Name":"x1y","Future":{"a":1},"UploadLimit":5,"TrashDays":2})");
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->trash_days, 2);
  EXPECT_EQ(f->upload_limit, 5);  // Mbps
  EXPECT_EQ(f->download_limit, 0);
  EXPECT_EQ(f->meta_version, 0);  // absent = Go zero value
  std::string j = f->ToJson();
  EXPECT_NE(j.find("\"UploadLimit\": 5"), std::string::npos);
  EXPECT_NE(j.find("\"Future\": {\n\"a\": 1\n}"), std::string::npos);
  // Unknown fields come after the known ones.
  EXPECT_LT(j.find("EnableACL"), j.find("Future"));
}

TEST(FormatTest, MalformedAndWronglyTyped) {
  EXPECT_EQ(Format::FromJson("{").error().code(), EINVAL);
  EXPECT_EQ(Format::FromJson("[]").error().code(), EINVAL);
  EXPECT_EQ(Format::FromJson(R"({"BlockSize":"big"})").error().code(), EINVAL);
}

TEST(FormatTest, CheckVersion) {
  Format f;
  EXPECT_TRUE(f.CheckVersion().ok());
  f.meta_version = 2;
  EXPECT_EQ(f.CheckVersion().code(), EINVAL);
  f.meta_version = 1;
  f.min_client_version = "1.5.0";
  EXPECT_EQ(f.CheckVersion().code(), EINVAL);
  f.min_client_version = "1.4.0-A";
  EXPECT_TRUE(f.CheckVersion().ok());
  f.max_client_version = "1.3.9";
  EXPECT_EQ(f.CheckVersion().code(), EINVAL);
}

TEST(FormatTest, CompareVersion) {
  EXPECT_EQ(CompareVersion("1.4.2", "1.4.2"), 0);
  EXPECT_LT(CompareVersion("1.1.0-A", "1.1.0"), 0);
  EXPECT_GT(CompareVersion("1.4.2+2026-10-26", "1.1.0-A"), 0);
  EXPECT_LT(CompareVersion("1.9.0", "1.10.0"), 0);
  EXPECT_EQ(CompareVersion("1.4.2+a", "1.4.2+b"), 0);
  EXPECT_LT(CompareVersion("1.1.0-A", "1.1.0-beta"), 0);
}

TEST(FormatTest, ValidVolumeName) {
  EXPECT_TRUE(ValidVolumeName("vol1"));
  EXPECT_TRUE(ValidVolumeName("a-b"));
  EXPECT_FALSE(ValidVolumeName("v"));
  EXPECT_FALSE(ValidVolumeName("ab"));
  EXPECT_FALSE(ValidVolumeName("-ab"));
  EXPECT_FALSE(ValidVolumeName("ab-"));
  EXPECT_FALSE(ValidVolumeName("Abc"));
  EXPECT_FALSE(ValidVolumeName(std::string(64, 'a')));
  EXPECT_TRUE(ValidVolumeName(std::string(63, 'a')));
}

TEST(TypesTest, ModeConversions) {
  EXPECT_EQ(TypeToStatMode(FileType::kDirectory), 0040000u);
  EXPECT_EQ(StatModeToType(0100644), FileType::kFile);
  EXPECT_EQ(StatModeToType(0120777), FileType::kSymlink);
  EXPECT_EQ(StatModeToType(0), FileType{});
  Attr a;
  a.type = FileType::kCharDev;
  a.mode = 0620;
  EXPECT_EQ(a.StatMode(), 0020620u);
}

}  // namespace
}  // namespace tierfs::meta
