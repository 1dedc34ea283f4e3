// Where an S3 bucket is and how to sign for it, from `--storage s3|minio --bucket B` and the
// credentials, parsed the way JuiceFS parses them (pkg/object/s3.go newS3, minio.go newMinio,
// object_storage.go defaultPathStyle), so a volume formatted by either opens in both.
//
// s3 (no scheme: http:// when the text has a dot and does not end in .amazonaws.com, else
// https://; '/' trimmed at both ends):
//   https://BUCKET.s3.REGION.amazonaws.com   AWS, virtual-host; region from the host
//   https://s3.REGION.amazonaws.com/BUCKET   AWS too (the bucket is the first path segment),
//                                            still sent virtual-host
//   https://BUCKET                           AWS, region from AWS_REGION / AWS_DEFAULT_REGION
//                                            or us-east-1 (JuiceFS probes GetBucketLocation
//                                            instead; tierfs does not)
//   http://HOST:PORT/BUCKET                  S3-compatible endpoint, path style
//   http://BUCKET.HOST:PORT                  S3-compatible endpoint, still path style
//   Region: from the host (AWS, OVH s3.REGION.cloud.ovh.net, Oracle
//   compat.objectstorage.REGION.oraclecloud.com), else AWS_REGION, AWS_DEFAULT_REGION,
//   us-east-1. JFS_S3_VHOST_STYLE (not "", "0", "false") makes custom endpoints virtual-host.
// minio (no scheme: http://): http://HOST:PORT/BUCKET, path style; region from "?region=",
//   MINIO_REGION, us-east-1; a leading "minio/" path segment is dropped.
// A bucket with a '.' on https AWS goes path style (a virtual host name would not match the
// TLS certificate), as the AWS SDKs do.
//
// Credentials: StoreConfig access_key/secret_key/session_token; when access_key is empty,
// for minio MINIO_ACCESS_KEY / MINIO_SECRET_KEY, then (both) AWS_ACCESS_KEY_ID /
// AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN. access_key "anonymous" sends unsigned requests.
// (~/.aws/credentials, web identity and instance metadata are not read.)
//
// Errors: EINVAL with one line naming the bucket text: a malformed URL, a scheme other than
// http/https, no bucket name, a bad bucket name, no credentials at all.
// Thread-safety: pure functions (the environment is read through `env`).
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "object/env.h"
#include "object/object_store.h"
#include "object/sigv4.h"

namespace tierfs::object {

struct S3Location {
  std::string storage;   // "s3" or "minio": Describe() is "s3://BUCKET/" or "minio://HOST/BUCKET/"
  std::string scheme;    // "http" or "https"
  std::string endpoint;  // service host[:port] without the bucket: "s3.us-west-2.amazonaws.com"
  std::string bucket;
  std::string region;
  bool virtual_host = false;  // BUCKET.endpoint/KEY instead of endpoint/BUCKET/KEY
  bool anonymous = false;     // unsigned requests
  sigv4::Credentials creds;

  std::string Describe() const;
};

Result<S3Location> ParseS3Location(const StoreConfig& config, const EnvLookup& env);
Result<S3Location> ParseMinioLocation(const StoreConfig& config, const EnvLookup& env);

}  // namespace tierfs::object
