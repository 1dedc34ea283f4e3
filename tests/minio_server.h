// MinioServer: a real MinIO for tests, started on free 127.0.0.1 ports (API and console) with
// a fresh data directory, and stopped by pid (SIGTERM, then waitpid). Readiness is MinIO's
// own /minio/health/ready answering 200 and a request signed with an unknown key refused as
// InvalidAccessKeyId rather than 503 (its IAM comes up after S3 answers), polled until a
// deadline (the server announces nothing we could wait on). The child dies with the test process (PR_SET_PDEATHSIG).
//
// The binary is built by scripts/install-deps.sh (`go install github.com/minio/minio@latest`,
// kept in /root/go/bin between runs). Without it the tests fail with that hint; they are
// never skipped.
//
// TemporaryCredentials() gets a session token from MinIO's STS.
//
// Shared() is one server per test binary, started on first use and stopped at exit: each
// test makes its own bucket in it, which keeps the suites fast (a start costs ~1 s).
// Thread-safety: Start/Stop from one test thread; Shared() may be called from any.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "child_process.h"
#include "net/http/http_client.h"
#include "object/sigv4.h"
#include "object/xml.h"
#include "poll_ready.h"
#include "port_holder.h"
#include "server_process.h"
#include "shared_server.h"
#include "util/status.h"

namespace tierfs::testing {

class MinioServer : public ServerProcess {
 public:
  static constexpr const char* kBinary = "/root/go/bin/minio";
  static constexpr const char* kUser = "tierfsadmin";
  static constexpr const char* kPassword = "tierfs-secret-key";
  static constexpr const char* kInstallHint =
      "minio not installed at /root/go/bin/minio (bash scripts/install-deps.sh, or "
      "/usr/local/go/bin/go install github.com/minio/minio@latest)";

  static bool Available() { return ::access(kBinary, X_OK) == 0; }

  // The process-wide server, started on first call; nullptr (and `why`) when it cannot start.
  static MinioServer* Shared(std::string* why = nullptr) { return SharedServer<MinioServer>(why); }

  // Starts MinIO on free ports and waits (60 s at most) until it is ready. With `tls`, it
  // serves https only, with a self-signed certificate for 127.0.0.1 (made with the openssl
  // command) whose path ca_file() gives.
  Status Start(bool tls = false) {
    if (!Available()) return Status(ENOENT, kInstallHint);
    RETURN_IF_ERROR(MakeDir("minio"));
    tls_ = tls;
    if (tls_) RETURN_IF_ERROR(MakeCertificate());
    int console = 0;
    {
      PortHolder api, ui;  // both held at once, so they differ; freed for MinIO to bind
      port_ = api.port();
      console = ui.port();
    }
    std::vector<std::string> args = {kBinary,
                                     "server",
                                     dir_ + "/data",
                                     "--address",
                                     "127.0.0.1:" + std::to_string(port_),
                                     "--console-address",
                                     "127.0.0.1:" + std::to_string(console),
                                     "--quiet"};
    if (tls_) args.insert(args.end(), {"--certs-dir", dir_ + "/certs"});
    RETURN_IF_ERROR(Spawn(args, {{"MINIO_ROOT_USER", kUser},
                                 {"MINIO_ROOT_PASSWORD", kPassword},
                                 {"MINIO_BROWSER", "off"},
                                 {"MINIO_UPDATE", "off"}}));
    return WaitReady();
  }

  // "http://127.0.0.1:PORT" (https with TLS)
  std::string endpoint() const {
    return (tls_ ? "https" : "http") + std::string("://127.0.0.1:") + std::to_string(port_);
  }
  // Temporary credentials of the root user from MinIO's STS: AssumeRole, a form POST signed
  // for service "sts". MinIO sets up its IAM after S3 already answers and says "not
  // initialized" until then: the request is polled (PollReady, 30 s at most) until another
  // answer comes.
  Result<object::sigv4::Credentials> TemporaryCredentials() {
    const std::string form = "Action=AssumeRole&Version=2011-06-15&DurationSeconds=900";
    net::http::HttpOptions o;
    o.ca_file = ca_file();
    net::http::HttpClient client(o);
    Result<net::http::HttpResponse> reply = Err(EIO, "AssumeRole not sent");
    auto answered = [&] {
      object::sigv4::Request req;
      req.method = "POST";
      req.path = "/";
      req.headers = {{"Host", "127.0.0.1:" + std::to_string(port_)},
                     {"Content-Type", "application/x-www-form-urlencoded"}};
      req.payload_hash = object::sigv4::Sha256Hex(form);
      object::sigv4::SignOptions sts;
      sts.service = "sts";
      object::sigv4::Sign(req, {kUser, kPassword, ""}, sts, std::time(nullptr));
      net::http::HttpRequest post;
      post.method = "POST";
      post.url = endpoint() + "/";
      post.headers = req.headers;
      post.body = form;
      reply = client.Do(post);
      return !reply || reply->body.find("not initialized") == std::string::npos;
    };
    RETURN_IF_ERROR(PollReady(pid_, "minio's STS", std::chrono::seconds(30), answered,
                              [&] { return Log(); }));
    if (!reply) return Err(reply.error());
    if (reply->status != 200)
      return Err(EIO, "AssumeRole: HTTP " + std::to_string(reply->status) + ": " + reply->body);
    ASSIGN_OR_RETURN(object::XmlNode doc, object::ParseXml(reply->body));
    const object::XmlNode* result = doc.Child("AssumeRoleResult");
    const object::XmlNode* c = result ? result->Child("Credentials") : nullptr;
    if (c == nullptr) return Err(EIO, "AssumeRole: no credentials in " + reply->body);
    return object::sigv4::Credentials{std::string(c->ChildText("AccessKeyId")),
                                      std::string(c->ChildText("SecretAccessKey")),
                                      std::string(c->ChildText("SessionToken"))};
  }

  // The certificate to trust for a TLS server ("" without TLS).
  std::string ca_file() const { return tls_ ? dir_ + "/certs/public.crt" : ""; }

 private:
  // MinIO reads public.crt and private.key from its certs directory.
  Status MakeCertificate() {
    std::string certs = dir_ + "/certs";
    std::filesystem::create_directories(certs);
    std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
                      "-addext subjectAltName=IP:127.0.0.1 -keyout " + certs + "/private.key -out " +
                      certs + "/public.crt >" + dir_ + "/openssl.log 2>&1";
    if (std::system(cmd.c_str()) != 0) {
      return Status(EIO, "openssl cannot make a certificate (apt-get install openssl)");
    }
    return Status();
  }

  // Ready when /minio/health/ready answers 200 and a ListBuckets signed with an unknown
  // access key is refused as such (403 InvalidAccessKeyId): before its IAM is up MinIO answers
  // 503 (XMinioServerNotInitialized, XMinioIAMNotInitialized), and the wrong-credentials tests
  // would read that instead.
  Status WaitReady() {
    net::http::HttpOptions o;
    o.connect_timeout_ms = 1000;
    o.timeout_ms = 2000;
    o.ca_file = ca_file();
    net::http::HttpClient client(o);
    net::http::HttpRequest ready;
    ready.url = endpoint() + "/minio/health/ready";
    auto unknown_key_refused = [&] {
      object::sigv4::Request req;
      req.method = "GET";
      req.path = "/";
      req.headers = {{"Host", "127.0.0.1:" + std::to_string(port_)}};
      req.payload_hash = std::string(object::sigv4::kUnsignedPayload);
      object::sigv4::Sign(req, {"tierfs-readiness-probe", "x", ""}, {}, std::time(nullptr));
      net::http::HttpRequest list;
      list.url = endpoint() + "/";
      list.headers = req.headers;
      auto answer = client.Do(list);
      return answer && answer->status == 403 &&
             answer->body.find("InvalidAccessKeyId") != std::string::npos;
    };
    return PollReady(
        pid_, "minio", std::chrono::seconds(60),
        [&] {
          auto r = client.Do(ready);
          return r && r->status == 200 && unknown_key_refused();
        },
        [&] { return Log(); });
  }

  bool tls_ = false;
};

}  // namespace tierfs::testing

// The MinIO tests need the minio binary: without it they fail with the install hint; they are
// never skipped.
#define TIERFS_REQUIRE_MINIO()                                                  \
  do {                                                                          \
    if (!::tierfs::testing::MinioServer::Available())                           \
      FAIL() << ::tierfs::testing::MinioServer::kInstallHint;                   \
  } while (0)
