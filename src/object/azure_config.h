// Where an Azure Blob container is and how to authorize for it, from `--storage wasb|azure
// --bucket B` and the credentials, parsed as JuiceFS parses them (pkg/object/azure.go newWasb,
// domainFromHost, normalizeSASToken), plus the forms Azure's own tools print.
//
// --bucket (no scheme means https://; a trailing '/' is dropped):
//   https://CONTAINER.core.windows.net      JuiceFS's form: the container is the first label;
//   https://CONTAINER.blob.core.windows.net the rest is the domain ("blob." put in front when
//   CONTAINER                               it lacks it; none means blob.core.windows.net); the
//                                           account is the access key (below)
//   https://ACCOUNT.blob.core.windows.net/CONTAINER   the container URL the portal shows; the
//                                           account is the host's first label
//   http://127.0.0.1:10000/ACCOUNT/CONTAINER  an emulator (Azurite): path style, two segments
// Credentials, the first that applies (JuiceFS reads only 1 and 2):
//   1. AZURE_STORAGE_CONNECTION_STRING, "Key=Value;..." with AccountName, AccountKey,
//      SharedAccessSignature, BlobEndpoint (the service URL, e.g.
//      http://127.0.0.1:10000/devstoreaccount1), DefaultEndpointsProtocol, EndpointSuffix, or
//      UseDevelopmentStorage=true (Azurite on 127.0.0.1:10000 with its well-known account).
//      It replaces the bucket's endpoint and account; the container still comes from --bucket.
//   2. --access-key = account name, --secret-key = account key (base64), --session-token =
//      a SAS token (a leading '?' is dropped), as JuiceFS maps them.
//   3. AZURE_STORAGE_ACCOUNT, AZURE_STORAGE_KEY, AZURE_STORAGE_SAS_TOKEN for what 2 left empty.
// With an account key requests are signed with Shared Key (azure_auth.h); else the SAS token
// is appended to every URL. Managed identities / Azure AD tokens are not supported.
//
// Errors: EINVAL with one line naming the bucket text: a malformed URL or connection string,
// a scheme other than http/https, no container, a bad container name, no account, a key that
// is not base64, no credentials at all, an access key naming another account than the URL.
// Thread-safety: pure functions (the environment is read through `env`).
#pragma once

#include <string>

#include "object/azure_auth.h"
#include "object/env.h"
#include "object/object_store.h"

namespace tierfs::object {

struct AzureLocation {
  std::string scheme;     // "http" or "https"
  std::string host;       // host[:port] of the Blob service: "acct.blob.core.windows.net"
  std::string base_path;  // "" or, for an emulator, "/ACCOUNT": what comes before /CONTAINER
  std::string account;
  std::string container;
  std::string key;  // the decoded account key; "" = no Shared Key
  std::string sas;  // the SAS query without '?'; used when there is no key

  // "wasb://CONTAINER/" (JuiceFS's String()).
  std::string Describe() const;
};

Result<AzureLocation> ParseAzureLocation(const StoreConfig& config, const EnvLookup& env);

// Azurite's well-known development account and key (published in Azure's emulator docs).
inline constexpr const char* kAzuriteAccount = "devstoreaccount1";
inline constexpr const char* kAzuriteKey =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

}  // namespace tierfs::object
