#include "object/env.h"

#include <cstdlib>

namespace tierfs::object {

EnvLookup SystemEnv() {
  return [](const char* name) -> std::optional<std::string> {
    const char* v = std::getenv(name);
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

std::string EnvOr(const EnvLookup& env, const char* name) {
  std::optional<std::string> v = env(name);
  return v ? *v : std::string();
}

}  // namespace tierfs::object
