// Where a Google Cloud Storage bucket is and which credentials reach it, from `--storage gs
// --bucket B`, parsed as JuiceFS parses it (pkg/object/gs.go newGS), plus a custom endpoint
// for emulators.
//
// --bucket (no scheme means gs://):
//   gs://BUCKET[.REGION]   JuiceFS's form: the host's first label is the bucket, the second
//   BUCKET[.REGION]        (optional) the location Create() asks for; a path is ignored
//   http://HOST:PORT/BUCKET  tierfs's form for an emulator or a JSON-API-compatible server:
//   https://HOST/BUCKET      the endpoint is scheme://HOST[:PORT], the bucket the first segment
// Endpoint: https://storage.googleapis.com, or STORAGE_EMULATOR_HOST ("host:port" means http,
// or a URL) as Google's client libraries honour it, or the custom endpoint above.
// Credentials (access/secret keys are ignored by JuiceFS; HMAC keys work through --storage s3
// --bucket https://storage.googleapis.com/BUCKET):
//   - STORAGE_EMULATOR_HOST: none, requests go unauthenticated (as Google's libraries do);
//   - --secret-key: the path of a credentials JSON file, or the JSON text itself;
//   - else, for Google's endpoint only: GOOGLE_APPLICATION_CREDENTIALS (a file path), then
//     gcloud's application_default_credentials.json ($CLOUDSDK_CONFIG, else
//     $HOME/.config/gcloud). Without any: EINVAL (the GCE metadata server is not asked).
//   - a custom endpoint without --secret-key: unauthenticated.
// Project (for Create only): GOOGLE_CLOUD_PROJECT, else the service account's project_id.
//
// Errors: EINVAL with one line naming the bucket text: a malformed URL, an unknown scheme, no
// bucket, a bad bucket name, a credentials file that cannot be read or parsed (gcs_auth.h),
// no credentials for Google's endpoint.
// Thread-safety: pure functions, apart from reading the credentials file.
#pragma once

#include <optional>
#include <string>

#include "object/env.h"
#include "object/gcs_auth.h"
#include "object/object_store.h"

namespace tierfs::object {

inline constexpr const char* kGoogleStorageEndpoint = "https://storage.googleapis.com";

struct GcsLocation {
  std::string bucket;
  std::string region;    // "" = the server's default location
  std::string endpoint;  // scheme://host[:port] of the JSON API, no trailing '/'
  std::optional<gcs::GoogleCredentials> credentials;  // nullopt = unauthenticated requests
  std::string credentials_source;  // the file (or "--secret-key") they came from, for messages
  std::string project;

  // "gs://BUCKET/" (JuiceFS's String()).
  std::string Describe() const { return "gs://" + bucket + "/"; }
};

Result<GcsLocation> ParseGcsLocation(const StoreConfig& config, const EnvLookup& env);

}  // namespace tierfs::object
