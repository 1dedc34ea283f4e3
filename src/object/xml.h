// A small XML tree for the replies of XML-speaking object stores (S3, Azure Blob), parsed
// with libexpat. Only what those replies use: elements, their attributes (Azure's <Name
// Encoded="true">), character data and children; comments and processing instructions are
// dropped. Names are kept as
// written (S3's default xmlns attribute does not change them: "ListBucketResult").
//
// Errors: EIO "malformed XML (line N: expat's reason)". Thread-safety: values.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/status.h"

namespace tierfs::object {

struct XmlNode {
  std::string name;
  std::string text;  // character data directly inside this element, entities decoded
  std::vector<XmlNode> children;
  std::vector<std::pair<std::string, std::string>> attributes;  // name, decoded value

  // The first child named `child`, or nullptr.
  const XmlNode* Child(std::string_view child) const;
  // The text of the first child named `child`, or "" when there is none.
  std::string_view ChildText(std::string_view child) const;
  // The value of the attribute `attr`, or "" when there is none.
  std::string_view Attribute(std::string_view attr) const;
};

// The root element of `doc`.
Result<XmlNode> ParseXml(std::string_view doc);

// `s` with & < > " ' as entities, for element text and attribute values.
std::string XmlEscape(std::string_view s);

}  // namespace tierfs::object
