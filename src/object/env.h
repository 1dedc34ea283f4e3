// EnvLookup: how the storage parsers (s3_config.h, azure_config.h, gcs_config.h) read the
// process environment for credentials and endpoints. The factories pass SystemEnv(); tests
// pass a map, so the machine's own AWS_*/AZURE_*/GOOGLE_* variables never change a test.
//
// Thread-safety: SystemEnv() reads getenv, safe as long as nobody calls setenv meanwhile.
#pragma once

#include <functional>
#include <optional>
#include <string>

namespace tierfs::object {

// The value of the variable `name`, or nullopt when it is not set.
using EnvLookup = std::function<std::optional<std::string>(const char* name)>;

// The process environment.
EnvLookup SystemEnv();

// The value of `name`, or "" when it is unset.
std::string EnvOr(const EnvLookup& env, const char* name);

}  // namespace tierfs::object
