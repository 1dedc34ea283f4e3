// LoadVolume (meta/dump.h): a SAX reader of the JuiceFS JSON dump. Top-level values other than
// the trees ("Setting", "Counters", "DelFiles", ...) and the fields of a node other than its
// "entries" are small and are built as JSON values; a node's "entries" are read child by
// child, and each node is handed to the engine's LoadWriter as soon as it ends, so only the
// path from the root to the current node is held in memory (with the edges of each directory
// on that path). The rules follow JuiceFS loadEntries/decodeEntry.
#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "meta/dump.h"
#include "meta/format.h"

namespace tierfs::meta {
namespace {

using ojson = nlohmann::ordered_json;

std::optional<FileType> TypeFromName(const std::string& s) {
  static const std::pair<const char*, FileType> kTypes[] = {
      {"regular", FileType::kFile},    {"directory", FileType::kDirectory},
      {"symlink", FileType::kSymlink}, {"fifo", FileType::kFifo},
      {"blockdev", FileType::kBlockDev}, {"chardev", FileType::kCharDev},
      {"socket", FileType::kSocket}};
  for (const auto& [n, t] : kTypes) {
    if (s == n) return t;
  }
  return std::nullopt;
}

// A numeric field of a dumped object; absent or null = 0 (Go's decoding into a zero value).
template <class T>
T Num(const ojson& o, const char* key) {
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return T{};
  if (!it->is_number_integer()) {
    throw std::runtime_error(std::string("field \"") + key + "\" is not an integer");
  }
  return it->get<T>();
}

class Loader {
 public:
  Loader(LoadWriter& w, const LoadOptions& opt) : w_(w), opt_(opt) {}

  // ---- nlohmann SAX interface ----
  bool null() { return Scalar(ojson(nullptr)); }
  bool boolean(bool v) { return Scalar(ojson(v)); }
  bool number_integer(ojson::number_integer_t v) { return Scalar(ojson(v)); }
  bool number_unsigned(ojson::number_unsigned_t v) { return Scalar(ojson(v)); }
  bool number_float(ojson::number_float_t v, const std::string&) { return Scalar(ojson(v)); }
  bool string(std::string& v) { return Scalar(ojson(std::move(v))); }
  bool binary(ojson::binary_t&) { return Fail("unexpected binary value"); }

  bool key(std::string& k) {
    if (capturing_) {
      dom_key_ = std::move(k);
      return true;
    }
    frames_.back().key = std::move(k);
    return true;
  }

  bool start_object(size_t) {
    if (capturing_) return DomOpen(ojson::object());
    if (frames_.empty()) {
      frames_.push_back({Frame::kTop, {}});
      return true;
    }
    Frame& f = frames_.back();
    switch (f.kind) {
      case Frame::kTop:
        if (f.key == "FSTree" || f.key == "Trash") {
          if ((f.key == "FSTree" && seen_tree_) || (f.key == "Trash" && seen_trash_)) {
            return Fail("duplicate \"" + f.key + "\"");
          }
          (f.key == "FSTree" ? seen_tree_ : seen_trash_) = true;
          return PushNode(f.key, f.key == "FSTree" ? 0 : kRootIno);
        }
        return BeginCapture() && DomOpen(ojson::object());
      case Frame::kNode:
        if (f.key == "entries") {
          NodeState& n = nodes_.back();
          if (!n.has_attr) return Fail("entry \"" + n.name + "\" has \"entries\" before its \"attr\"");
          if (n.node.attr.type != FileType::kDirectory) {
            return Fail("entry \"" + n.name + "\" has \"entries\" but is not a directory");
          }
          frames_.push_back({Frame::kEntries, {}});
          return true;
        }
        return BeginCapture() && DomOpen(ojson::object());
      case Frame::kEntries:
        return PushNode(f.key, nodes_.back().node.ino);
    }
    return false;
  }

  bool end_object() {
    if (capturing_) return DomClose();
    Frame f = std::move(frames_.back());
    frames_.pop_back();
    if (f.kind == Frame::kTop) {
      done_ = true;
      return true;
    }
    if (f.kind == Frame::kNode) return FinishNode();
    return true;  // kEntries
  }

  bool start_array(size_t) {
    if (capturing_) return DomOpen(ojson::array());
    if (frames_.empty()) return Fail("a dump is a JSON object, not an array");
    if (frames_.back().kind == Frame::kEntries) return Fail("entry \"" + frames_.back().key + "\" is not an object");
    return BeginCapture() && DomOpen(ojson::array());
  }
  bool end_array() {
    if (!capturing_) return Fail("unexpected ']'");
    return DomClose();
  }

  bool parse_error(size_t, const std::string&, const nlohmann::detail::exception& ex) {
    return Fail(std::string("malformed JSON: ") + ex.what());
  }

  // The error that stopped the parse.
  Status Error() const { return err_.ok() ? Status(EINVAL, "malformed JSON") : err_; }

  // After the parse: the volume-wide rows.
  Status Finish() {
    if (!err_.ok()) return err_;
    if (!done_) return Status(EINVAL, "malformed JSON: the dump ends early");
    if (!counters_) return Status(EINVAL, "invalid dumped meta: missing 'Counters'");
    if (!seen_tree_) return Status(EINVAL, "invalid dumped meta: missing 'FSTree'");
    if (!setting_) return Status(EINVAL, "invalid dumped meta: missing 'Setting'");
    ASSIGN_OR_RETURN(Format f, Format::FromJson(setting_->dump()));
    if (f.secret_key == "removed") {
      Warn("secret key was removed; please correct it with `config` command");
    }
    LoadedVolume v;
    v.setting_json = f.ToJson();
    auto dumped = [&](const char* k) { return Num<int64_t>(*counters_, k); };
    int64_t next_inode = std::max(next_inode_, dumped("nextInodes"));
    for (const auto& d : delfiles_) next_inode = std::max<int64_t>(next_inode, int64_t(d.ino) + 1);
    v.counters = {{"usedSpace", used_space_},
                  {"totalInodes", used_inodes_},
                  {"nextInode", next_inode},
                  {"nextChunk", std::max(next_chunk_, dumped("nextChunk"))},
                  {"nextSession", std::max<int64_t>(0, dumped("nextSession"))},
                  {"nextTrash", std::max(next_trash_, dumped("nextTrash"))}};
    v.delfiles = std::move(delfiles_);
    for (const auto& [k, refs] : refs_) v.slice_refs.push_back({k.first, k.second, refs});
    std::map<std::pair<Ino, Ino>, uint32_t> parents;  // (inode, directory) -> links there
    for (const auto& [ino, l] : links_) {
      if (l.n <= 1) continue;
      v.links.emplace_back(ino, l.n);
      ++parents[{ino, l.first_parent}];
    }
    for (const auto& [ino, dir] : extra_links_) ++parents[{ino, dir}];
    for (const auto& [k, count] : parents) v.link_parents.push_back({k.first, k.second, count});
    std::sort(v.links.begin(), v.links.end());
    return w_.Commit(v);
  }

 private:
  struct Frame {
    enum Kind { kTop, kNode, kEntries } kind;
    std::string key;  // the last key read in this object
  };
  struct NodeState {
    std::string name;  // as in the dump (escaped)
    Ino parent = 0;
    bool has_attr = false;
    bool first = false;  // the first link of its inode: stored
    uint64_t dumped_length = 0;
    LoadedNode node;
  };

  void Warn(const std::string& m) {
    if (opt_.warn) opt_.warn(m);
  }
  bool Fail(std::string m) {
    if (err_.ok()) err_ = Status(EINVAL, std::move(m));
    return false;
  }
  bool Fail(Status s) {
    if (err_.ok()) err_ = std::move(s);
    return false;
  }

  bool PushNode(std::string name, Ino parent) {  // by value: `name` may live in frames_
    frames_.push_back({Frame::kNode, {}});
    nodes_.emplace_back();
    nodes_.back().name = std::move(name);
    nodes_.back().parent = parent;
    return true;
  }

  // ---- small JSON values, built whole ----
  bool BeginCapture() {
    capturing_ = true;
    dom_root_ = ojson();
    dom_stack_.clear();
    return true;
  }
  ojson* DomAdd(ojson v) {
    if (dom_stack_.empty()) {
      dom_root_ = std::move(v);
      return &dom_root_;
    }
    ojson* top = dom_stack_.back();
    if (top->is_array()) {
      top->push_back(std::move(v));
      return &top->back();
    }
    ojson& slot = (*top)[dom_key_];
    slot = std::move(v);
    return &slot;
  }
  bool DomOpen(ojson v) {
    dom_stack_.push_back(DomAdd(std::move(v)));
    return true;
  }
  bool DomClose() {
    dom_stack_.pop_back();
    return dom_stack_.empty() ? Captured() : true;
  }
  bool Scalar(ojson v) {
    if (capturing_) {
      DomAdd(std::move(v));
      return dom_stack_.empty() ? Captured() : true;
    }
    if (frames_.empty()) return Fail("a dump is a JSON object");
    if (frames_.back().kind == Frame::kEntries) return Fail("entry \"" + frames_.back().key + "\" is not an object");
    BeginCapture();
    DomAdd(std::move(v));
    return Captured();
  }
  // A whole value of key frames_.back().key is in dom_root_.
  bool Captured() {
    capturing_ = false;
    ojson v = std::move(dom_root_);
    const Frame& f = frames_.back();
    try {
      return f.kind == Frame::kTop ? TopValue(f.key, v) : NodeField(f.key, v);
    } catch (const std::exception& e) {
      return Fail("load " + (f.kind == Frame::kTop ? f.key : "entry \"" + nodes_.back().name + "\" " + f.key) +
                  ": " + e.what());
    }
  }

  bool TopValue(const std::string& k, ojson& v) {
    if (k == "Setting") {
      if (!v.is_object()) return Fail("load Setting: not an object");
      setting_ = std::move(v);
    } else if (k == "Counters") {
      if (!v.is_object()) return Fail("load Counters: not an object");
      counters_ = std::move(v);
      total_ = static_cast<uint64_t>(std::max<int64_t>(0, Num<int64_t>(*counters_, "usedInodes"))) + 1;
    } else if (k == "DelFiles") {
      if (v.is_null()) return true;
      if (!v.is_array()) return Fail("load DelFiles: not an array");
      for (const auto& d : v) {
        delfiles_.push_back({Num<uint64_t>(d, "inode"), Num<uint64_t>(d, "length"), Num<int64_t>(d, "expire")});
      }
    } else if (k == "Sustained") {
      if (v.is_array() && !v.empty()) Warn("sustained inodes of the dump are not loaded (their sessions are gone)");
    } else if (k == "Quotas" || k == "UserQuotas" || k == "GroupQuotas") {
      if (!v.is_null() && !v.empty()) return Fail(Status(ENOTSUP, "the dump has " + k + ", which tierfs cannot load yet"));
    } else if (k == "ChangeLog") {
      if (!v.is_null() && !v.empty()) Warn("the dump's ChangeLog is not loaded");
    }
    return true;  // unknown top-level keys are ignored, as JuiceFS does
  }

  bool NodeField(const std::string& k, ojson& v) {
    NodeState& n = nodes_.back();
    if (k == "attr") return ReadAttr(n, v);
    if (k == "symlink") {
      if (!v.is_string()) return Fail("entry \"" + n.name + "\": symlink is not a string");
      n.node.symlink = UnescapeDumpString(v.get_ref<const std::string&>());
    } else if (k == "xattrs") {
      if (v.is_null()) return true;
      for (const auto& x : v) {
        n.node.xattrs.emplace_back(x.at("name").get<std::string>(),
                                   UnescapeDumpString(x.at("value").get<std::string>()));
      }
    } else if (k == "chunks") {
      if (!n.has_attr) return Fail("entry \"" + n.name + "\" has \"chunks\" before its \"attr\"");
      if (v.is_null()) return true;
      for (const auto& c : v) {
        std::vector<Slice> slices;
        auto ss = c.find("slices");
        if (ss != c.end() && !ss->is_null()) {
          for (const auto& s : *ss) {
            Slice sl;
            sl.id = Num<uint64_t>(s, "id");
            if (sl.id == 0) sl.id = Num<uint64_t>(s, "chunkid");  // dumps before 1.0
            sl.pos = Num<uint32_t>(s, "pos");
            sl.size = Num<uint32_t>(s, "size");
            sl.off = Num<uint32_t>(s, "off");
            sl.len = Num<uint32_t>(s, "len");
            if (n.first) {
              if (sl.id != 0) ++refs_[{sl.id, sl.size}];
              next_chunk_ = std::max<int64_t>(next_chunk_, int64_t(sl.id) + 1);
            }
            slices.push_back(sl);
          }
        }
        n.node.chunks.emplace_back(Num<uint32_t>(c, "index"), std::move(slices));
      }
    } else if (k == "posix_acl_access" || k == "posix_acl_default") {
      if (!v.is_null()) return Fail(Status(ENOTSUP, "entry \"" + n.name + "\" has a POSIX ACL, which tierfs cannot load yet"));
    }
    return true;
  }

  bool ReadAttr(NodeState& n, const ojson& v) {
    if (!v.is_object()) return Fail("entry \"" + n.name + "\": attr is not an object");
    if (n.has_attr) return Fail("entry \"" + n.name + "\" has two attrs");
    n.has_attr = true;
    auto t = v.find("type");
    if (t == v.end() || !t->is_string()) return Fail("entry \"" + n.name + "\": attr has no type");
    auto type = TypeFromName(t->get<std::string>());
    if (!type) return Fail("entry \"" + n.name + "\": unknown type \"" + t->get<std::string>() + "\"");
    Ino ino = Num<uint64_t>(v, "inode");
    if (n.parent == 0) {  // the root (also of a --subdir dump)
      n.parent = kRootIno;
      ino = kRootIno;
    }
    if (ino == 0) return Fail("entry \"" + n.name + "\": attr has no inode");
    meta::Attr& a = n.node.attr;
    n.node.ino = ino;
    a.type = *type;
    a.flags = Num<uint8_t>(v, "flags");
    a.mode = Num<uint16_t>(v, "mode");
    a.uid = Num<uint32_t>(v, "uid");
    a.gid = Num<uint32_t>(v, "gid");
    a.atime = Num<int64_t>(v, "atime");
    a.mtime = Num<int64_t>(v, "mtime");
    a.ctime = Num<int64_t>(v, "ctime");
    a.atimensec = Num<uint32_t>(v, "atimensec");
    a.mtimensec = Num<uint32_t>(v, "mtimensec");
    a.ctimensec = Num<uint32_t>(v, "ctimensec");
    a.rdev = Num<uint32_t>(v, "rdev");
    a.nlink = a.type == FileType::kDirectory ? 2 : 1;
    a.parent = n.parent;
    n.dumped_length = Num<uint64_t>(v, "length");
    Link& l = links_[ino];
    n.first = ++l.n == 1;
    if (n.first) {
      l.first_parent = n.parent;
    } else {
      extra_links_.emplace_back(ino, n.parent);
    }
    if (n.first) {
      if (ino > kRootIno && ino != kTrashIno) {
        used_space_ += Align4K(n.dumped_length);
        ++used_inodes_;
      }
      if (ino < kTrashIno) {
        next_inode_ = std::max<int64_t>(next_inode_, int64_t(ino) + 1);
      } else {
        next_trash_ = std::max<int64_t>(next_trash_, int64_t(ino - kTrashIno));
      }
    }
    return true;
  }

  bool FinishNode() {
    NodeState n = std::move(nodes_.back());
    nodes_.pop_back();
    if (!n.has_attr) return Fail("entry \"" + n.name + "\" has no attr");
    meta::Attr& a = n.node.attr;
    if (n.first) {
      switch (a.type) {
        case FileType::kFile: a.length = n.dumped_length; break;
        case FileType::kDirectory: a.length = 4096; break;
        case FileType::kSymlink: a.length = n.node.symlink.size(); break;
        default: a.length = 0;
      }
      if (a.type != FileType::kFile) n.node.chunks.clear();
      if (a.type != FileType::kSymlink) n.node.symlink.clear();
      a.full = true;
      if (Status st = w_.AddNode(n.node); !st.ok()) return Fail(std::move(st));
      ++loaded_;
      if (opt_.progress) opt_.progress(loaded_, std::max(loaded_, total_));
    }
    if (!nodes_.empty()) {  // a child: its parent's edge
      NodeState& p = nodes_.back();
      if (a.type == FileType::kDirectory && p.node.ino < kTrashIno) ++p.node.attr.nlink;
      p.node.entries.push_back({UnescapeDumpString(n.name), n.node.ino, a.type,
                                a.type == FileType::kFile ? n.dumped_length : 0});
    }
    return true;
  }

  LoadWriter& w_;
  const LoadOptions& opt_;
  Status err_;
  bool done_ = false, seen_tree_ = false, seen_trash_ = false;
  std::vector<Frame> frames_;
  std::vector<NodeState> nodes_;
  bool capturing_ = false;
  ojson dom_root_;
  std::vector<ojson*> dom_stack_;
  std::string dom_key_;

  std::optional<ojson> setting_, counters_;
  std::vector<DelFileRow> delfiles_;
  struct Link {
    uint32_t n = 0;        // links found so far
    Ino first_parent = 0;  // the directory of the first
  };
  std::unordered_map<Ino, Link> links_;
  std::vector<std::pair<Ino, Ino>> extra_links_;  // (inode, directory) of every link but the first
  std::map<std::pair<uint64_t, uint32_t>, int64_t> refs_;
  int64_t used_space_ = 0, used_inodes_ = 0, next_inode_ = 2, next_chunk_ = 1, next_trash_ = 0;
  uint64_t loaded_ = 0, total_ = 0;
};

}  // namespace

Status LoadVolume(Engine& engine, std::istream& in, const LoadOptions& opt) {
  ASSIGN_OR_RETURN(auto writer, engine.BeginLoad());
  Loader loader(*writer, opt);
  try {
    bool ok = ojson::sax_parse(in, &loader, nlohmann::detail::input_format_t::json, true);
    if (!ok) return loader.Error();
  } catch (const std::exception& e) {
    return Status(EINVAL, std::string("malformed JSON: ") + e.what());
  }
  return loader.Finish();
}

}  // namespace tierfs::meta
