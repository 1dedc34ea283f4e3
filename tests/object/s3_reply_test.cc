// S3 reply bodies and their Status (src/object/s3_reply.h), and the XML tree under them
// (src/object/xml.h). The documents are shaped as the S3 API Reference shows them.
#include "object/s3_reply.h"

#include <gtest/gtest.h>

#include "object/xml.h"

namespace tierfs::object {
namespace {

net::http::HttpResponse Reply(int status, std::string body) {
  net::http::HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

std::string ErrorDoc(const std::string& code, const std::string& message) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + code + "</Code><Message>" +
         message + "</Message><Resource>/b/k</Resource><RequestId>4442587FB7D0A2F9</RequestId></Error>";
}

TEST(XmlTest, TreeTextAndErrors) {
  auto doc = ParseXml("<a x=\"1\"><b>t&amp;u</b><c><d>deep</d></c><b>second</b></a>");
  ASSERT_TRUE(doc.has_value());
  EXPECT_EQ(doc->name, "a");
  EXPECT_EQ(doc->ChildText("b"), "t&u");  // the first of two
  EXPECT_EQ(doc->children.size(), 3u);
  EXPECT_EQ(doc->Child("c")->ChildText("d"), "deep");
  EXPECT_EQ(doc->Child("zz"), nullptr);
  EXPECT_EQ(doc->ChildText("zz"), "");
  for (const char* bad : {"", "<a>", "<a></b>", "not xml", "<a/><b/>"}) {
    auto r = ParseXml(bad);
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().code(), EIO);
  }
  EXPECT_EQ(XmlEscape("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&apos;");
}

TEST(S3ReplyTest, ErrorCodesToErrno) {
  struct Case {
    int status;
    const char* code;
    int want;
  };
  for (const Case& c : std::vector<Case>{{404, "NoSuchKey", ENOENT},
                                         {404, "NoSuchBucket", ENOENT},
                                         {403, "InvalidAccessKeyId", EACCES},
                                         {403, "SignatureDoesNotMatch", EACCES},
                                         {403, "RequestTimeTooSkewed", EACCES},
                                         {403, "AccessDenied", EACCES},
                                         {409, "BucketAlreadyExists", EACCES},
                                         {503, "SlowDown", EBUSY},
                                         {503, "ServiceUnavailable", EBUSY},
                                         {400, "AuthorizationHeaderMalformed", EINVAL},
                                         {400, "InvalidBucketName", EINVAL},
                                         {507, "XMinioStorageFull", ENOSPC},
                                         {500, "InternalError", EIO},
                                         {403, "SomethingNew", EACCES},
                                         {301, "PermanentRedirect", EINVAL}}) {  // permanent: not retried
    Status st = S3StatusOf(Reply(c.status, ErrorDoc(c.code, "the server's words.")), "PUT s3://b/k");
    EXPECT_EQ(st.code(), c.want) << c.code;
    EXPECT_EQ(st.message(), std::string("PUT s3://b/k: ") + c.code + ": the server's words.");
  }
}

TEST(S3ReplyTest, NonS3Replies) {
  // An endpoint that is not an object store: the status and the start of what it sent.
  Status html = S3StatusOf(Reply(404, "<html>\n<body>Not Found</body></html>"), "GET s3://b/k");
  EXPECT_EQ(html.code(), ENOENT);
  EXPECT_EQ(html.message(), "GET s3://b/k: HTTP 404: <html> <body>Not Found</body></html>");
  EXPECT_EQ(S3StatusOf(Reply(502, ""), "x").message(), "x: HTTP 502");
  EXPECT_EQ(S3StatusOf(Reply(503, ""), "x").code(), EBUSY);
  EXPECT_EQ(S3StatusOf(Reply(429, ""), "x").code(), EBUSY);
  EXPECT_EQ(S3StatusOf(Reply(500, std::string(500, 'z')), "x").message().size(), 3u + 10 + 123);
  // HEAD replies have no body; MinIO names the error in headers.
  auto head = Reply(404, "");
  head.headers = {{"x-minio-error-code", "NoSuchBucket"},
                  {"x-minio-error-desc", "\"The specified bucket does not exist\""}};
  Status h = S3StatusOf(head, "HEAD minio://h/b/k");
  EXPECT_EQ(h.code(), ENOENT);
  EXPECT_EQ(h.message(), "HEAD minio://h/b/k: NoSuchBucket: The specified bucket does not exist");
  // A redirect names the endpoint to use.
  std::string redirect =
      "<Error><Code>PermanentRedirect</Code><Message>Use the endpoint.</Message>"
      "<Endpoint>b.s3.eu-west-1.amazonaws.com</Endpoint></Error>";
  EXPECT_EQ(S3StatusOf(Reply(301, redirect), "x").message(),
            "x: PermanentRedirect: Use the endpoint. (endpoint b.s3.eu-west-1.amazonaws.com)");
  EXPECT_FALSE(ParseS3Error("<ListBucketResult/>").has_value());
  EXPECT_FALSE(ParseS3Error("<Error></Error>").has_value());
}

TEST(S3ReplyTest, ListObjectsV2) {
  std::string doc =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<Name>b</Name><Prefix>a%2F</Prefix><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys>"
      "<EncodingType>url</EncodingType><IsTruncated>true</IsTruncated>"
      "<Contents><Key>a/x+y%2Bz%E6%B5%8B</Key><LastModified>2009-10-12T17:50:30.000Z</LastModified>"
      "<ETag>&quot;fba9dede5f27731c9771645a39863328&quot;</ETag><Size>434234</Size>"
      "<StorageClass>STANDARD</StorageClass></Contents>"
      "<Contents><Key>a/%1F%25</Key><LastModified>2009-10-12T17:50:31.000Z</LastModified>"
      "<Size>0</Size></Contents>"
      "<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>"
      "</ListBucketResult>";
  auto page = ParseListObjectsV2(doc);
  ASSERT_TRUE(page.has_value()) << page.error().ToString();
  ASSERT_EQ(page->objects.size(), 2u);
  EXPECT_EQ(page->objects[0].key, "a/x y+z\xe6\xb5\x8b");
  EXPECT_EQ(page->objects[0].size, 434234u);
  EXPECT_EQ(page->objects[0].mtime, 1255369830);
  EXPECT_EQ(page->objects[1].key, "a/\x1f%");
  EXPECT_TRUE(page->truncated);
  EXPECT_EQ(page->next_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
  // Without EncodingType the keys are taken as they are.
  auto plain = ParseListObjectsV2(
      "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>a%2B</Key><Size>1</Size>"
      "</Contents></ListBucketResult>");
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(plain->objects[0].key, "a%2B");
  EXPECT_FALSE(plain->truncated);
  EXPECT_EQ(ParseListObjectsV2("<Error><Code>X</Code></Error>").error().code(), EIO);
  EXPECT_EQ(ParseListObjectsV2("<ListBucketResult><Contents><Key>k</Key><Size>x</Size></Contents>"
                               "</ListBucketResult>")
                .error()
                .code(),
            EIO);
}

TEST(S3ReplyTest, MultipartBodies) {
  auto id = ParseUploadId(
      "<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key>"
      "<UploadId>VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA</UploadId>"
      "</InitiateMultipartUploadResult>");
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(*id, "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA");
  EXPECT_FALSE(ParseUploadId("<InitiateMultipartUploadResult/>").has_value());
  EXPECT_EQ(CompleteMultipartBody({"\"e1\"", "\"e2\""}),
            "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&quot;e1&quot;</ETag>"
            "</Part><Part><PartNumber>2</PartNumber><ETag>&quot;e2&quot;</ETag></Part>"
            "</CompleteMultipartUpload>");
}

TEST(S3ReplyTest, Times) {
  EXPECT_EQ(ParseS3Time("2009-10-12T17:50:30.000Z"), 1255369830);
  EXPECT_EQ(ParseS3Time("Mon, 12 Oct 2009 17:50:30 GMT"), 1255369830);
  EXPECT_EQ(ParseS3Time("yesterday"), 0);
}

}  // namespace
}  // namespace tierfs::object
