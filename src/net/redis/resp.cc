#include "net/redis/resp.h"

#include <charconv>

namespace tierfs::net::redis {

void EncodeCommand(const Command& cmd, std::string* out) {
  out->push_back('*');
  out->append(std::to_string(cmd.size()));
  out->append("\r\n");
  for (const std::string& arg : cmd) {
    out->push_back('$');
    out->append(std::to_string(arg.size()));
    out->append("\r\n");
    out->append(arg);
    out->append("\r\n");
  }
}

namespace {

// Outcome of parsing one value at a position: done, needs more bytes, or corrupt.
enum class Parse { kDone, kMore, kBad };

class Reader {
 public:
  Reader(std::string_view buf, size_t pos) : buf_(buf), pos_(pos) {}
  size_t pos() const { return pos_; }
  const std::string& error() const { return error_; }
  // After kMore: the buffer size below which parsing again cannot succeed.
  size_t need() const { return need_; }

  Parse Value(Reply* out, size_t depth) {
    if (depth > RespParser::kMaxDepth) return Bad("nesting deeper than 64");
    if (pos_ >= buf_.size()) return More(pos_ + 1);
    char type = buf_[pos_++];
    std::string_view line;
    if (Parse p = Line(&line); p != Parse::kDone) return p;
    switch (type) {
      case '+': return Text(Reply::Type::kStatus, line, out);
      case '-': return Text(Reply::Type::kError, line, out);
      case ',': return Text(Reply::Type::kDouble, line, out);
      case '(': return Text(Reply::Type::kBigNum, line, out);
      case ':': return Integer(line, out);
      case '_': out->type = Reply::Type::kNil; return line.empty() ? Parse::kDone : Bad("bad null");
      case '#': return Bool(line, out);
      case '$': return Bulk(Reply::Type::kString, line, false, out);
      case '=': return Bulk(Reply::Type::kString, line, true, out);
      case '!': return Bulk(Reply::Type::kError, line, false, out);
      case '*': case '~': return Aggregate(Reply::Type::kArray, 1, line, depth, out);
      case '>': out->is_push = true; return Aggregate(Reply::Type::kArray, 1, line, depth, out);
      case '%': return Aggregate(Reply::Type::kMap, 2, line, depth, out);
      case '|': return Attribute(line, depth, out);
      default: return Bad(std::string("unknown type byte 0x") + Hex(type));
    }
  }

 private:
  static std::string Hex(char c) {
    const char* d = "0123456789abcdef";
    auto u = static_cast<unsigned char>(c);
    return {d[u >> 4], d[u & 15]};
  }
  Parse More(size_t need) {
    need_ = need;
    return Parse::kMore;
  }
  Parse Bad(std::string why) {
    error_ = std::move(why);
    return Parse::kBad;
  }
  // The text up to the next CRLF; the position moves past it.
  Parse Line(std::string_view* line) {
    size_t eol = buf_.find("\r\n", pos_);
    if (eol == std::string_view::npos) {
      // A line longer than a bulk may be cannot be a valid header or simple string.
      return buf_.size() - pos_ > size_t(RespParser::kMaxBulk) ? Bad("line too long")
                                                               : More(buf_.size() + 1);
    }
    *line = buf_.substr(pos_, eol - pos_);
    pos_ = eol + 2;
    return Parse::kDone;
  }
  static bool ToInt(std::string_view s, int64_t* v) {
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
    return ec == std::errc() && end == s.data() + s.size() && !s.empty();
  }
  Parse Text(Reply::Type t, std::string_view line, Reply* out) {
    out->type = t;
    out->str.assign(line);
    return Parse::kDone;
  }
  Parse Integer(std::string_view line, Reply* out) {
    out->type = Reply::Type::kInteger;
    return ToInt(line, &out->integer) ? Parse::kDone : Bad("bad integer");
  }
  Parse Bool(std::string_view line, Reply* out) {
    out->type = Reply::Type::kBool;
    if (line != "t" && line != "f") return Bad("bad boolean");
    out->integer = line == "t";
    return Parse::kDone;
  }
  Parse Bulk(Reply::Type t, std::string_view line, bool verbatim, Reply* out) {
    int64_t n = 0;
    if (!ToInt(line, &n) || n < -1 || n > RespParser::kMaxBulk) return Bad("bad bulk length");
    if (n == -1) {
      out->type = Reply::Type::kNil;
      return Parse::kDone;
    }
    if (buf_.size() - pos_ < size_t(n) + 2) return More(pos_ + size_t(n) + 2);
    if (buf_.substr(pos_ + n, 2) != "\r\n") return Bad("bulk not followed by CRLF");
    std::string_view body = buf_.substr(pos_, n);
    pos_ += n + 2;
    if (verbatim) {  // "txt:" or "mkd:" then the text
      if (body.size() < 4 || body[3] != ':') return Bad("bad verbatim string");
      body.remove_prefix(4);
    }
    out->type = t;
    out->str.assign(body);
    return Parse::kDone;
  }
  Parse Aggregate(Reply::Type t, size_t per, std::string_view line, size_t depth, Reply* out) {
    int64_t n = 0;
    if (!ToInt(line, &n) || n < -1) return Bad("bad aggregate length");
    if (n == -1) {
      out->type = Reply::Type::kNil;
      return Parse::kDone;
    }
    size_t count = size_t(n) * per;
    if (n > RespParser::kMaxBulk) return Bad("aggregate too long");
    out->type = t;
    // Every element takes 3 bytes at least: never reserve what the peer merely claims.
    out->elems.reserve(std::min(count, (buf_.size() - pos_) / 3 + 1));
    for (size_t i = 0; i < count; i++) {
      out->elems.emplace_back();
      if (Parse p = Value(&out->elems.back(), depth + 1); p != Parse::kDone) return p;
    }
    return Parse::kDone;
  }
  // RESP3 attributes (|) annotate the value that follows: parsed and dropped.
  Parse Attribute(std::string_view line, size_t depth, Reply* out) {
    Reply attrs;
    if (Parse p = Aggregate(Reply::Type::kMap, 2, line, depth, &attrs); p != Parse::kDone) return p;
    return Value(out, depth);
  }

  std::string_view buf_;
  size_t pos_;
  size_t need_ = 0;
  std::string error_;
};

}  // namespace

void RespParser::Feed(std::string_view bytes) {
  // Compact once the consumed prefix dominates, so the buffer does not grow without bound.
  if (pos_ > 0 && pos_ >= buf_.size() / 2) {
    buf_.erase(0, pos_);
    need_ -= std::min(need_, pos_);
    pos_ = 0;
  }
  buf_.append(bytes);
}

Result<std::optional<Reply>> RespParser::Next() {
  // A big bulk arriving in many reads is parsed once, not once per read.
  if (buf_.size() < need_) return std::optional<Reply>();
  Reader r(buf_, pos_);
  Reply reply;
  switch (r.Value(&reply, 0)) {
    case Parse::kMore:
      need_ = r.need();
      return std::optional<Reply>();
    case Parse::kBad:
      return Err(EPROTO, "malformed reply from redis: " + r.error());
    case Parse::kDone:
      break;
  }
  pos_ = r.pos();
  need_ = 0;
  if (pos_ == buf_.size()) {
    buf_.clear();
    pos_ = 0;
  }
  return std::optional<Reply>(std::move(reply));
}

}  // namespace tierfs::net::redis
