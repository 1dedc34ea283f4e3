// object/azure_reply.h on replies shaped as Microsoft's Blob service reference documents them
// (Azurite does not send all of them: it says AuthorizationFailure for a bad signature where
// Azure says AuthenticationFailed, it never throttles, and it cannot list a name XML cannot
// carry).
#include "object/azure_reply.h"

#include <gtest/gtest.h>

namespace tierfs::object {
namespace {

net::http::HttpResponse Reply(int status, std::string body, net::http::Headers headers = {}) {
  net::http::HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

std::string ErrorBody(const std::string& code, const std::string& message) {
  return "\xef\xbb\xbf<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>" + code +
         "</Code><Message>" + message +
         "\nRequestId:0a1b2c3d-0001-0002-0003-000000000000\nTime:2026-01-01T00:00:00.0000000Z"
         "</Message></Error>";
}

TEST(AzureReplyTest, ErrorCodesAndTheServersFirstLine) {
  struct Case {
    int status;
    std::string code;
    int want;
  };
  const std::vector<Case> cases = {
      {403, "AuthenticationFailed", EACCES},
      {403, "AuthorizationPermissionMismatch", EACCES},
      {404, "BlobNotFound", ENOENT},
      {404, "ContainerNotFound", ENOENT},
      {503, "ServerBusy", EBUSY},
      {500, "OperationTimedOut", ETIMEDOUT},
      {500, "InternalError", EIO},
      {400, "InvalidBlockList", EINVAL},
      {409, "LeaseIdMissing", EIO},
      {400, "SomethingNew", EINVAL},
  };
  for (const Case& c : cases) {
    Status st =
        AzureStatusOf(Reply(c.status, ErrorBody(c.code, "Said the server.")), "PUT wasb://c/k");
    EXPECT_EQ(st.code(), c.want) << c.code;
    EXPECT_EQ(st.message(), "PUT wasb://c/k: " + c.code + ": Said the server.");
  }
}

TEST(AzureReplyTest, HeadRepliesCarryOnlyTheHeader) {
  Status st =
      AzureStatusOf(Reply(404, "", {{"x-ms-error-code", "ContainerNotFound"}}), "HEAD wasb://c/k");
  EXPECT_EQ(st.code(), ENOENT);
  EXPECT_EQ(st.message(), "HEAD wasb://c/k: ContainerNotFound");
  st = AzureStatusOf(Reply(503, "", {{"x-ms-error-code", "ServerBusy"}}), "HEAD wasb://c/k");
  EXPECT_EQ(st.code(), EBUSY);
}

TEST(AzureReplyTest, RepliesThatAreNotAzures) {
  Status st =
      AzureStatusOf(Reply(502, "<html>\n<body>Bad Gateway</body></html>"), "GET wasb://c/k");
  EXPECT_EQ(st.code(), EIO);
  EXPECT_EQ(st.message(), "GET wasb://c/k: HTTP 502: <html>");
  EXPECT_EQ(AzureStatusOf(Reply(429, ""), "x").code(), EBUSY);
  EXPECT_EQ(AzureStatusOf(Reply(403, "denied"), "x").code(), EACCES);
}

TEST(AzureReplyTest, ListBlobsPage) {
  const std::string body =
      "<?xml version=\"1.0\" encoding=\"utf-8\"?>"
      "<EnumerationResults ServiceEndpoint=\"https://a.blob.core.windows.net/\" "
      "ContainerName=\"c\">"
      "<Prefix>p/</Prefix><MaxResults>2</MaxResults><Blobs>"
      "<Blob><Name>p/a &amp; b</Name><Properties><Last-Modified>Sun, 06 Nov 1994 08:49:37 GMT"
      "</Last-Modified><Content-Length>12</Content-Length><BlobType>BlockBlob</BlobType>"
      "</Properties></Blob>"
      "<Blob><Name Encoded=\"true\">p/%1Fctl</Name><Properties><Last-Modified>Sun, 06 Nov 1994 "
      "08:49:38 GMT</Last-Modified><Content-Length>0</Content-Length></Properties></Blob>"
      "</Blobs><NextMarker>2!72!MDAwMDI</NextMarker></EnumerationResults>";
  auto page = ParseListBlobs(body);
  ASSERT_TRUE(page.has_value()) << page.error().ToString();
  ASSERT_EQ(page->objects.size(), 2u);
  EXPECT_EQ(page->objects[0].key, "p/a & b");
  EXPECT_EQ(page->objects[0].size, 12u);
  EXPECT_EQ(page->objects[0].mtime, 784111777);
  EXPECT_EQ(page->objects[1].key,
            "p/\x1f"
            "ctl");
  EXPECT_EQ(page->objects[1].size, 0u);
  EXPECT_EQ(page->next_marker, "2!72!MDAwMDI");

  auto last = ParseListBlobs("<EnumerationResults><Blobs /><NextMarker /></EnumerationResults>");
  ASSERT_TRUE(last.has_value());
  EXPECT_TRUE(last->objects.empty());
  EXPECT_EQ(last->next_marker, "");
  EXPECT_EQ(ParseListBlobs("<html>It works!</html>").error().code(), EIO);
  EXPECT_EQ(ParseListBlobs("It works!").error().code(), EIO);
  EXPECT_EQ(ParseListBlobs("<EnumerationResults><Blobs><Blob><Name>x</Name></Blob></Blobs>"
                           "</EnumerationResults>")
                .error()
                .code(),
            EIO);
}

TEST(AzureReplyTest, BlockListBody) {
  EXPECT_EQ(BlockListBody({"QQ==", "Qg=="}),
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList><Latest>QQ==</Latest>"
            "<Latest>Qg==</Latest></BlockList>");
}

}  // namespace
}  // namespace tierfs::object
