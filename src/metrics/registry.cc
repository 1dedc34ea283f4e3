#include "metrics/registry.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

namespace tierfs::metrics {

namespace {

enum Kind { kCounter, kGauge, kFloatGauge, kHistogram };

const char* KindName(int kind) {
  switch (kind) {
    case kCounter:
      return "counter";
    case kGauge:
    case kFloatGauge:
      return "gauge";
    default:
      return "histogram";
  }
}

// Misuse of the registry (a bad name, one name with two kinds) is a bug in tierfs, found by
// the first test that touches it; there is no caller that could handle it at run time.
[[noreturn]] void Die(const std::string& msg) {
  std::fprintf(stderr, "tierfs metrics: %s\n", msg.c_str());
  std::abort();
}

bool ValidName(const std::string& s, bool allow_colon) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              (allow_colon && c == ':') || (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

Labels Sorted(Labels l) {
  std::sort(l.begin(), l.end());
  return l;
}

// Shortest text that reads back as `v`; Prometheus spells the infinities and NaN its own way.
std::string FormatFloat(double v, std::chars_format fmt) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v, fmt);
  if (ec != std::errc()) return "NaN";  // cannot happen with 64 bytes
  return std::string(buf, end);
}

void AppendEscaped(std::string& out, const std::string& s, bool escape_quote) {
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && escape_quote) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

// `{a="x",b="y"}` from labels sorted by name, plus an optional trailing `le`; "" when empty.
std::string LabelText(const Labels& labels, const char* le = nullptr) {
  if (labels.empty() && le == nullptr) return "";
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out += ',';
    first = false;
    out += k;
    out += "=\"";
    AppendEscaped(out, v, true);
    out += '"';
  }
  if (le != nullptr) {
    if (!first) out += ',';
    out += "le=\"";
    out += le;
    out += '"';
  }
  out += '}';
  return out;
}

}  // namespace

// ---- Histogram ----

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)) {
  std::erase_if(bounds_, [](double b) { return std::isnan(b) || std::isinf(b); });
  std::sort(bounds_.begin(), bounds_.end());
  bounds_.erase(std::unique(bounds_.begin(), bounds_.end()), bounds_.end());
  // One bucket per bound plus the overflow bucket (> last bound), counted non-cumulatively so
  // that Observe touches one bucket.
  buckets_ = std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1);
}

void Histogram::Observe(double v) {
  if (std::isnan(v)) return;
  // `le` is inclusive: v goes to the first bound >= v.
  size_t i = std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin();
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  double micro = v * 1e6;
  constexpr double kMax = 9.2e18;  // inside int64, so llround is defined
  micro = std::clamp(micro, -kMax, kMax);
  // Two's complement: adding a negative as uint64 subtracts, and Sum() reads it back signed.
  sum_micro_.fetch_add(static_cast<uint64_t>(std::llround(micro)), std::memory_order_relaxed);
}

double Histogram::Sum() const {
  return static_cast<double>(static_cast<int64_t>(sum_micro_.load(std::memory_order_relaxed))) /
         1e6;
}

uint64_t Histogram::CumulativeCount(size_t i) const {
  uint64_t n = 0;
  for (size_t j = 0; j <= i && j <= bounds_.size(); ++j) {
    n += buckets_[j].load(std::memory_order_relaxed);
  }
  return n;
}

std::vector<double> LatencyBuckets() {
  // 100 us doubling 20 times: 104.8576 s. Doubling is exact in binary, so each bound prints
  // as a short decimal.
  std::vector<double> b;
  for (double v = 0.0001; b.size() < 21; v *= 2) b.push_back(v);
  return b;
}

std::vector<double> SizeBuckets() {
  std::vector<double> b;
  for (double v = 4096; v <= 64.0 * 1024 * 1024; v *= 4) b.push_back(v);
  return b;
}

// ---- Registry ----

struct Registry::Series {
  Labels labels;  // the series' own labels, sorted by name; const labels are not repeated here
  std::unique_ptr<Counter> counter;
  std::unique_ptr<Gauge> gauge;
  std::unique_ptr<FloatGauge> float_gauge;
  std::unique_ptr<Histogram> histogram;
};

struct Registry::Family {
  std::string name;
  std::string help;
  int kind;
  std::vector<double> bounds;  // histograms only
  std::map<Labels, std::unique_ptr<Series>> series;
};

Registry::Registry(Labels const_labels) : const_labels_(Sorted(std::move(const_labels))) {
  for (const auto& [k, v] : const_labels_) {
    if (!ValidName(k, false)) Die("invalid const label name '" + k + "'");
  }
}

Registry::~Registry() = default;

Registry::Series& Registry::GetSeries(const std::string& name, const std::string& help, int kind,
                                      const Labels& labels, const std::vector<double>* bounds) {
  auto& fam = families_[name];
  if (!fam) {
    if (!ValidName(name, true)) Die("invalid metric name '" + name + "'");
    fam = std::make_unique<Family>();
    fam->name = name;
    fam->help = help;
    fam->kind = kind;
    if (bounds != nullptr) fam->bounds = *bounds;
  } else if (fam->kind != kind) {
    Die("metric '" + name + "' is a " + KindName(fam->kind) + ", asked for as a " +
        KindName(kind));
  }
  Labels key = Sorted(labels);
  auto& s = fam->series[key];
  if (!s) {
    for (const auto& [k, v] : key) {
      bool clash = std::any_of(const_labels_.begin(), const_labels_.end(),
                               [&](const auto& c) { return c.first == k; });
      if (!ValidName(k, false) || k == "le" || clash) {
        Die("invalid label name '" + k + "' for metric '" + name + "'");
      }
    }
    s = std::make_unique<Series>();
    s->labels = std::move(key);
    switch (kind) {
      case kCounter:
        s->counter = std::make_unique<Counter>();
        break;
      case kGauge:
        s->gauge = std::make_unique<Gauge>();
        break;
      case kFloatGauge:
        s->float_gauge = std::make_unique<FloatGauge>();
        break;
      default:
        s->histogram = std::make_unique<Histogram>(fam->bounds);
    }
  }
  return *s;
}

Counter* Registry::GetCounter(const std::string& name, const std::string& help,
                              const Labels& labels) {
  std::lock_guard lock(mu_);
  return GetSeries(name, help, kCounter, labels, nullptr).counter.get();
}

Gauge* Registry::GetGauge(const std::string& name, const std::string& help, const Labels& labels) {
  std::lock_guard lock(mu_);
  return GetSeries(name, help, kGauge, labels, nullptr).gauge.get();
}

FloatGauge* Registry::GetFloatGauge(const std::string& name, const std::string& help,
                                    const Labels& labels) {
  std::lock_guard lock(mu_);
  return GetSeries(name, help, kFloatGauge, labels, nullptr).float_gauge.get();
}

Histogram* Registry::GetHistogram(const std::string& name, const std::string& help,
                                  const std::vector<double>& bounds, const Labels& labels) {
  std::lock_guard lock(mu_);
  return GetSeries(name, help, kHistogram, labels, &bounds).histogram.get();
}

void Registry::AddCollectHook(std::function<void()> hook) {
  std::lock_guard lock(hooks_mu_);
  hooks_.push_back(std::move(hook));
}

void Registry::RunHooks() const {
  std::vector<std::function<void()>> hooks;
  {
    std::lock_guard lock(hooks_mu_);
    hooks = hooks_;
  }
  for (auto& h : hooks) h();
}

std::string Registry::PrometheusText() const {
  RunHooks();
  std::string out;
  std::lock_guard lock(mu_);
  for (const auto& [name, fam] : families_) {
    out += "# HELP " + name + ' ';
    AppendEscaped(out, fam->help, false);
    out += "\n# TYPE " + name + ' ' + KindName(fam->kind) + '\n';
    for (const auto& [key, s] : fam->series) {
      Labels all = const_labels_;
      all.insert(all.end(), s->labels.begin(), s->labels.end());
      std::sort(all.begin(), all.end());
      switch (fam->kind) {
        case kCounter:
          out += name + LabelText(all) + ' ' + std::to_string(s->counter->Value()) + '\n';
          break;
        case kGauge:
          out += name + LabelText(all) + ' ' + std::to_string(s->gauge->Value()) + '\n';
          break;
        case kFloatGauge:
          out += name + LabelText(all) + ' ' +
                 FormatFloat(s->float_gauge->Value(), std::chars_format::general) + '\n';
          break;
        default: {
          const Histogram& h = *s->histogram;
          const auto& bounds = h.Bounds();
          // Each cumulative count is read after the previous one and buckets only grow, so the
          // values printed never decrease, and _count is the +Inf bucket we printed.
          for (size_t i = 0; i < bounds.size(); ++i) {
            std::string le = FormatFloat(bounds[i], std::chars_format::general);
            out += name + "_bucket" + LabelText(all, le.c_str()) + ' ' +
                   std::to_string(h.CumulativeCount(i)) + '\n';
          }
          uint64_t total = h.CumulativeCount(bounds.size());
          out += name + "_bucket" + LabelText(all, "+Inf") + ' ' + std::to_string(total) + '\n';
          out += name + "_sum" + LabelText(all) + ' ' +
                 FormatFloat(h.Sum(), std::chars_format::general) + '\n';
          out += name + "_count" + LabelText(all) + ' ' + std::to_string(total) + '\n';
        }
      }
    }
  }
  return out;
}

std::string Registry::StatsText() const {
  RunHooks();
  std::string out;
  std::lock_guard lock(mu_);
  for (const auto& [name, fam] : families_) {
    for (const auto& [key, s] : fam->series) {
      std::string full = name;
      for (const auto& [k, v] : s->labels) full += '_' + v;
      switch (fam->kind) {
        case kCounter:
          out += full + ' ' + std::to_string(s->counter->Value()) + '\n';
          break;
        case kGauge:
          out += full + ' ' + std::to_string(s->gauge->Value()) + '\n';
          break;
        case kFloatGauge:
          out += full + ' ' + FormatFloat(s->float_gauge->Value(), std::chars_format::fixed) +
                 '\n';
          break;
        default:
          out += full + "_total " + std::to_string(s->histogram->Count()) + '\n';
          out += full + "_sum " + FormatFloat(s->histogram->Sum(), std::chars_format::fixed) +
                 '\n';
      }
    }
  }
  return out;
}

}  // namespace tierfs::metrics
