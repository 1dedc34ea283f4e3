// OpenObjectStore (object_store.h): one table from storage name to factory. A new backend adds
// its .h/.cc pair and one line here.
#include <array>

#include "object/azure_store.h"
#include "object/file_store.h"
#include "object/gcs_store.h"
#include "object/mem_store.h"
#include "object/object_store.h"
#include "object/s3_store.h"

namespace tierfs::object {
namespace {

using Factory = Result<std::unique_ptr<ObjectStore>> (*)(const StoreConfig&);

struct Backend {
  std::string_view storage;
  Factory factory;
};

constexpr std::array kBackends = {
    Backend{"file", &NewFileStore},
    Backend{"mem", &NewMemStore},
    Backend{"s3", &NewS3Store},
    Backend{"minio", &NewMinioStore},
    Backend{"gs", &NewGcsStore},
    Backend{"wasb", &NewAzureStore},
    Backend{"azure", &NewAzureStore},  // tierfs's alias: the setting keeps JuiceFS's "wasb"
};

}  // namespace

Result<std::unique_ptr<ObjectStore>> OpenObjectStore(const StoreConfig& config) {
  for (const Backend& b : kBackends) {
    if (b.storage == config.storage) return b.factory(config);
  }
  std::string known;
  for (const Backend& b : kBackends) {
    if (!known.empty()) known += ", ";
    known += b.storage;
  }
  return Err(EINVAL, "unknown storage '" + config.storage + "' (known: " + known + ")");
}

}  // namespace tierfs::object
