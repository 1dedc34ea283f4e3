// A one-line progress counter on stderr, drawn only when stderr is a terminal ("Dumped
// entries: 1234/5678 (21%)"), redrawn at most ten times a second, ended by Done().
// Thread-safety: one thread.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace tierfs::cli {

class Progress {
 public:
  explicit Progress(std::string label) : label_(std::move(label)), on_(::isatty(STDERR_FILENO) == 1) {}
  void Update(uint64_t done, uint64_t total) {
    done_ = done;
    total_ = total;
    if (!on_) return;
    auto now = std::chrono::steady_clock::now();
    if (drawn_ && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    Draw();
  }
  void Done() {
    if (!on_ || !drawn_) return;
    Draw();
    std::fputc('\n', stderr);
    drawn_ = false;
  }

 private:
  void Draw() {
    drawn_ = true;
    if (total_ > 0) {
      std::fprintf(stderr, "\r%s: %llu/%llu (%llu%%)", label_.c_str(), (unsigned long long)done_,
                   (unsigned long long)total_, (unsigned long long)(done_ * 100 / total_));
    } else {
      std::fprintf(stderr, "\r%s: %llu", label_.c_str(), (unsigned long long)done_);
    }
    std::fflush(stderr);
  }
  std::string label_;
  bool on_;
  bool drawn_ = false;
  uint64_t done_ = 0, total_ = 0;
  std::chrono::steady_clock::time_point last_;
};

inline bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace tierfs::cli
