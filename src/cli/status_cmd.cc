// tierfs status META-URL: the volume setting (secrets removed) and its sessions, as JSON
// (JuiceFS cmd/status.go prints the same two sections).
#include <cstdio>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "meta/meta.h"

namespace tierfs::cli {
namespace {

int Run(const std::string& url) {
  auto m = meta::OpenMeta(url, /*must_exist=*/true);
  if (!m) return Fail("status", m.error().message());
  auto f = (*m)->Load();
  if (!f) {
    if (f.error().code() == ENOENT) return Fail("status", "database " + url + " holds no volume");
    return Fail("status", f.error().message());
  }
  auto sessions = (*m)->ListSessions();
  if (!sessions) return Fail("status", sessions.error().message());
  nlohmann::ordered_json out;
  out["Setting"] = nlohmann::ordered_json::parse(f->ToJson(/*remove_secrets=*/true), nullptr, false);
  out["Sessions"] = nlohmann::ordered_json::array();
  for (const auto& s : *sessions) {
    out["Sessions"].push_back({{"Sid", s.sid},
                               {"Expire", s.expire},
                               {"Version", s.version},
                               {"HostName", s.host_name},
                               {"IPAddrs", s.ip_addrs},
                               {"MountPoint", s.mount_point},
                               {"MountTime", s.mount_time},
                               {"ProcessID", s.process_id}});
  }
  std::printf("%s\n", out.dump(2).c_str());
  return 0;
}

}  // namespace

void AddStatus(CLI::App& app, int& rc) {
  CLI::App* c = app.add_subcommand("status", "Show the volume's setting and sessions");
  static std::string url;
  c->add_option("META-URL", url, "metadata engine URL")->required();
  c->callback([&rc] { rc = Run(url); });
}

}  // namespace tierfs::cli
