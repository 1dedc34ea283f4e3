// --bucket parsing for s3 and minio (src/object/s3_config.h), checked against the forms
// JuiceFS's pkg/object/s3.go newS3 and minio.go newMinio accept. The environment is a map.
#include "object/s3_config.h"

#include <gtest/gtest.h>

#include <map>

#include "fake_env.h"
#include "object/object_store.h"

namespace tierfs::object {
namespace {

using testing::FakeEnv;

StoreConfig Config(std::string storage, std::string bucket, std::string ak = "ak",
                   std::string sk = "sk") {
  StoreConfig c;
  c.storage = std::move(storage);
  c.bucket = std::move(bucket);
  c.access_key = std::move(ak);
  c.secret_key = std::move(sk);
  return c;
}

struct Expect {
  std::string bucket_text;
  std::string scheme, endpoint, bucket, region;
  bool virtual_host;
};

TEST(S3ConfigTest, S3BucketForms) {
  const std::vector<Expect> cases = {
      {"https://mybucket.s3.us-west-2.amazonaws.com", "https", "s3.us-west-2.amazonaws.com",
       "mybucket", "us-west-2", true},
      {"mybucket.s3.eu-central-1.amazonaws.com", "https", "s3.eu-central-1.amazonaws.com",
       "mybucket", "eu-central-1", true},
      {"https://mybucket.s3-ap-south-1.amazonaws.com/", "https", "s3.ap-south-1.amazonaws.com",
       "mybucket", "ap-south-1", true},
      {"https://s3.ap-south-1.amazonaws.com/mybucket", "https", "s3.ap-south-1.amazonaws.com",
       "mybucket", "ap-south-1", true},
      {"https://mybucket.s3.amazonaws.com", "https", "s3.us-east-1.amazonaws.com", "mybucket",
       "us-east-1", true},
      {"https://mybucket.s3-external-1.amazonaws.com", "https", "s3.us-east-1.amazonaws.com",
       "mybucket", "us-east-1", true},
      {"https://mybucket.s3.dualstack.us-east-2.amazonaws.com", "https",
       "s3.us-east-2.amazonaws.com", "mybucket", "us-east-2", true},
      {"https://b1.s3.cn-north-1.amazonaws.com.cn", "https", "s3.cn-north-1.amazonaws.com.cn",
       "b1", "cn-north-1", true},
      // A dotted bucket on https cannot be a virtual host (the certificate is *.s3...).
      {"https://my.dotted.bkt.s3.us-west-2.amazonaws.com", "https", "s3.us-west-2.amazonaws.com",
       "my.dotted.bkt", "us-west-2", false},
      {"https://mybucket", "https", "s3.us-east-1.amazonaws.com", "mybucket", "us-east-1", true},
      {"mybucket", "https", "s3.us-east-1.amazonaws.com", "mybucket", "us-east-1", true},
      {"http://127.0.0.1:9000/mybucket", "http", "127.0.0.1:9000", "mybucket", "us-east-1", false},
      {"127.0.0.1:9000/mybucket/", "http", "127.0.0.1:9000", "mybucket", "us-east-1", false},
      {"https://minio.example.com/mybucket/ignored/rest", "https", "minio.example.com",
       "mybucket", "us-east-1", false},
      {"http://mybucket.minio.local:9000", "http", "minio.local:9000", "mybucket", "us-east-1",
       false},
      {"http://[::1]:9000/mybucket", "http", "[::1]:9000", "mybucket", "us-east-1", false},
      {"https://b.s3.gra.cloud.ovh.net", "https", "s3.gra.cloud.ovh.net", "b", "gra", false},
      {"https://b.compat.objectstorage.eu-frankfurt-1.oraclecloud.com", "https",
       "compat.objectstorage.eu-frankfurt-1.oraclecloud.com", "b", "eu-frankfurt-1", false},
      {"https://b.vhcompat.objectstorage.eu-frankfurt-1.oraclecloud.com", "https",
       "vhcompat.objectstorage.eu-frankfurt-1.oraclecloud.com", "b", "eu-frankfurt-1", true},
      {"https://bkt.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com", "https",
       "vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com", "bkt", "us-east-1", false},
  };
  for (const Expect& e : cases) {
    SCOPED_TRACE(e.bucket_text);
    auto loc = ParseS3Location(Config("s3", e.bucket_text), FakeEnv({}));
    ASSERT_TRUE(loc.has_value()) << loc.error().ToString();
    EXPECT_EQ(loc->storage, "s3");
    EXPECT_EQ(loc->scheme, e.scheme);
    EXPECT_EQ(loc->endpoint, e.endpoint);
    EXPECT_EQ(loc->bucket, e.bucket);
    EXPECT_EQ(loc->region, e.region);
    EXPECT_EQ(loc->virtual_host, e.virtual_host);
    EXPECT_EQ(loc->Describe(), "s3://" + e.bucket + "/");
  }
}

TEST(S3ConfigTest, RegionAndStyleFromEnvironment) {
  auto env = FakeEnv({{"AWS_REGION", "eu-west-3"}, {"AWS_DEFAULT_REGION", "ignored"}});
  auto aws = ParseS3Location(Config("s3", "https://mybucket"), env);
  ASSERT_TRUE(aws.has_value());
  EXPECT_EQ(aws->region, "eu-west-3");
  EXPECT_EQ(aws->endpoint, "s3.eu-west-3.amazonaws.com");
  // A region in the host wins over the environment.
  auto named = ParseS3Location(Config("s3", "https://b.s3.us-west-1.amazonaws.com"), env);
  EXPECT_EQ(named->region, "us-west-1");
  auto custom = ParseS3Location(Config("s3", "http://127.0.0.1:9000/b"),
                                FakeEnv({{"AWS_DEFAULT_REGION", "ap-east-1"}}));
  EXPECT_EQ(custom->region, "ap-east-1");
  EXPECT_FALSE(custom->virtual_host);
  for (const char* on : {"1", "true"}) {
    auto vhost = ParseS3Location(Config("s3", "http://127.0.0.1:9000/b"),
                                 FakeEnv({{"JFS_S3_VHOST_STYLE", on}}));
    EXPECT_TRUE(vhost->virtual_host) << on;
  }
  auto off = ParseS3Location(Config("s3", "http://127.0.0.1:9000/b"),
                             FakeEnv({{"JFS_S3_VHOST_STYLE", "false"}}));
  EXPECT_FALSE(off->virtual_host);
}

TEST(S3ConfigTest, MinioBucketForms) {
  auto a = ParseMinioLocation(Config("minio", "http://127.0.0.1:9000/bkt"), FakeEnv({}));
  ASSERT_TRUE(a.has_value()) << a.error().ToString();
  EXPECT_EQ(a->scheme, "http");
  EXPECT_EQ(a->endpoint, "127.0.0.1:9000");
  EXPECT_EQ(a->bucket, "bkt");
  EXPECT_EQ(a->region, "us-east-1");
  EXPECT_FALSE(a->virtual_host);
  EXPECT_EQ(a->Describe(), "minio://127.0.0.1:9000/bkt/");
  auto b = ParseMinioLocation(Config("minio", "minio.local:9000/minio/bkt/x"), FakeEnv({}));
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->scheme, "http");
  EXPECT_EQ(b->bucket, "bkt");
  auto c = ParseMinioLocation(Config("minio", "https://h/bkt?region=eu-1"), FakeEnv({}));
  EXPECT_EQ(c->region, "eu-1");
  EXPECT_EQ(c->scheme, "https");
  auto d = ParseMinioLocation(Config("minio", "http://h:9000/bkt"), FakeEnv({{"MINIO_REGION", "r2"}}));
  EXPECT_EQ(d->region, "r2");
}

TEST(S3ConfigTest, Credentials) {
  // Given keys win; a session token is kept.
  StoreConfig given = Config("s3", "http://h:9000/b", "AK", "SK");
  given.session_token = "TOK";
  auto env = FakeEnv({{"AWS_ACCESS_KEY_ID", "envak"},
                      {"AWS_SECRET_ACCESS_KEY", "envsk"},
                      {"AWS_SESSION_TOKEN", "envtok"},
                      {"MINIO_ACCESS_KEY", "mak"},
                      {"MINIO_SECRET_KEY", "msk"}});
  auto g = ParseS3Location(given, env);
  EXPECT_EQ(g->creds.access_key, "AK");
  EXPECT_EQ(g->creds.secret_key, "SK");
  EXPECT_EQ(g->creds.session_token, "TOK");
  // None given: the AWS variables (s3), MinIO's own first (minio).
  auto s3 = ParseS3Location(Config("s3", "http://h:9000/b", "", ""), env);
  EXPECT_EQ(s3->creds.access_key, "envak");
  EXPECT_EQ(s3->creds.secret_key, "envsk");
  EXPECT_EQ(s3->creds.session_token, "envtok");
  auto mn = ParseMinioLocation(Config("minio", "http://h:9000/b", "", ""), env);
  EXPECT_EQ(mn->creds.access_key, "mak");
  EXPECT_EQ(mn->creds.secret_key, "msk");
  auto anon = ParseS3Location(Config("s3", "http://h:9000/b", "anonymous", ""), FakeEnv({}));
  ASSERT_TRUE(anon.has_value());
  EXPECT_TRUE(anon->anonymous);
  auto none = ParseS3Location(Config("s3", "http://h:9000/b", "", ""), FakeEnv({}));
  ASSERT_FALSE(none.has_value());
  EXPECT_EQ(none.error().code(), EINVAL);
  EXPECT_NE(none.error().message().find("AWS_ACCESS_KEY_ID"), std::string::npos);
}

TEST(S3ConfigTest, MalformedBucketIsOneLineEinval) {
  for (const char* bad : {"ftp://h/b", "http://", "http://h:99999/b", "http://h:9000/b%20d",
                          "http://u:pw123@h:9000/b", "https://bkt.foo.amazonaws.com"}) {
    auto r = ParseS3Location(Config("s3", bad), FakeEnv({}));
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().code(), EINVAL) << bad;
    EXPECT_EQ(r.error().message().find('\n'), std::string::npos) << r.error().message();
    EXPECT_EQ(r.error().message().find("pw123"), std::string::npos) << r.error().message();
  }
  for (const char* bad : {"http://h:9000", "http://h:9000/", "ftp://h/b", "http://h:9000/a*b"}) {
    auto r = ParseMinioLocation(Config("minio", bad), FakeEnv({}));
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().code(), EINVAL) << bad;
  }
  auto msg = ParseMinioLocation(Config("minio", "http://h:9000"), FakeEnv({}));
  EXPECT_EQ(msg.error().message(),
            "invalid --bucket 'http://h:9000' for storage minio: no bucket name "
            "(http://HOST:PORT/BUCKET)");
}

TEST(S3ConfigTest, RegisteredByName) {
  for (const char* storage : {"s3", "minio"}) {
    auto s = OpenObjectStore(Config(storage, "http://127.0.0.1:9/bkt"));
    ASSERT_TRUE(s.has_value()) << storage << ": " << s.error().ToString();
    EXPECT_NE((*s)->Describe().find("bkt"), std::string::npos);
    auto bad = OpenObjectStore(Config(storage, "ftp://127.0.0.1:9/bkt"));
    ASSERT_FALSE(bad.has_value());
    EXPECT_EQ(bad.error().code(), EINVAL);
  }
}

}  // namespace
}  // namespace tierfs::object
