#include "cli/progress_view.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>

namespace lima::cli {

std::string human_bytes(double bytes) {
  const char* units[] = {"B", "kB", "MB", "GB", "TB"};
  int u = 0;
  while (bytes >= 1000 && u < 4) bytes /= 1000, ++u;
  char buf[32];
  if (u == 0) std::snprintf(buf, sizeof buf, "%.0f %s", bytes, units[u]);
  else std::snprintf(buf, sizeof buf, bytes < 10 ? "%.2f %s" : bytes < 100 ? "%.1f %s" : "%.0f %s", bytes, units[u]);
  return buf;
}

std::string human_duration(double s) {
  char buf[32];
  if (s < 60) {
    std::snprintf(buf, sizeof buf, s < 10 ? "%.2f s" : "%.1f s", s);
  } else {
    auto t = static_cast<long>(std::lround(s));
    if (t < 3600) std::snprintf(buf, sizeof buf, "%ld:%02ld", t / 60, t % 60);
    else std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
  }
  return buf;
}

static std::string with_commas(std::uint64_t v) {
  std::string s = std::to_string(v);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<std::size_t>(i), ",");
  return s;
}

std::string render_progress(const index::SyncProgress& p, double elapsed, std::size_t width, bool bar) {
  using index::SyncPhase;
  const auto phase = static_cast<SyncPhase>(p.phase.load());
  const double el = std::max(elapsed, 1e-3);
  const auto seen = p.files_seen.load(), to_hash = p.files_to_hash.load(), hashed = p.files_hashed.load();
  const double bytes_done = static_cast<double>(p.bytes_hashed.load());

  std::string line;
  double fraction = -1;
  if (phase == SyncPhase::writing) {
    const auto total = p.items_to_write.load(), done = p.items_written.load();
    line = "writing " + with_commas(done) + "/" + with_commas(total) + " changes";
    fraction = total ? static_cast<double>(done) / static_cast<double>(total) : 1.0;
  } else {
    const auto expected = p.files_expected.load();
    line = with_commas(seen) + " files" + (p.walk_done ? "" : " (walking)");
    if (to_hash) {
      line += " · hashed " + with_commas(hashed) + "/" + with_commas(to_hash) + " (" + human_bytes(bytes_done) + ")";
      line += " · " + with_commas(static_cast<std::uint64_t>(static_cast<double>(hashed) / el)) + " files/s · " +
              human_bytes(bytes_done / el) + "/s";
    } else {
      line += " · " + with_commas(static_cast<std::uint64_t>(static_cast<double>(seen) / el)) + " files/s";
    }
    // Walking is cheap next to reading: once the walk is done, progress is
    // the share of files hashed (new files are sized only when read). While
    // it walks, the index's previous size stands in for the total.
    const double hashed_share = to_hash ? static_cast<double>(hashed) / static_cast<double>(to_hash) : 1.0;
    if (p.walk_done) fraction = hashed_share;
    else if (expected) fraction = static_cast<double>(seen) / static_cast<double>(std::max(expected, seen)) * hashed_share;
    if (fraction > 0 && fraction < 1) line += " · ETA " + human_duration(el * (1 - fraction) / fraction);
  }
  if (bar && fraction >= 0) {
    constexpr int kBar = 20;
    int filled = static_cast<int>(std::clamp(fraction, 0.0, 1.0) * kBar);
    char pct[8];
    std::snprintf(pct, sizeof pct, "%3d%% ", static_cast<int>(std::clamp(fraction, 0.0, 1.0) * 100));
    line = "[" + std::string(static_cast<std::size_t>(filled), '#') + std::string(static_cast<std::size_t>(kBar - filled), '-') +
           "] " + pct + line;
  }
  // Cut to the terminal width, counting the '·' (3 bytes, 1 column).
  std::size_t cols = 0, cut = line.size();
  for (std::size_t i = 0; i < line.size(); ++i) {
    if ((static_cast<unsigned char>(line[i]) & 0xC0) != 0x80) ++cols;
    if (cols > width) {
      cut = i;
      break;
    }
  }
  return line.substr(0, cut);
}

ProgressView::ProgressView(const index::SyncProgress& p, std::FILE* out, bool tty)
    : p_(p), out_(out), tty_(tty), start_(std::chrono::steady_clock::now()) {
  thread_ = std::thread([this] { loop(); });
}

ProgressView::~ProgressView() { stop(); }

void ProgressView::stop() {
  {
    std::lock_guard lock(mu_);
    if (stop_) return;
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
  if (tty_) {
    std::fputs("\r\x1b[K", out_);
    std::fflush(out_);
  }
}

void ProgressView::loop() {
  const auto period = tty_ ? std::chrono::milliseconds(100) : std::chrono::milliseconds(5000);
  auto draw = [&] {
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    if (tty_) {
      std::size_t width = 100;
      winsize ws{};
      if (::ioctl(::fileno(out_), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 10) width = ws.ws_col - 1;
      std::fprintf(out_, "\r%s\x1b[K", render_progress(p_, elapsed, width, true).c_str());
    } else {
      std::fprintf(out_, "limafs: %s\n", render_progress(p_, elapsed, 1000, false).c_str());
    }
    std::fflush(out_);
  };
  std::unique_lock lock(mu_);
  if (tty_) draw();  // at once: a terminal user sees the scan start
  while (!cv_.wait_for(lock, period, [&] { return stop_; })) draw();
}

}  // namespace lima::cli
