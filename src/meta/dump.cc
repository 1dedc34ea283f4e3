// DumpVolume and the string encodings of the JuiceFS dump format (meta/dump.h).
#include "meta/dump.h"

#include <algorithm>
#include <map>

#include <nlohmann/json.hpp>

#include "meta/format.h"

namespace tierfs::meta {
namespace {

using ojson = nlohmann::ordered_json;

constexpr size_t kFlushBytes = 64 << 10;
constexpr const char* kHex = "0123456789ABCDEF";

// Length of the valid UTF-8 sequence at s[i], or 0 when the bytes there are not one.
size_t Utf8Len(std::string_view s, size_t i, uint32_t* cp) {
  auto b = static_cast<unsigned char>(s[i]);
  size_t n;
  uint32_t c;
  if (b < 0x80) {
    *cp = b;
    return 1;
  } else if (b >= 0xC2 && b <= 0xDF) {
    n = 2, c = b & 0x1F;
  } else if (b >= 0xE0 && b <= 0xEF) {
    n = 3, c = b & 0x0F;
  } else if (b >= 0xF0 && b <= 0xF4) {
    n = 4, c = b & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    auto x = static_cast<unsigned char>(s[i + k]);
    if ((x & 0xC0) != 0x80) return 0;
    c = (c << 6) | (x & 0x3F);
  }
  if ((n == 3 && (c < 0x800 || (c >= 0xD800 && c <= 0xDFFF))) || (n == 4 && (c < 0x10000 || c > 0x10FFFF))) {
    return 0;
  }
  *cp = c;
  return n;
}

const char* TypeName(FileType t) {
  switch (t) {
    case FileType::kFile: return "regular";
    case FileType::kDirectory: return "directory";
    case FileType::kSymlink: return "symlink";
    case FileType::kFifo: return "fifo";
    case FileType::kBlockDev: return "blockdev";
    case FileType::kCharDev: return "chardev";
    case FileType::kSocket: return "socket";
  }
  return "unknown";
}

std::string Indent(int depth) { return std::string(size_t(depth) * 2, ' '); }

// Go json.MarshalIndent(v, "", "  ") of a JSON value nested at `depth`.
void AppendIndented(std::string& out, const ojson& v, int depth) {
  if (v.is_object() || v.is_array()) {
    bool obj = v.is_object();
    if (v.empty()) {
      out += obj ? "{}" : "[]";
      return;
    }
    out += obj ? '{' : '[';
    bool first = true;
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (!first) out += ',';
      first = false;
      out += '\n' + Indent(depth + 1);
      if (obj) {
        AppendGoJsonString(out, it.key());
        out += ": ";
      }
      AppendIndented(out, *it, depth + 1);
    }
    out += '\n' + Indent(depth) + (obj ? '}' : ']');
  } else if (v.is_string()) {
    AppendGoJsonString(out, v.get_ref<const std::string&>());
  } else {
    out += v.dump();
  }
}

class Dumper {
 public:
  Dumper(Engine& e, const std::function<Status(std::string_view)>& out, const DumpOptions& opt)
      : e_(e), out_(out), opt_(opt) {}

  Status Run() {
    ASSIGN_OR_RETURN(auto setting, e_.LoadSetting());
    if (!setting) return Status(ENOENT, "the database holds no volume (not formatted)");
    ASSIGN_OR_RETURN(Format f, Format::FromJson(*setting));
    ASSIGN_OR_RETURN(bool quotas, e_.HasDirQuotas());
    if (quotas) return Status(ENOTSUP, "the volume has directory quotas, which tierfs cannot dump yet");

    ojson head = ojson::object();
    ojson s = ojson::parse(f.ToJson(false), nullptr, false);
    if (s.is_discarded()) return Status(EIO, "cannot re-encode the volume setting");
    if (!opt_.keep_secret_key) {
      for (const char* k : {"SecretKey", "SessionToken"}) {
        auto it = s.find(k);
        if (it != s.end() && it->is_string() && !it->get_ref<const std::string&>().empty()) {
          *it = "removed";
          Warn(std::string(k == std::string("SecretKey") ? "Secret key" : "Session token") +
               " is removed for the sake of safety");
        }
      }
    }
    head["Setting"] = std::move(s);
    ojson counters = ojson::object();
    for (auto [out, stored] : {std::pair{"usedSpace", "usedSpace"}, {"usedInodes", "totalInodes"},
                               {"nextInodes", "nextInode"}, {"nextChunk", "nextChunk"},
                               {"nextSession", "nextSession"}, {"nextTrash", "nextTrash"}}) {
      ASSIGN_OR_RETURN(int64_t v, e_.GetCounter(stored));
      counters[out] = v;
    }
    total_ = static_cast<uint64_t>(std::max<int64_t>(0, counters["usedInodes"].get<int64_t>())) + 1;
    head["Counters"] = std::move(counters);
    ASSIGN_OR_RETURN(auto sustained, e_.ListSustained());
    ojson sus = ojson::array();
    for (size_t i = 0; i < sustained.size();) {
      ojson inodes = ojson::array();
      size_t j = i;
      for (; j < sustained.size() && sustained[j].first == sustained[i].first; ++j) {
        inodes.push_back(sustained[j].second);
      }
      sus.push_back(ojson{{"sid", sustained[i].first}, {"inodes", std::move(inodes)}});
      i = j;
    }
    head["Sustained"] = std::move(sus);
    ASSIGN_OR_RETURN(auto dels, e_.ListAllDelFiles());
    ojson del = ojson::array();
    for (const auto& d : dels) del.push_back(ojson{{"inode", d.ino}, {"length", d.length}, {"expire", d.expire}});
    head["DelFiles"] = std::move(del);

    AppendIndented(buf_, head, 0);
    buf_.resize(buf_.size() - 2);  // "\n}": the tree follows
    buf_ += ',';

    Ino root = kRootIno;
    bool whole = true;
    std::string_view sub = opt_.subdir;
    while (!sub.empty()) {
      size_t slash = sub.find('/');
      std::string_view part = sub.substr(0, slash);
      sub = slash == std::string_view::npos ? std::string_view() : sub.substr(slash + 1);
      if (part.empty() || part == ".") continue;
      auto e = e_.DoLookup(Context::Root(), root, part);
      if (!e) return Status(e.error().code(), "subdir " + opt_.subdir + ": " + e.error().message());
      if (e->attr.type != FileType::kDirectory) return Status(ENOTDIR, "subdir " + opt_.subdir + " is not a directory");
      root = e->ino;
      whole = false;
    }
    RETURN_IF_ERROR(Node("FSTree", root, FileType::kDirectory, nullptr, 1));
    if (whole && !opt_.skip_trash) {
      buf_ += ',';
      RETURN_IF_ERROR(Node("Trash", kTrashIno, FileType::kDirectory, nullptr, 1));
    }
    buf_ += "\n}\n";
    return Flush(true);
  }

 private:
  void Warn(const std::string& m) {
    if (opt_.warn) opt_.warn(m);
  }

  Status Flush(bool all) {
    if (buf_.size() < kFlushBytes && !all) return Status();
    if (!buf_.empty()) RETURN_IF_ERROR(out_(buf_));
    buf_.clear();
    return Status();
  }

  void AppendAttr(Ino ino, const Attr& a) {
    std::string& o = buf_;
    auto num = [&o](const char* k, auto v, bool omit_zero) {
      if (omit_zero && v == 0) return;
      o += '"';
      o += k;
      o += "\":";
      o += std::to_string(v);
      o += ',';
    };
    o += '{';
    num("inode", ino, false);
    num("flags", unsigned(a.flags), true);
    o += "\"type\":\"";
    o += TypeName(a.type);
    o += "\",";
    num("mode", unsigned(a.mode), false);
    num("uid", a.uid, false);
    num("gid", a.gid, false);
    num("atime", a.atime, false);
    num("mtime", a.mtime, false);
    num("ctime", a.ctime, false);
    num("atimensec", a.atimensec, true);
    num("mtimensec", a.mtimensec, true);
    num("ctimensec", a.ctimensec, true);
    num("nlink", a.nlink, false);
    num("length", a.type == FileType::kFile ? a.length : uint64_t(0), false);
    num("rdev", a.rdev, true);
    o.back() = '}';
  }

  // Writes `"name": {...}` of inode `ino` at `depth`; `known` is its attr when the caller read
  // it already (readdir-plus), else it is read here.
  Status Node(const std::string& key, Ino ino, FileType type, const Attr* known, int depth) {
    Attr a;
    if (known && known->full) {
      a = *known;
    } else {
      auto r = e_.GetAttrs(std::span<const Ino>(&ino, 1));
      if (r.at(0)) {
        a = *r[0];
      } else if (r[0].error().code() == ENOENT) {
        // JuiceFS dumpEntry: the entry stays, with what its dentry says.
        if (ino != kTrashIno) Warn("the entry of inode " + std::to_string(ino) + " was not found");
        a = Attr{};
        a.type = type;
        a.nlink = type == FileType::kDirectory ? 2 : 1;
      } else {
        return r[0].error();
      }
    }
    if (a.access_acl != 0 || a.default_acl != 0) {
      return Status(ENOTSUP, "inode " + std::to_string(ino) + " has a POSIX ACL, which tierfs cannot dump yet");
    }
    const std::string p = Indent(depth), fp = Indent(depth + 1);
    buf_ += '\n' + p + '"' + key + "\": {\n" + fp + "\"attr\": ";
    AppendAttr(ino, a);
    bool exists = a.full;  // false: a dentry without its inode
    if (a.type == FileType::kSymlink && exists) {
      auto t = e_.DoReadlink(ino);
      if (!t && t.error().code() != ENOENT) return t.error();
      if (t && !t->empty()) buf_ += ",\n" + fp + "\"symlink\": \"" + EscapeDumpString(*t) + '"';
    }
    if (exists) {
      auto names = e_.DoListXattr(ino);
      if (!names && names.error().code() != ENOENT) return names.error();
      if (names && !names->empty()) {
        std::sort(names->begin(), names->end());
        buf_ += ",\n" + fp + "\"xattrs\": [";
        bool first = true;
        for (const auto& n : *names) {
          auto v = e_.DoGetXattr(ino, n);
          if (!v) {
            if (v.error().code() == ENODATA) continue;  // removed meanwhile
            return v.error();
          }
          if (!first) buf_ += ',';
          first = false;
          buf_ += "{\"name\":";
          AppendGoJsonString(buf_, n);
          buf_ += ",\"value\":";
          AppendGoJsonString(buf_, EscapeDumpString(*v));
          buf_ += '}';
        }
        buf_ += ']';
      }
    }
    if (a.type == FileType::kFile) {
      std::vector<std::string> chunks;
      for (uint32_t indx = 0; uint64_t(indx) * kChunkSize < a.length; ++indx) {
        ASSIGN_OR_RETURN(std::string raw, e_.DoReadChunk(ino, indx));
        if (raw.empty()) continue;
        if (raw.size() % kSliceBytes != 0) {
          Warn("corrupt value for inode " + std::to_string(ino) + " chunk index " + std::to_string(indx));
        }
        std::string c = "{\"index\":" + std::to_string(indx) + ",\"slices\":[";
        bool first = true;
        for (const Slice& s : DecodeSlices(raw)) {
          if (!first) c += ',';
          first = false;
          c += "{\"id\":" + std::to_string(s.id);
          if (s.pos) c += ",\"pos\":" + std::to_string(s.pos);
          c += ",\"size\":" + std::to_string(s.size);
          if (s.off) c += ",\"off\":" + std::to_string(s.off);
          c += ",\"len\":" + std::to_string(s.len) + '}';
        }
        chunks.push_back(c + "]}");
      }
      if (chunks.size() == 1) {
        buf_ += ",\n" + fp + "\"chunks\": [" + chunks[0] + ']';
      } else if (chunks.size() > 1) {
        buf_ += ",\n" + fp + "\"chunks\": [";
        for (size_t i = 0; i < chunks.size(); ++i) {
          buf_ += '\n' + fp + "  " + chunks[i] + (i + 1 < chunks.size() ? "," : "");
        }
        buf_ += '\n' + fp + ']';
      }
    }
    if (a.type == FileType::kDirectory) {
      buf_ += ",\n" + fp + "\"entries\": {";
      std::vector<Entry> entries;
      if (exists) {
        auto r = e_.DoReaddir(Context::Root(), ino, true);
        if (!r && r.error().code() != ENOENT) return r.error();
        if (r) entries = std::move(*r);
      }
      std::sort(entries.begin(), entries.end(),
                [](const Entry& x, const Entry& y) { return x.name < y.name; });
      RETURN_IF_ERROR(Tick());
      for (size_t i = 0; i < entries.size(); ++i) {
        const Entry& c = entries[i];
        RETURN_IF_ERROR(Node(EscapeDumpString(c.name), c.ino, c.attr.type, &c.attr, depth + 2));
        if (i + 1 < entries.size()) buf_ += ',';
      }
      buf_ += '\n' + fp + "}\n" + p + '}';
      return Status();
    }
    buf_ += '\n' + p + '}';
    return Tick();
  }

  Status Tick() {
    ++done_;
    if (opt_.progress) opt_.progress(done_, std::max(done_, total_));
    return Flush(false);
  }

  Engine& e_;
  const std::function<Status(std::string_view)>& out_;
  const DumpOptions& opt_;
  std::string buf_;
  uint64_t done_ = 0, total_ = 0;
};

}  // namespace

std::string EscapeDumpString(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    uint32_t cp = 0;
    size_t n = Utf8Len(s, i, &cp);
    if (n == 0 || cp <= 32 || cp == '%' || cp == '"' || cp == '\\' || cp == 0xFFFD) {
      size_t m = n == 0 ? 1 : n;
      for (size_t k = 0; k < m; ++k) {
        auto c = static_cast<unsigned char>(s[i + k]);
        out += '%';
        out += kHex[c >> 4];
        out += kHex[c & 0xF];
      }
      i += m;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

std::string UnescapeDumpString(std::string_view s) {
  if (s.find('%') == std::string_view::npos) return std::string(s);
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return 10 + (c - 'A');
    return -1;
  };
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%' && i + 2 < s.size()) {
      int h = hex(s[i + 1]), l = hex(s[i + 2]);
      if (h >= 0 && l >= 0) {
        c = static_cast<char>(h * 16 + l);
        i += 2;
      }
    }
    out += c;
  }
  return out;
}

void AppendGoJsonString(std::string& out, std::string_view s) {
  static const char* kLower = "0123456789abcdef";
  out += '"';
  for (size_t i = 0; i < s.size();) {
    uint32_t cp = 0;
    size_t n = Utf8Len(s, i, &cp);
    if (n == 0) {
      out += "\\ufffd";
      ++i;
      continue;
    }
    if (n == 1) {
      char c = s[i];
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '<': case '>': case '&':
          out += "\\u00";
          out += kLower[static_cast<unsigned char>(c) >> 4];
          out += kLower[c & 0xF];
          break;
        default:
          if (static_cast<unsigned char>(c) < 0x20) {
            out += "\\u00";
            out += kLower[static_cast<unsigned char>(c) >> 4];
            out += kLower[c & 0xF];
          } else {
            out += c;
          }
      }
    } else if (cp == 0x2028 || cp == 0x2029) {
      out += cp == 0x2028 ? "\\u2028" : "\\u2029";
    } else {
      out.append(s.substr(i, n));
    }
    i += n;
  }
  out += '"';
}

Status DumpVolume(Engine& engine, const std::function<Status(std::string_view)>& out,
                  const DumpOptions& opt) {
  try {
    return Dumper(engine, out, opt).Run();
  } catch (const nlohmann::json::exception& e) {
    return Status(EIO, std::string("dump: ") + e.what());
  }
}

}  // namespace tierfs::meta
