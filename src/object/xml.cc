#include "object/xml.h"

#include <expat.h>

#include <memory>

namespace tierfs::object {

namespace {

// Builds the tree while expat streams through the document. `path` holds the open elements.
struct Builder {
  XmlNode root;
  std::vector<XmlNode*> path;
  bool have_root = false;
};

void OnStart(void* arg, const XML_Char* name, const XML_Char** attrs) {
  auto* b = static_cast<Builder*>(arg);
  XmlNode* node;
  if (b->path.empty()) {
    node = &b->root;
    b->have_root = true;
  } else {
    b->path.back()->children.emplace_back();
    node = &b->path.back()->children.back();
  }
  node->name = name;
  for (size_t i = 0; attrs[i] != nullptr && attrs[i + 1] != nullptr; i += 2) {
    node->attributes.emplace_back(attrs[i], attrs[i + 1]);
  }
  b->path.push_back(node);
}

void OnEnd(void* arg, const XML_Char*) { static_cast<Builder*>(arg)->path.pop_back(); }

void OnText(void* arg, const XML_Char* s, int len) {
  auto* b = static_cast<Builder*>(arg);
  if (!b->path.empty()) b->path.back()->text.append(s, size_t(len));
}

}  // namespace

const XmlNode* XmlNode::Child(std::string_view child) const {
  for (const XmlNode& c : children) {
    if (c.name == child) return &c;
  }
  return nullptr;
}

std::string_view XmlNode::ChildText(std::string_view child) const {
  const XmlNode* c = Child(child);
  return c ? std::string_view(c->text) : std::string_view();
}

std::string_view XmlNode::Attribute(std::string_view attr) const {
  for (const auto& [name, value] : attributes) {
    if (name == attr) return value;
  }
  return {};
}

Result<XmlNode> ParseXml(std::string_view doc) {
  std::unique_ptr<XML_ParserStruct, decltype(&XML_ParserFree)> parser(XML_ParserCreate("UTF-8"),
                                                                      &XML_ParserFree);
  if (!parser) return Err(ENOMEM, "XML_ParserCreate failed");
  Builder b;
  XML_SetUserData(parser.get(), &b);
  XML_SetElementHandler(parser.get(), &OnStart, &OnEnd);
  XML_SetCharacterDataHandler(parser.get(), &OnText);
  if (XML_Parse(parser.get(), doc.data(), int(doc.size()), XML_TRUE) != XML_STATUS_OK) {
    return Err(EIO, "malformed XML (line " +
                        std::to_string(XML_GetCurrentLineNumber(parser.get())) + ": " +
                        XML_ErrorString(XML_GetErrorCode(parser.get())) + ")");
  }
  if (!b.have_root) return Err(EIO, "malformed XML (no element)");
  return std::move(b.root);
}

std::string XmlEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace tierfs::object
