#include "daemon/stop_signals.h"

#include <pthread.h>

namespace lima::daemon {

namespace {

std::atomic<bool> g_stop{false};

extern "C" void on_stop_signal(int) { g_stop.store(true); }

}  // namespace

StopSignals::StopSignals() {
  sigemptyset(&set_);
  sigaddset(&set_, SIGINT);
  sigaddset(&set_, SIGTERM);
  sigaddset(&set_, SIGHUP);
}

StopSignals::Masked::Masked(const sigset_t& signals) { pthread_sigmask(SIG_BLOCK, &signals, &old_); }

StopSignals::Masked::~Masked() { pthread_sigmask(SIG_SETMASK, &old_, nullptr); }

void StopSignals::handle() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sa.sa_flags = SA_RESETHAND;  // a second Ctrl-C during the sync kills at once
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGHUP, &sa, nullptr);
}

void StopSignals::block() { pthread_sigmask(SIG_BLOCK, &set_, nullptr); }

const std::atomic<bool>& StopSignals::flag() const { return g_stop; }

bool StopSignals::wait(std::chrono::milliseconds timeout) {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(timeout).count();
  const timespec tick{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
  const int sig = sigtimedwait(&set_, nullptr, &tick);
  return sig > 0 || g_stop.load();
}

}  // namespace lima::daemon
