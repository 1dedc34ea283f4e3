// AzuriteServer: a real Azurite blob service (Microsoft's Azure Storage emulator, npm package
// `azurite`, binary `azurite-blob`) for tests, started on a free 127.0.0.1 port with a fresh
// data directory and stopped by pid (SIGTERM, then waitpid). It checks Shared Key signatures
// and SAS tokens of its well-known account devstoreaccount1 (kAzuriteAccount/kAzuriteKey in
// object/azure_config.h). Readiness: an unauthenticated List Containers request gets any
// HTTP answer, polled until a deadline (tests/poll_ready.h). The child dies with the test
// process (PR_SET_PDEATHSIG); tests/server_process.h.
//
// scripts/install-deps.sh installs it (`npm install -g azurite`). Without it the tests fail
// with that hint; they are never skipped.
//
// Shared() is one server per test binary, started on first use: each test makes its own
// container in it.
// Thread-safety: Start/Stop from one test thread; Shared() may be called from any.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string>

#include "net/http/http_client.h"
#include "object/azure_config.h"
#include "poll_ready.h"
#include "port_holder.h"
#include "server_process.h"
#include "shared_server.h"
#include "util/status.h"

namespace tierfs::testing {

class AzuriteServer : public ServerProcess {
 public:
  static constexpr const char* kInstallHint =
      "azurite-blob not found on PATH (bash scripts/install-deps.sh, or npm install -g azurite)";

  // The azurite-blob launcher npm installed (on PATH, or npm's usual global bin
  // directories), or "".
  static std::string Binary() {
    std::string dirs = std::getenv("PATH") ? std::getenv("PATH") : "";
    dirs += ":/usr/bin:/usr/local/bin";
    for (size_t start = 0; start < dirs.size();) {
      size_t end = std::min(dirs.find(':', start), dirs.size());
      std::string p = dirs.substr(start, end - start) + "/azurite-blob";
      if (end > start && ::access(p.c_str(), X_OK) == 0) return p;
      start = end + 1;
    }
    return "";
  }
  static bool Available() { return !Binary().empty(); }

  static AzuriteServer* Shared(std::string* why = nullptr) {
    return SharedServer<AzuriteServer>(why);
  }

  // Starts Azurite on a free port and waits (60 s at most) until it answers.
  Status Start() {
    if (!Available()) return Status(ENOENT, kInstallHint);
    RETURN_IF_ERROR(MakeDir("azurite"));
    port_ = PortHolder().port();  // free a moment ago; Azurite binds it next
    std::vector<std::string> args = {Binary(),
                                     "--blobHost",
                                     "127.0.0.1",
                                     "--blobPort",
                                     std::to_string(port_),
                                     "--location",
                                     dir_ + "/data",
                                     "--silent",
                                     "--skipApiVersionCheck",
                                     "--loose",
                                     "--disableTelemetry"};
    RETURN_IF_ERROR(Spawn(args));
    net::http::HttpOptions o;
    o.connect_timeout_ms = 1000;
    o.timeout_ms = 2000;
    net::http::HttpClient client(o);
    net::http::HttpRequest list;
    list.url = endpoint() + "/?comp=list";  // unsigned: any HTTP answer means it serves
    return PollReady(
        pid_, "azurite", std::chrono::seconds(60), [&] { return client.Do(list).has_value(); },
        [&] { return Log(); });
  }

  // "http://127.0.0.1:PORT/devstoreaccount1": the account's Blob service URL.
  std::string endpoint() const {
    return "http://127.0.0.1:" + std::to_string(port_) + "/" + object::kAzuriteAccount;
  }
  // A connection string for the well-known account, as Azure's tools write them.
  std::string ConnectionString() const {
    return std::string("DefaultEndpointsProtocol=http;AccountName=") + object::kAzuriteAccount +
           ";AccountKey=" + object::kAzuriteKey + ";BlobEndpoint=" + endpoint() + ";";
  }
};

}  // namespace tierfs::testing

#define TIERFS_REQUIRE_AZURITE()                                \
  do {                                                          \
    if (!::tierfs::testing::AzuriteServer::Available())         \
      FAIL() << ::tierfs::testing::AzuriteServer::kInstallHint; \
  } while (0)
