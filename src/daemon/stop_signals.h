// The signals that stop the daemon: SIGINT (Ctrl-C), SIGTERM (a service
// manager), SIGHUP (a closed terminal). Only the main thread takes them:
// every worker starts with them blocked. Until handle() the default action
// ends the process; after it the first one asks the daemon to stop and a
// second one (during a long startup sync) ends it at once; once block() is
// called they are taken only by wait().
#pragma once

#include <signal.h>

#include <atomic>
#include <chrono>

namespace lima::daemon {

class StopSignals {
 public:
  StopSignals();

  /// While it lives, the calling thread does not take the stop signals, nor
  /// does any thread it starts meanwhile (they keep that mask).
  class Masked {
   public:
    explicit Masked(const sigset_t& signals);
    ~Masked();
    Masked(const Masked&) = delete;
    Masked& operator=(const Masked&) = delete;

   private:
    sigset_t old_{};
  };
  Masked masked() const { return Masked(set_); }

  /// From now on a stop signal sets stop_requested() (once: the next one
  /// has its default action again).
  void handle();
  /// From now on the stop signals stay pending in every thread until wait()
  /// takes them: no thread started later (a FUSE worker) takes one.
  void block();
  /// Set when a stop signal came; also what a run waits on to be cancelled.
  const std::atomic<bool>& flag() const;
  bool stop_requested() const { return flag().load(); }
  /// Waits at most `timeout` for a stop signal (after block()): true when
  /// one came now or earlier.
  bool wait(std::chrono::milliseconds timeout);

 private:
  sigset_t set_{};
};

}  // namespace lima::daemon
