// The functional checks of store_check.h. Each check is a function returning the Status of its
// first failed step; RunFunctionalChecks turns those into rows.
#include "object/store_check.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <ctime>
#include <optional>
#include <random>
#include <span>

namespace tierfs::object {
namespace {

// "step: EIO: message": the step that failed, then the backend's own error.
Status At(std::string_view step, const Status& s) {
  if (s.ok()) return s;
  return Status(s.code(), std::string(step) + ": " + s.ToString());
}
template <class T>
Result<T> At(std::string_view step, Result<T> r) {
  if (!r) return Err(At(step, r.error()));
  return r;
}

// Bytes as a short, printable quote for messages: binary and long data must not flood a row.
std::string Quote(std::string_view data) {
  constexpr size_t kShown = 24;
  std::string out = "\"";
  for (char c : data.substr(0, kShown)) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f && c != '"' && c != '\\')
      out.push_back(c);
    else
      out += fmt::format("\\x{:02x}", u);
  }
  out += data.size() > kShown ? "\"..." : "\"";
  return out;
}

Status ExpectBytes(std::string_view step, std::string_view want, std::string_view got) {
  if (want == got) return Status::Ok();
  return Status(EIO, fmt::format("{}: expected {} bytes {}, got {} bytes {}", step, want.size(),
                                 Quote(want), got.size(), Quote(got)));
}

Status ExpectMissing(std::string_view step, const Status& s) {
  if (s.code() == ENOENT) return Status::Ok();
  if (s.ok()) return Status(EIO, std::string(step) + ": succeeded, expected ENOENT");
  return At(step, s);
}

std::string RandomAlnum(size_t n) {
  static constexpr std::string_view kChars =
      "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  std::mt19937_64 rng(std::random_device{}());
  std::string s(n, '0');
  for (char& c : s) c = kChars[rng() % kChars.size()];
  return s;
}

std::string RandomBytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string s(n, '\0');
  for (size_t i = 0; i < n; i += 8) {
    uint64_t v = rng();
    for (size_t j = 0; j < 8 && i + j < n; ++j, v >>= 8) s[i + j] = static_cast<char>(v);
  }
  return s;
}

// Put; when that fails for a reason other than permissions or space (a bucket that does not
// exist yet, typically), Create() and Put again.
Status PutCreatingBucket(ObjectStore& store, const std::string& key, std::string_view data) {
  Status put = store.Put(key, data);
  if (put.ok()) return put;
  if (put.code() == EACCES || put.code() == EROFS || put.code() == ENOSPC)
    return At("put " + key, put);
  if (Status created = store.Create(); !created.ok())
    return Status(created.code(), "create the bucket: " + created.ToString() + " (after put " +
                                      key + ": " + put.ToString() + ")");
  return At("put " + key + " (after creating the bucket)", store.Put(key, data));
}

// Put `data` at `key`, run `body`, delete `key` whatever happened.
template <class Body>
Status WithObject(ObjectStore& store, const std::string& key, std::string_view data, Body body) {
  RETURN_IF_ERROR(At("put " + key, store.Put(key, data)));
  Status s = body();
  Status d = At("delete " + key, store.Delete(key));
  return s.ok() ? d : s;
}

Result<std::vector<ObjectInfo>> ListStep(ObjectStore& store, std::string_view prefix,
                                         std::string_view marker, size_t limit) {
  return At(fmt::format("list prefix '{}' after '{}' limit {}", prefix, marker, limit),
            store.List(prefix, marker, limit));
}

Status ExpectKeys(std::string_view step, const std::vector<ObjectInfo>& got,
                  const std::vector<std::string>& want) {
  std::vector<std::string> keys;
  for (const ObjectInfo& o : got) keys.push_back(o.key);
  if (keys == want) return Status::Ok();
  auto show = [](const std::vector<std::string>& v) {
    if (v.empty()) return std::string("none");
    return fmt::format("{} keys, {} .. {}", v.size(), Quote(v.front()), Quote(v.back()));
  };
  size_t i = 0;
  while (i < keys.size() && i < want.size() && keys[i] == want[i]) ++i;
  return Status(EIO, fmt::format("{}: expected {}, got {} (first difference at #{})", step,
                                 show(want), show(keys), i));
}

// ----------------------------------------------------------------------------------------------
// The checks.

struct Ctx {
  ObjectStore& store;
  const CheckOptions& opt;
  // The keys of the list checks, put once by the first list check that runs.
  std::vector<std::string> list_keys;
  std::optional<Status> list_fixture;
};

constexpr std::string_view kSixteen = "0123456789abcdef";

Status PutObject(Ctx& c) {
  return WithObject(c.store, "put/object", "hello, object store", [] { return Status::Ok(); });
}

Status GetObject(Ctx& c) {
  const std::string data("binary\0data\xff\x80 end", 17);
  return WithObject(c.store, "get/object", data, [&]() -> Status {
    ASSIGN_OR_RETURN(std::string got, At("get get/object", c.store.Get("get/object")));
    return ExpectBytes("get get/object", data, got);
  });
}

Status OverwriteObject(Ctx& c) {
  const std::string key = "overwrite/object";
  RETURN_IF_ERROR(At("put " + key, c.store.Put(key, "the first, longer version")));
  return WithObject(c.store, key, "second", [&]() -> Status {
    ASSIGN_OR_RETURN(std::string got, At("get " + key, c.store.Get(key)));
    RETURN_IF_ERROR(ExpectBytes("get " + key + " after overwriting it", "second", got));
    ASSIGN_OR_RETURN(ObjectInfo info, At("head " + key, c.store.Head(key)));
    if (info.size != 6)
      return Status(
          EIO, fmt::format("head {}: size {} after overwriting it, expected 6", key, info.size));
    return Status::Ok();
  });
}

Status EmptyObject(Ctx& c) {
  const std::string key = "empty/object";
  return WithObject(c.store, key, "", [&]() -> Status {
    ASSIGN_OR_RETURN(std::string got, At("get " + key, c.store.Get(key)));
    RETURN_IF_ERROR(ExpectBytes("get " + key, "", got));
    ASSIGN_OR_RETURN(ObjectInfo info, At("head " + key, c.store.Head(key)));
    if (info.size != 0)
      return Status(EIO, fmt::format("head {}: size {}, expected 0", key, info.size));
    return Status::Ok();
  });
}

struct Range {
  uint64_t off;
  int64_t limit;
  std::string_view want;
};

Status GetRanges(ObjectStore& store, const std::string& key, std::span<const Range> ranges) {
  return WithObject(store, key, kSixteen, [&]() -> Status {
    for (const Range& r : ranges) {
      std::string step = fmt::format("get {} offset {} limit {}", key, r.off, r.limit);
      ASSIGN_OR_RETURN(std::string got, At(step, store.Get(key, r.off, r.limit)));
      RETURN_IF_ERROR(ExpectBytes(step, r.want, got));
    }
    return Status::Ok();
  });
}

Status GetRange(Ctx& c) {
  static constexpr std::array<Range, 6> kRanges = {
      {{0, 1, "0"}, {4, 1, "4"}, {2, 3, "234"}, {10, -1, "abcdef"}, {3, 0, ""}, {12, 100, "cdef"}}};
  return GetRanges(c.store, "range/object", kRanges);
}

Status GetRangePastEnd(Ctx& c) {
  static constexpr std::array<Range, 3> kRanges = {{{16, 1, ""}, {16, -1, ""}, {100, 5, ""}}};
  return GetRanges(c.store, "range-end/object", kRanges);
}

Status GetMissing(Ctx& c) {
  auto r = c.store.Get("get-missing/none");
  return ExpectMissing("get get-missing/none", r ? Status::Ok() : r.error());
}

Status HeadObject(Ctx& c) {
  const std::string key = "head/object";
  return WithObject(c.store, key, kSixteen, [&]() -> Status {
    ASSIGN_OR_RETURN(ObjectInfo info, At("head " + key, c.store.Head(key)));
    if (info.key != key)
      return Status(EIO, fmt::format("head {}: returned key {}", key, Quote(info.key)));
    if (info.size != kSixteen.size())
      return Status(EIO,
                    fmt::format("head {}: size {}, expected {}", key, info.size, kSixteen.size()));
    // An hour either way: a clock that far off is a problem, a few minutes of skew is not.
    constexpr int64_t kSlack = 3600;
    int64_t now = std::time(nullptr);
    if (info.mtime < now - kSlack || info.mtime > now + kSlack)
      return Status(EIO, fmt::format("head {}: mtime {} is more than an hour from now ({})", key,
                                     info.mtime, now));
    return Status::Ok();
  });
}

Status HeadMissing(Ctx& c) {
  auto r = c.store.Head("head-missing/none");
  return ExpectMissing("head head-missing/none", r ? Status::Ok() : r.error());
}

Status DeleteObject(Ctx& c) {
  const std::string key = "delete/object";
  RETURN_IF_ERROR(At("put " + key, c.store.Put(key, kSixteen)));
  RETURN_IF_ERROR(At("delete " + key, c.store.Delete(key)));
  auto head = c.store.Head(key);
  RETURN_IF_ERROR(
      ExpectMissing("head " + key + " after deleting it", head ? Status::Ok() : head.error()));
  auto get = c.store.Get(key);
  RETURN_IF_ERROR(
      ExpectMissing("get " + key + " after deleting it", get ? Status::Ok() : get.error()));
  ASSIGN_OR_RETURN(auto listed, ListStep(c.store, "delete/", "", 0));
  RETURN_IF_ERROR(ExpectKeys("list delete/ after deleting its object", listed, {}));
  return At("delete " + key + " a second time", c.store.Delete(key));
}

Status DeleteMissing(Ctx& c) {
  return At("delete delete-missing/none", c.store.Delete("delete-missing/none"));
}

// Keys list/k000 .. plus two decoys that share the text "list" but not the prefix "list/", one
// sorting before it ('-' < '/') and one after ('0' > '/').
Status ListFixture(Ctx& c) {
  if (c.list_fixture) return *c.list_fixture;
  size_t width = fmt::format("{}", c.opt.list_keys - 1).size();
  for (size_t i = 0; i < c.opt.list_keys; ++i)
    c.list_keys.push_back(fmt::format("list/k{:0{}}", i, width));
  Status s;
  for (const std::string& key : {std::string("list-a"), std::string("list0")})
    if (s.ok()) s = At("put " + key, c.store.Put(key, "decoy"));
  for (size_t i = 0; i < c.list_keys.size() && s.ok(); ++i)  // sizes 1..5: each its own
    s = At("put " + c.list_keys[i], c.store.Put(c.list_keys[i], std::string(i % 5 + 1, 'x')));
  c.list_fixture = s;
  return s;
}

void ListCleanup(Ctx& c) {
  if (!c.list_fixture) return;
  for (const std::string& key : c.list_keys) (void)c.store.Delete(key);
  (void)c.store.Delete("list-a");
  (void)c.store.Delete("list0");
}

std::vector<std::string> Slice(const std::vector<std::string>& v, size_t from, size_t n) {
  from = std::min(from, v.size());
  return {v.begin() + from, v.begin() + std::min(v.size(), from + n)};
}

Status ListByPrefix(Ctx& c) {
  RETURN_IF_ERROR(ListFixture(c));
  const auto& keys = c.list_keys;
  ASSIGN_OR_RETURN(auto all, ListStep(c.store, "list/", "", 0));
  RETURN_IF_ERROR(ExpectKeys("list list/", all, keys));
  for (size_t i = 0; i < all.size(); ++i) {
    if (all[i].size != i % 5 + 1)
      return Status(EIO, fmt::format("list list/: {} has size {}, expected {}", all[i].key,
                                     all[i].size, i % 5 + 1));
  }
  // A narrower prefix: the keys of the first ten (k00*), as text.
  std::string narrow = keys[0].substr(0, keys[0].size() - 1);
  std::vector<std::string> want;
  for (const std::string& k : keys)
    if (k.starts_with(narrow)) want.push_back(k);
  ASSIGN_OR_RETURN(auto some, ListStep(c.store, narrow, "", 0));
  return ExpectKeys("list " + narrow, some, want);
}

Status ListMarkerLimit(Ctx& c) {
  RETURN_IF_ERROR(ListFixture(c));
  const auto& keys = c.list_keys;
  size_t mid = keys.size() / 2;
  struct Case {
    std::string marker;
    size_t limit;
    std::vector<std::string> want;
  };
  const std::vector<Case> cases = {
      {"", 1, Slice(keys, 0, 1)},
      {keys[mid], 5, Slice(keys, mid + 1, 5)},
      {keys[keys.size() - 2], 0, Slice(keys, keys.size() - 1, 1)},
      {keys.back(), 0, {}},
      {"a", 3, Slice(keys, 0, 3)},  // a marker before the prefix
  };
  for (const Case& k : cases) {
    ASSIGN_OR_RETURN(auto got, ListStep(c.store, "list/", k.marker, k.limit));
    RETURN_IF_ERROR(
        ExpectKeys(fmt::format("list list/ after '{}' limit {}", k.marker, k.limit), got, k.want));
  }
  return Status::Ok();
}

Status ListContinuation(Ctx& c) {
  RETURN_IF_ERROR(ListFixture(c));
  const size_t page = c.opt.list_page;
  std::vector<ObjectInfo> seen;
  std::string marker;
  // One page more than needed is the empty one that ends the walk; more than that is a loop.
  const size_t max_pages = c.list_keys.size() / page + 2;
  for (size_t n = 0;; ++n) {
    if (n == max_pages)
      return Status(EIO, fmt::format("list list/ in pages of {}: still not done after {} pages "
                                     "(the marker is not honoured?)",
                                     page, n));
    ASSIGN_OR_RETURN(auto got, ListStep(c.store, "list/", marker, page));
    if (got.size() > page)
      return Status(EIO, fmt::format("list list/ after '{}' limit {}: returned {} keys", marker,
                                     page, got.size()));
    if (got.empty()) break;
    marker = got.back().key;
    seen.insert(seen.end(), got.begin(), got.end());
  }
  return ExpectKeys(fmt::format("list list/ in pages of {}", page), seen, c.list_keys);
}

Status SpecialKeys(Ctx& c) {
  static const std::array<std::string, 6> kKeys = {
      "keys/测试编码文件{\"name\":\"tierfs\"}\x1f%uFF081%uFF09.jpg",
      "keys/spaces and + plus & amp = eq ? q # hash",
      "keys/%2F%25 already-escaped %zz",
      "keys/!$'()*,;:@[]~^`|<>\\",
      "keys/.dot/..dots../x.y",
      "keys/tab\there/ünïcödé/日本語/😀",
  };
  for (const std::string& key : kKeys) {
    Status s = WithObject(c.store, key, key, [&]() -> Status {
      ASSIGN_OR_RETURN(std::string got, At("get " + Quote(key), c.store.Get(key)));
      RETURN_IF_ERROR(ExpectBytes("get " + Quote(key), key, got));
      ASSIGN_OR_RETURN(ObjectInfo info, At("head " + Quote(key), c.store.Head(key)));
      if (info.key != key || info.size != key.size())
        return Status(EIO, fmt::format("head {}: returned key {} size {}", Quote(key),
                                       Quote(info.key), info.size));
      ASSIGN_OR_RETURN(auto all, ListStep(c.store, "keys/", "", 0));
      RETURN_IF_ERROR(ExpectKeys("list keys/", all, {key}));
      // A marker that is the key but its last character (JuiceFS's check: the encoding of
      // start-after). Not a cut elsewhere: MinIO refuses a marker ending in a "." segment.
      size_t cut = key.size() - 1;
      while (cut > 0 && (static_cast<unsigned char>(key[cut]) & 0xC0) == 0x80) --cut;  // UTF-8
      std::string marker = key.substr(0, cut);
      ASSIGN_OR_RETURN(auto after, ListStep(c.store, "keys/", marker, 0));
      return ExpectKeys("list keys/ after " + Quote(marker), after, {key});
    });
    RETURN_IF_ERROR(s);
  }
  return Status::Ok();
}

Status LargeObject(Ctx& c) {
  const std::string key = "large/object";
  const uint64_t n = c.opt.large_object_size;
  const std::string data = RandomBytes(n, n);
  return WithObject(c.store, key, data, [&]() -> Status {
    ASSIGN_OR_RETURN(ObjectInfo info, At("head " + key, c.store.Head(key)));
    if (info.size != n)
      return Status(EIO, fmt::format("head {}: size {}, expected {}", key, info.size, n));
    // Ranges at the start, across the middle and at the end: a part boundary of a multipart
    // upload is somewhere among them.
    const std::array<std::pair<uint64_t, uint64_t>, 3> ranges = {
        {{0, std::min<uint64_t>(n, kMiB)},
         {n / 2 - std::min<uint64_t>(n / 2, 1000), 5 * kMiB},
         {n - std::min<uint64_t>(n, 100), 100}}};
    for (auto [off, len] : ranges) {
      std::string step = fmt::format("get {} offset {} limit {}", key, off, len);
      ASSIGN_OR_RETURN(std::string got, At(step, c.store.Get(key, off, static_cast<int64_t>(len))));
      std::string_view want = std::string_view(data).substr(off, len);
      if (got != want)
        return Status(EIO, fmt::format("{}: {} bytes came back, {} differ from what was put", step,
                                       got.size(), got.size() == want.size() ? "some" : "they"));
    }
    ASSIGN_OR_RETURN(std::string whole, At("get " + key, c.store.Get(key)));
    if (whole != data)
      return Status(EIO, fmt::format("get {}: {} bytes came back, not the {} bytes put", key,
                                     whole.size(), n));
    return Status::Ok();
  });
}

struct Check {
  std::string_view category;
  std::string_view name;
  Status (*run)(Ctx&);
};

constexpr std::array kChecks = {
    Check{"basic", "put an object", &PutObject},
    Check{"basic", "get an object", &GetObject},
    Check{"basic", "overwrite an object", &OverwriteObject},
    Check{"basic", "put an empty object", &EmptyObject},
    Check{"basic", "get a range", &GetRange},
    Check{"basic", "get a range past the end", &GetRangePastEnd},
    Check{"basic", "get a missing key", &GetMissing},
    Check{"basic", "head an object", &HeadObject},
    Check{"basic", "head a missing key", &HeadMissing},
    Check{"basic", "delete an object", &DeleteObject},
    Check{"basic", "delete a missing key", &DeleteMissing},
    Check{"list", "list by prefix", &ListByPrefix},
    Check{"list", "list with marker and limit", &ListMarkerLimit},
    Check{"list", "list continuation", &ListContinuation},
    Check{"keys", "special characters in keys", &SpecialKeys},
    Check{"large", "put a large object", &LargeObject},
};

CheckOutcome OutcomeOf(const Status& s) {
  if (s.ok()) return CheckOutcome::kPass;
  if (s.code() == ENOTSUP || s.code() == ENOSYS) return CheckOutcome::kNotSupported;
  return CheckOutcome::kFail;
}

}  // namespace

std::string_view OutcomeName(CheckOutcome outcome) {
  switch (outcome) {
    case CheckOutcome::kPass:
      return "pass";
    case CheckOutcome::kFail:
      return "fail";
    case CheckOutcome::kNotSupported:
      return "not supported";
    case CheckOutcome::kSkipped:
      return "skipped";
  }
  return "?";
}

Status ProbeStore(ObjectStore& store) {
  const std::string key = "testing/" + RandomAlnum(10);
  const std::string data = RandomBytes(100, std::random_device{}());
  RETURN_IF_ERROR(PutCreatingBucket(store, key, data));
  Status s = [&]() -> Status {
    ASSIGN_OR_RETURN(std::string got, At("get " + key, store.Get(key)));
    RETURN_IF_ERROR(ExpectBytes("get " + key, data, got));
    ASSIGN_OR_RETURN(ObjectInfo info, At("head " + key, store.Head(key)));
    ASSIGN_OR_RETURN(auto listed, ListStep(store, key, "", 1));
    RETURN_IF_ERROR(ExpectKeys("list " + key, listed, {key}));
    // Sizes as stored (an encrypting store reports its ciphertext): they must agree.
    if (info.size != listed[0].size)
      return Status(
          EIO, fmt::format("head {} says {} bytes, list says {}", key, info.size, listed[0].size));
    return Status::Ok();
  }();
  Status deleted = At("delete " + key, store.Delete(key));
  RETURN_IF_ERROR(s);
  RETURN_IF_ERROR(deleted);
  auto head = store.Head(key);
  return ExpectMissing("head " + key + " after deleting it", head ? Status::Ok() : head.error());
}

std::vector<CheckResult> RunFunctionalChecks(
    ObjectStore& store, const CheckOptions& options,
    const std::function<void(const CheckResult&)>& on_row) {
  std::vector<CheckResult> rows;
  auto add = [&](std::string_view category, std::string_view name, CheckOutcome outcome,
                 Status error) {
    rows.push_back({std::string(category), std::string(name), outcome, std::move(error)});
    if (on_row) on_row(rows.back());
  };
  Status probe = ProbeStore(store);
  add("basic", "create the bucket and probe it", OutcomeOf(probe), probe);
  Ctx ctx{store, options, {}, {}};
  for (const Check& check : kChecks) {
    if (!probe.ok()) {
      add(check.category, check.name, CheckOutcome::kSkipped,
          Status(probe.code(), "skipped: the bucket is not usable"));
      continue;
    }
    Status s = check.run(ctx);
    add(check.category, check.name, OutcomeOf(s), s);
  }
  ListCleanup(ctx);
  return rows;
}

bool AllPassed(const std::vector<CheckResult>& rows) {
  return std::none_of(rows.begin(), rows.end(), [](const CheckResult& r) {
    return r.outcome == CheckOutcome::kFail || r.outcome == CheckOutcome::kSkipped;
  });
}

Status DeleteAll(ObjectStore& store) {
  ASSIGN_OR_RETURN(auto objects, At("list", store.List("")));
  Status first;
  for (const ObjectInfo& o : objects) {
    Status s = At("delete " + o.key, store.Delete(o.key));
    if (first.ok()) first = s;
  }
  return first;
}

}  // namespace tierfs::object
