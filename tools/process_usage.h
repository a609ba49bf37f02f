// What a running process costs while it idles, read from /proc: CPU time
// (utime + stime of all its threads, /proc/PID/stat), resident memory
// (VmRSS, its anonymous and file-backed parts, and the peak VmHWM from
// /proc/PID/status) and wake-ups (context switches summed over
// /proc/PID/task/*/status).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <vector>

namespace lima::bench {

/// One reading of a process.
struct ProcessSample {
  double cpu_s = 0;                 ///< user + system time so far
  long rss_kib = 0, rss_anon_kib = 0, rss_file_kib = 0, hwm_kib = 0;
  std::uint64_t context_switches = 0;  ///< voluntary + involuntary, all threads
  std::size_t threads = 0;
};

/// Reads /proc for pid. Throws std::runtime_error when the process is gone.
ProcessSample sample_process(pid_t pid);

/// A window of watching processes do nothing in particular.
struct IdleUsage {
  double seconds = 0;        ///< wall-clock length of the window
  double cpu_percent = 0;    ///< of one CPU, over the window
  long rss_max_kib = 0;      ///< largest VmRSS seen (sampled once a second)
  ProcessSample last;        ///< at the end of the window
  double wakeups_per_s = 0;  ///< context switches per second over the window
};

/// Samples each of pids at the start, once a second, and at the end of a
/// window of `window`; one result per pid, in order.
std::vector<IdleUsage> measure_idle(const std::vector<pid_t>& pids, std::chrono::seconds window);

}  // namespace lima::bench
