// FakeEnv: an EnvLookup (object/env.h) over a map, so that the storage parsers' tests never
// see the machine's own AWS_*/AZURE_*/GOOGLE_* variables.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "object/env.h"

namespace tierfs::object::testing {

inline EnvLookup FakeEnv(std::map<std::string, std::string> vars = {}) {
  return [vars = std::move(vars)](const char* name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

}  // namespace tierfs::object::testing
