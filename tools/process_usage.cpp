#include "process_usage.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>

namespace lima::bench {
namespace {

namespace stdfs = std::filesystem;
using Clock = std::chrono::steady_clock;

stdfs::path proc_dir(pid_t pid) { return stdfs::path("/proc") / std::to_string(pid); }

/// utime + stime in seconds from /proc/PID/stat (fields 14 and 15; the
/// command name in field 2 may hold spaces and parentheses, so count from
/// the last ')').
double cpu_seconds(pid_t pid) {
  std::ifstream in(proc_dir(pid) / "stat");
  std::string line;
  if (!std::getline(in, line)) throw std::runtime_error("process " + std::to_string(pid) + " is gone");
  const auto close = line.rfind(')');
  if (close == std::string::npos) throw std::runtime_error("cannot parse /proc/" + std::to_string(pid) + "/stat");
  std::istringstream fields(line.substr(close + 1));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {  // field 3 (state) comes first
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

/// Calls fn(key, value) for each "Key:   value kB" line of a status file.
template <class Fn>
void read_status(const stdfs::path& file, Fn fn) {
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    long value = 0;
    std::istringstream(line.substr(colon + 1)) >> value;
    fn(std::string_view(line).substr(0, colon), value);
  }
}

}  // namespace

ProcessSample sample_process(pid_t pid) {
  ProcessSample s;
  s.cpu_s = cpu_seconds(pid);
  read_status(proc_dir(pid) / "status", [&s](std::string_view key, long v) {
    if (key == "VmRSS") s.rss_kib = v;
    else if (key == "RssAnon") s.rss_anon_kib = v;
    else if (key == "RssFile") s.rss_file_kib = v;
    else if (key == "VmHWM") s.hwm_kib = v;
  });
  std::error_code ec;
  for (const auto& task : stdfs::directory_iterator(proc_dir(pid) / "task", ec)) {
    ++s.threads;
    read_status(task.path() / "status", [&s](std::string_view key, long v) {
      if (key == "voluntary_ctxt_switches" || key == "nonvoluntary_ctxt_switches") {
        s.context_switches += static_cast<std::uint64_t>(v);
      }
    });
  }
  return s;
}

std::vector<IdleUsage> measure_idle(const std::vector<pid_t>& pids, std::chrono::seconds window) {
  std::vector<ProcessSample> first;
  std::vector<IdleUsage> out(pids.size());
  const auto start = Clock::now();
  for (const pid_t pid : pids) first.push_back(sample_process(pid));
  for (std::size_t i = 0; i < pids.size(); ++i) out[i].rss_max_kib = first[i].rss_kib;
  for (auto tick = start + std::chrono::seconds(1); tick < start + window; tick += std::chrono::seconds(1)) {
    std::this_thread::sleep_until(tick);
    for (std::size_t i = 0; i < pids.size(); ++i) {
      out[i].rss_max_kib = std::max(out[i].rss_max_kib, sample_process(pids[i]).rss_kib);
    }
  }
  std::this_thread::sleep_until(start + window);
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  for (std::size_t i = 0; i < pids.size(); ++i) {
    IdleUsage& u = out[i];
    u.last = sample_process(pids[i]);
    u.seconds = seconds;
    u.rss_max_kib = std::max(u.rss_max_kib, u.last.rss_kib);
    u.cpu_percent = seconds > 0 ? (u.last.cpu_s - first[i].cpu_s) / seconds * 100.0 : 0;
    // A thread that ended meanwhile takes its switches with it.
    const std::uint64_t switches = u.last.context_switches > first[i].context_switches
                                       ? u.last.context_switches - first[i].context_switches
                                       : 0;
    u.wakeups_per_s = seconds > 0 ? static_cast<double>(switches) / seconds : 0;
  }
  return out;
}

}  // namespace lima::bench
