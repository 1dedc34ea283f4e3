#include <cstdlib>

#include "redis_test_util.h"

namespace tierfs::net::redis {
namespace {

// A server with a TLS port besides its plain one, and a self-signed certificate for
// "localhost" that the client trusts as its CA.
class RedisTlsTest : public RedisFixture {
 protected:
  void SetUp() override {
    TIERFS_REQUIRE_REDIS();
    char tmpl[] = "/tmp/tierfs-redis-tls-XXXXXX";
    ASSERT_TRUE(::mkdtemp(tmpl));
    certs_ = tmpl;
    std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost "
                      "-addext subjectAltName=DNS:localhost -keyout " + certs_ + "/key.pem -out " +
                      certs_ + "/cert.pem >/dev/null 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << "openssl cannot make a certificate (apt-get install openssl)";
    auto port = testing::RedisServer::FreePort();
    ASSERT_TRUE(port.has_value());
    tls_port_ = *port;
    RedisFixture::SetUp();
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(certs_, ec);
  }
  std::vector<std::string> ServerArgs() override {
    return {"--tls-port", std::to_string(tls_port_), "--tls-cert-file", certs_ + "/cert.pem",
            "--tls-key-file", certs_ + "/key.pem", "--tls-ca-cert-file", certs_ + "/cert.pem",
            "--tls-auth-clients", "no"};
  }
  Options TlsOpts() {
    Options o = Opts();
    o.port = tls_port_;
    o.tls.enabled = true;
    o.tls.ca_file = certs_ + "/cert.pem";
    o.tls.server_name = "localhost";
    return o;
  }
  std::string certs_;
  int tls_port_ = 0;
};

TEST_F(RedisTlsTest, PipelinedAndCachedOverTls) {
  auto c = Connect(TlsOpts());
  ASSERT_TRUE(c);
  std::atomic<int> bad{0};
  Parallel(4, [&](int t) {
    for (int i = 0; i < 300; i++) {
      std::string k = "t" + std::to_string(t);
      auto set = c->Send({"SET", k, std::to_string(i)});
      auto get = c->Send({"GET", k});
      if (!set.Get() || get.Get().value_or(Reply{}).str != std::to_string(i)) bad++;
    }
  });
  EXPECT_EQ(bad.load(), 0);
  EXPECT_TRUE(c->CacheEnabled());
  EXPECT_EQ(Must(c->DoCached({"GET", "t0"}, "t0")).str, "299");
  EXPECT_EQ(Must(c->DoCached({"GET", "t0"}, "t0")).str, "299");
  EXPECT_EQ(c->Stats().cache_hits, 1u);
  auto lease = c->Lease();
  ASSERT_TRUE(lease.has_value());
  EXPECT_EQ(Must((*lease)->Do({"GET", "t1"})).str, "299");
}

TEST_F(RedisTlsTest, UntrustedCertificateIsRefused) {
  Options o = TlsOpts();
  o.tls.ca_file.clear();  // the system store does not know our self-signed certificate
  auto c = Client::Connect(o);
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error().code(), EPROTO) << c.error().ToString();
  o.tls.insecure_skip_verify = true;
  EXPECT_TRUE(Client::Connect(o).has_value());
}

}  // namespace
}  // namespace tierfs::net::redis
